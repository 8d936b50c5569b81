"""Train a LogoGAN with the `logogan train` defaults and save it as a shipped preset.

The preset folder `src/keras_logogan/presets/<name>/` receives the files of
`save_pretrained` with the generator's weights only. `LogoGAN.presets` lists
it and `LogoGAN.from_pretrained("<name>")` loads it.

Usage:
    python scripts/train_preset.py [--epochs N] [--backend NAME] [--from-run RUN] NAME [-- train options]

The options go before NAME, because everything after NAME is passed to
`logogan train`.

The run folder of `logogan train` is kept under runs/preset-<name> so its
metrics and sample grids can be checked before the preset is committed.
"""

import argparse
import json
import os
import subprocess
import sys

TRAINING_KEYS = (
    "config", "data", "epochs", "batch_size", "loss", "discriminator_normalization",
    "learning_rate", "discriminator_learning_rate", "beta_1", "augment", "ada_target",
    "r1_weight", "ema_decay", "seed", "backend",
)  # fmt: skip
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS_FOLDER = os.path.join(REPOSITORY, "src", "keras_logogan", "presets")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="preset name, used as the folder name, e.g. icons32")
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs (default: the `logogan train` default)"
    )
    parser.add_argument(
        "--backend", choices=("tensorflow", "jax", "torch"), default=None,
        help="Keras backend to train on (default: $KERAS_BACKEND)",
    )
    parser.add_argument(
        "--run-folder", default=None,
        help="run folder for `logogan train` (default: runs/preset-<name>)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing preset of that name"
    )
    parser.add_argument(
        "--from-run", default=None, metavar="RUN_FOLDER",
        help="skip training and make the preset from this finished `logogan train` run folder",
    )
    parser.add_argument(
        "--metrics", default=None, metavar="JSON",
        help="metrics file written by `logogan evaluate --output`, shown in the model card",
    )
    parser.add_argument(
        "train_options", nargs=argparse.REMAINDER,
        help="options after -- go to `logogan train` unchanged",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if os.sep in args.name or "/" in args.name or args.name.startswith("."):
        sys.exit(f"train_preset: preset name {args.name!r} must be a plain folder name.")
    preset_folder = os.path.join(PRESETS_FOLDER, args.name)
    if os.path.exists(os.path.join(preset_folder, "config.json")) and not args.overwrite:
        sys.exit(
            f"train_preset: preset {args.name!r} already exists in {preset_folder}. "
            "Pass --overwrite to replace it."
        )
    if args.from_run is not None:
        run_folder = os.path.abspath(args.from_run)
    else:
        run_folder = args.run_folder or os.path.join(REPOSITORY, "runs", f"preset-{args.name}")
        _train(run_folder, args)
    _save_preset(run_folder, preset_folder, args)


def _train(run_folder, args):
    command = [sys.executable, "-m", "keras_logogan", "train", "--output", run_folder]
    if args.epochs is not None:
        command += ["--epochs", str(args.epochs)]
    if args.backend is not None:
        command += ["--backend", args.backend]
    extra = args.train_options[1:] if args.train_options[:1] == ["--"] else args.train_options
    command += extra
    print("Running:", " ".join(command))
    subprocess.run(command, check=True)


def _save_preset(run_folder, preset_folder, args):
    if args.backend is not None:
        os.environ["KERAS_BACKEND"] = args.backend
    import keras

    from keras_logogan import LogoGAN

    gan = keras.saving.load_model(os.path.join(run_folder, "model.keras"))
    if not isinstance(gan, LogoGAN):
        sys.exit(f"train_preset: {run_folder}/model.keras is not a LogoGAN.")
    with open(os.path.join(run_folder, "run_config.json"), encoding="utf-8") as stream:
        run_config = json.load(stream)
    options = run_config.get("options", {})
    training = {
        key: options[key]
        for key in TRAINING_KEYS
        if key in options
    }
    training.update(_run_facts(run_folder, run_config))
    metrics = None
    if args.metrics is not None:
        with open(args.metrics, encoding="utf-8") as stream:
            metrics = _card_metrics(json.load(stream))
    gan.save_pretrained(
        preset_folder,
        include_discriminator=False,
        training=training,
        metrics=metrics,
        repo_name=args.name,
    )
    print(f"Saved preset {args.name!r} to {preset_folder}")
    print(f"Load it with: LogoGAN.from_pretrained({args.name!r})")


def _run_facts(run_folder, run_config):
    """Return the card rows that describe the run: command, data, images shown, time, machine."""
    import csv
    import platform

    data = run_config.get("data", {})
    num_images, num_held_out = data.get("num_images"), data.get("num_held_out", 0)
    with open(os.path.join(run_folder, "metrics.csv"), newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    seconds = sum(float(row["seconds"]) for row in rows)
    versions = run_config.get("versions", {})
    return {
        "command": "logogan " + " ".join(run_config.get("argv", [])),
        "training images": f"{num_images - num_held_out} ({num_held_out} held out for the checks)",
        "images shown": len(rows) * (num_images - num_held_out),
        "training time": f"{seconds:.0f} s (sum of the epochs' seconds in metrics.csv)",
        "machine": f"{os.cpu_count()}-core {platform.machine()} CPU, Keras {versions.get('keras')}, "
        f"TensorFlow {versions.get('tensorflow')}",
        "started": run_config.get("started_at"),
        "weights": "the averaged generator" if run_config["options"].get("ema_decay") else "the generator",
    }


def _card_metrics(evaluation):
    """Return "metric": "value (real vs real: floor)" rows from a `logogan evaluate` JSON file."""
    from keras_logogan.metrics.evaluate import summary_rows

    rows = {}
    for name, value, floor, _ in summary_rows(evaluation["metrics"]):
        rows[name] = f"{value:.4g}" if floor is None else f"{value:.4g} (real vs real: {floor:.4g})"
    samples = evaluation.get("num_samples")
    if samples is not None:
        rows["measured on"] = f"{samples} generated logos, `logogan evaluate` seed {evaluation['seed']}"
    return rows


if __name__ == "__main__":
    main()
