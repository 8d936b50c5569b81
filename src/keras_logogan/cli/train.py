"""`logogan train`: train a LogoGAN and write a run folder."""

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import shlex
import sys

import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.cli import common
from keras_logogan.cli import resume

# Copies of `keras_logogan.losses.LOSSES` and
# `keras_logogan.architectures.ARCHITECTURES`. Importing those modules would
# import Keras before `--backend` is read. tests/test_cli.py checks that the
# copies match.
LOSS_NAMES = ("non_saturating", "hinge", "least_squares", "wasserstein_gp")
ARCHITECTURE_NAMES = ("dcgan", "hobby")
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
# Copy of `keras_logogan.training_configs.TRAINING_CONFIGS`' names, for the
# same reason; tests/test_cli.py checks it too.
CONFIG_NAMES = ("default", "hobby", "small_data")
NORMALIZATION_NAMES = ("batch", "layer", "spectral", "none")
DEFAULT_EPOCHS = 30
DEFAULT_LATENT_DIMS = {"dcgan": 128, "hobby": 100}
HOBBY_IMAGE_SIZE = 32

ICONS = "icons"
ARRAY_SUFFIXES = (".npy", ".npz")
# Files read by `keras_logogan.datasets.load_lld`, besides folders.
IMAGE_FILE_SUFFIXES = (".zip", ".hdf5", ".h5", ".pkl", ".pickle")
DATA_FORMS = (
    "Pass 'icons' for the shipped logos, a folder or .zip file of images, an LLD "
    ".hdf5 or .pkl file, or a .npy or .npz file containing a uint8 "
    "(N, height, width, channels) array."
)
GRID_SCALE = 2
# The shell's status for a process ended by Ctrl+C (128 + SIGINT).
INTERRUPTED_STATUS = 130
# A run that a check or a NaN loss stopped before its last epoch. Its files
# are written, so scripts can tell it from a finished run and from an error.
STOPPED_EARLY_STATUS = 3
# Without --check-every, checks run about this often, so that a small folder
# does not spend most of its time in checks.
CHECK_IMAGES = 5_000
# Collapsed checks count only after this many images (and at least 5
# epochs), because a young generator's samples look alike. A run on 48 logos
# measured a diversity_ratio of 0.07 after 1,200 images and 0.16 after 2,400.
COLLAPSE_GRACE_IMAGES = 10_000
COLLAPSE_GRACE_MIN_EPOCHS = 5
# Below this many images, `logogan train` keeps no images out by default.
HELD_OUT_MIN_IMAGES = 200
# `--steps-per-execution auto` runs at most this many steps per call.
AUTO = "auto"
AUTO_STEPS_PER_EXECUTION = 8

DESCRIPTION = """\
Train a GAN on logo images and write a run folder containing:
  run_config.json         resolved options, versions, data size and start time
  metrics.csv             per-epoch d_loss, g_loss, real_accuracy,
                          fake_accuracy, seconds and images_per_second
  samples/epoch_NNNN.png  grids of the same latents after each saved epoch
  samples/final.png       the same grid from the finished model
  model.keras             the trained model, for `logogan sample`
  report/report.html      plots of every metric and the grids over time
  checkpoint/             weights and optimizer state of the last finished
                          epoch, for --resume; deleted once every epoch is done
With --keep-best, also:
  best.keras              the model at the check with the lowest SWD
  samples/best.png        the grid of that model
  best.weights.h5         its weights, and best.json every check's score, so
  best.json               that --resume continues the comparison
"""

EPILOG = """\
example:
  logogan train --epochs 20 --output runs/first
  logogan sample --model runs/first/model.keras --output logos.png
  logogan train --resume runs/first    # after a crash, kill or NaN stop

exit status: 0 when every epoch trained, 3 when the collapse check or a NaN
loss stopped the run early (its files are still written), 2 for a bad option
or input, 130 after Ctrl+C.
"""


def add_parser(subparsers):
    """Add the `train` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "train",
        help="train a GAN and save the model, metrics and sample grids",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )

    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        default=ICONS,
        metavar="{icons,PATH}",
        help="training images: 'icons' for the logos shipped with the package; a "
        "folder or .zip file of PNG, JPEG, GIF, BMP, WebP or ICO images, searched "
        "recursively, resized to --image-size with the aspect ratio kept and "
        "transparency on white, and cached in $KERAS_LOGOGAN_CACHE_DIR (default "
        "~/.cache/keras_logogan); an LLD .hdf5 file (LLD-icon or LLD-logo) or "
        "LLD-icon .pkl file; or a .npy file, or a .npz file containing an array "
        "named 'images' or a single array, which must be uint8 with shape "
        "(N, height, width, channels), 1 or 3 channels, and height and width "
        "equal to --image-size (default: %(default)s)",
    )
    data.add_argument(
        "--image-size",
        type=common.image_size,
        default=32,
        metavar="PIXELS",
        help="image height and width in pixels, a power of two of at least 8 "
        "(default: %(default)s)",
    )
    data.add_argument(
        "--grayscale",
        action="store_true",
        help="train on 1-channel grayscale images, converting RGB data with ITU-R "
        "BT.601 luma (default: RGB)",
    )
    data.add_argument(
        "--limit",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="use only the first N images, for quick runs (default: all images)",
    )

    model = parser.add_argument_group(
        "model and training setup",
        "--config picks a named setup; each option below overrides one of its settings",
    )
    model.add_argument(
        "--config",
        choices=CONFIG_NAMES,
        default="default",
        help="named training setup: 'default' (plain DCGAN, batch 32), 'hobby' (the "
        "hobby project's DCGAN, Adam 1e-4, batch 256), 'small_data' (the default "
        "DCGAN with DiffAugment whose strength adapts, ADA), recommended for a few "
        "hundred to a few thousand images (default: %(default)s)",
    )
    model.add_argument(
        "--architecture",
        choices=ARCHITECTURE_NAMES,
        default=None,
        help="network pair: 'dcgan' for any power-of-two size, 'hobby' for the "
        "fixed 32 px layer stack, which ignores --width (default: from --config)",
    )
    model.add_argument(
        "--width",
        type=common.positive_int,
        default=None,
        metavar="FILTERS",
        help="base number of convolution filters of the dcgan networks (default: from --config)",
    )
    model.add_argument(
        "--discriminator-normalization",
        choices=NORMALIZATION_NAMES,
        default=None,
        help="normalization in the dcgan discriminator; wasserstein_gp needs 'layer', "
        "'spectral' or 'none' (default: from --config, and 'layer' with wasserstein_gp)",
    )
    model.add_argument(
        "--ema-decay",
        type=common.unit_interval_float,
        default=None,
        metavar="DECAY",
        help="decay of the averaged generator that samples are drawn from, in [0, 1); "
        "0 keeps no average (default: from --config)",
    )
    model.add_argument(
        "--latent-dim",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="length of the latent vector the generator reads (default: "
        f"{DEFAULT_LATENT_DIMS['dcgan']} for dcgan, {DEFAULT_LATENT_DIMS['hobby']} for hobby)",
    )

    training = parser.add_argument_group("training")
    training.add_argument(
        "--loss",
        choices=LOSS_NAMES,
        default=None,
        help="adversarial loss. With wasserstein_gp the dcgan discriminator uses "
        "layer normalization instead of batch normalization, because the "
        "gradient penalty is taken per image (default: from --config)",
    )
    budget = training.add_mutually_exclusive_group()
    budget.add_argument(
        "--epochs",
        type=common.positive_int,
        default=None,
        metavar="N",
        help=f"passes over the training images (default: {DEFAULT_EPOCHS})",
    )
    budget.add_argument(
        "--kimg",
        type=common.positive_float,
        default=None,
        metavar="THOUSANDS",
        help="training budget in thousands of real images shown to the "
        "discriminator, rounded up to whole epochs; an alternative to --epochs (default: no "
        "budget, --epochs decides)",
    )
    training.add_argument(
        "--batch-size",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="images per training step (default: from --config)",
    )
    training.add_argument(
        "--discriminator-steps",
        type=common.positive_int,
        default=None,
        metavar="N",
        help="discriminator updates per generator update, usually 5 with "
        "wasserstein_gp (default: from --config)",
    )
    training.add_argument(
        "--learning-rate",
        type=common.positive_float,
        default=None,
        metavar="RATE",
        help="Adam learning rate of both networks (default: from --config)",
    )
    training.add_argument(
        "--discriminator-learning-rate",
        type=common.positive_float,
        default=None,
        metavar="RATE",
        help="Adam learning rate of the discriminator alone, overriding "
        "--learning-rate for it (default: from --config)",
    )
    training.add_argument(
        "--beta-1",
        type=common.unit_interval_float,
        default=None,
        metavar="BETA",
        help="Adam beta_1, the decay rate of the first moment, for both networks "
        "(default: from --config)",
    )
    training.add_argument(
        "--augment",
        default=None,
        metavar="POLICY",
        help="DiffAugment transforms applied to real and generated images before "
        "the discriminator, comma-separated from translation, cutout, color and "
        "flip, or 'none' (default: from --config)",
    )
    training.add_argument(
        "--ada-target",
        type=common.unit_interval_float,
        default=None,
        metavar="R_T",
        help="adapt the augmentation probability so that the discriminator's "
        "overfitting signal r_t = mean(sign(D(real))) stays near this value, "
        "usually 0.6; 0 uses a fixed probability of 1 (default: from --config)",
    )
    training.add_argument(
        "--r1-weight",
        type=common.non_negative_float,
        default=None,
        metavar="GAMMA",
        help="weight of the R1 penalty on the discriminator's gradients at real "
        "images; 0 turns it off (default: from --config)",
    )
    training.add_argument(
        "--dtype-policy",
        choices=DTYPE_POLICIES,
        default="float32",
        help="Keras dtype policy. mixed_float16 computes in float16 with a loss "
        "scale per network, for NVIDIA GPUs; mixed_bfloat16 suits recent GPUs and TPUs. "
        "Both are slower than float32 on most CPUs (default: %(default)s)",
    )
    training.add_argument(
        "--data-parallel",
        action="store_true",
        help="split each batch across every GPU of this machine (or every CPU "
        "device when it has none) with keras_logogan.data_parallel(); jax and "
        "tensorflow only. --batch-size stays the global batch and must be a "
        "multiple of the device count (default: one device)",
    )
    training.add_argument(
        "--steps-per-execution",
        type=steps_per_execution_option,
        default=AUTO,
        metavar="N",
        help="training steps per compiled call, as in keras.Model.compile; callbacks "
        "and the progress bar then see every Nth step. 'auto' takes the largest "
        f"divisor of an epoch's steps up to {AUTO_STEPS_PER_EXECUTION} on tensorflow "
        "with one device, else 1 (default: %(default)s)",
    )
    training.add_argument(
        "--seed",
        type=common.non_negative_int,
        default=0,
        metavar="N",
        help="random seed of the weight initialization, the data order, the "
        "training latents and the sample grid latents (default: %(default)s)",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--output",
        default=None,
        metavar="FOLDER",
        help="run folder to create, which must not already contain a run "
        "(default: runs/<UTC start time>, e.g. runs/20250131T120000Z)",
    )
    output.add_argument(
        "--resume",
        default=None,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its last finished epoch, with the "
        "options in its run_config.json and the same total epochs. Only --epochs "
        "(to raise the total), --learning-rate, --backend and --quiet may be given "
        "with it; the backend defaults to the run's. A run that already finished "
        "exits with status 0 unless --epochs raises the total (default: start a "
        "new run)",
    )
    output.add_argument(
        "--num-samples",
        type=common.positive_int,
        default=64,
        metavar="N",
        help="number of images in each sample grid (default: %(default)s)",
    )
    output.add_argument(
        "--grid-every",
        type=common.positive_int,
        default=None,
        metavar="EPOCHS",
        help="save a sample grid every this many epochs (default: every epoch, "
        f"or about every {CHECK_IMAGES:,} images when an epoch is smaller)",
    )
    output.add_argument(
        "--quiet",
        action="store_true",
        help="hide the per-epoch progress bar but still print the summary at the "
        "end (default: progress bar shown)",
    )
    common.add_backend_option(output)

    monitoring = parser.add_argument_group("monitoring")
    monitoring.add_argument(
        "--held-out",
        type=common.non_negative_int,
        default=None,
        metavar="N",
        help="images kept out of training, to measure how far the discriminator "
        "overfits and whether the generator copies training images (default: 5%% "
        "of the images, at most 500, and none below 200 images or with --no-checks)",
    )
    monitoring.add_argument(
        "--check-every",
        type=common.positive_int,
        default=None,
        metavar="EPOCHS",
        help="measure discriminator accuracy, diversity and copying every this "
        "many epochs; the values go to metrics.csv (default: every epoch, or "
        f"about every {CHECK_IMAGES:,} images when an epoch is smaller)",
    )
    monitoring.add_argument(
        "--keep-best",
        action="store_true",
        help="score 1,000 samples by SWD against the training images at each check "
        "and keep the best weights in best.weights.h5; at the end, best.keras and "
        "samples/best.png contain the best check, beside model.keras of the last epoch. "
        "--resume continues the comparison (default: off)",
    )
    monitoring.add_argument(
        "--no-checks",
        action="store_true",
        help="turn off those measurements and the mode-collapse stop; a NaN loss "
        "still stops the run (default: checks on)",
    )
    return parser


def run(args, parser, argv):
    """Run `logogan train` with parsed `args`, and return the exit status."""
    plan = None
    if args.resume is not None:
        plan = resume.plan_resume(args, parser, argv)
        if plan.finished:
            print(
                f"logogan train: the run in {display_path(plan.run_dir)} already finished "
                f"all {plan.recorded_epochs} epochs and saved model.keras, so there is "
                f"nothing to resume. Pass --epochs N with N above {plan.recorded_epochs} "
                "to train it further."
            )
            return 0
        args = plan.args
    resolve_setup(args)
    _check_options(args, parser)
    data_path = _check_data_path(args.data, parser)
    started = datetime.datetime.now(datetime.timezone.utc)
    if plan is None:
        output = _choose_output_folder(args.output, started, parser)
    else:
        output = plan.run_dir

    status = common.select_backend(args.backend, argv)
    if status is not None:
        return status

    import keras

    keras.config.set_dtype_policy(args.dtype_policy)
    if keras.config.backend() == "torch" and args.steps_per_execution not in (1, AUTO):
        parser.error(
            f"--steps-per-execution {args.steps_per_execution}: Keras runs one step per "
            "call on the torch backend. Drop the option or use --backend jax or tensorflow."
        )

    parallel_scope = _data_parallel_scope(args, parser)

    from keras_logogan.datasets.pipeline import epoch_steps

    images = _load_images(args, data_path, parser)
    if plan is not None:
        resume.check_same_data(plan, images, parser)
    train_images, held_out_images = split_held_out(
        images, _held_out_request(args, plan), args.seed, parser
    )
    if len(train_images) < 2 and not args.no_checks:
        # The collapse check compares generated samples with at least two real images.
        parser.error(
            f"argument --data: {args.data!r} gives {len(train_images)} training image, and "
            "the checks need at least 2. Add images, or pass --no-checks to train on it anyway."
        )
    if args.epochs is None:
        args.epochs = epochs_for_budget(args.kimg, len(train_images))

    drop_remainder = _drop_last_batch(parallel_scope, len(train_images), args, parser)
    steps = epoch_steps(len(train_images), args.batch_size, drop_remainder)
    images_per_epoch = min(steps * args.batch_size, len(train_images))
    # Kept beside the request, so that a resumed run resolves "auto" again
    # for its own backend.
    args.resolved_steps_per_execution = resolve_steps_per_execution(
        args.steps_per_execution, steps, keras.config.backend(), parallel_scope is not None
    )
    if steps % args.resolved_steps_per_execution:
        # Keras reads steps_per_execution batches per call, so epochs would drift.
        # Checked before the run folder gets any file, so a corrected command can reuse it.
        parser.error(
            f"--steps-per-execution {args.steps_per_execution} does not divide the "
            f"{steps} steps of an epoch. Pass a divisor of {steps}, such as 1, or auto."
        )

    keras.utils.set_random_seed(args.seed)
    try:
        with contextlib.ExitStack() as stack:
            if parallel_scope is not None:
                stack.enter_context(parallel_scope)
            gan = _build_gan(args, channels=images.shape[-1])
            return _train_and_save(
                args, argv, parser, plan, gan, images, train_images, held_out_images,
                data_path, output, started, drop_remainder, images_per_epoch,
            )
    except KeyboardInterrupt:
        _print_interrupted(output)
        return INTERRUPTED_STATUS


def _train_and_save(
    args, argv, parser, plan, gan, images, train_images, held_out_images,
    data_path, output, started, drop_remainder, images_per_epoch,
):
    """Train the built `gan` for the run's epochs, then write the model, final grid and report."""
    import keras

    from keras_logogan.callbacks import NaNGuard
    from keras_logogan.callbacks import SampleGridSaver
    from keras_logogan.callbacks import TrainingCheckpoint
    from keras_logogan.callbacks.checkpoint import save_checkpoint
    from keras_logogan.cli import keep_best
    from keras_logogan.cli.training_callbacks import EpochTimer
    from keras_logogan.cli.training_callbacks import MetricsCSVLogger
    from keras_logogan.datasets.pipeline import epoch_steps
    from keras_logogan.datasets.pipeline import make_epoch_dataset
    from keras_logogan.images import save_grid

    samples_folder = os.path.join(output, "samples")
    os.makedirs(samples_folder, exist_ok=True)
    checkpoint_folder = os.path.join(output, resume.CHECKPOINT_FOLDER)
    monitors, monitor_columns = _monitoring_callbacks(args, train_images, held_out_images)
    if args.augment != "none":
        monitor_columns = (*monitor_columns, "augment_probability")
    if args.keep_best:
        monitor_columns = (*monitor_columns, keep_best.SCORE_COLUMN)
    num_held_out = 0 if held_out_images is None else len(held_out_images)
    if plan is None:
        config = _run_config(args, argv, gan, images, data_path, output, started)
        config["data"]["num_held_out"] = num_held_out
        common.write_json_atomically(config, os.path.join(output, "run_config.json"))
        # The state before training, so that a run stopped in its first
        # epoch resumes from the same initial weights.
        save_checkpoint(gan, checkpoint_folder, 0)
        initial_epoch = 0
        if not args.quiet:
            print(
                f"Training on {len(train_images)} images of {images.shape[1]}x{images.shape[2]}x"
                f"{images.shape[3]} ({num_held_out} held out for the checks) "
                f"with the {keras.config.backend()} backend. "
                f"Run folder: {display_path(output)}"
            )
            if held_out_images is None and args.held_out is None and not args.no_checks:
                print(
                    f"No images are held out below {HELD_OUT_MIN_IMAGES} images, so the copy "
                    "check (near_copy_share) is off. Pass --held-out 10 to measure whether "
                    "samples copy training images. In the docs' quality study, samples of a "
                    "GAN trained on 100 logos began to copy them after about 2,000 passes."
                )
    else:
        initial_epoch = _prepare_resumed_run(
            gan, plan, parser, argv, started, csv_columns=(*MetricsCSVLogger.columns, *monitor_columns)
        )

    grid_saver = SampleGridSaver(
        samples_folder,
        num_images=args.num_samples,
        seed=args.seed,
        every_epochs=epochs_between(args.grid_every, len(train_images)),
        scale=GRID_SCALE,
    )
    nan_guard = NaNGuard()
    best_checks = None
    if args.keep_best:
        every = epochs_between(args.check_every, len(train_images))
        best_checks = keep_best.make_callback(
            output,
            train_images,
            every_epochs=every,
            seed=args.seed,
            images_per_epoch=images_per_epoch,
            initial_epoch=initial_epoch,
        )
        monitors = [*monitors, best_checks]
        hint = keep_best.few_checks_hint(initial_epoch, args.epochs, every)
        if hint is not None and not args.quiet:
            print(hint)
    callbacks = [
        # EpochTimer comes first so that it times training alone, and the
        # monitors come before MetricsCSVLogger so their values are in the
        # logs dict when it writes the row. TrainingCheckpoint comes last, so
        # an epoch is checkpointed only after its row and grid are written.
        EpochTimer(images_per_epoch=images_per_epoch),
        nan_guard,
        *monitors,
        MetricsCSVLogger(
            os.path.join(output, "metrics.csv"),
            extra_columns=monitor_columns,
            append=plan is not None,
        ),
        grid_saver,
        TrainingCheckpoint(checkpoint_folder),
    ]
    if initial_epoch < args.epochs:
        steps = epoch_steps(len(train_images), args.batch_size, drop_remainder)
        # The order of each epoch depends only on the seed and the epoch, so
        # a resumed run trains on the same batches as an uninterrupted one.
        gan.fit(
            make_epoch_dataset(
                train_images,
                args.batch_size,
                seed=args.seed,
                initial_epoch=initial_epoch,
                drop_remainder=drop_remainder,
            ),
            steps_per_epoch=steps,
            epochs=args.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=0 if args.quiet else 1,
        )
    else:
        # Killed after the last checkpoint but before the end of the run:
        # only the files below are missing.
        grid_saver.set_model(gan)
        grid_saver.on_train_begin()
    kept_epoch = _restore_after_nan(gan, nan_guard, checkpoint_folder, args)

    model_path = os.path.join(output, "model.keras")
    save_model_atomically(gan, model_path)
    final_grid = save_grid(
        gan.generate(latents=grid_saver.latents),
        os.path.join(samples_folder, "final.png"),
        scale=GRID_SCALE,
    )
    best_model_path = None
    if best_checks is not None:
        best_model_path = keep_best.save_best(gan, best_checks, output, grid_saver.latents)

    stop = _early_stop(checkpoint_folder, args, nan_guard, kept_epoch, monitors)
    _record_early_stop(output, stop)

    from keras_logogan.report import write_report

    report_paths = write_report(output)
    best_line = None
    if best_checks is not None:
        best_line = keep_best.describe(best_checks, best_model_path and display_path(best_model_path))
    _print_summary(output, model_path, final_grid, report_paths.html, best_line, best_model_path)
    _finish_checkpoint(checkpoint_folder, output, args, nan_guard, kept_epoch, stop)
    return 0 if stop is None else STOPPED_EARLY_STATUS


def _prepare_resumed_run(gan, plan, parser, argv, started, csv_columns):
    """Load the state of the run in `plan`, tidy its folder, and return the epoch to start at."""
    import keras

    initial_epoch = resume.restore_training_state(gan, plan, parser)
    messages = resume.discard_after_checkpoint(plan.run_dir, initial_epoch, csv_columns)
    resume.record_resume(plan, initial_epoch, argv, started, keras.config.backend())
    for message in messages:
        print(f"logogan train: {message}.", file=sys.stderr)
    if plan.args.quiet:
        return initial_epoch
    if initial_epoch < plan.args.epochs:
        print(
            f"Resuming the run in {display_path(plan.run_dir)} at epoch {initial_epoch + 1} "
            f"of {plan.args.epochs} with the {keras.config.backend()} backend."
        )
    else:
        print(
            f"All {plan.args.epochs} epochs of the run in {display_path(plan.run_dir)} "
            "were trained; writing model.keras, the final grid and the report."
        )
    return initial_epoch


def _restore_after_nan(gan, nan_guard, checkpoint_folder, args):
    """Load the last finite checkpoint into `gan` if `NaNGuard` stopped training.

    Returns:
        The epoch count of that checkpoint, or None when training was not
        stopped by a NaN loss.
    """
    if nan_guard.stopped_epoch is None:
        return None
    from keras_logogan.callbacks.checkpoint import load_checkpoint

    info = load_checkpoint(gan, checkpoint_folder)
    if info is None:
        return None
    gan.generator_optimizer.learning_rate = args.learning_rate
    gan.discriminator_optimizer.learning_rate = args.discriminator_learning_rate
    return info.epoch


def _early_stop(checkpoint_folder, args, nan_guard, kept_epoch, monitors):
    """Describe why training stopped before its last epoch, or return None after a full run.

    Returns:
        None, or a dict with `after_epoch` (the epoch of the kept checkpoint,
        which model.keras also contains), `epochs` (the planned total) and
        `reason`, a phrase for "stopped ... because REASON".
    """
    from keras_logogan.callbacks.checkpoint import read_checkpoint

    info = read_checkpoint(checkpoint_folder)
    if info is None or info.epoch >= args.epochs:
        return None
    if kept_epoch is not None:
        reason = f"{nan_guard.bad_metric} was not finite at epoch {nan_guard.stopped_epoch}"
    else:
        reason = _stop_reason(monitors) or "a callback stopped training"
    return {"after_epoch": info.epoch, "epochs": args.epochs, "reason": reason}


def _stop_reason(monitors):
    """Return why a monitoring callback stopped training, or None."""
    for monitor in monitors:
        if getattr(monitor, "stop_training", False) and getattr(monitor, "collapsed_epoch", None):
            return f"the collapse check flagged mode collapse at epoch {monitor.collapsed_epoch}"
    return None


def _record_early_stop(output, stop):
    """Write `stop` to run_config.json as `stopped_early`, or remove that key after a full run."""
    path = os.path.join(output, resume.CONFIG_FILE)
    with open(path, encoding="utf-8") as stream:
        config = json.load(stream)
    if stop is None and "stopped_early" not in config:
        return
    if stop is None:
        del config["stopped_early"]
    else:
        config["stopped_early"] = stop
    common.write_json_atomically(config, path)


def _finish_checkpoint(checkpoint_folder, output, args, nan_guard, kept_epoch, stop):
    """Delete the checkpoint of a completed run, or print how to resume a stopped one."""
    from keras_logogan.callbacks.checkpoint import delete_checkpoint

    if stop is None:
        delete_checkpoint(checkpoint_folder)
        return

    resume_command = f"logogan train --resume {shlex.quote(display_path(output))}"
    if kept_epoch is not None:
        if kept_epoch == 0:
            weights_description = "the weights before training"
        else:
            weights_description = f"the weights of epoch {kept_epoch}"
        print(
            f"logogan train: training stopped at epoch {nan_guard.stopped_epoch} because "
            f"{nan_guard.bad_metric} was not finite. model.keras and samples/final.png "
            f"contain {weights_description}, the last finite checkpoint, which is kept in "
            f"{display_path(checkpoint_folder)}. Continue from it with a lower learning "
            f"rate, e.g.:\n  {resume_command} --learning-rate {args.learning_rate / 2:g}",
            file=sys.stderr,
        )
        return
    print(
        f"logogan train: training stopped after epoch {stop['after_epoch']} of {args.epochs} "
        f"because {stop['reason']}. The checkpoint is kept in "
        f"{display_path(checkpoint_folder)}; continue with:\n  {resume_command}",
        file=sys.stderr,
    )


def _check_options(args, parser):
    if args.architecture == "hobby" and args.image_size != HOBBY_IMAGE_SIZE:
        parser.error(
            f"argument --image-size: {args.image_size} does not work with "
            f"--architecture hobby, whose layers make {HOBBY_IMAGE_SIZE} px images. "
            f"Pass --image-size {HOBBY_IMAGE_SIZE}, or --architecture dcgan.",
        )


def _check_data_path(data, parser):
    """Return None for the shipped icons, else the absolute path of a folder or data file."""
    if data == ICONS:
        return None
    if not os.path.exists(data):
        parser.error(f"argument --data: {data!r} was not found. {DATA_FORMS}")
    if not os.path.isdir(data) and not data.lower().endswith(ARRAY_SUFFIXES + IMAGE_FILE_SUFFIXES):
        parser.error(f"argument --data: {data!r} is not a folder or a supported file. {DATA_FORMS}")
    return os.path.abspath(data)


def _choose_output_folder(requested, started, parser):
    """Return the absolute run folder, and exit with an error if it already contains a run."""
    if requested is None:
        base = os.path.join("runs", started.strftime("%Y%m%dT%H%M%SZ"))
        folder, suffix = base, 1
        # Two runs started in the same second get base, base-2, base-3, ...
        while os.path.exists(folder):
            suffix += 1
            folder = f"{base}-{suffix}"
        return os.path.abspath(folder)

    if os.path.exists(requested) and not os.path.isdir(requested):
        parser.error(
            f"argument --output: {requested!r} is a file. Pass the path of a new "
            "or empty folder.",
        )
    for name in ("run_config.json", "metrics.csv", "model.keras"):
        if os.path.exists(os.path.join(requested, name)):
            parser.error(
                f"argument --output: {requested!r} already contains a run ({name}). "
                "Pass a new folder, or move that run away first.",
            )
    return os.path.abspath(requested)


def _load_images(args, data_path, parser):
    """Load the training images as uint8 (N, size, size, channels), limited to --limit."""
    if data_path is None:
        from keras_logogan.datasets import load_icons

        try:
            images = load_icons(image_size=args.image_size, grayscale=args.grayscale)
        except ValueError as error:
            parser.error(
                f"argument --image-size: the shipped icons do not load at "
                f"{args.image_size} px ({error}). Pass a smaller --image-size, or "
                f"a .npy file of {args.image_size} px images as --data."
            )
    elif data_path.lower().endswith(ARRAY_SUFFIXES):
        images = _load_array_file(data_path, args.data, parser)
        _check_array(images, args, parser)
        if args.grayscale and images.shape[-1] == 3:
            images = rgb_to_grayscale(images)
    else:
        images = _load_image_files(data_path, args, parser)
        _check_array(images, args, parser)
    if args.limit is not None:
        images = images[: args.limit]
    return images


def _load_array_file(path, data_argument, parser):
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        parser.error(
            f"argument --data: {data_argument!r} could not be read as a NumPy file: "
            f"{error}. Save the images with numpy.save or numpy.savez; object "
            "arrays are rejected because loading them would run pickled code.",
        )
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        return loaded

    with loaded:
        names = list(loaded.files)
        if "images" in names:
            return loaded["images"]
        if len(names) == 1:
            return loaded[names[0]]
    parser.error(
        f"argument --data: {data_argument!r} contains the arrays {names}, and none is "
        "named 'images'. Save the images under that name, e.g. "
        "numpy.savez(path, images=images), or as the only array.",
    )


def _load_image_files(path, args, parser):
    """Decode a folder, a .zip archive or an LLD file at --image-size, reporting skipped files."""
    import pickle

    from keras_logogan.datasets.image_folders import NoUsableImagesError
    from keras_logogan.datasets.image_folders import image_folder
    from keras_logogan.datasets.lld import load_lld

    try:
        if os.path.isdir(path) or path.lower().endswith(".zip"):
            images, report = image_folder(
                path, args.image_size, grayscale=args.grayscale, return_report=True
            )
            if report.skipped:
                # `image_folder` has logged the summary line, so this adds the next step only.
                print(
                    f"logogan train: run `logogan data inspect {shlex.quote(args.data)}` "
                    f"to list the {len(report.skipped)} skipped files with their reasons.",
                    file=sys.stderr,
                )
            return images
        return load_lld(path, args.image_size, grayscale=args.grayscale, limit=args.limit)
    except NoUsableImagesError as error:
        common.report_no_usable_images(error, args.data, parser)
    except (OSError, ValueError, KeyError, pickle.UnpicklingError) as error:
        parser.error(f"argument --data: {args.data!r} could not be loaded: {error}")


def _check_array(images, args, parser):
    quoted_data = repr(args.data)
    common.check_image_array(images, args.data, parser)
    height, width = images.shape[1:3]
    if (height, width) != (args.image_size, args.image_size):
        parser.error(
            f"argument --data: {quoted_data} contains {height}x{width} images, but "
            f"--image-size is {args.image_size}. Pass --image-size {height} if the "
            "images are square and a power of two in size, or resize them.",
        )


def rgb_to_grayscale(images):
    """Convert uint8 RGB images to 1-channel uint8 with the ITU-R BT.601 luma weights."""
    luma = images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)[..., np.newaxis]


def resolve_setup(args):
    """Fill the model and training options left unset from the `--config` setup, in place.

    Options typed on the command line win. The resolved values are what
    run_config.json records, so a resumed run rebuilds the same setup.
    """
    from keras_logogan import training_configs

    config = training_configs.get(args.config)
    for name in ("architecture", "width", "loss", "batch_size", "discriminator_steps", "beta_1"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(config, name))

    learning_rate_typed = args.learning_rate is not None
    if not learning_rate_typed:
        args.learning_rate = config.generator_learning_rate
    if args.discriminator_learning_rate is None:
        if learning_rate_typed:
            args.discriminator_learning_rate = args.learning_rate
        else:
            args.discriminator_learning_rate = config.discriminator_learning_rate

    if args.discriminator_normalization is None:
        args.discriminator_normalization = config.discriminator_normalization
        # The gradient penalty is computed per image, which batch
        # normalization would mix across the batch.
        if args.loss == "wasserstein_gp" and args.discriminator_normalization == "batch":
            args.discriminator_normalization = "layer"
    # 0 stands for "off" in the options below, so that a resumed run does
    # not mistake an explicit "off" for an unset option.
    if args.ema_decay is None:
        args.ema_decay = config.ema_decay or 0.0
    if args.augment is None:
        args.augment = config.augmentation or "none"
    if args.ada_target is None:
        args.ada_target = config.ada_target or 0.0
    if args.r1_weight is None:
        args.r1_weight = config.r1_weight


def epochs_for_budget(kimg, num_train_images):
    """Return the epochs that show at least `kimg` thousand images, or the default without a budget."""
    if kimg is None:
        return DEFAULT_EPOCHS
    return max(1, math.ceil(kimg * 1000 / num_train_images))


def _print_interrupted(output):
    """Print how to continue a run that Ctrl+C stopped."""
    checkpoint = os.path.join(output, resume.CHECKPOINT_FOLDER)
    if os.path.isdir(checkpoint):
        state = f"The checkpoint of the last finished epoch is kept in {display_path(checkpoint)}."
    else:
        state = "Training had finished, but the final files may be missing."
    print(
        f"\nlogogan train: interrupted. {state} Continue with:\n"
        f"  logogan train --resume {shlex.quote(display_path(output))}",
        file=sys.stderr,
    )


def _data_parallel_scope(args, parser):
    """Return the `data_parallel()` scope for `--data-parallel`, or None without the option."""
    if not args.data_parallel:
        return None

    import keras

    if keras.config.backend() == "torch":
        parser.error(
            "--data-parallel: Keras 3 has no multi-device training on the torch backend. "
            "Drop the option or use --backend jax or tensorflow."
        )
    from keras_logogan.distribution import data_parallel

    scope = data_parallel()
    if args.batch_size % scope.num_replicas:
        lower = max(scope.num_replicas, args.batch_size - args.batch_size % scope.num_replicas)
        parser.error(
            f"--batch-size {args.batch_size} does not split across the {scope.num_replicas} "
            f"devices that --data-parallel found ({', '.join(scope.devices)}). "
            f"Pass a multiple of {scope.num_replicas}, such as {lower}."
        )
    if not args.quiet:
        print(
            f"Data-parallel training on {scope.num_replicas} devices, "
            f"{args.batch_size // scope.num_replicas} images per device and step."
        )
    return scope


def _drop_last_batch(parallel_scope, num_images, args, parser):
    """Return whether each epoch drops its last, partial batch.

    Data-parallel steps split every batch evenly across the devices, so a
    last batch that does not split is dropped. Other runs keep it.
    """
    if parallel_scope is None:
        return False
    last = num_images % args.batch_size
    if last == 0 or last % parallel_scope.num_replicas == 0:
        return False
    if num_images < args.batch_size:
        parser.error(
            f"--data-parallel needs at least one full batch of {args.batch_size} images, "
            f"but the run has {num_images} training images. Pass a smaller --batch-size."
        )
    if not args.quiet:
        # NOTE: the device count decides this, so resuming on a machine with
        # another count changes the number of steps per epoch.
        print(
            f"Each epoch drops its last {last} images, because they do not split "
            f"across {parallel_scope.num_replicas} devices; the next epoch's shuffle "
            "includes them again."
        )
    return True


def _build_gan(args, channels):
    import keras

    from keras_logogan import LogoGAN

    gan = LogoGAN(
        discriminator_normalization=args.discriminator_normalization,
        architecture=args.architecture,
        image_size=args.image_size,
        channels=channels,
        latent_dim=args.latent_dim,
        width=args.width,
        ema_decay=args.ema_decay or None,
        seed=args.seed,
    )
    gan.compile(
        generator_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=args.beta_1),
        discriminator_optimizer=keras.optimizers.Adam(
            args.discriminator_learning_rate, beta_1=args.beta_1
        ),
        loss=args.loss,
        discriminator_steps=args.discriminator_steps,
        augmentation=None if args.augment == "none" else args.augment,
        ada_target=args.ada_target or None,
        r1_weight=args.r1_weight,
        steps_per_execution=args.resolved_steps_per_execution,
    )
    return gan


def _run_config(args, argv, gan, images, data_path, output, started):
    import keras

    import keras_logogan

    options = dict(vars(args))
    options.pop("command", None)
    options["latent_dim"] = gan.latent_dim
    options["output"] = output
    options["data"] = ICONS if data_path is None else data_path
    options["backend"] = keras.config.backend()
    return {
        "command": "train",
        "argv": list(argv),
        "options": options,
        "backend": keras.config.backend(),
        "versions": {
            "keras_logogan": keras_logogan.__version__,
            "keras": keras.__version__,
            keras.config.backend(): _backend_version(keras.config.backend()),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "data": {
            "num_images": int(len(images)),
            "image_shape": list(images.shape[1:]),
        },
        "discriminator_normalization": gan.discriminator_normalization,
        "started_at": started.isoformat(timespec="seconds"),
    }


def _backend_version(backend):
    module = sys.modules.get(backend)
    return getattr(module, "__version__", None)


def _held_out_request(args, plan):
    """Return the `--held-out` count to use, or None for the default share.

    With --no-checks nothing uses held-out images, so none are kept out. A
    resumed run keeps the count it recorded, because runs started with
    --no-checks before this rule held the default share out.
    """
    if args.held_out is not None:
        return args.held_out
    if plan is not None:
        return plan.config.get("data", {}).get("num_held_out")
    if args.no_checks:
        return 0
    return None


def default_held_out_count(num_images):
    """Return the default `--held-out` count: 5% of the images, at most 500, 0 below 200."""
    if num_images < HELD_OUT_MIN_IMAGES:
        return 0
    return min(500, num_images // 20)


def split_held_out(images, held_out, seed, parser):
    """Return `(train_images, held_out_images)`, holding out a seeded random subset.

    `held_out_images` is None when nothing is held out.
    """
    count = default_held_out_count(len(images)) if held_out is None else held_out
    if count == 0:
        return images, None
    if count > len(images) - 2:
        parser.error(
            f"argument --held-out: {count} leaves fewer than 2 of the {len(images)} "
            "images for training. Pass a smaller number, or 0."
        )
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[count:]], images[order[:count]]


def steps_per_execution_option(text):
    """Parse `--steps-per-execution`: "auto" or a whole number of at least 1."""
    if text == AUTO:
        return AUTO
    try:
        return common.positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither auto nor a whole number of 1 or more. Pass auto, or a "
            "number of steps per call such as 4."
        ) from None


def resolve_steps_per_execution(requested, steps_per_epoch, backend, data_parallel):
    """Return `requested`, or for "auto" the steps per call this run should use.

    On TensorFlow with one device, "auto" takes the largest divisor of
    `steps_per_epoch` up to AUTO_STEPS_PER_EXECUTION, so epochs stay whole.
    Fewer calls save Keras' work between steps: at batch 32 on a 2-core
    CPU, 6 steps per call trained 6% to 9% faster than 1
    (`benchmarks/results/speed_interleaved_batch_32*.json`).
    Elsewhere it is 1: Keras' torch trainer takes 1 only, and on JAX 6 steps
    per call trained 7% to 21% slower than 1 at batch 32
    (`benchmarks/results/speed_jax_batch_32_spe_*.json`).
    """
    if requested != AUTO:
        return requested
    if backend != "tensorflow" or data_parallel:
        # NOTE: data-parallel runs were not measured above 1.
        return 1
    divisors = range(min(AUTO_STEPS_PER_EXECUTION, steps_per_epoch), 0, -1)
    return next(k for k in divisors if steps_per_epoch % k == 0)


def epochs_between(requested, num_images):
    """Return the epochs between two checks or grids: `requested`, else about every CHECK_IMAGES images."""
    if requested is not None:
        return requested
    return math.ceil(CHECK_IMAGES / num_images)


def _monitoring_callbacks(args, train_images, held_out_images):
    """Return the measuring callbacks for `args` and the CSV columns they add."""
    if args.no_checks:
        return [], ()
    from keras_logogan.callbacks import DiscriminatorAccuracy
    from keras_logogan.callbacks import MemorizationMonitor
    from keras_logogan.callbacks import ModeCollapseDetector
    from keras_logogan.cli.training_callbacks import MONITOR_COLUMNS

    every = epochs_between(args.check_every, len(train_images))
    grace_epochs = max(COLLAPSE_GRACE_MIN_EPOCHS, math.ceil(COLLAPSE_GRACE_IMAGES / len(train_images)))
    monitors = [
        DiscriminatorAccuracy(
            real_images=train_images,
            held_out_images=held_out_images,
            seed=args.seed,
            every_epochs=every,
        ),
        ModeCollapseDetector(
            train_images, seed=args.seed, every_epochs=every, start_from_epoch=grace_epochs
        ),
    ]
    names = ["discriminator_accuracy", "mode_collapse"]
    if held_out_images is not None:
        monitors.append(
            MemorizationMonitor(train_images, held_out_images, seed=args.seed, every_epochs=every)
        )
        names.append("memorization")
    columns = tuple(column for name in names for column in MONITOR_COLUMNS[name])
    return monitors, columns


def save_model_atomically(model, path):
    """Save `model` to `path` through a temporary .keras file in the same folder.

    `os.replace` makes the new file appear at `path` at once, so an
    interrupted save never leaves a truncated `model.keras`.
    """
    # Keras requires the .keras suffix, so the temporary name ends with it.
    with atomic_path(path, suffix=".keras") as temporary:
        model.save(temporary, overwrite=True)


def _print_summary(output, model_path, final_grid, report_page, best_line=None, best_model_path=None):
    print(f"Run folder: {display_path(output)}")
    print(f"  model:        {display_path(model_path)}")
    if best_line is not None:
        print(best_line)
    print(f"  metrics:      {display_path(os.path.join(output, 'metrics.csv'))}")
    print(f"  sample grids: {display_path(os.path.join(output, 'samples'))}")
    print(f"  final grid:   {display_path(final_grid)}")
    print(f"  config:       {display_path(os.path.join(output, 'run_config.json'))}")
    print(f"  report:       {display_path(report_page)} (plots of every metric, grids over time)")
    if best_model_path is None:
        print("Next, generate new logos from the model:")
        sample_path = model_path
    else:
        print("Next, generate new logos from the best check:")
        sample_path = best_model_path
    print(f"  logogan sample --model {shlex.quote(display_path(sample_path))}")


def display_path(path):
    """Return `path` relative to the current working directory when it is inside it, else absolute."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative
