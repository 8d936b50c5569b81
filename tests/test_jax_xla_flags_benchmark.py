"""`benchmarks/jax_xla_flags.py --quick` trains real JAX steps under two flag sets and writes its result file.

The script always trains on JAX in child processes, so the test runs once,
in the JAX pass of the suite. It checks the file's layout and that every
number is positive, and makes no claim about speed.
"""

import json
import os
import subprocess
import sys

import keras
import pytest
from benchmark_modules import import_benchmark

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPOSITORY, "benchmarks", "jax_xla_flags.py")

pytestmark = pytest.mark.skipif(
    keras.config.backend() != "jax",
    reason="the script trains on JAX in its own processes; the JAX pass of the suite runs it",
)


def test_quick_run_writes_each_variant(tmp_path):
    output = tmp_path / "flags.json"

    completed = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(output.read_text())
    assert set(result["images_per_second"]) == {"default", "onednn"}
    assert all(value > 0 for value in result["images_per_second"].values())
    assert result["ratio_vs_default"]["default"] == 1.0
    assert result["xla_flags"]["onednn"] == "--xla_cpu_use_onednn=true"
    (round_result,) = result["rounds"]
    assert all(len(run["images_per_second_per_epoch"]) == 1 for run in round_result.values())
    assert "onednn" in completed.stdout


def test_failing_worker_names_its_flags(tmp_path, monkeypatch):
    jax_xla_flags = import_benchmark("jax_xla_flags")
    monkeypatch.setitem(jax_xla_flags.VARIANTS, "default", "--xla_no_such_flag=true")
    args = jax_xla_flags.parse_args(["--quick", "--output", str(tmp_path / "flags.json")])

    with pytest.raises(RuntimeError, match="xla_no_such_flag"):
        jax_xla_flags.run_worker("default", args)
