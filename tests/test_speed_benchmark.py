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
from benchmark_modules import import_benchmark

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
        "--flops", "analytic", "--interleaved-epochs", "0", "--output", str(output),
    ]  # fmt: skip

    completed = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["interleaved"] is None
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


def test_rounds_repeat_head_to_head_in_alternating_order():
    speed = import_benchmark("speed")
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
    speed = import_benchmark("speed")
    runs = [
        {"loop": "gradient_tape", "backend": "tensorflow", "images_per_second": rate}
        for rate in (900.0, 1300.0, 1200.0)
    ] + [{"loop": "flops", "backend": "jax"}]

    medians = speed.median_rounds(runs)

    assert medians[0]["images_per_second"] == 1200.0
    assert medians[0]["rounds_images_per_second"] == [900.0, 1300.0, 1200.0]
    assert medians[1] == {"loop": "flops", "backend": "jax"}


def test_interleaved_worker_takes_turns_and_pairs_epochs(tmp_path):
    # The worker runs on TensorFlow whatever the test's backend, as the
    # hand-written TensorFlow loops do.
    output = tmp_path / "speed.json"
    command = [
        sys.executable, SCRIPT, "--quick", "--loops", "gradient_tape", "--backends", "tensorflow",
        "--flops", "analytic", "--interleaved-epochs", "2", "--epoch-start-backends", "",
        "--output", str(output),
    ]  # fmt: skip

    completed = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(output.read_text(encoding="utf-8"))
    (run,) = [run for run in result["runs"] if run["loop"] == "tf_interleaved"]
    warmup = result["settings"]["warmup_epochs"]
    for name in ("logogan_fit", "gradient_tape", "hobby_loop"):
        epochs = run["loops"][name]["epochs"]
        assert len(epochs) == warmup + 2
        assert all(epoch["images_per_second"] > 0 for epoch in epochs)
    per_cycle = run["paired_ratios"]["gradient_tape"]["per_cycle"]
    assert len(per_cycle) == 2 and all(value > 0 for value in per_cycle)
    interleaved = result["interleaved"]
    assert interleaved["measured_cycles"] == 2
    assert interleaved["ratio_vs_gradient_tape"] == run["paired_ratios"]["gradient_tape"]["median"]
    goals = [goal["goal"] for goal in result["goals"]]
    assert "logogan_fit on tensorflow / gradient_tape, in turns in one process" in goals


def test_paired_ratios_divide_epochs_of_the_same_cycle():
    speed_interleaved = import_benchmark("speed_interleaved")

    def records(*rates):
        return [
            {"warmup": index == 0, "images_per_second": rate} for index, rate in enumerate(rates)
        ]

    ratios = speed_interleaved.paired_ratios(
        {
            "logogan_fit": records(1.0, 100.0, 90.0, 120.0),
            "gradient_tape": records(5.0, 100.0, 60.0, 100.0),
            "hobby_loop": records(5.0, 50.0, 45.0, 40.0),
        }
    )

    assert ratios["gradient_tape"]["per_cycle"] == [1.0, 1.5, 1.2]
    assert ratios["gradient_tape"]["median"] == 1.2
    assert ratios["hobby_loop"]["median"] == 2.0
