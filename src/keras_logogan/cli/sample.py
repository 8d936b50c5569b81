"""`logogan sample`: load a trained LogoGAN and save a grid of new logos."""

import os
import zipfile

from keras_logogan.cli import common

DESCRIPTION = """\
Load a model.keras file written by `logogan train`, generate new logos from
random latents, and save them as one PNG grid. The same --seed gives the same
logos.
"""

EPILOG = """\
example:
  logogan sample --model runs/first/model.keras --num-images 16 --output logos.png
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
    parser.add_argument(
        "--model",
        required=True,
        metavar="PATH",
        help="model.keras file written by `logogan train` (required)",
    )
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


def run(args, parser, argv):
    """Run `logogan sample` with parsed `args`, and return the exit status."""
    _check_model_path(args.model, parser)
    if not args.output.lower().endswith(".png"):
        parser.error(
            f"argument --output: {args.output!r} does not end in .png. The grid is "
            "saved as PNG, so pass a path such as samples.png.",
        )

    status = common.select_backend(args.backend, argv)
    if status is not None:
        return status

    from keras_logogan.images import save_grid

    gan = _load_gan(args.model, parser)
    images = gan.generate(args.num_images, seed=args.seed)
    path = save_grid(images, args.output, columns=args.columns, scale=args.scale)
    print(f"Saved {args.num_images} logos to {path}")
    return 0


def _check_model_path(path, parser):
    if not os.path.exists(path):
        parser.error(
            f"argument --model: {path!r} was not found. Pass the model.keras file "
            "of a run, e.g. runs/<run>/model.keras.",
        )
    if os.path.isdir(path):
        parser.error(
            f"argument --model: {path!r} is a folder. Pass the model.keras file "
            f"inside it, e.g. {os.path.join(path, 'model.keras')}.",
        )
    # Keras reports a file that is not a zip archive as "File not found"
    # (checked with Keras 3.15), so this check comes first.
    if not path.endswith(".keras") or not zipfile.is_zipfile(path):
        parser.error(
            f"argument --model: {path!r} is not a .keras model file. Pass the "
            "model.keras file written by `logogan train`.",
        )


def _load_gan(path, parser):
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
