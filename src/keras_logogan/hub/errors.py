"""Errors raised when saving or loading a pretrained LogoGAN.

Every error subclasses `PretrainedError`, and also the built-in exception a
caller would otherwise catch (`FileNotFoundError`, `ValueError`, `OSError`).
Errors caused by `huggingface_hub` or h5py are chained with `from`.
"""


class PretrainedError(Exception):
    """Base class of the errors of `LogoGAN.from_pretrained` and `save_pretrained`."""


class PretrainedNotFoundError(PretrainedError, FileNotFoundError):
    """A folder, preset, Hub repository, revision or file that does not exist."""


class OfflineCacheMissError(PretrainedNotFoundError):
    """A Hub file that is not in the local cache while the Hub cannot be used.

    Raised with `HF_HUB_OFFLINE=1`, with `local_files_only=True`, or when the
    Hub endpoint cannot be reached.
    """


class PretrainedDownloadError(PretrainedError, OSError):
    """A Hub request that failed for a reason other than a missing file."""


class IncompatibleConfigError(PretrainedError, ValueError):
    """A `config.json` that this version of keras-logogan cannot or will not load.

    Raised for invalid JSON, a missing or invalid field, a `format_version`
    newer than this package supports, and any class that is neither a Keras
    built-in nor registered by keras-logogan.
    """


class WeightsFileError(PretrainedError, ValueError):
    """A weights file that is truncated, corrupt or not an HDF5 file."""


class WeightsMismatchError(WeightsFileError):
    """A weights file whose variables do not fit the network built from `config.json`."""
