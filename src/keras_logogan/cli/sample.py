"""`logogan sample`: load a trained LogoGAN and save a grid of new logos."""

import os
import zipfile

from keras_logogan.cli import common

# Equal to `keras_logogan.hub.files.CONFIG_FILE`; `keras_logogan.hub` is
# not imported here because it imports Keras.
PRETRAINED_CONFIG_FILE = "config.json"

DESCRIPTION = """\
Load a model, generate new logos from random latents, and save them as one
PNG grid. The same --seed gives the same logos. The model is a model.keras
file written by `logogan train`, a folder written by `save_pretrained`, a
shipped preset name, or a Hugging Face Hub id (namespace/name or
hf://namespace/name).
"""

EPILOG = """\
example:
  logogan sample --model runs/first/model.keras --num-images 16 --output logos.png
  logogan sample --model org/logo-gan --truncation 0.7 --output typical.png
"""


def add_parser(subparsers):
    """Add the `sample` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "sample",
        help="generate a grid of logos from a trained model",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )
    add_model_option(parser)
    parser.add_argument(
        "--num-images",
        type=common.positive_int,
        default=64,
        metavar="N",
        help="number of logos to generate (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=common.non_negative_int,
        default=0,
        metavar="N",
        help="seed of the latents, so the same seed gives the same logos (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        default="samples.png",
        metavar="PATH",
        help="PNG file to write, creating missing folders (default: %(default)s)",
    )
    add_truncation_option(parser)
    parser.add_argument(
        "--columns",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="logos per row of the grid (default: the square root of --num-images, rounded up)",
    )
    parser.add_argument(
        "--scale",
        type=common.positive_int,
        default=2,
        metavar="FACTOR",
        help="enlarge the grid this many times, with nearest-neighbour "
        "resampling so pixels stay sharp (default: %(default)s)",
    )
    common.add_backend_option(parser)
    return parser


def add_model_option(parser):
    """Add the required `--model` option, shared with `logogan interpolate`."""
    parser.add_argument(
        "--model",
        required=True,
        metavar="PATH|NAME",
        help="model.keras file written by `logogan train`, folder written by "
        "`save_pretrained`, preset name, or Hugging Face Hub id namespace/name "
        "(required)",
    )


def add_truncation_option(parser):
    """Add the `--truncation` option, shared with `logogan interpolate`."""
    parser.add_argument(
        "--truncation",
        type=common.positive_float,
        default=None,
        metavar="BOUND",
        help="truncation trick: draw latent components again until each is within "
        "[-BOUND, BOUND]; lower values give more typical, less varied logos, e.g. "
        "0.7 (default: no truncation)",
    )


def run(args, parser, argv):
    """Run `logogan sample` with parsed `args`, and return the exit status."""
    check_model_argument(args.model, parser)
    if not args.output.lower().endswith(".png"):
        parser.error(
            f"argument --output: {args.output!r} does not end in .png. The grid is "
            "saved as PNG, so pass a path such as samples.png.",
        )

    status = common.select_backend(args.backend, argv)
    if status is not None:
        return status

    from keras_logogan.images import save_grid

    gan = load_model_argument(args.model, parser)
    images = gan.generate(args.num_images, seed=args.seed, truncation=args.truncation)
    path = save_grid(images, args.output, columns=args.columns, scale=args.scale)
    print(f"Saved {args.num_images} logos to {path}")
    return 0


def check_model_argument(path, parser):
    """Exit with an error if `--model` names a missing .keras file or a folder without a model.

    Other values that are not existing paths are preset names or Hub ids,
    which `load_model_argument` resolves after Keras is imported.
    """
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, PRETRAINED_CONFIG_FILE)):
            return
        parser.error(
            f"argument --model: {path!r} is a folder without {PRETRAINED_CONFIG_FILE}. "
            f"Pass the model.keras file inside a run folder, e.g. "
            f"{os.path.join(path, 'model.keras')}, or a folder written by `save_pretrained`.",
        )
    if not os.path.exists(path):
        if path.endswith(".keras"):
            parser.error(
                f"argument --model: {path!r} was not found. Pass the model.keras file "
                "of a run, e.g. runs/<run>/model.keras.",
            )
        return
    # Keras reports a file that is not a zip archive as "File not found"
    # (checked with Keras 3.15), so this check comes first.
    if not path.endswith(".keras") or not zipfile.is_zipfile(path):
        parser.error(
            f"argument --model: {path!r} is not a .keras model file. Pass the "
            "model.keras (or, with --keep-best, best.keras) file written by "
            "`logogan train`.",
        )


def load_model_argument(path, parser):
    """Load the `--model` value: a .keras file, else a pretrained folder, preset or Hub id."""
    if os.path.isfile(path):
        return _load_keras_file(path, parser)

    from keras_logogan import LogoGAN
    from keras_logogan.hub import PretrainedError

    try:
        return LogoGAN.from_pretrained(path)
    except PretrainedError as error:
        parser.error(f"argument --model: {error}")


def _load_keras_file(path, parser):
    """Load the model at `path` with Keras' safe mode on, and check that it is a LogoGAN."""
    import keras

    from keras_logogan import LogoGAN

    try:
        model = keras.saving.load_model(path)
    except (ValueError, TypeError, KeyError, OSError, zipfile.BadZipFile) as error:
        parser.error(
            f"argument --model: {path!r} could not be loaded as a LogoGAN: {error}",
        )
    if not isinstance(model, LogoGAN):
        parser.error(
            f"argument --model: {path!r} contains a {type(model).__name__}, not a "
            "LogoGAN. Pass the model.keras file written by `logogan train`.",
        )
    return model
