"""Measure LogoGAN's JAX training throughput under XLA:CPU flags that route work to other kernels.

XLA reads `XLA_FLAGS` once, when JAX starts, so each variant trains in its
own child process: the default LogoGAN (DCGAN, batch 256) on the shipped
32 px logos, one unmeasured epoch for compilation, then `--epochs` measured
epochs. Every round runs all variants, in reversed order every other round,
and the result keeps each variant's median over rounds and its ratio to the
default flags.

The variants are the flags of jaxlib 0.10 that hand convolutions, matrix
products or fusions to oneDNN, XNNPACK or YNNPACK. On the benchmark CPU
none of them trained faster than the defaults (see docs/training-speed.md).

Run from the repository root:

    python benchmarks/jax_xla_flags.py                # about 8 minutes on 2 cores
    python benchmarks/jax_xla_flags.py --quick        # two variants, tiny steps, about 1 minute
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import run_info
from run_info import positive_int

DEFAULT_OUTPUT = os.path.join(run_info.RESULTS_FOLDER, "jax_xla_flags.json")
VARIANTS = {
    "default": "",
    "onednn": "--xla_cpu_use_onednn=true",
    "onednn_custom_call": "--xla_cpu_experimental_onednn_custom_call=true",
    "xnnpack": "--xla_cpu_use_xnnpack=true",
    "xnn_graph_greedy": "--xla_cpu_experimental_xnn_graph_fusion_mode=XNN_GRAPH_FUSION_MODE_GREEDY",
    "ynn_fusions": "--xla_cpu_experimental_ynn_fusion_type=dot,eltwise,reduce",
}
QUICK_VARIANTS = ("default", "onednn")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time LogoGAN training on JAX under several XLA:CPU flag sets, "
        "one child process per variant."
    )
    parser.add_argument("--rounds", type=positive_int, default=2, metavar="N",
                        help="rounds over all variants (default: %(default)s)")  # fmt: skip
    parser.add_argument("--epochs", type=positive_int, default=3, metavar="N",
                        help="measured epochs per variant and round (default: %(default)s)")  # fmt: skip
    parser.add_argument("--steps", type=positive_int, default=12, metavar="N",
                        help="training steps per epoch (default: %(default)s)")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=256, metavar="N",
                        help="images per step (default: %(default)s)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="two variants, one round, 2 steps of 32 images: a smoke test")  # fmt: skip
    parser.add_argument("--output", default=DEFAULT_OUTPUT, metavar="FILE",
                        help="result JSON file (default: %(default)s)")  # fmt: skip
    parser.add_argument("--worker", metavar="VARIANT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.epochs, args.steps, args.batch_size = 1, 1, 2, 32
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker is not None:
        print(json.dumps(train_and_time(args)))
        return 0

    started = run_info.utc_now()
    names = QUICK_VARIANTS if args.quick else tuple(VARIANTS)
    rounds = []
    for round_index in range(args.rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        rounds.append({name: run_worker(name, args) for name in order})
        print(f"round {round_index + 1}/{args.rounds}: " + ", ".join(
            f"{name} {rounds[-1][name]['images_per_second']:.0f}" for name in names
        ) + " images/s", flush=True)  # fmt: skip

    result = summarize(rounds, names, args, started)
    path = run_info.write_result(result, args.output)
    print_table(result)
    print(f"Wrote {path}")
    return 0


def run_worker(name, args):
    """Train in a child process with the variant's `XLA_FLAGS` and return its timing."""
    command = [
        sys.executable, os.path.abspath(__file__), "--worker", name,
        "--epochs", str(args.epochs), "--steps", str(args.steps),
        "--batch-size", str(args.batch_size),
    ]  # fmt: skip
    environment = dict(os.environ, KERAS_BACKEND="jax", XLA_FLAGS=VARIANTS[name])
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    completed = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"the {name} worker (XLA_FLAGS={VARIANTS[name]!r}) failed with exit status "
            f"{completed.returncode}:\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def train_and_time(args):
    """In the worker: train the default LogoGAN and return images/s per measured epoch."""
    import keras

    from keras_logogan import LogoGAN
    from keras_logogan.datasets import load_icons

    images = load_icons(32)[: args.steps * args.batch_size]
    keras.utils.set_random_seed(0)
    gan = LogoGAN(seed=0)
    gan.compile()
    started = time.perf_counter()
    gan.fit(images, batch_size=args.batch_size, epochs=1, verbose=0)
    compile_seconds = time.perf_counter() - started

    per_epoch = []
    for _ in range(args.epochs):
        started = time.perf_counter()
        history = gan.fit(images, batch_size=args.batch_size, epochs=1, verbose=0)
        per_epoch.append(len(images) / (time.perf_counter() - started))
    return {
        "images_per_second": statistics.median(per_epoch),
        "images_per_second_per_epoch": per_epoch,
        "first_epoch_seconds": compile_seconds,
        "last_d_loss": float(history.history["d_loss"][-1]),
    }


def summarize(rounds, names, args, started):
    medians = {name: statistics.median(r[name]["images_per_second"] for r in rounds) for name in names}
    return {
        "benchmark": "jax_xla_flags",
        "date_utc": started,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": run_info.describe_machine(),
        "versions": run_info.package_versions(["keras-logogan", "keras", "jax", "jaxlib", "numpy"]),
        "git": run_info.git_revision(),
        "settings": {
            "rounds": args.rounds,
            "epochs": args.epochs,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "quick": args.quick,
        },
        "xla_flags": {name: VARIANTS[name] for name in names},
        "images_per_second": medians,
        "ratio_vs_default": {name: medians[name] / medians["default"] for name in names},
        "rounds": rounds,
    }


def print_table(result):
    print(f"{'variant':<20} {'images/s':>9} {'vs default':>11}  XLA_FLAGS")
    for name, value in result["images_per_second"].items():
        ratio = result["ratio_vs_default"][name]
        print(f"{name:<20} {value:>9.0f} {ratio:>10.2f}x  {result['xla_flags'][name] or '(none)'}")


if __name__ == "__main__":
    sys.exit(main())
