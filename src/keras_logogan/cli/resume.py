"""`logogan train --resume RUN_DIR`: continue a run from the checkpoint in its folder.

A run folder contains `checkpoint/` from the start of training until every
epoch is done (see `keras_logogan.callbacks.checkpoint`). A resumed run
takes its options from `run_config.json`, loads the checkpoint, drops what
the interrupted run wrote after it (rows of `metrics.csv`, sample grids,
temporary files) and trains the remaining epochs. A folder without
`checkpoint/` but with `model.keras` contains a completed run, which only a
higher `--epochs` continues.

The checkpoint contains the weights, both optimizers' states and the seed
generator states, and `logogan train` shuffles each epoch by the seed and the
epoch number alone (`keras_logogan.datasets.pipeline.make_epoch_dataset`). So
a resumed run trains on the same batches and ends with the same weights, bit
for bit, as an uninterrupted one on the same backend and machine, unless
`--learning-rate` or `--backend` changes. NOTE: this was checked on CPU
only. GPU kernels that are not deterministic make even two uninterrupted runs
differ.

The functions that run before the backend is chosen import no Keras.
"""

import argparse
import csv
import dataclasses
import json
import os
import re
import sys

from keras_logogan.atomic_files import atomic_path
from keras_logogan.cli import common

CHECKPOINT_FOLDER = "checkpoint"
CONFIG_FILE = "run_config.json"
METRICS_FILE = "metrics.csv"
MODEL_FILE = "model.keras"
SAMPLES_FOLDER = "samples"
REPORT_FOLDER = "report"

# Options that may be given with --resume. Every other option is fixed by
# run_config.json, because the checkpoint only fits the networks, data and
# loss it was trained with.
RESUME_OPTIONS = ("resume", "epochs", "learning_rate", "backend", "quiet")

# Names of the temporary files `atomic_path` creates: "." + target name +
# "." + 8 characters from `tempfile.mkstemp` + a suffix such as ".png".
TEMPORARY_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.[^/]+$")
EPOCH_GRID_NAME = re.compile(r"^epoch_(\d+)\.png$")


@dataclasses.dataclass
class ResumePlan:
    """The run that `--resume` continues, with its options resolved.

    Attributes:
        run_dir: absolute path of the run folder.
        config: dict read from its `run_config.json`.
        args: the options of the run, with `--epochs`, `--learning-rate`,
            `--backend` and `--quiet` from the command line applied.
        recorded_epochs: total epochs in `run_config.json` before this resume.
        finished: whether the run already trained `args.epochs` epochs and
            wrote `model.keras`, so nothing is left to do.
    """

    run_dir: str
    config: dict
    args: argparse.Namespace
    recorded_epochs: int
    finished: bool


def plan_resume(args, parser, argv):
    """Read the run folder of `--resume` and return a `ResumePlan`.

    Exits with status 2 through `parser.error` when the folder is not a run
    folder, when options other than those in `RESUME_OPTIONS` are given,
    when `--epochs` is below the recorded total, or when the recorded
    training data is gone.
    """
    run_dir = _check_run_folder(args.resume, parser)
    config_path = os.path.join(run_dir, CONFIG_FILE)
    config = _read_config(config_path, args.resume, parser)

    typed_options = typed_option_names(argv)
    fixed = sorted(name for name in typed_options if name not in RESUME_OPTIONS)
    if fixed:
        names = ", ".join(option_flag(name) for name in fixed)
        pronoun = "it" if len(fixed) == 1 else "them"
        parser.error(
            f"argument --resume: {names} cannot be given with --resume, because the run "
            f"continues with the options recorded in {config_path}. Remove {pronoun}. Only "
            "--epochs (to raise the total), --learning-rate, --backend and --quiet "
            "may be given. To change other options, start a new run with --output."
        )

    recorded = config["options"]
    resumed_args = parser.parse_args([])
    for name, value in recorded.items():
        if hasattr(resumed_args, name):
            setattr(resumed_args, name, value)
    resumed_args.resume = run_dir
    resumed_args.output = run_dir
    resumed_args.quiet = args.quiet
    resumed_args.backend = args.backend or recorded.get("backend") or config.get("backend")
    if "learning_rate" in typed_options:
        resumed_args.learning_rate = args.learning_rate
        resumed_args.discriminator_learning_rate = args.learning_rate

    recorded_epochs = int(recorded["epochs"])
    if "epochs" in typed_options:
        if args.epochs < recorded_epochs:
            parser.error(
                f"argument --epochs: {args.epochs} is below the {recorded_epochs} epochs "
                f"of the run in {run_dir}. Pass --epochs {recorded_epochs} or more, or "
                "omit --epochs to train the recorded total."
            )
        resumed_args.epochs = args.epochs

    _check_recorded_data(resumed_args.data, config_path, parser)
    _choose_backend(args.backend, resumed_args.backend, config_path)

    finished = (
        not os.path.exists(os.path.join(run_dir, CHECKPOINT_FOLDER))
        and os.path.isfile(os.path.join(run_dir, MODEL_FILE))
        and resumed_args.epochs == recorded_epochs
    )
    return ResumePlan(run_dir, config, resumed_args, recorded_epochs, finished)


def typed_option_names(argv):
    """Return the destination names of the `train` options present in `argv`.

    Parsing `argv` again with every default suppressed leaves only the
    options that were typed, whatever their values or abbreviations.
    """
    from keras_logogan.cli.main import build_parsers

    _, parsers = build_parsers()
    probe = parsers["train"]
    # argparse has no public way to suppress the defaults of existing
    # options: `set_defaults` would also pass "==SUPPRESS==" through each
    # option's type. So this sets the defaults on `_actions` directly.
    for action in probe._actions:
        action.default = argparse.SUPPRESS
    command_index = argv.index("train")
    return set(vars(probe.parse_args(argv[command_index + 1 :])))


def option_flag(name):
    """Return the command-line flag of the option whose destination is `name`."""
    return "--" + name.replace("_", "-")


def _check_run_folder(path, parser):
    if not os.path.isdir(path):
        problem = "is a file" if os.path.exists(path) else "was not found"
        parser.error(
            f"argument --resume: {path!r} {problem}. Pass the folder of an earlier "
            "`logogan train` run, e.g. runs/20250131T120000Z."
        )
    if not os.path.isfile(os.path.join(path, CONFIG_FILE)):
        parser.error(
            f"argument --resume: {path!r} is not a `logogan train` run folder: it "
            f"contains no {CONFIG_FILE}. Pass the folder that `logogan train --output` "
            "created, e.g. runs/20250131T120000Z."
        )
    return os.path.abspath(path)


def _read_config(config_path, run_argument, parser):
    try:
        with open(config_path, encoding="utf-8") as stream:
            config = json.load(stream)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        parser.error(f"argument --resume: {config_path!r} could not be read: {error}")
    is_train_run = (
        isinstance(config, dict)
        and config.get("command") == "train"
        and isinstance(config.get("options"), dict)
        and "epochs" in config["options"]
    )
    if not is_train_run:
        parser.error(
            f"argument --resume: {config_path!r} does not describe a `logogan train` "
            f"run, so {run_argument!r} cannot be resumed."
        )
    return config


def _check_recorded_data(data, config_path, parser):
    # The shipped icons need no file; any other source was recorded as an
    # absolute path when the run started.
    if data == "icons" or os.path.exists(data):
        return
    parser.error(
        f"argument --resume: the run's training data {data!r}, recorded in "
        f"{config_path}, was not found. Put it back at that path to continue the run."
    )


def _choose_backend(typed_backend, backend, config_path):
    """Make `KERAS_BACKEND` name the run's recorded backend unless `--backend` was typed."""
    if typed_backend is not None:
        return
    environment_backend = os.environ.get("KERAS_BACKEND")
    if environment_backend and environment_backend != backend:
        print(
            f"logogan train: continuing on the {backend} backend recorded in "
            f"{config_path}, not KERAS_BACKEND={environment_backend}. Pass --backend "
            f"{environment_backend} to switch.",
            file=sys.stderr,
        )
    # Set here so that `common.select_backend` does not report it as an override.
    os.environ["KERAS_BACKEND"] = backend


def check_same_data(plan, images, parser):
    """Exit with status 2 if the loaded images differ in count or shape from the recorded ones."""
    recorded = plan.config.get("data", {})
    loaded_shape = list(images.shape[1:])
    expected = (recorded.get("num_images"), recorded.get("image_shape"))
    if expected == (len(images), loaded_shape):
        return
    parser.error(
        f"argument --resume: the training data changed since the run started: "
        f"{CONFIG_FILE} records {expected[0]} images of shape {expected[1]}, but "
        f"{plan.args.data!r} now gives {len(images)} images of shape {loaded_shape}. "
        "Restore the data, or start a new run."
    )


def restore_training_state(gan, plan, parser):
    """Load the run's state into the compiled `gan` and return the number of completed epochs.

    The state comes from `checkpoint/`, else from `model.keras` of a
    completed run. Without either, the run stopped before its first
    checkpoint, and training starts at epoch 0 from the weights that `gan`
    was built with from the recorded seed. Whenever the run folder contains
    no checkpoint, one is saved here, before `run_config.json` records a
    higher total.
    """
    from keras_logogan.callbacks.checkpoint import CheckpointError
    from keras_logogan.callbacks.checkpoint import load_checkpoint
    from keras_logogan.callbacks.checkpoint import save_checkpoint

    folder = os.path.join(plan.run_dir, CHECKPOINT_FOLDER)
    model_path = os.path.join(plan.run_dir, MODEL_FILE)
    try:
        info = load_checkpoint(gan, folder)
    except CheckpointError as error:
        parser.error(
            f"argument --resume: the checkpoint in {folder} cannot be used: {error}. "
            "Start a new run, or resume with the keras-logogan version that wrote it."
        )

    if info is not None:
        completed = info.epoch
    elif os.path.isfile(model_path):
        # LogoGAN saves its latent seed's state with its own variables; the
        # seed generators of dropout layers, if any, restart from their seed.
        try:
            gan.load_weights(model_path)
        except (OSError, ValueError) as error:
            parser.error(f"argument --resume: {model_path!r} could not be loaded: {error}")
        completed = plan.recorded_epochs
    else:
        completed = 0

    # The learning rates are optimizer variables, so loading restored the
    # saved ones; this applies --learning-rate, or the recorded rate.
    gan.generator_optimizer.learning_rate = plan.args.learning_rate
    gan.discriminator_optimizer.learning_rate = plan.args.discriminator_learning_rate
    if info is None:
        save_checkpoint(gan, folder, completed)
    return completed


def record_resume(plan, completed, argv, started, backend):
    """Record the resume and the new total epochs and learning rate in `run_config.json`."""
    config = plan.config
    config["options"]["epochs"] = plan.args.epochs
    config["options"]["learning_rate"] = plan.args.learning_rate
    config["options"]["discriminator_learning_rate"] = plan.args.discriminator_learning_rate
    config["options"]["backend"] = backend
    config.setdefault("resumes", []).append(
        {
            "started_at": started.isoformat(timespec="seconds"),
            "from_epoch": completed,
            "epochs": plan.args.epochs,
            "learning_rate": plan.args.learning_rate,
            "backend": backend,
            "argv": list(argv),
        }
    )
    common.write_json_atomically(config, os.path.join(plan.run_dir, CONFIG_FILE))


def discard_after_checkpoint(run_dir, completed, csv_columns):
    """Remove what the interrupted run wrote after its last checkpoint.

    Deletes leftover temporary files, keeps only the `metrics.csv` rows of
    epochs 0 to `completed - 1`, and deletes sample grids of later epochs.

    Returns:
        A list of messages about what was found, for the user.
    """
    messages = []
    removed = remove_temporary_files(run_dir)
    if removed:
        messages.append(f"removed {removed} temporary files left by the interrupted run")

    missing = trim_metrics_csv(os.path.join(run_dir, METRICS_FILE), completed, csv_columns)
    if missing:
        messages.append(f"{METRICS_FILE} has no row for epochs {missing}; they stay missing")

    samples = os.path.join(run_dir, SAMPLES_FOLDER)
    if os.path.isdir(samples):
        for name in os.listdir(samples):
            match = EPOCH_GRID_NAME.match(name)
            if match and int(match.group(1)) > completed:
                os.remove(os.path.join(samples, name))
    return messages


def remove_temporary_files(run_dir):
    """Delete the temporary files of interrupted atomic writes in the run folder; return the count."""
    count = 0
    subfolders = (SAMPLES_FOLDER, CHECKPOINT_FOLDER, REPORT_FOLDER)
    for folder in (run_dir, *(os.path.join(run_dir, name) for name in subfolders)):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if TEMPORARY_NAME.match(name) and os.path.isfile(path):
                os.remove(path)
                count += 1
    return count


def trim_metrics_csv(path, epochs, columns):
    """Rewrite `metrics.csv` with one row for each epoch below `epochs` and the header `columns`.

    A row cut short by a kill, rows of later epochs and repeated rows of one
    epoch (the last is kept) are dropped. Columns missing from the old file
    are filled with "NA", as `MetricsCSVLogger` does.

    Args:
        path: path of the CSV file; nothing happens if it does not exist.
        epochs: number of completed epochs to keep.
        columns: column names after "epoch".

    Returns:
        The sorted list of epochs below `epochs` that have no row.
    """
    if not os.path.exists(path):
        return list(range(epochs))
    with open(path, newline="", encoding="utf-8") as stream:
        lines = stream.read().splitlines(keepends=True)
    # A kill while a row was written can leave the last line without its
    # line break; that row is incomplete.
    if lines and not lines[-1].endswith("\n"):
        lines.pop()

    rows = {}
    for row in csv.DictReader(lines):
        try:
            epoch = int(row["epoch"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= epoch < epochs:
            rows[epoch] = row

    fieldnames = ["epoch", *columns]
    with atomic_path(path, suffix=".csv") as temporary:
        with open(temporary, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=fieldnames, restval="NA", extrasaction="ignore")
            writer.writeheader()
            for epoch in sorted(rows):
                writer.writerow(rows[epoch])
    return [epoch for epoch in range(epochs) if epoch not in rows]
