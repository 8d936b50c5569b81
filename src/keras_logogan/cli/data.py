"""`logogan data inspect`: check an image folder, archive or LLD file before training."""

import os
import sys

from keras_logogan.cli import common

DESCRIPTION = """\
Check training data before a run. `inspect` decodes every image of a folder,
a .zip archive or an LLD .hdf5 or .pkl file, as `logogan train --data` would,
and prints how many images were found, used and skipped (with reasons), the
source sizes and colour modes, and the number of exact duplicates.
"""

EPILOG = """\
example:
  logogan data inspect logos/ --sheet contact.png --report skipped.csv
"""

MAX_LISTED_SKIPS = 20
MAX_LISTED_VALUES = 10
SHEET_SCALE = 2


def add_parser(subparsers):
    """Add the `data` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "data",
        help="inspect training images before a run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )

    actions = parser.add_subparsers(dest="data_command", title="commands", metavar="COMMAND")
    inspect = actions.add_parser(
        "inspect",
        help="count, check and preview the images of a folder, .zip or LLD file",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )

    inspect.add_argument("path", metavar="PATH", help="folder, .zip file, or LLD .hdf5 or .pkl file")
    inspect.add_argument(
        "--image-size",
        type=common.positive_int,
        default=32,
        metavar="PIXELS",
        help="height and width the images are decoded at, which decides which "
        "images count as duplicates (default: %(default)s)",
    )
    inspect.add_argument(
        "--sheet",
        default=None,
        metavar="PATH",
        help="write a contact sheet of randomly chosen images to this .png file (default: none)",
    )
    inspect.add_argument(
        "--sheet-images",
        type=common.positive_int,
        default=64,
        metavar="N",
        help="number of images on the contact sheet (default: %(default)s)",
    )
    inspect.add_argument(
        "--seed",
        type=common.non_negative_int,
        default=0,
        metavar="N",
        help="seed of the contact sheet's random choice (default: %(default)s)",
    )
    inspect.add_argument(
        "--report",
        default=None,
        metavar="PATH",
        help="write every skipped file with its reason to this .csv or .json file (default: none)",
    )
    # `run` receives the `data` parser, so errors about `inspect` options
    # go through the `inspect` parser stored here.
    parser.set_defaults(inspect_parser=inspect)
    return parser


def run(args, parser, argv):
    """Run `logogan data` with parsed `args`, and return the exit status."""
    if args.data_command is None:
        parser.print_help(sys.stderr)
        return 2
    inspect_parser = args.inspect_parser
    if args.sheet is not None and not args.sheet.lower().endswith(".png"):
        inspect_parser.error(f"argument --sheet: {args.sheet!r} does not end with .png. Pass a .png path.")
    if args.report is not None and not args.report.lower().endswith((".csv", ".json")):
        inspect_parser.error(f"argument --report: {args.report!r} does not end with .csv or .json.")

    from keras_logogan.datasets.image_folders import ImageLoadReport
    from keras_logogan.datasets.inspection import inspect_images

    try:
        result = inspect_images(args.path, args.image_size)
    except (OSError, ValueError, KeyError) as error:
        inspect_parser.error(f"argument PATH: {args.path!r} could not be inspected: {error}")

    _print_summary(result, args.image_size)
    if args.report is not None:
        report = ImageLoadReport(source=result.source, found=result.found, paths=[], skipped=result.skipped)
        report.write(args.report)
        print(f"Skip report: {args.report}")
    if args.sheet is not None:
        _write_sheet(result.images, args)
    return 0


def _print_summary(result, image_size):
    print(f"Source: {result.source} ({result.kind})")
    print(f"Images: {result.found} found, {result.used} used, {len(result.skipped)} skipped")
    for reason, count in result.reason_counts().items():
        print(f"  skipped, {reason}: {count}")
    for item in result.skipped[:MAX_LISTED_SKIPS]:
        detail = f" ({item.detail})" if item.detail else ""
        print(f"    {item.path}: {item.reason}{detail}")
    if len(result.skipped) > MAX_LISTED_SKIPS:
        print(f"    ... and {len(result.skipped) - MAX_LISTED_SKIPS} more; pass --report to list all")
    print("Source sizes (width x height): " + _format_counts(result.sizes))
    print("Formats and modes: " + _format_counts(result.modes))
    if result.duplicate_files is not None:
        print(f"Duplicate files (same bytes as an earlier file): {result.duplicate_files}")
    print(f"Duplicate images (same pixels at {image_size}x{image_size} as an earlier image): {result.duplicate_images}")


def _format_counts(counter):
    if not counter:
        return "none"
    common_values = counter.most_common(MAX_LISTED_VALUES)
    text = ", ".join(f"{value}: {count}" for value, count in common_values)
    others = len(counter) - len(common_values)
    return text + (f", and {others} other values" if others else "")


def _write_sheet(images, args):
    if len(images) == 0:
        print("Contact sheet: not written, because no image was usable.")
        return
    import numpy as np

    from keras_logogan.images import save_grid

    generator = np.random.default_rng(args.seed)
    count = min(args.sheet_images, len(images))
    chosen = np.sort(generator.choice(len(images), size=count, replace=False))
    os.makedirs(os.path.dirname(os.path.abspath(args.sheet)), exist_ok=True)
    save_grid(images[chosen], args.sheet, scale=SHEET_SCALE)
    print(f"Contact sheet: {args.sheet} ({count} random images)")
