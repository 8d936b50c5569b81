"""The `logogan` command line: `logogan train` and `logogan sample`.

The modules in this package import Keras only inside functions, after the
arguments are parsed, so that `--backend` can set `KERAS_BACKEND` first.
"""
