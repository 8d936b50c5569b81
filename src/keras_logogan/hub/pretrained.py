"""`save_pretrained` and `from_pretrained`: a LogoGAN as a folder of named files.

A pretrained folder, laid out like a KerasHub preset, contains:

- `config.json`: the registered class name, the `LogoGAN` config with the
  generator (and the discriminator when included), the image and latent
  sizes, `format_version`, the package and Keras versions, and the SHA-256
  of each weights file.
- `model.weights.h5`: the generator's weights, a Keras weights file that
  `generator.load_weights` reads.
- `discriminator.weights.h5`: the discriminator's weights, only when saved
  with `include_discriminator=True`.
- `metadata.json`: versions, backend, parameter counts and the save date.
- `README.md`: a model card with Hugging Face Hub metadata.
- `sample_grid.png`: 16 images generated from seed 0.

Loading reads only `config.json` and the weights files. It parses JSON and
HDF5 and never unpickles.
"""

import datetime
import hashlib
import json
import math
import os

from keras_logogan.atomic_files import atomic_path
from keras_logogan.hub import files
from keras_logogan.hub import model_card
from keras_logogan.hub.config_safety import check_classes
from keras_logogan.hub.errors import IncompatibleConfigError
from keras_logogan.hub.errors import WeightsFileError
from keras_logogan.hub.errors import WeightsMismatchError
from keras_logogan.log import logger
from keras_logogan.models import averaged_generator
from keras_logogan.version import __version__

SAMPLE_COUNT = 16
SAMPLE_SEED = 0
# Fields of `config.json` that `from_pretrained` requires.
REQUIRED_FIELDS = ("format_version", "registered_name", "config", "weights")


def save_pretrained(
    gan,
    folder,
    *,
    include_discriminator=False,
    license=model_card.DEFAULT_LICENSE,
    description=None,
    training=None,
    metrics=None,
    repo_name=None,
):
    """Write `gan` to `folder` as a pretrained folder that `from_pretrained` reads.

    Each file is written to a temporary file and renamed into place, so an
    interrupted save never leaves a truncated file. Files of an earlier
    save that this one does not write (such as a discriminator weights file)
    are removed.

    Args:
        gan: the `LogoGAN` to save.
        folder: str or path-like. Created if missing.
        include_discriminator: bool, default False. Also save the
            discriminator, so that training can continue from the folder.
        license: str, default "apache-2.0". License in the model card.
        description: optional str. Paragraph under the model card's title.
        training: optional dict of training settings for the model card
            (e.g. data set and epochs); merged over the settings read from
            the compiled model and its last `fit()`.
        metrics: optional dict of final metrics for the model card; by
            default, the last epoch's metrics of the last `fit()`.
        repo_name: optional str. Name used in the model card, e.g. the Hub
            repository id; defaults to the folder's name.

    Returns:
        The folder path, as a str.
    """
    import keras

    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)

    # The averaged generator, when there is one, is the one worth publishing.
    weights = {
        "generator": _save_weights(gan.sampling_generator, folder, files.GENERATOR_WEIGHTS_FILE)
    }
    discriminator_path = os.path.join(folder, files.DISCRIMINATOR_WEIGHTS_FILE)
    if include_discriminator:
        weights["discriminator"] = _save_weights(
            gan.discriminator, folder, files.DISCRIMINATOR_WEIGHTS_FILE
        )
    elif os.path.exists(discriminator_path):
        os.remove(discriminator_path)

    gan_config = gan.get_config()
    if not include_discriminator:
        gan_config.pop("discriminator")
    config = {
        "format_version": files.FORMAT_VERSION,
        "registered_name": keras.saving.get_registered_name(type(gan)),
        "config": gan_config,
        "image_size": gan.image_size,
        "channels": gan.channels,
        "latent_dim": gan.latent_dim,
        "weights": weights,
        "keras_logogan_version": __version__,
        "keras_version": keras.__version__,
    }
    _write_json(config, os.path.join(folder, files.CONFIG_FILE))
    _write_json(
        _metadata(gan, include_discriminator, description),
        os.path.join(folder, files.METADATA_FILE),
    )

    from keras_logogan.images import save_grid

    grid_scale = max(1, 64 // gan.image_size)
    save_grid(
        gan.generate(SAMPLE_COUNT, seed=SAMPLE_SEED),
        os.path.join(folder, files.SAMPLE_GRID_FILE),
        scale=grid_scale,
    )

    card_training = {**model_card.training_settings(gan), **(training or {})}
    card_metrics = model_card.final_metrics(gan) if metrics is None else metrics
    card = model_card.render_model_card(
        gan,
        repo_name=repo_name or os.path.basename(os.path.abspath(folder)),
        license=license,
        description=description,
        training=card_training,
        metrics=card_metrics,
        include_discriminator=include_discriminator,
    )
    _write_text(card, os.path.join(folder, files.MODEL_CARD_FILE))
    return folder


def _save_weights(network, folder, filename):
    path = os.path.join(folder, filename)
    # Keras requires weights files to end in ".weights.h5".
    with atomic_path(path, suffix=".weights.h5") as temporary:
        network.save_weights(temporary)
    return {"file": filename, "sha256": _sha256(path)}


def _metadata(gan, include_discriminator, description=None):
    import keras

    parameter_counts = {"generator": gan.generator.count_params()}
    if include_discriminator:
        parameter_counts["discriminator"] = gan.discriminator.count_params()
    metadata = {
        "keras_logogan_version": __version__,
        "keras_version": keras.__version__,
        "backend": keras.config.backend(),
        "parameter_counts": parameter_counts,
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if description:
        metadata["description"] = description
    return metadata


def _write_json(data, path):
    _write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", path)


def _write_text(text, path):
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(text)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Loading.


def read_config(path):
    """Read and check `config.json` at `path`, and return it as a dict.

    Raises:
        IncompatibleConfigError: for invalid JSON, a missing field, a
            `format_version` this package does not support, or a class that
            is neither a Keras built-in nor registered by keras-logogan.
    """
    import keras

    try:
        with open(path, encoding="utf-8") as stream:
            config = json.load(stream)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: not valid JSON ({error}). Re-download it, e.g. with "
            "`force_download=True`, or save the model again with `save_pretrained`."
        ) from error
    if not isinstance(config, dict):
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: expected a JSON object. Received: {type(config).__name__}"
        )
    for field in REQUIRED_FIELDS:
        if field not in config:
            raise IncompatibleConfigError(
                f"{files.CONFIG_FILE}: field {field!r} is missing. The file was not "
                "written by `save_pretrained`; save the model again with it."
            )

    version = config["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'format_version' must be a positive int. "
            f"Received: {version!r}"
        )
    if version > files.FORMAT_VERSION:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'format_version' is {version}, but "
            f"keras-logogan {__version__} reads versions up to {files.FORMAT_VERSION}. "
            "Upgrade keras-logogan to load this model."
        )

    expected_name = _logo_gan_registered_name()
    if config["registered_name"] != expected_name:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'registered_name' is {config['registered_name']!r}, "
            f"but only {expected_name!r} can be loaded with `LogoGAN.from_pretrained`."
        )
    if keras.saving.get_registered_object(expected_name) is None:
        raise IncompatibleConfigError(f"{expected_name!r} is not registered with Keras.")
    if not isinstance(config["config"], dict) or not isinstance(config["config"].get("generator"), dict):
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'config.generator' must be a serialized Keras model."
        )
    if not isinstance(config["weights"], dict) or "generator" not in config["weights"]:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'weights.generator' is missing."
        )
    check_classes(config["config"], files.CONFIG_FILE, "config")
    return config


def _logo_gan_registered_name():
    import keras

    from keras_logogan.models.logo_gan import LogoGAN

    return keras.saving.get_registered_name(LogoGAN)


def weights_filename(config, role):
    """Return the weights file name that `config.json` lists for `role` ("generator" or "discriminator")."""
    entry = config["weights"].get(role)
    filename = entry.get("file") if isinstance(entry, dict) else None
    allowed = {
        "generator": files.GENERATOR_WEIGHTS_FILE,
        "discriminator": files.DISCRIMINATOR_WEIGHTS_FILE,
    }[role]
    # Only the fixed names are accepted, so a config cannot point the
    # download at another file of the repository or at a path outside it.
    if filename != allowed:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'weights.{role}.file' must be {allowed!r}. "
            f"Received: {filename!r}"
        )
    return filename


def build_gan(config, weights_paths, load_discriminator):
    """Build the `LogoGAN` that `config` describes and load the weights files into it.

    Args:
        config: dict returned by `read_config`.
        weights_paths: dict from "generator" (and "discriminator" when
            `load_discriminator`) to local weights file paths.
        load_discriminator: bool. When False, the discriminator is built
            from the config's architecture with fresh weights.
    """
    import keras

    from keras_logogan.models.logo_gan import LogoGAN

    gan_config = dict(config["config"])
    for role in ("generator", "discriminator"):
        serialized = gan_config.get(role)
        if role == "discriminator" and not load_discriminator:
            gan_config[role] = None
            continue
        try:
            gan_config[role] = keras.saving.deserialize_keras_object(serialized, safe_mode=True)
        except (TypeError, ValueError, KeyError) as error:
            raise IncompatibleConfigError(
                f"{files.CONFIG_FILE}: field 'config.{role}' could not be deserialized: {error}"
            ) from error
    try:
        gan = LogoGAN.from_config(gan_config)
    except (TypeError, ValueError) as error:
        raise IncompatibleConfigError(
            f"{files.CONFIG_FILE}: field 'config' does not describe a LogoGAN that this "
            f"version can build: {error}"
        ) from error

    _load_weights(gan.generator, weights_paths["generator"], config["weights"]["generator"])
    averaged_generator.copy_generator_weights(gan)
    if load_discriminator:
        _load_weights(
            gan.discriminator, weights_paths["discriminator"], config["weights"]["discriminator"]
        )
    else:
        logger.info("Built the discriminator with fresh weights. Pass load_discriminator=True to load saved ones.")
    return gan


def _load_weights(network, path, entry):
    import h5py

    filename = os.path.basename(entry["file"])
    expected_sha256 = entry.get("sha256")
    if expected_sha256 is not None and _sha256(path) != expected_sha256:
        raise WeightsFileError(
            f"{filename}: SHA-256 {_sha256(path)} does not match {expected_sha256} recorded "
            f"in {files.CONFIG_FILE}, so the file is truncated or corrupt. Download it "
            "again with `force_download=True`, or save the model again."
        )

    try:
        with h5py.File(path, "r"):
            pass
    except OSError as error:
        raise WeightsFileError(
            f"{filename}: not a readable HDF5 weights file ({error}). Download it again "
            "with `force_download=True`, or save the model again."
        ) from error

    _check_weight_shapes(network, path, filename)
    try:
        network.load_weights(path)
    except (ValueError, KeyError) as error:
        # Keras' message continues with the variable's values after its first line.
        first_line = str(error).strip().splitlines()[0]
        raise WeightsMismatchError(
            f"{filename}: the weights do not fit the {network.name} built from "
            f"{files.CONFIG_FILE}: {first_line}"
        ) from error


def _check_weight_shapes(network, path, filename):
    """Raise `WeightsMismatchError` unless the file stores arrays of the network's variable shapes.

    Keras names the groups of a weights file after layer classes, not layer
    names, so this compares the shapes as multisets. Keras' own load then
    matches the arrays to the variables in order.
    """
    import collections

    import h5py

    stored_shapes = []

    def collect(_, item):
        if isinstance(item, h5py.Dataset):
            stored_shapes.append(tuple(item.shape))

    with h5py.File(path, "r") as weights_file:
        weights_file.visititems(collect)
    expected_shapes = [tuple(variable.shape) for variable in network.weights]

    stored_counts = collections.Counter(stored_shapes)
    expected_counts = collections.Counter(expected_shapes)
    if stored_counts == expected_counts:
        return
    # The largest arrays come first: they name the layers that differ most.
    unexpected = sorted((stored_counts - expected_counts).elements(), key=math.prod, reverse=True)
    missing = sorted((expected_counts - stored_counts).elements(), key=math.prod, reverse=True)
    raise WeightsMismatchError(
        f"{filename}: the file stores {len(stored_shapes)} arrays, but the "
        f"{network.name} built from {files.CONFIG_FILE} has {len(expected_shapes)} "
        f"variables, and the shapes differ: shapes only in the file {unexpected[:4]}, "
        f"shapes only in the {network.name} {missing[:4]}. The weights belong to "
        "another model; save this model again with `save_pretrained`."
    )


def from_pretrained(
    name_or_path,
    *,
    revision=None,
    cache_dir=None,
    force_download=False,
    token=None,
    local_files_only=False,
    load_discriminator=False,
):
    """Load a LogoGAN from a folder, a shipped preset or a Hub repository.

    See `LogoGAN.from_pretrained` for the arguments and errors.
    """
    from keras_logogan.hub.sources import LocalSource
    from keras_logogan.hub.sources import resolve_source

    source = resolve_source(
        name_or_path,
        revision=revision,
        cache_dir=cache_dir,
        force_download=force_download,
        token=token,
        local_files_only=local_files_only,
    )
    if isinstance(source, LocalSource) and revision is not None:
        logger.warning("Ignoring revision=%r: %s is a local folder.", revision, source.description)

    config = read_config(source.fetch(files.CONFIG_FILE))
    roles = ["generator"]
    if load_discriminator:
        if "discriminator" not in config["weights"] or "discriminator" not in config["config"]:
            raise IncompatibleConfigError(
                f"{files.CONFIG_FILE} of {source.description} has no discriminator, because "
                "it was saved without `include_discriminator=True`. Load it with "
                "load_discriminator=False, which builds a discriminator with fresh weights."
            )
        roles.append("discriminator")
    weights_paths = {role: source.fetch(weights_filename(config, role)) for role in roles}

    gan = build_gan(config, weights_paths, load_discriminator)
    logger.info("Loaded a LogoGAN from %s.", source.description)
    return gan
