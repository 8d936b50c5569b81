"""Logo image datasets: shipped icons, image folders, LLD files and `tf.data` pipelines.

The names load on first use. The pipelines (`make_dataset`,
`make_epoch_dataset`) import TensorFlow, and the file loaders
(`image_folder`, `load_lld`) do not, so the command line can read image
files before it picks a Keras backend.
"""

import importlib

_LAZY_ATTRIBUTES = {
    "load_icons": "keras_logogan.datasets.icons",
    "make_dataset": "keras_logogan.datasets.pipeline",
    "make_epoch_dataset": "keras_logogan.datasets.pipeline",
    "epoch_steps": "keras_logogan.datasets.pipeline",
    "image_folder": "keras_logogan.datasets.image_folders",
    "ImageLoadReport": "keras_logogan.datasets.image_folders",
    "NoUsableImagesError": "keras_logogan.datasets.image_folders",
    "load_lld": "keras_logogan.datasets.lld",
    "lld_label_keys": "keras_logogan.datasets.lld",
    "load_numpy_pickle": "keras_logogan.datasets.safe_pickle",
    "UnsafePickleError": "keras_logogan.datasets.safe_pickle",
    "inspect_images": "keras_logogan.datasets.inspection",
}

__all__ = sorted(_LAZY_ATTRIBUTES)


def __getattr__(name):
    if name not in _LAZY_ATTRIBUTES:
        raise AttributeError(f"module 'keras_logogan.datasets' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
