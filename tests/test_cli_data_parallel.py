"""`logogan train --data-parallel` on 4 CPU devices, run in a child process.

The CPU must be split into devices before JAX or TensorFlow starts, so each
run goes through a small script that calls `split_cpu` from
`data_parallel_run.py` and then the `logogan` entry point. Under the torch
backend only the error test runs.
"""

import csv
import os
import subprocess
import sys

import keras
import pytest

from keras_logogan import distribution
from keras_logogan.cli.main import main

TESTS_FOLDER = os.path.dirname(os.path.abspath(__file__))
CHILD_SCRIPT = f"""
import os
import sys
sys.path.insert(0, {TESTS_FOLDER!r})
from data_parallel_run import split_cpu
split_cpu(os.environ["KERAS_BACKEND"])
from keras_logogan.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
SMALL_RUN = ["--limit", "70", "--image-size", "16", "--width", "8", "--epochs", "2"]

needs_data_parallel_backend = pytest.mark.skipif(
    keras.config.backend() not in distribution.DATA_PARALLEL_BACKENDS,
    reason="Keras 3 has no data-parallel training on the torch backend",
)


def run_on_four_devices(arguments, folder):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, "train", *arguments],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@needs_data_parallel_backend
def test_data_parallel_run_drops_uneven_batch(tmp_path):
    arguments = [*SMALL_RUN, "--batch-size", "16", "--data-parallel", "--output", "run"]

    completed = run_on_four_devices(arguments, tmp_path)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Data-parallel training on 4 devices, 4 images per device" in completed.stdout
    # 70 images at batch 16 leave 6, which do not split across 4 devices.
    assert "drops its last 6 images" in completed.stdout
    with open(tmp_path / "run" / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2
    assert float(rows[1]["images_per_second"]) > 0
    assert (tmp_path / "run" / "model.keras").stat().st_size > 0


@needs_data_parallel_backend
def test_data_parallel_rejects_batch_not_splitting(tmp_path):
    arguments = [*SMALL_RUN, "--batch-size", "18", "--data-parallel", "--output", "run"]

    completed = run_on_four_devices(arguments, tmp_path)

    assert completed.returncode == 2
    assert "--batch-size 18 does not split across the 4 devices" in completed.stderr
    assert "such as 16" in completed.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(keras.config.backend() != "torch", reason="the torch backend's error")
def test_data_parallel_rejected_on_torch(tmp_path, capsys):
    arguments = ["train", *SMALL_RUN, "--data-parallel", "--output", str(tmp_path / "run")]

    with pytest.raises(SystemExit) as raised:
        main(arguments)

    assert raised.value.code == 2
    assert "no multi-device training on the torch backend" in capsys.readouterr().err


@needs_data_parallel_backend
def test_data_parallel_rejects_run_below_one_batch(tmp_path):
    arguments = ["--limit", "10", "--image-size", "16", "--width", "8", "--batch-size", "16"]

    completed = run_on_four_devices([*arguments, "--data-parallel", "--output", "run"], tmp_path)

    assert completed.returncode == 2
    assert "needs at least one full batch of 16 images" in completed.stderr
    assert "has 10 training images" in completed.stderr
