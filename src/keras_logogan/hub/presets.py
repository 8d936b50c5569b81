"""Presets: pretrained folders shipped inside the package.

Each preset is a folder `keras_logogan/presets/<name>/` written by
`save_pretrained` (see `scripts/train_preset.py`). The registry is read
from disk on each call, so a package without presets lists none.
"""

import json
import types
import os

from keras_logogan.hub import files
from keras_logogan.log import logger

# Wheels carry these folders through the "presets/*/*" package-data entry
# of pyproject.toml; editable installs read them from the source tree.
PRESETS_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "presets")


def preset_folder(name):
    """Return the folder of the shipped preset `name`, or None if there is no such preset."""
    if not isinstance(name, str) or not name or os.sep in name or "/" in name or name.startswith("."):
        return None
    folder = os.path.join(PRESETS_FOLDER, name)
    return folder if os.path.isfile(os.path.join(folder, files.CONFIG_FILE)) else None


def list_presets():
    """Return a dict from each shipped preset's name to its metadata.

    The metadata contains the image size, channels and latent size from the
    preset's `config.json` and, when present, the versions and parameter
    counts from its `metadata.json`.

    Examples:
        >>> isinstance(list_presets(), dict)
        True
    """
    if not os.path.isdir(PRESETS_FOLDER):
        return {}
    presets = {}
    for name in sorted(os.listdir(PRESETS_FOLDER)):
        folder = preset_folder(name)
        if folder is None:
            continue
        try:
            presets[name] = _preset_entry(folder)
        except (OSError, ValueError) as error:
            logger.warning("Skipping preset %r in %s: %s", name, folder, error)
    return presets


def _preset_entry(folder):
    with open(os.path.join(folder, files.CONFIG_FILE), encoding="utf-8") as stream:
        config = json.load(stream)
    entry = {key: config.get(key) for key in ("image_size", "channels", "latent_dim")}
    metadata_path = os.path.join(folder, files.METADATA_FILE)
    if os.path.isfile(metadata_path):
        with open(metadata_path, encoding="utf-8") as stream:
            entry["metadata"] = json.load(stream)
    return entry


def describe_preset(entry):
    """Return a one-line description of a `list_presets()` entry.

    The description saved in the preset's `metadata.json` comes first;
    without one, the line names the image size, colour mode and latent size.
    """
    description = entry.get("metadata", {}).get("description")
    if description:
        return description.splitlines()[0]
    mode = "RGB" if entry.get("channels") == 3 else "grayscale"
    size = entry.get("image_size")
    return f"{size}x{size} {mode} logos from {entry.get('latent_dim')}-d latents."


class PresetsDescriptor:
    """`LogoGAN.presets`: a read-only mapping from each shipped preset to a one-line description.

    A `types.MappingProxyType` is returned because Keras' saving walks model
    attributes and treats dicts as containers of saveable objects.
    """

    def __get__(self, instance, owner):
        descriptions = {name: describe_preset(entry) for name, entry in list_presets().items()}
        return types.MappingProxyType(descriptions)
