"""Measure LogoGAN's training throughput against hand-written loops, on every backend.

Every loop trains LogoGAN's default DCGAN pair (`dcgan_generator` and
`dcgan_discriminator` at their defaults, as `LogoGAN()` builds them) at the
same batch size on the shipped 32 px logos, cut to whole batches:

- logogan_fit: `LogoGAN()` compiled with its defaults, trained by
  `gan.fit` on the endless `make_epoch_dataset` with `steps_per_epoch`, as
  `logogan train` does, once per backend (tensorflow, jax, torch).
- gradient_tape: LogoGAN's step written by hand in one `tf.function` with
  one tape per network, the strongest hand-written TensorFlow baseline.
- hobby_loop: the hobby TF2 DCGAN's loop on today's TensorFlow, with an
  accuracy pass and a histogram of every weight after every batch.
- pytorch_loop: the same networks and step in plain PyTorch.

Each loop runs in its own worker process, because Keras fixes its backend
when it is first imported. The script starts the workers one after another
by running itself with `--worker LOOP --backend BACKEND` and reads the JSON
each one writes. A loop runs `--warmup-epochs` unmeasured epochs, then
`--epochs` measured ones of `--steps` steps each, and its throughput is the
median over the measured epochs. The `logogan_fit` workers also time
`gan.generate`, and on TensorFlow they time each step of short `fit` calls
on a uint8 array and on the endless dataset, to show whether an epoch
starts late. A JAX worker counts the FLOPs of one training step with XLA's
cost analysis, and the script measures the NumPy float32 matmul rate as
the machine's peak.

Run from the repository root:

    python benchmarks/speed.py                           # an estimated 14 to 23 minutes on 2 shared CPU cores
    python benchmarks/speed.py --quick --output /tmp/speed_quick.json   # a smoke test, 1 to 3 minutes
    python benchmarks/speed.py --loops logogan_fit --backends jax       # one backend
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import run_info
from run_info import positive_int
import speed_report
from speed_report import BACKENDS
from speed_report import DEFAULT_BACKEND
from speed_report import LOOPS

DEFAULT_OUTPUT = os.path.join(run_info.RESULTS_FOLDER, "speed.json")
# The backend each worker other than `logogan_fit` runs under. `pytorch_loop`
# imports Keras on torch only to count the Keras networks' parameters.
FIXED_BACKENDS = {
    "gradient_tape": "tensorflow",
    "hobby_loop": "tensorflow",
    "pytorch_loop": "torch",
    "flops": "jax",
    "tf_interleaved": "tensorflow",
}
WORKERS = (*LOOPS, "flops", "tf_interleaved")
# The workers that `--rounds` repeats: the default backend's fit and its baselines.
HEAD_TO_HEAD_LOOPS = LOOPS
VERSIONED_PACKAGES = (
    "keras-logogan", "keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "tensorboard",
)  # fmt: skip

# Option defaults as (full run, --quick). An option given on the command line wins.
DEFAULTS = {
    "steps": (20, 3),
    "epochs": (5, 2),
    "warmup_epochs": (1, 1),
    "batch_size": (256, 32),
    "generate_images": (4096, 256),
    "generate_repeats": (3, 2),
    "epoch_start_epochs": (3, 2),
    "epoch_start_images": (None, 256),
    "matmul_repeats": (10, 3),
    "interleaved_epochs": (10, 2),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_training_options(parser)
    add_check_options(parser)
    add_worker_options(parser)
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of weights, latents and shuffling (default: 0)"
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="a smoke test: 3 steps of 32 images, 2 measured epochs, small generate and epoch-start checks",
    )  # fmt: skip
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, metavar="FILE",
        help="JSON result file (default: benchmarks/results/speed.json)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    for name, (default, quick_default) in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, quick_default if args.quick else default)
    if args.worker is not None:
        args.backend = worker_backend(parser, args)
    return args


def add_training_options(parser):
    """Add the options that choose the loops and size their epochs."""
    parser.add_argument(
        "--steps", type=positive_int, metavar="N",
        help="training steps per epoch (default: 20, with --quick 3)",
    )  # fmt: skip
    parser.add_argument(
        "--epochs", type=positive_int, metavar="N",
        help="measured epochs per loop. The throughput is their median (default: 5, with --quick 2)",
    )  # fmt: skip
    parser.add_argument(
        "--warmup-epochs", type=non_negative_int, metavar="N",
        help="unmeasured epochs before the measured ones, which include tracing and "
        "compilation (default: 1)",
    )  # fmt: skip
    parser.add_argument(
        "--batch-size", type=positive_int, metavar="N",
        help="images per training step in every loop (default: 256, with --quick 32)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=positive_int, default=1, metavar="N",
        help="run the default backend's logogan_fit and the three hand-written loops N "
        "times, in reversed order every other round, and keep each one's median "
        "round; the other workers run once (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--steps-per-execution", type=positive_int, default=1, metavar="N",
        help="`steps_per_execution` of logogan_fit on TensorFlow and JAX. The torch "
        "backend takes 1 only (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--interleaved-epochs", type=non_negative_int, metavar="N",
        help="measured epochs of the tf_interleaved worker, which takes turns between "
        "logogan_fit on TensorFlow, gradient_tape and hobby_loop in one process; 0 skips "
        "it (default: 10, with --quick 2)",
    )  # fmt: skip
    parser.add_argument(
        "--loops", type=name_list(LOOPS), default=list(LOOPS), metavar="NAMES",
        help=f"comma-separated loops to run (default: {','.join(LOOPS)})",
    )  # fmt: skip
    parser.add_argument(
        "--backends", type=name_list(BACKENDS), default=list(BACKENDS), metavar="NAMES",
        help=f"comma-separated backends of logogan_fit (default: {','.join(BACKENDS)})",
    )  # fmt: skip


def add_check_options(parser):
    """Add the options of the FLOP count, the matmul peak, the generation timing and the epoch-start check."""
    parser.add_argument(
        "--flops", choices=("xla", "analytic"), default="xla",
        help="FLOPs per training image from XLA's cost analysis in a JAX worker, or from "
        "the analytic count of the layer shapes alone (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--matmul-repeats", type=positive_int, metavar="N",
        help="timed NumPy matmuls at the start and at the end of the run (default: 10, with --quick 3)",
    )  # fmt: skip
    parser.add_argument(
        "--generate-images", type=positive_int, metavar="N",
        help="images per timed gan.generate call (default: 4096, with --quick 256)",
    )  # fmt: skip
    parser.add_argument(
        "--generate-repeats", type=positive_int, metavar="N",
        help="timed gan.generate calls per batch size (default: 3, with --quick 2)",
    )  # fmt: skip
    parser.add_argument(
        "--epoch-start-backends", type=name_list(BACKENDS, allow_empty=True), default=[DEFAULT_BACKEND],
        metavar="NAMES",
        help="backends whose logogan_fit worker also times each step of short fit calls "
        "on a uint8 array and on the endless dataset. Empty for none (default: tensorflow)",
    )  # fmt: skip
    parser.add_argument(
        "--epoch-start-epochs", type=positive_int, metavar="N",
        help="epochs of each of those fit calls (default: 3, with --quick 2)",
    )  # fmt: skip
    parser.add_argument(
        "--epoch-start-images", type=positive_int, metavar="N",
        help="logos those fit calls train on (default: all 5,484, with --quick 256)",
    )  # fmt: skip


def add_worker_options(parser):
    """Add the options with which the script starts its own worker processes."""
    parser.add_argument(
        "--worker", choices=WORKERS, metavar="LOOP",
        help=f"run one worker in this process and write its JSON result: one of {', '.join(WORKERS)}",
    )  # fmt: skip
    parser.add_argument(
        "--backend", choices=BACKENDS,
        help="Keras backend of the --worker process (default: the loop's own, for logogan_fit "
        "$KERAS_BACKEND, else tensorflow)",
    )  # fmt: skip
    parser.add_argument(
        "--worker-output", metavar="FILE",
        help="where a --worker process writes its JSON result (default: standard output)",
    )  # fmt: skip


def worker_backend(parser, args):
    """Return the backend of a --worker process, or exit with a usage error if it cannot run there."""
    required = FIXED_BACKENDS.get(args.worker)
    if required is None:
        return args.backend or os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)
    if args.backend not in (None, required):
        parser.error(
            f"--worker {args.worker} runs on {required}. Received: --backend {args.backend}"
        )
    return required


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or a positive integer, received {text!r}")
    return value


def name_list(choices, allow_empty=False):
    """Return an argparse type that splits a comma-separated list and checks each name against `choices`."""

    def parse(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown names {unknown}. Use names from {list(choices)}"
            )
        if not names and not allow_empty:
            raise argparse.ArgumentTypeError(f"expected at least one of {list(choices)}")
        return names

    return parse


def worker_settings(args):
    """Return the settings every worker reads, from the parsed options."""
    return {
        "steps": args.steps,
        "epochs": args.epochs,
        "warmup_epochs": args.warmup_epochs,
        "batch_size": args.batch_size,
        "steps_per_execution": args.steps_per_execution,
        "seed": args.seed,
        "generate_images": args.generate_images,
        "generate_repeats": args.generate_repeats,
        "epoch_start_backends": args.epoch_start_backends,
        "epoch_start_epochs": args.epoch_start_epochs,
        "epoch_start_images": args.epoch_start_images,
        "matmul_repeats": args.matmul_repeats,
        "interleaved_epochs": args.interleaved_epochs,
    }


def run_worker(args):
    """Run the loop `args.worker` in this process and write its result as JSON."""
    # Keras reads the backend once, when it is first imported.
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    settings = worker_settings(args)

    if args.worker == "logogan_fit":
        import speed_loops

        result = speed_loops.run_logogan_fit(settings)
    elif args.worker == "gradient_tape":
        import speed_tf_loops

        result = speed_tf_loops.run_gradient_tape(settings)
    elif args.worker == "hobby_loop":
        import speed_tf_loops

        result = speed_tf_loops.run_hobby_loop(settings)
    elif args.worker == "tf_interleaved":
        import speed_interleaved

        result = speed_interleaved.run_tf_interleaved(settings)
    elif args.worker == "pytorch_loop":
        import speed_torch

        result = speed_torch.run_pytorch_loop(settings)
    else:
        result = count_flops(settings)

    text = json.dumps(result, indent=2)
    if args.worker_output:
        with open(args.worker_output, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
    else:
        print(text)
    return 0


def count_flops(settings):
    """Return the XLA FLOP count of one training step and the analytic description of the networks."""
    from keras_logogan.architectures import dcgan_discriminator
    from keras_logogan.architectures import dcgan_generator

    import speed_flops

    return {
        "loop": "flops",
        "backend": "jax",
        "xla": speed_flops.xla_step_flops(settings["batch_size"], settings["seed"]),
        "jax_matmul": speed_flops.jax_matmul_peak(settings["matmul_repeats"]),
        "networks": {
            "generator": speed_flops.describe_keras_network(dcgan_generator()),
            "discriminator": speed_flops.describe_keras_network(dcgan_discriminator()),
        },
    }


def plan_workers(args):
    """Return the `(worker, backend)` pairs to run, in order.

    `logogan_fit` on the default backend and its three baselines run first,
    next to each other, so that drifting load on a shared machine falls
    on them alike.
    """
    fit_backends = sorted(args.backends, key=lambda backend: backend != DEFAULT_BACKEND)
    plan = []
    if "logogan_fit" in args.loops and DEFAULT_BACKEND in fit_backends:
        plan.append(("logogan_fit", DEFAULT_BACKEND))
    for loop in ("gradient_tape", "hobby_loop", "pytorch_loop"):
        if loop in args.loops:
            plan.append((loop, FIXED_BACKENDS[loop]))
    if args.interleaved_epochs:
        plan.append(("tf_interleaved", "tensorflow"))
    if "logogan_fit" in args.loops:
        plan += [("logogan_fit", backend) for backend in fit_backends if backend != DEFAULT_BACKEND]
    if args.flops == "xla":
        plan.append(("flops", FIXED_BACKENDS["flops"]))
    return plan


def rounds_plan(plan, rounds):
    """Return `plan` with its head-to-head workers repeated `rounds` times, every other round reversed.

    The head-to-head workers are `logogan_fit` on the default backend and
    the three hand-written loops. Alternating their order spreads a drift in
    the machine's speed over all of them.
    """
    head_to_head = [
        (worker, backend)
        for worker, backend in plan
        if worker in HEAD_TO_HEAD_LOOPS and (worker != "logogan_fit" or backend == DEFAULT_BACKEND)
    ]
    others = [pair for pair in plan if pair not in head_to_head]
    repeated = []
    for round_index in range(rounds):
        repeated += head_to_head if round_index % 2 == 0 else head_to_head[::-1]
    return repeated + others


def median_rounds(runs):
    """Keep, per worker and backend, the run with the median images/s, with every round's images/s."""
    groups = {}
    for run in runs:
        groups.setdefault((run["loop"], run["backend"]), []).append(run)

    medians = []
    for group in groups.values():
        measured = [run for run in group if "images_per_second" in run]
        if len(group) == 1 or len(measured) < len(group):
            medians += group
            continue
        ordered = sorted(measured, key=lambda run: run["images_per_second"])
        median = dict(ordered[(len(ordered) - 1) // 2])
        median["rounds_images_per_second"] = [run["images_per_second"] for run in group]
        medians.append(median)
    return medians


def worker_command(worker, backend, args, output):
    """Return the command line that runs one worker with the resolved settings of this run."""
    command = [
        sys.executable, os.path.abspath(__file__), "--worker", worker, "--backend", backend,
        "--worker-output", output,
        "--steps", str(args.steps), "--epochs", str(args.epochs),
        "--warmup-epochs", str(args.warmup_epochs), "--batch-size", str(args.batch_size),
        "--seed", str(args.seed), "--steps-per-execution", str(args.steps_per_execution),
        "--generate-images", str(args.generate_images), "--generate-repeats", str(args.generate_repeats),
        "--epoch-start-backends", ",".join(args.epoch_start_backends),
        "--epoch-start-epochs", str(args.epoch_start_epochs),
        "--matmul-repeats", str(args.matmul_repeats),
        "--interleaved-epochs", str(args.interleaved_epochs),
    ]  # fmt: skip
    if args.epoch_start_images is not None:
        command += ["--epoch-start-images", str(args.epoch_start_images)]
    return command


def start_worker(worker, backend, args, work_dir):
    """Run one worker process to the end and return its result, or a dict with its error output."""
    output = os.path.join(work_dir, f"{worker}-{backend}.json")
    environment = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1")
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    load_before = list(os.getloadavg())
    started = time.perf_counter()
    completed = subprocess.run(
        worker_command(worker, backend, args, output),
        env=environment,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0 or not os.path.exists(output):
        return {
            "loop": worker,
            "backend": backend,
            "error": f"the worker failed with exit status {completed.returncode}",
            "stderr_tail": completed.stderr[-4000:],
            "process_seconds": seconds,
        }
    with open(output, encoding="utf-8") as stream:
        result = json.load(stream)
    result["process_seconds"] = seconds
    result["load_average_before_1_5_15_min"] = load_before
    result["load_average_after_1_5_15_min"] = list(os.getloadavg())
    return result


def main(argv=None):
    args = parse_args(argv)
    if args.worker is not None:
        return run_worker(args)

    import speed_flops

    started_utc = run_info.utc_now()
    started = time.perf_counter()
    machine = run_info.describe_machine()
    matmul_at_start = speed_flops.matmul_peak(args.matmul_repeats)
    print(f"NumPy float32 matmul peak: {matmul_at_start['best_gflops']:.1f} GFLOP/s", flush=True)

    runs = []
    with tempfile.TemporaryDirectory(prefix="logogan-speed-") as work_dir:
        for worker, backend in rounds_plan(plan_workers(args), args.rounds):
            print(f"running {worker} on {backend} ...", flush=True)
            run = start_worker(worker, backend, args, work_dir)
            runs.append(run)
            print_worker_line(run)
    runs = median_rounds(runs)

    matmul_at_end = speed_flops.matmul_peak(args.matmul_repeats)
    machine["load_average_at_end_1_5_15_min"] = list(os.getloadavg())
    result = {
        "benchmark": "speed",
        "date_utc": started_utc,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "run_seconds": None,
        "machine": machine,
        "versions": run_info.package_versions(VERSIONED_PACKAGES),
        "numpy_blas": speed_flops.numpy_blas(),
        "git": run_info.git_revision(),
        "settings": describe_settings(args),
        **speed_report.summarize(runs, matmul_at_start, matmul_at_end),
        "runs": runs,
    }
    result["run_seconds"] = time.perf_counter() - started

    path = run_info.write_result(result, args.output)
    speed_report.print_report(result)
    print(f"Wrote {path} after {result['run_seconds']:.0f} s")
    return 1 if result["errors"] else 0


def describe_settings(args):
    """Return the settings of this run for the result file."""
    from keras_logogan.datasets import load_icons

    source_logos = len(load_icons(32))
    return {
        **worker_settings(args),
        "loops": args.loops,
        "backends": args.backends,
        "default_backend": DEFAULT_BACKEND,
        "flops": args.flops,
        "quick": args.quick,
        "image_size": 32,
        "source_logos": source_logos,
        "training_images": max(1, source_logos // args.batch_size) * args.batch_size,
        "networks": "dcgan_generator() and dcgan_discriminator() at their defaults, as LogoGAN() builds them",
        "workers": [f"{worker}/{backend}" for worker, backend in plan_workers(args)],
        "rounds": args.rounds,
    }


def print_worker_line(run):
    if "error" in run:
        print(
            f"    FAILED: {run['error']}. The last lines of its error output:\n{run['stderr_tail'][-1500:]}",
            flush=True,
        )
    elif "images_per_second" in run:
        print(
            f"    {run['images_per_second']:.1f} images/s (median of {run['measured_epochs']} epochs), "
            f"{run['process_seconds']:.0f} s in all",
            flush=True,
        )
    elif "paired_ratios" in run:
        ratios = ", ".join(
            f"vs {name} {ratios['median']:.2f}" for name, ratios in run["paired_ratios"].items()
        )
        print(f"    fit on tensorflow, median paired ratio {ratios}, {run['process_seconds']:.0f} s in all")
    else:
        print(f"    done in {run['process_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
