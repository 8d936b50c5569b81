"""Atomic file writes: a temporary file in the target folder, then a rename.

`os.replace` within one folder swaps the new file in at once, so a crash
never leaves a half-written grid, checkpoint or config at the target path.
"""

import contextlib
import json
import os
import tempfile


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path to write; on success, move it to `path`.

    The temporary file sits beside `path` and ends with `suffix` (Keras, for
    one, requires ".keras"). On success it gets the permissions of a newly
    created file under the current umask, instead of `mkstemp`'s 0600, and
    replaces `path`. On any exception it is deleted and `path` is untouched.

    Examples:
        >>> import pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
        >>> with atomic_path(target) as temporary:
        ...     _ = pathlib.Path(temporary).write_text("done")
        >>> target.read_text()
        'done'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=suffix or ".tmp", dir=folder)
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_json_atomically(data, path):
    """Write `data` as indented JSON to `path` through a temporary file and a rename."""
    with atomic_path(path, suffix=".json") as temporary:
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(data, stream, indent=2, sort_keys=True)
            stream.write("\n")
