"""`logogan train --resume`: runs killed with SIGKILL, resumed, and compared with uninterrupted ones.

Every `logogan train` here is a child process that inherits KERAS_BACKEND
from the test process, so running this file under each backend checks that
backend's checkpoints.
"""

import csv
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import keras
import numpy as np
import pytest
from PIL import Image

from keras_logogan.callbacks import TrainingCheckpoint
from keras_logogan.callbacks.checkpoint import first_non_finite_variable
from keras_logogan.callbacks.checkpoint import load_checkpoint
from keras_logogan.callbacks.checkpoint import read_checkpoint
from keras_logogan.cli.resume import trim_metrics_csv

EPOCHS = 4
# 64 images in batches of 16. Fewer than 200 images keep none out for the checks.
STEPS_PER_EPOCH = 4
TRAIN_OPTIONS = [
    "--image-size", "16",
    "--width", "8",
    "--limit", "64",
    "--batch-size", "16",
    "--epochs", str(EPOCHS),
    # A 64-image run checks and saves grids every 79 epochs by default.
    "--check-every", "1",
    "--grid-every", "1",
    # Scores every epoch and keeps the best, so resuming must carry that on.
    "--keep-best",
    "--quiet",
]  # fmt: skip
KILL_AFTER_EPOCH = 2
# A learning rate that makes the first training step produce NaN losses.
EXPLODING_LEARNING_RATE = "1e30"
PROCESS_TIMEOUT = 240
# Environment of the `logogan` child processes; `child_environment` adds to it.
CHILD_ENVIRONMENT = dict(os.environ)


@pytest.fixture(scope="module", autouse=True)
def child_environment(tmp_path_factory):
    """Share one persistent JAX compilation cache between the child processes.

    Under JAX each process otherwise compiles the same few dozen small
    functions again: one tiny resumed run took 16 s without the cache and
    7.5 s with it, on 2 shared CPU cores. Other backends ignore these
    variables.
    """
    cache = tmp_path_factory.mktemp("jax_cache")
    CHILD_ENVIRONMENT.update(
        JAX_COMPILATION_CACHE_DIR=str(cache),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
    )


def logogan_command(*arguments):
    return [sys.executable, "-m", "keras_logogan", *map(str, arguments)]


def start_logogan(*arguments, **popen_options):
    """Start `logogan ARGUMENTS` in a child process and return its `Popen`."""
    return subprocess.Popen(logogan_command(*arguments), env=CHILD_ENVIRONMENT, **popen_options)


def run_logogan(*arguments):
    """Run `logogan ARGUMENTS` to completion and return the `CompletedProcess`."""
    return subprocess.run(
        logogan_command(*arguments),
        env=CHILD_ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def checkpoint_epoch(run_folder):
    """Return the epoch count in the run's checkpoint.json, or None while there is none."""
    try:
        with open(run_folder / "checkpoint" / "checkpoint.json", encoding="utf-8") as stream:
            return json.load(stream)["epoch"]
    except (OSError, ValueError, KeyError):
        return None


def kill_after_checkpoint(process, run_folder, epoch):
    """SIGKILL `process` as soon as the checkpoint of `epoch` exists; return the epoch it contains."""
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while time.monotonic() < deadline:
        saved = checkpoint_epoch(run_folder)
        if saved is not None and saved >= epoch:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
            return saved
        if process.poll() is not None:
            pytest.fail(f"logogan train exited with {process.returncode} before epoch {epoch}")
        time.sleep(0.005)
    process.kill()
    pytest.fail(f"no checkpoint of epoch {epoch} within {PROCESS_TIMEOUT} s")


def read_metric_epochs(run_folder):
    with open(run_folder / "metrics.csv", newline="", encoding="utf-8") as stream:
        return [row["epoch"] for row in csv.DictReader(stream)]


def relative_files(run_folder):
    return sorted(
        os.path.relpath(os.path.join(folder, name), run_folder)
        for folder, _, names in os.walk(run_folder)
        for name in names
    )


def optimizer_iterations(model_path):
    gan = keras.saving.load_model(model_path)
    return (
        int(keras.ops.convert_to_numpy(gan.generator_optimizer.iterations)),
        int(keras.ops.convert_to_numpy(gan.discriminator_optimizer.iterations)),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An uninterrupted run, and a run killed after epoch 2 and then resumed.

    The two first runs train at the same time to save wall-clock time.
    """
    base = tmp_path_factory.mktemp("resume")
    complete, killed = base / "complete", base / "killed"
    complete_process = start_logogan(
        "train",
        *TRAIN_OPTIONS,
        "--output",
        complete,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed_process = start_logogan(
        "train",
        *TRAIN_OPTIONS,
        "--output",
        killed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = kill_after_checkpoint(killed_process, killed, KILL_AFTER_EPOCH)
    files_after_kill = relative_files(killed)
    _, complete_errors = complete_process.communicate(timeout=PROCESS_TIMEOUT)
    assert complete_process.returncode == 0, complete_errors

    resumed = run_logogan("train", "--resume", killed)
    return {
        "complete": complete,
        "killed": killed,
        "killed_status": killed_process.returncode,
        "killed_at": killed_at,
        "files_after_kill": files_after_kill,
        "resumed": resumed,
    }


# kill, resume and compare


def test_kill_interrupts_run(runs):
    assert runs["killed_status"] == -signal.SIGKILL
    assert KILL_AFTER_EPOCH <= runs["killed_at"] < EPOCHS
    assert "model.keras" not in runs["files_after_kill"]
    assert "checkpoint/checkpoint.json" in runs["files_after_kill"]


def test_resume_exits_zero(runs):
    resumed = runs["resumed"]

    assert resumed.returncode == 0, resumed.stderr
    assert "model.keras" in resumed.stdout


def test_resume_writes_each_epoch_once(runs):
    expected = [str(epoch) for epoch in range(EPOCHS)]

    assert read_metric_epochs(runs["complete"]) == expected
    assert read_metric_epochs(runs["killed"]) == expected


def test_resume_matches_optimizer_iterations(runs):
    complete = optimizer_iterations(runs["complete"] / "model.keras")
    resumed = optimizer_iterations(runs["killed"] / "model.keras")

    assert resumed == complete
    assert complete == (EPOCHS * STEPS_PER_EPOCH, EPOCHS * STEPS_PER_EPOCH)



def model_state(model_path):
    """Return `(path, value)` for each variable of the saved model and of its two optimizers."""
    gan = keras.saving.load_model(model_path)
    variables = [
        *gan.variables,
        *gan.generator_optimizer.variables,
        *gan.discriminator_optimizer.variables,
    ]
    return [(variable.path, keras.ops.convert_to_numpy(variable)) for variable in variables]


def test_resume_matches_weights_exactly(runs):
    complete = model_state(runs["complete"] / "model.keras")
    resumed = model_state(runs["killed"] / "model.keras")

    assert [path for path, _ in resumed] == [path for path, _ in complete]
    for (path, resumed_value), (_, complete_value) in zip(resumed, complete):
        np.testing.assert_array_equal(resumed_value, complete_value, err_msg=path)

def best_checks(run_folder):
    """Return best.json of the run without the timings, which differ between processes."""
    state = json.loads((run_folder / "best.json").read_text(encoding="utf-8"))
    state.pop("weights_file")
    for check in state["history"]:
        check.pop("seconds")
        check.pop("training_seconds")
    return state


def test_resume_keeps_the_best_check(runs):
    complete, resumed = best_checks(runs["complete"]), best_checks(runs["killed"])

    assert resumed == complete
    assert [check["epoch"] for check in complete["history"]] == list(range(1, EPOCHS + 1))
    assert complete["best_value"] == min(check["swd"] for check in complete["history"])
    assert "best check:   epoch" in runs["resumed"].stdout


def test_resume_writes_the_same_best_model(runs):
    complete = model_state(runs["complete"] / "best.keras")
    resumed = model_state(runs["killed"] / "best.keras")

    for (path, resumed_value), (_, complete_value) in zip(resumed, complete):
        np.testing.assert_array_equal(resumed_value, complete_value, err_msg=path)


def test_best_model_holds_the_best_weights(runs):
    best = keras.saving.load_model(runs["complete"] / "best.keras")
    from_weights = keras.saving.load_model(runs["complete"] / "model.keras")
    from_weights.load_weights(runs["complete"] / "best.weights.h5")

    for saved, loaded in zip(best.weights, from_weights.weights):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(saved), keras.ops.convert_to_numpy(loaded), err_msg=saved.path
        )


def test_resume_leaves_same_files(runs):
    files = relative_files(runs["killed"])

    assert files == relative_files(runs["complete"])
    assert not any(name.startswith(".") for path in files for name in path.split(os.sep))
    assert not any(path.startswith("checkpoint") for path in files)


@pytest.mark.parametrize("run_name", ["complete", "killed"])
def test_run_files_are_readable(runs, run_name):
    run_folder = runs[run_name]

    for path in relative_files(run_folder):
        full_path = run_folder / path
        if path.endswith(".png"):
            with Image.open(full_path) as picture:
                picture.verify()
        elif path.endswith(".keras"):
            with zipfile.ZipFile(full_path) as archive:
                assert archive.testzip() is None, path
            keras.saving.load_model(full_path)
        elif path.endswith(".h5"):
            with h5py.File(full_path, "r") as weights:
                assert len(weights.keys()) > 0, path
        elif path.endswith(".npy"):
            np.load(full_path, allow_pickle=False)
        elif path.endswith(".json"):
            json.loads(full_path.read_text(encoding="utf-8"))


def test_resume_is_recorded_in_run_config(runs):
    config = json.loads((runs["killed"] / "run_config.json").read_text(encoding="utf-8"))

    assert config["options"]["epochs"] == EPOCHS
    assert len(config["resumes"]) == 1
    assert config["resumes"][0]["from_epoch"] == runs["killed_at"]
    assert config["resumes"][0]["backend"] == keras.config.backend()


# completed runs


def test_resume_of_finished_run_exits_zero(runs):
    result = run_logogan("train", "--resume", runs["complete"])

    assert result.returncode == 0, result.stderr
    assert "already finished all 4 epochs" in result.stdout
    assert read_metric_epochs(runs["complete"]) == [str(epoch) for epoch in range(EPOCHS)]


def test_resume_with_higher_epochs_extends_run(runs, tmp_path):
    run_folder = tmp_path / "extended"
    shutil.copytree(runs["complete"], run_folder)

    result = run_logogan("train", "--resume", run_folder, "--epochs", EPOCHS + 1)

    assert result.returncode == 0, result.stderr
    assert read_metric_epochs(run_folder) == [str(epoch) for epoch in range(EPOCHS + 1)]
    steps = (EPOCHS + 1) * STEPS_PER_EPOCH
    assert optimizer_iterations(run_folder / "model.keras") == (steps, steps)
    assert (run_folder / "samples" / f"epoch_{EPOCHS + 1:04d}.png").exists()
    assert not (run_folder / "checkpoint").exists()
    assert len(best_checks(run_folder)["history"]) == EPOCHS + 1


# invalid requests


def test_resume_rejects_folder_without_run(tmp_path):
    result = run_logogan("train", "--resume", tmp_path)

    assert result.returncode == 2
    assert "is not a `logogan train` run folder" in result.stderr
    assert "run_config.json" in result.stderr


def test_resume_rejects_missing_folder(tmp_path):
    result = run_logogan("train", "--resume", tmp_path / "missing")

    assert result.returncode == 2
    assert "was not found" in result.stderr


def test_resume_rejects_fixed_options(runs):
    result = run_logogan("train", "--resume", runs["complete"], "--width", "4", "--seed", "3")

    assert result.returncode == 2
    assert "--seed, --width cannot be given with --resume" in result.stderr


def test_resume_rejects_lower_epochs(runs):
    result = run_logogan("train", "--resume", runs["complete"], "--epochs", EPOCHS - 1)

    assert result.returncode == 2
    assert f"--epochs: {EPOCHS - 1} is below the {EPOCHS} epochs" in result.stderr


# NaN losses


@pytest.fixture(scope="module")
def exploded_run(tmp_path_factory):
    """A run whose first step gives NaN losses, then the same run resumed at a normal rate."""
    run_folder = tmp_path_factory.mktemp("nan") / "run"
    options = [*TRAIN_OPTIONS, "--epochs", "2", "--no-checks"]
    stopped = run_logogan(
        "train", *options, "--learning-rate", EXPLODING_LEARNING_RATE, "--output", run_folder
    )
    kept_checkpoint = read_checkpoint(run_folder / "checkpoint")
    kept_values = [] if kept_checkpoint is None else float_datasets(kept_checkpoint.weights_path)
    files_after_stop = relative_files(run_folder)
    config_after_stop = json.loads((run_folder / "run_config.json").read_text())
    resumed = run_logogan("train", "--resume", run_folder, "--learning-rate", "2e-4")
    return {
        "config_after_stop": config_after_stop,
        "folder": run_folder,
        "stopped": stopped,
        "files_after_stop": files_after_stop,
        "kept_checkpoint": kept_checkpoint,
        "kept_values": kept_values,
        "resumed": resumed,
    }


def float_datasets(weights_path):
    """Return the float arrays stored in an HDF5 weights file."""
    values = []

    def collect(name, item):
        if isinstance(item, h5py.Dataset) and np.issubdtype(item.dtype, np.floating):
            values.append(item[()])

    with h5py.File(weights_path, "r") as weights:
        weights.visititems(collect)
    return values


def test_nan_stop_keeps_finite_checkpoint(exploded_run):
    kept_checkpoint = exploded_run["kept_checkpoint"]

    assert kept_checkpoint is not None
    assert kept_checkpoint.epoch == 0
    assert exploded_run["kept_values"]
    assert all(np.all(np.isfinite(value)) for value in exploded_run["kept_values"])


def test_nan_stop_explains_resume(exploded_run):
    stopped = exploded_run["stopped"]

    # 3: stopped early, with every file written.
    assert stopped.returncode == 3, stopped.stderr
    assert "training stopped at epoch 1" in stopped.stderr
    assert f"--resume {exploded_run['folder']} --learning-rate 5e+29" in stopped.stderr


def test_nan_stop_is_recorded_until_resumed(exploded_run):
    stop = exploded_run["config_after_stop"]["stopped_early"]
    config_after_resume = json.loads((exploded_run["folder"] / "run_config.json").read_text())

    assert stop["after_epoch"] == 0
    assert stop["epochs"] == 2
    assert "was not finite at epoch 1" in stop["reason"]
    assert "stopped_early" not in config_after_resume


def test_nan_stop_keeps_no_best_check(exploded_run):
    # The only check saw the NaN weights, whose samples cannot be scored.
    assert "best check:   none" in exploded_run["stopped"].stdout
    assert "best.keras" not in exploded_run["files_after_stop"]
    assert "best.weights.h5" not in exploded_run["files_after_stop"]


def test_nan_run_resumes_with_lower_rate(exploded_run):
    resumed = exploded_run["resumed"]
    run_folder = exploded_run["folder"]

    assert resumed.returncode == 0, resumed.stderr
    assert read_metric_epochs(run_folder) == ["0", "1"]
    gan = keras.saving.load_model(run_folder / "model.keras")
    learning_rate = float(keras.ops.convert_to_numpy(gan.generator_optimizer.learning_rate))
    assert learning_rate == pytest.approx(2e-4)
    assert first_non_finite_variable(gan) is None
    assert not (run_folder / "checkpoint").exists()


# helpers, in this process


class PoisonWeights(keras.callbacks.Callback):
    """Write NaN into one discriminator weight at the end of epoch `epoch` (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            bias = self.model.discriminator.get_layer("logits").bias
            bias.assign(np.full(bias.shape, np.nan, dtype="float32"))


def test_checkpoint_skips_non_finite_epoch(make_gan, logo_images, tmp_path, caplog):
    gan = make_gan()
    checkpoint = TrainingCheckpoint(tmp_path)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        gan.fit(
            logo_images,
            batch_size=16,
            epochs=2,
            verbose=0,
            callbacks=[PoisonWeights(epoch=1), checkpoint],
        )

    assert checkpoint.last_saved_epoch == 1
    assert checkpoint.skipped_epoch == 2
    assert read_checkpoint(tmp_path).epoch == 1
    messages = [record.getMessage() for record in caplog.records if record.name == "keras_logogan"]
    assert any("Not saving the checkpoint of epoch 2" in message for message in messages)
    restored = make_gan()
    assert load_checkpoint(restored, tmp_path).epoch == 1
    assert first_non_finite_variable(restored) is None


def test_checkpoint_restores_seed_generator_state(make_gan, logo_images, tmp_path):
    gan = make_gan()
    gan.fit(logo_images, batch_size=16, epochs=1, verbose=0, callbacks=[TrainingCheckpoint(tmp_path)])
    trained_state = keras.ops.convert_to_numpy(gan.seed_generator.state)

    restored = make_gan()
    load_checkpoint(restored, tmp_path)

    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored.seed_generator.state), trained_state)
    assert np.any(trained_state != keras.ops.convert_to_numpy(make_gan().seed_generator.state))


def test_trim_metrics_csv_keeps_completed_epochs(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(
        "epoch,d_loss,g_loss\r\n"
        "0,1.0,2.0\r\n"
        "1,1.1,2.1\r\n"
        "1,1.2,2.2\r\n"
        "2,1.3,2.3\r\n"
        "3,1.4",
        encoding="utf-8",
    )

    missing = trim_metrics_csv(path, 2, ["d_loss", "g_loss", "seconds"])

    assert missing == []
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert rows[1]["d_loss"] == "1.2"
    assert rows[0]["seconds"] == "NA"
    assert os.listdir(tmp_path) == ["metrics.csv"]


def test_trim_metrics_csv_reports_missing_epochs(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,d_loss\r\n1,1.0\r\n", encoding="utf-8")

    assert trim_metrics_csv(path, 3, ["d_loss"]) == [0, 2]
