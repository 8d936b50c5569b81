"""`logogan interpolate`: save a strip of logos morphing from one seed's latent to another's."""

from keras_logogan.cli import common
from keras_logogan.cli import sample

DESCRIPTION = """\
Load a model, take the latents of two seeds, and generate logos along the
spherical path between them. The logos are saved left to right as one PNG
strip: the first is the logo of --start-seed, the last that of --end-seed.
--model accepts the same values as in `logogan sample`.
"""

EPILOG = """\
example:
  logogan interpolate --model runs/first/model.keras --start-seed 0 --end-seed 7
  logogan interpolate --model org/logo-gan --steps 12 --output morph.png
"""


def add_parser(subparsers):
    """Add the `interpolate` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "interpolate",
        help="save a strip of logos between the latents of two seeds",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )
    sample.add_model_option(parser)
    parser.add_argument(
        "--start-seed",
        type=common.non_negative_int,
        default=0,
        metavar="N",
        help="seed of the latent of the first logo (default: %(default)s)",
    )
    parser.add_argument(
        "--end-seed",
        type=common.non_negative_int,
        default=1,
        metavar="N",
        help="seed of the latent of the last logo (default: %(default)s)",
    )
    parser.add_argument(
        "--steps",
        type=common.positive_int,
        default=8,
        metavar="N",
        help="number of logos in the strip, both ends included, at least 2 (default: %(default)s)",
    )
    sample.add_truncation_option(parser)
    parser.add_argument(
        "--output",
        default="interpolation.png",
        metavar="PATH",
        help="PNG file to write, creating missing folders (default: %(default)s)",
    )
    parser.add_argument(
        "--scale",
        type=common.positive_int,
        default=2,
        metavar="FACTOR",
        help="enlarge the strip this many times, with nearest-neighbour "
        "resampling so pixels stay sharp (default: %(default)s)",
    )
    common.add_backend_option(parser)
    return parser


def run(args, parser, argv):
    """Run `logogan interpolate` with parsed `args`, and return the exit status."""
    sample.check_model_argument(args.model, parser)
    if args.steps < 2:
        parser.error(f"argument --steps: {args.steps} is too small. Pass 2 or more.")
    if not args.output.lower().endswith(".png"):
        parser.error(
            f"argument --output: {args.output!r} does not end in .png. The strip is "
            "saved as PNG, so pass a path such as interpolation.png.",
        )

    status = common.select_backend(args.backend, argv)
    if status is not None:
        return status

    from keras_logogan.images import save_grid

    gan = sample.load_model_argument(args.model, parser)
    images = gan.interpolate(
        args.start_seed, args.end_seed, steps=args.steps, truncation=args.truncation
    )
    path = save_grid(images, args.output, columns=args.steps, scale=args.scale)
    print(
        f"Saved {args.steps} logos from seed {args.start_seed} to seed {args.end_seed} to {path}"
    )
    return 0
