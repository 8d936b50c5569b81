"""An on-disk cache of decoded image arrays, stored as `.npz` files.

Each entry is named after a hash of its source and of everything that
decides its content (file names, sizes, modification times and decoding
options), so a changed file gives a new name and the old entry is removed.
"""

import hashlib
import json
import os
import zipfile

import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.log import logger

CACHE_DIR_ENV = "KERAS_LOGOGAN_CACHE_DIR"
# Increase when the decoding or the stored arrays change, so that entries
# written by older versions are no longer found.
CACHE_FORMAT_VERSION = 1


def resolve_cache_dir(cache_dir=None):
    """Return the cache folder to use, or None when caching is turned off.

    Args:
        cache_dir: a folder path; `False` to turn caching off; or None
            (default) for `$KERAS_LOGOGAN_CACHE_DIR`, else
            `$XDG_CACHE_HOME/keras_logogan`, else `~/.cache/keras_logogan`.
            Setting the environment variable to an empty string also turns
            caching off.
    """
    if cache_dir is False:
        return None
    if cache_dir is not None:
        return os.fspath(cache_dir)
    from_environment = os.environ.get(CACHE_DIR_ENV)
    if from_environment is not None:
        return from_environment or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keras_logogan")


def cache_entry_path(cache_dir, source, fingerprint):
    """Return the `.npz` path of the entry for `source` with a JSON-serializable `fingerprint`."""
    source_hash = _sha256(os.path.realpath(source))[:16]
    content = json.dumps({"version": CACHE_FORMAT_VERSION, "fingerprint": fingerprint}, sort_keys=True)
    return os.path.join(cache_dir, "decoded", f"{source_hash}-{_sha256(content)[:32]}.npz")


def read_entry(path):
    """Return the arrays stored at `path` as a dict, or None if there is no usable entry."""
    if not os.path.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        logger.warning("Ignoring the unreadable cache file %s: %s", path, error)
        return None


def write_entry(path, arrays):
    """Write `arrays` (a dict of numpy arrays) to `path` atomically, and remove older entries of the same source.

    A failed write is logged and ignored, because the cache only saves time.
    """
    try:
        with atomic_path(path, suffix=".npz") as temporary:
            # A file object, not a name, keeps numpy from appending ".npz".
            with open(temporary, "wb") as stream:
                np.savez(stream, **arrays)
    except OSError as error:
        logger.warning("Could not write the cache file %s: %s", path, error)
        return
    _remove_other_entries(path)


def _remove_other_entries(path):
    folder, name = os.path.split(path)
    source_prefix = name.split("-", 1)[0] + "-"
    for other in os.listdir(folder):
        if other.startswith(source_prefix) and other.endswith(".npz") and other != name:
            try:
                os.remove(os.path.join(folder, other))
            except OSError as error:
                logger.warning("Could not remove the old cache file %s: %s", other, error)


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
