"""`benchmarks/speed.py --quick` trains real steps on the current backend and writes its result file.

The test checks the file's layout and that every measured number is
positive. It makes no claim about speed, because a shared test machine
cannot time anything reliably; the goals live in the benchmark.
"""

import json
import os
import subprocess
import sys

import keras

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPOSITORY, "benchmarks", "speed.py")
HEADLINE_KEYS = (
    "images_per_second",
    "ratio_vs_seed_loop",
    "ratio_vs_gradient_tape",
    "ratio_vs_pytorch",
    "generate_images_per_second",
    "flops_per_training_image",
    "fraction_of_matmul_peak",
    "machine",
    "date_utc",
    "command",
    "versions",
    "git",
    "settings",
    "runs",
)


def test_quick_run_writes_positive_numbers(tmp_path):
    backend = keras.config.backend()
    output = tmp_path / "speed.json"
    command = [
        sys.executable, SCRIPT, "--quick", "--loops", "logogan_fit", "--backends", backend,
        "--flops", "analytic", "--output", str(output),
    ]  # fmt: skip

    completed = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(output.read_text(encoding="utf-8"))
    missing = [key for key in HEADLINE_KEYS if key not in result]
    assert not missing, f"missing keys: {missing}"
    assert result["errors"] == []
    assert result["images_per_second"]["logogan_fit"][backend] > 0
    assert result["generate_images_per_second"][backend] > 0
    assert result["flops_per_training_image"] > 0
    assert result["matmul_peak_gflops"] > 0
    assert result["fraction_of_matmul_peak"][backend] > 0
    # Only logogan_fit ran, so there is no baseline to compare with.
    assert result["ratio_vs_gradient_tape"] is None

    (run,) = result["runs"]
    assert len(run["epochs"]) == result["settings"]["warmup_epochs"] + result["settings"]["epochs"]
    assert all(epoch["seconds"] > 0 and epoch["images_per_second"] > 0 for epoch in run["epochs"])
    assert run["networks"]["generator"]["trainable_parameters"] > 0
    if backend == "tensorflow":
        starts = result["epoch_starts"]["tensorflow"]
        assert (
            len(starts["array"])
            == len(starts["repeated_dataset"])
            == result["settings"]["epoch_start_epochs"]
        )
        assert all(epoch["first_step_seconds"] > 0 for epoch in starts["array"])


def _import_speed():
    sys.path.insert(0, os.path.join(REPOSITORY, "benchmarks"))
    try:
        import speed
    finally:
        sys.path.pop(0)
    return speed


def test_rounds_repeat_head_to_head_in_alternating_order():
    speed = _import_speed()
    plan = [
        ("logogan_fit", "tensorflow"),
        ("gradient_tape", "tensorflow"),
        ("pytorch_loop", "torch"),
        ("logogan_fit", "jax"),
        ("flops", "jax"),
    ]

    repeated = speed.rounds_plan(plan, rounds=3)

    head = plan[:3]
    assert repeated == [*head, *head[::-1], *head, ("logogan_fit", "jax"), ("flops", "jax")]


def test_median_round_with_every_rate():
    speed = _import_speed()
    runs = [
        {"loop": "gradient_tape", "backend": "tensorflow", "images_per_second": rate}
        for rate in (900.0, 1300.0, 1200.0)
    ] + [{"loop": "flops", "backend": "jax"}]

    medians = speed.median_rounds(runs)

    assert medians[0]["images_per_second"] == 1200.0
    assert medians[0]["rounds_images_per_second"] == [900.0, 1300.0, 1200.0]
    assert medians[1] == {"loop": "flops", "backend": "jax"}
