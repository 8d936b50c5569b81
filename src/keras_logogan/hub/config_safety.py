"""Check a serialized config before Keras deserializes any class from it.

Keras resolves each `{"module": ..., "class_name": ...}` entry of a config to
a class and builds it. A config downloaded from the Hub is untrusted, so
`check_classes` accepts only Keras built-in classes from the modules below
and classes registered under the `keras_logogan>` prefix, and rejects the
built-in layers that run arbitrary code.
"""

from keras_logogan.hub.errors import IncompatibleConfigError

PACKAGE_PREFIX = "keras_logogan>"

# Modules that Keras 3 writes for its built-in layers, initializers,
# regularizers, constraints, dtype policies and functional models.
KERAS_MODULES = frozenset(
    {
        "keras",
        "keras.layers",
        "keras.initializers",
        "keras.regularizers",
        "keras.constraints",
        "keras.activations",
        "keras.models",
        "keras.src.models.functional",
        "keras.src.models.sequential",
    }
)

# Built-in layers that wrap Python code, pickled modules or saved graphs.
# Keras' safe mode rejects only `Lambda`.
CODE_RUNNING_CLASSES = frozenset(
    {"Lambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "TFSMLayer"}
)

# Markers Keras writes for tensors and Python values inside a config. They
# name no class to import. `__lambda__` (marshalled bytecode) is left out.
VALUE_MARKERS = frozenset(
    {"__keras_tensor__", "__tuple__", "__numpy__", "__tensor__", "__bytes__", "__ellipsis__", "__slice__"}
)


def check_classes(config, filename, field):
    """Raise `IncompatibleConfigError` unless every class in `config` may be loaded.

    Args:
        config: the JSON value of one field of a config file.
        filename: name of the file, for the error message.
        field: name of the field, for the error message; nested entries
            extend it, e.g. "config.generator.config.layers[1]".
    """
    if isinstance(config, list):
        for index, item in enumerate(config):
            check_classes(item, filename, f"{field}[{index}]")
        return
    if not isinstance(config, dict):
        return

    if "class_name" in config:
        _check_class_entry(config, filename, field)
    for key, value in config.items():
        check_classes(value, filename, f"{field}.{key}")


def _check_class_entry(entry, filename, field):
    import keras

    class_name = entry.get("class_name")
    module = entry.get("module")
    registered_name = entry.get("registered_name")

    if not isinstance(class_name, str):
        raise _reject(filename, field, f"class_name must be a string, not {class_name!r}")
    if class_name == "__lambda__" or class_name in CODE_RUNNING_CLASSES:
        raise _reject(
            filename,
            field,
            f"class {class_name!r} runs stored code, which pretrained LogoGAN files never contain",
        )
    if class_name in VALUE_MARKERS and module is None:
        return

    if isinstance(registered_name, str) and registered_name.startswith(PACKAGE_PREFIX):
        if keras.saving.get_registered_object(registered_name) is None:
            raise _reject(
                filename,
                field,
                f"class {class_name!r} ({registered_name!r}) is not registered by this "
                "version of keras-logogan",
            )
        return
    if module in KERAS_MODULES and registered_name in (None, class_name):
        return
    raise _reject(
        filename,
        field,
        f"class {class_name!r} from module {module!r} (registered_name={registered_name!r}) "
        "is neither a Keras built-in nor registered by keras-logogan",
    )


def _reject(filename, field, reason):
    return IncompatibleConfigError(
        f"{filename}: field {field!r} cannot be loaded: {reason}. Only Keras "
        "built-in layers and classes registered by keras-logogan are deserialized, "
        "so that loading a model never imports or runs other code."
    )
