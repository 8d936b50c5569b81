"""Helpers shared by the subcommands: option types, errors and the backend.

Nothing here imports Keras at module level, because `--backend` has to set
`KERAS_BACKEND` before Keras is first imported.
"""

import argparse
import math
import os
import shlex
import subprocess
import sys

from keras_logogan.atomic_files import write_json_atomically  # noqa: F401, re-exported for the commands

BACKENDS = ("tensorflow", "jax", "torch")

# Set in the environment of a process started by `relaunch_with_backend`, so
# that a child which still finds the wrong backend fails instead of looping.
_RELAUNCH_MARKER = "KERAS_LOGOGAN_CLI_RELAUNCHED"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the line breaks of descriptions and epilogs, which hold examples."""


class ArgumentParser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose errors point to `--help` instead of printing usage.

    Subparsers made by `add_subparsers().add_parser` are of this class too.
    """

    def error(self, message):
        """Print `message` and a pointer to `--help` to stderr, and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}\nRun '{self.prog} --help' to see the options.\n")


def positive_int(text):
    """Parse a whole number of at least 1."""
    value = _parse_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is too small. Pass a whole number of 1 or more.")
    return value


def non_negative_int(text):
    """Parse a whole number of at least 0."""
    value = _parse_int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative. Pass a whole number of 0 or more.")
    return value


def image_size(text):
    """Parse an image side length: a power of two of at least 8 pixels."""
    value = _parse_int(text)
    if value < 8 or value & (value - 1):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a power of two of at least 8. Pass e.g. 16, 32 or 64."
        )
    return value


def positive_float(text):
    """Parse a number greater than 0."""
    value = _parse_float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not positive. Pass a number above 0, e.g. 2e-4.")
    return value


def unit_interval_float(text):
    """Parse a number in [0, 1), the range of Adam's beta_1."""
    value = _parse_float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside [0, 1). Pass a number from 0 up to but not including 1, e.g. 0.5."
        )
    return value


def non_negative_float(text):
    """Parse a finite number of at least 0."""
    value = _parse_float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"{text!r} is negative or not finite. Pass 0 or a positive number, e.g. 0.01."
        )
    return value


def _parse_int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number.") from None


def _parse_float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number.") from None


def add_backend_option(parser):
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="Keras backend to run on, overriding the KERAS_BACKEND environment "
        "variable (default: $KERAS_BACKEND, else the backend in "
        "~/.keras/keras.json, which is tensorflow unless changed)",
    )


def select_backend(requested, argv):
    """Make Keras use the `--backend` value, and return an exit status if it relaunched.

    Without `--backend` (`requested` is None), Keras picks its backend from
    `KERAS_BACKEND` or its config file as usual. With it, a different
    `KERAS_BACKEND` in the environment is reported and overridden.

    Keras fixes its backend when it is first imported. If Keras is not
    imported yet, this sets `KERAS_BACKEND` and returns None. If Keras is
    loaded with the requested backend, it returns None. If Keras is loaded
    with another backend, the command runs again in a child Python process
    with `KERAS_BACKEND` set, and this returns the child's exit status.
    """
    if requested is None:
        return None

    environment_backend = os.environ.get("KERAS_BACKEND")
    if environment_backend and environment_backend != requested:
        print(
            f"logogan: --backend {requested} overrides KERAS_BACKEND={environment_backend}.",
            file=sys.stderr,
        )

    keras_module = sys.modules.get("keras")
    if keras_module is None:
        os.environ["KERAS_BACKEND"] = requested
        return None
    loaded_backend = keras_module.config.backend()
    if loaded_backend == requested:
        return None
    return relaunch_with_backend(requested, loaded_backend, argv)


def relaunch_with_backend(requested, loaded_backend, argv):
    """Run `python -m keras_logogan ARGV` with `KERAS_BACKEND=requested` and return its exit status."""
    if os.environ.get(_RELAUNCH_MARKER):
        # NOTE: reached only if the child imported Keras with another backend
        # despite KERAS_BACKEND, e.g. when a sitecustomize imports it first.
        print(
            f"logogan: error: --backend {requested} was requested, but Keras was "
            f"imported with the {loaded_backend} backend before the option was read. "
            f"Set KERAS_BACKEND={requested} in the environment instead.",
            file=sys.stderr,
        )
        return 2

    # `import keras_logogan` does not load Keras, so from the shell this
    # relaunch does not happen. It serves callers of `main()` that already
    # imported Keras, such as a test process or a notebook.
    environment = dict(os.environ, KERAS_BACKEND=requested, **{_RELAUNCH_MARKER: "1"})
    command = [sys.executable, "-m", "keras_logogan", *argv]
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.run(command, env=environment, check=False).returncode


def check_image_array(images, data_argument, parser):
    """Exit with an error naming `--data` unless `images` is a non-empty uint8 (N, H, W, 1 or 3) array."""
    quoted_data = repr(data_argument)
    if images.dtype.name != "uint8":
        parser.error(
            f"argument --data: {quoted_data} contains {images.dtype} values, but uint8 "
            "pixels in [0, 255] are required. Convert them first, e.g. "
            "numpy.clip(numpy.rint(images * 255), 0, 255).astype(numpy.uint8) "
            "for floats in [0, 1].",
        )
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or len(images) == 0:
        parser.error(
            f"argument --data: {quoted_data} has shape {images.shape}, but a non-empty "
            "(N, height, width, channels) array with 1 or 3 channels is required.",
        )


def report_no_usable_images(error, data_argument, parser):
    """Exit with status 2 for a `NoUsableImagesError`, naming the command that lists the skips.

    The error's own message ends with a Python argument, `report_path`, so
    the command line keeps its problem and adds `logogan data inspect`.
    """
    from keras_logogan.datasets.image_decoding import SUPPORTED_FORMATS_TEXT

    parser.error(
        f"argument --data: {error.problem} Add {SUPPORTED_FORMATS_TEXT} files, or run "
        f"`logogan data inspect {shlex.quote(data_argument)}` to list every skipped "
        "file with its reason."
    )
