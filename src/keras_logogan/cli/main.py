"""Entry point of the `logogan` command: parse the arguments, then run a subcommand.

The subcommands import Keras only after parsing, so that `--backend` can set
`KERAS_BACKEND` before Keras is imported.
"""

import os
import sys

from keras_logogan.cli import common
from keras_logogan.cli import data
from keras_logogan.cli import evaluate
from keras_logogan.cli import interpolate
from keras_logogan.cli import report
from keras_logogan.cli import sample
from keras_logogan.cli import train
from keras_logogan.version import __version__

DESCRIPTION = """\
Train GANs that make logo images, with Keras 3 on TensorFlow, JAX or PyTorch.
Run `logogan COMMAND --help` for the options of a command.
"""

EPILOG = """\
example:
  logogan train --epochs 20 --output runs/first
  logogan sample --model runs/first/model.keras --output logos.png
"""

SUBCOMMANDS = {"train": train, "sample": sample, "evaluate": evaluate, "data": data, "interpolate": interpolate, "report": report}


def build_parser():
    """Return the `logogan` argument parser with its subcommands."""
    return build_parsers()[0]


def build_parsers():
    """Return the `logogan` parser and a dict of its subcommand parsers by name."""
    parser = common.ArgumentParser(
        prog="logogan",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    command_parsers = {
        name: module.add_parser(subparsers) for name, module in SUBCOMMANDS.items()
    }
    return parser, command_parsers


def main(argv=None):
    """Run the `logogan` command with `argv` (default: `sys.argv[1:]`) and return the exit status.

    A missing command, invalid options and unusable input files print an
    error to stderr and raise `SystemExit(2)`, as argparse does.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # Hide TensorFlow's C++ log lines (CUDA probing, graph-optimizer notices),
    # which bury the progress bar; Python errors still surface. NOTE: TF 2.21
    # prints two or three lines while loading whatever this is set to.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser, command_parsers = build_parsers()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        parser.exit(2)

    return SUBCOMMANDS[args.command].run(args, command_parsers[args.command], argv)


if __name__ == "__main__":
    sys.exit(main())
