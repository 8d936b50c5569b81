"""Load numpy arrays from pickle files without running the code a pickle can carry.

A pickle names functions ("globals") that `pickle.load` imports and calls.
`load_numpy_pickle` allows only the few that rebuild numpy arrays, and
rejects any other before it is called.
"""

import importlib
import os
import pickle

import numpy as np

# Globals that numpy arrays and dtypes pickle through, by (module, name).
# `numpy.core` is the module name numpy 1 writes, and numpy 2 reads it as
# `numpy._core`. `_codecs.encode` turns the text form of Python 3 protocol-2
# pickles back into the raw array bytes.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
    ("_codecs", "encode"): ("_codecs", "encode"),
    ("builtins", "bytearray"): ("builtins", "bytearray"),
    ("__builtin__", "bytearray"): ("builtins", "bytearray"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle that refers to a global outside the numpy array allow-list, or contains no array.

    Examples:
        >>> import collections, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ordered.pkl")
        >>> with open(path, "wb") as stream:
        ...     pickle.dump(collections.OrderedDict(a=1), stream)
        >>> try:
        ...     load_numpy_pickle(path)
        ... except UnsafePickleError as error:
        ...     print("'collections.OrderedDict'" in str(error))
        True
    """


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def __init__(self, stream, path):
        super().__init__(stream, encoding="latin1")
        self._path = path

    def find_class(self, module, name):
        target = _ALLOWED_GLOBALS.get((module, name))
        if target is None:
            raise UnsafePickleError(
                f"Rejected the pickle file {self._path!r}: it requests the global "
                f"'{module}.{name}', which is not needed to rebuild a numpy array, "
                "and loading it could run code. Only pickles of plain numpy arrays "
                "are accepted. If you trust the file, convert it with pickle yourself "
                "and save the array with numpy.save."
            )
        target_module, target_name = target
        value = getattr(importlib.import_module(target_module), target_name)
        if value is np.dtype:
            return self._checked_dtype
        return value

    def _checked_dtype(self, *args, **kwargs):
        dtype = np.dtype(*args, **kwargs)
        # Object arrays store their items as further pickled objects.
        if dtype.hasobject:
            raise UnsafePickleError(
                f"Rejected the pickle file {self._path!r}: it contains an object array "
                f"(dtype {dtype}), whose items are arbitrary Python objects. "
                "Only numeric arrays are accepted."
            )
        return dtype


def load_numpy_pickle(path):
    """Load one numpy array from a pickle file, allowing only array reconstruction.

    Python 2 pickles, such as the LLD-icon `.pkl` files, are read with
    `encoding="latin1"`, which numpy requires for their array bytes.

    Args:
        path: str or path-like of a pickle file containing one numpy array.

    Returns:
        The numpy array.

    Raises:
        UnsafePickleError: If the pickle refers to any global other than
            numpy's array and dtype constructors (the message names the
            file and the global), contains an object array, or contains something
            other than a numpy array. Nothing in the file is called.
        pickle.UnpicklingError: If the file is not a valid pickle.
        OSError: If the file cannot be read.

    Examples:
        >>> import pickle, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "icons.pkl")
        >>> with open(path, "wb") as stream:
        ...     pickle.dump(np.zeros((2, 32, 32, 3), np.uint8), stream, protocol=2)
        >>> load_numpy_pickle(path).shape
        (2, 32, 32, 3)
    """
    path = os.fspath(path)
    with open(path, "rb") as stream:
        try:
            value = _NumpyOnlyUnpickler(stream, path).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
            raise pickle.UnpicklingError(f"Invalid pickle file {path!r}: {error}") from error
    if not isinstance(value, np.ndarray):
        raise UnsafePickleError(
            f"Invalid pickle file {path!r}: expected one numpy array, but it contains "
            f"a {type(value).__name__}."
        )
    return value
