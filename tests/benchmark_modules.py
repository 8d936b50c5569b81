"""Import the scripts of `benchmarks/` in tests, which is not a package."""

import importlib
import os
import sys

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def import_benchmark(name):
    """Import and return the module `benchmarks/<name>.py`.

    The scripts import each other by their bare names, so their folder is
    on `sys.path` while the module loads.
    """
    sys.path.insert(0, os.path.join(REPOSITORY, "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)
