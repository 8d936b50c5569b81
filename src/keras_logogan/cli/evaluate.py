"""`logogan evaluate`: measure a model's logos against real ones and write the metrics as JSON."""

import argparse
import math
import os
import sys
import time

import numpy as np

from keras_logogan.cli import common
from keras_logogan.cli import sample
from keras_logogan.cli import train

DEFAULT_NUM_SAMPLES = 2000
DEFAULT_HELD_OUT_FRACTION = 0.05

DESCRIPTION = """\
Generate logos with a model, split the real logos into training and
held-out images, and measure the generated logos with every metric that
needs no pretrained network: sliced Wasserstein distance (SWD), colour
histogram distance, MS-SSIM diversity, the number of statistically
different bins (NDB) and the memorisation test. Each metric is printed next
to its real-vs-real floor, the same metric between real image sets, and
all values are written to a JSON file.

The held-out images must be images the model did not train on. `logogan
train` holds out 5% of the images (at most 500) with its --seed, so pass
that run's --seed and --data, and keep --held-out-fraction at 0.05 for
data of fewer than 10,000 images, to get the same held-out images.
"""

EPILOG = """\
example:
  logogan evaluate runs/first/model.keras --output runs/first/metrics.json
  logogan evaluate dcgan_icons_32 --num-samples 5000 --truncation 0.7
"""


def add_parser(subparsers):
    """Add the `evaluate` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "evaluate",
        help="measure a model's logos against real logos and write metrics.json",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "model",
        metavar="MODEL",
        help="model.keras file written by `logogan train`, folder written by "
        "`save_pretrained`, preset name such as dcgan_icons_32, or Hugging Face Hub "
        "id namespace/name (required)",
    )
    parser.add_argument(
        "--data",
        default=train.ICONS,
        metavar="{icons,PATH}",
        help="real images, in any form that `logogan train --data` reads: 'icons' for "
        "the shipped logos, a folder or .zip file of images, an LLD .hdf5 or .pkl "
        "file, or a .npy or .npz file of uint8 (N, height, width, channels) images. "
        "They are loaded at the model's image size and channels (default: %(default)s)",
    )
    parser.add_argument(
        "--num-samples",
        type=common.positive_int,
        default=DEFAULT_NUM_SAMPLES,
        metavar="N",
        help="number of logos to generate and measure, at least 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--held-out-fraction",
        type=open_unit_interval_float,
        default=DEFAULT_HELD_OUT_FRACTION,
        metavar="FRACTION",
        help="share of the real images held out as never-trained-on images, rounded "
        "down to a whole number of images (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=common.non_negative_int,
        default=0,
        metavar="N",
        help="seed of the generated latents, of the held-out split and of every "
        "random choice of the metrics (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        default="metrics.json",
        metavar="PATH",
        help="JSON file to write, creating missing folders (default: %(default)s)",
    )
    sample.add_truncation_option(parser)
    common.add_backend_option(parser)
    return parser


def open_unit_interval_float(text):
    """Parse a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number.") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside (0, 1). Pass a number between 0 and 1, e.g. 0.05."
        )
    return value


class _ModelErrors:
    """Forward errors about the model to `parser`, naming the MODEL argument.

    `sample.check_model_argument` and `sample.load_model_argument` word
    their errors for the `--model` option of `logogan sample`.
    """

    def __init__(self, parser):
        self._parser = parser

    def error(self, message):
        self._parser.error(message.replace("argument --model:", "argument MODEL:", 1))


def run(args, parser, argv):
    """Run `logogan evaluate` with parsed `args`, and return the exit status."""
    model_errors = _ModelErrors(parser)
    sample.check_model_argument(args.model, model_errors)
    if args.num_samples < 2:
        parser.error(
            f"argument --num-samples: {args.num_samples} is too few, because diversity "
            "compares pairs of logos. Pass 2 or more, e.g. 2000."
        )
    if os.path.isdir(args.output):
        parser.error(
            f"argument --output: {args.output!r} is a folder. Pass the path of a JSON "
            f"file, e.g. {os.path.join(args.output, 'metrics.json')}."
        )
    data_path = train._check_data_path(args.data, parser)

    status = common.select_backend(args.backend, argv)
    if status is not None:
        return status

    import keras

    from keras_logogan.metrics.evaluate import evaluate_generated

    gan = sample.load_model_argument(args.model, model_errors)
    images = load_real_images(args.data, data_path, gan.image_size, gan.channels, parser)
    train_images, held_out_images = split_real_images(
        images, args.held_out_fraction, args.seed, parser
    )

    started = time.perf_counter()
    generated = gan.generate(args.num_samples, seed=args.seed, truncation=args.truncation)
    generation_seconds = time.perf_counter() - started
    results = evaluate_generated(generated, train_images, held_out_images, seed=args.seed)
    metrics_seconds = time.perf_counter() - started - generation_seconds

    print(
        f"Measured {len(generated)} logos of {args.model} against {len(train_images)} "
        f"training and {len(held_out_images)} held-out real logos of "
        f"{gan.image_size}x{gan.image_size}x{gan.channels}, with the "
        f"{keras.config.backend()} backend."
    )
    print(format_table(results))
    report = {
        "command": "evaluate",
        "argv": list(argv),
        "model": args.model,
        "data": train.ICONS if data_path is None else data_path,
        "num_samples": args.num_samples,
        "held_out_fraction": args.held_out_fraction,
        "seed": args.seed,
        "truncation": args.truncation,
        "backend": keras.config.backend(),
        "generation_seconds": round(generation_seconds, 3),
        "metrics_seconds": round(metrics_seconds, 3),
        "metrics": results,
    }
    try:
        common.write_json_atomically(report, args.output)
    except OSError as error:
        parser.error(f"argument --output: {args.output!r} could not be written: {error}")
    print(
        f"Generated the logos in {generation_seconds:.1f} s and measured them in "
        f"{metrics_seconds:.1f} s. Saved the metrics to {args.output}"
    )
    return 0


def load_real_images(data_argument, data_path, image_size, channels, parser):
    """Load `--data` as uint8 images of the model's size and channels, or exit with an error.

    RGB data is converted to grayscale for a 1-channel model with the ITU-R
    BT.601 luma weights, as `logogan train --grayscale` does.
    """
    grayscale = channels == 1
    if data_path is None:
        from keras_logogan.datasets import load_icons

        try:
            return load_icons(image_size=image_size, grayscale=grayscale)
        except ValueError as error:
            parser.error(
                f"argument --data: the shipped icons do not load at the model's "
                f"{image_size} px ({error}). Pass a .npy file of {image_size} px images."
            )
    if data_path.lower().endswith(train.ARRAY_SUFFIXES):
        images = train._load_array_file(data_path, data_argument, parser)
    else:
        images = _load_image_files(data_path, data_argument, image_size, grayscale, parser)
    _check_array(images, data_argument, image_size, channels, parser)
    if grayscale and images.shape[-1] == 3:
        images = train.rgb_to_grayscale(images)
    return images


def split_real_images(images, held_out_fraction, seed, parser):
    """Return `(train_images, held_out_images)`, holding out a seeded random share.

    The held-out count is `floor(len(images) * held_out_fraction)`, and the
    split uses the permutation `logogan train` uses, so with the same seed
    and count both commands hold out the same images.
    """
    # NOTE: a model trained on other data, with another --seed or --held-out,
    # or by another program (e.g. a Hub model) may have trained on these
    # images, which makes the memorisation values look like copying.
    count = math.floor(len(images) * held_out_fraction)
    if count < 1 or len(images) - count < 2:
        parser.error(
            f"argument --held-out-fraction: {held_out_fraction} of {len(images)} images "
            f"holds out {count}, but at least 1 held-out and 2 training images are "
            "needed. Pass a fraction that fits, or more images with --data."
        )
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[count:]], images[order[:count]]


def format_table(results):
    """Return the main metrics as an aligned text table with their floors and meanings."""
    from keras_logogan.metrics.evaluate import summary_rows

    rows = [("metric", "value", "real-vs-real", "meaning")]
    for name, value, floor, meaning in summary_rows(results):
        floor_text = "-" if floor is None else f"{floor:.4f}"
        rows.append((name, f"{value:.4f}", floor_text, meaning))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for name, value, floor, meaning in rows:
        lines.append(
            f"{name:<{widths[0]}}  {value:>{widths[1]}}  {floor:>{widths[2]}}  {meaning}"
        )
    return "\n".join(lines)


def _load_image_files(path, data_argument, image_size, grayscale, parser):
    """Decode a folder, a .zip archive or an LLD file at the model's size."""
    import pickle

    from keras_logogan.datasets.image_folders import NoUsableImagesError
    from keras_logogan.datasets.image_folders import image_folder
    from keras_logogan.datasets.lld import load_lld

    try:
        if os.path.isdir(path) or path.lower().endswith(".zip"):
            images, report = image_folder(
                path, image_size, grayscale=grayscale, return_report=True
            )
            if report.skipped:
                print(
                    f"logogan evaluate: {data_argument}: {report.summary()}. "
                    "Run `logogan data inspect` on it to list the skipped files.",
                    file=sys.stderr,
                )
            return images
        return load_lld(path, image_size, grayscale=grayscale)
    except NoUsableImagesError as error:
        common.report_no_usable_images(error, data_argument, parser)
    except (OSError, ValueError, KeyError, pickle.UnpicklingError) as error:
        parser.error(f"argument --data: {data_argument!r} could not be loaded: {error}")


def _check_array(images, data_argument, image_size, channels, parser):
    quoted_data = repr(data_argument)
    common.check_image_array(images, data_argument, parser)
    height, width = images.shape[1:3]
    if (height, width) != (image_size, image_size):
        parser.error(
            f"argument --data: {quoted_data} contains {height}x{width} images, but the "
            f"model makes {image_size}x{image_size} images. Pass images of that size.",
        )
    if images.shape[-1] == 1 and channels == 3:
        parser.error(
            f"argument --data: {quoted_data} contains 1-channel images, but the model "
            "makes RGB images. Pass RGB images.",
        )
