"""Compare LogoGAN training throughput on images loaded by `image_folder` and on an in-memory array.

The script writes the shipped 32 px logos as PNG files to a temporary folder
and trains two `LogoGAN` models, built from the same seeded weights, one per
variant:

- folder: `image_folder(folder, cache_dir=...)`, then `make_dataset`. The
  first load decodes every file and writes the cache (cold cache). Every
  later load reads the decoded `.npz` cache file (warm cache).
- memory: the same images as a uint8 array from `load_icons(32)`, passed to
  `gan.fit`, which wraps it with `make_dataset`.

Each model first trains one epoch that is not measured, because it includes
tracing or compilation of the training step. Then, in every round, each
variant loads its data again and trains `--epochs` epochs in its own `fit`
call, and the variant that goes first alternates between rounds. Alternating
single epochs keeps the two variants seconds apart, so that load from other
processes on a shared machine falls on both alike. The time `image_folder`
takes to load is reported on its own, outside the training throughput.

Run from the repository root:

    python benchmarks/input_pipeline.py                            # about 3.5 minutes on 2 busy CPU cores
    python benchmarks/input_pipeline.py --images 1000 --rounds 2   # a quick check, under a minute
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

import run_info
from run_info import positive_int

DEFAULT_OUTPUT = os.path.join(run_info.RESULTS_FOLDER, "input_pipeline.json")
IMAGE_SIZE = 32
RATIO_GOAL = 0.95
BOOTSTRAP_SAMPLES = 10000
BACKENDS = ("tensorflow", "jax", "torch")
VARIANTS = ("folder", "memory")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Measure LogoGAN training throughput (images/s) with images from "
        "image_folder + make_dataset and with the same images as an in-memory uint8 array."
    )
    parser.add_argument(
        "--images", type=positive_int, default=5000, metavar="N",
        help="number of PNG files to write and train on, taken from the 5,484 shipped "
        "logos and repeated when N is larger (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=positive_int, default=8, metavar="N",
        help="measured rounds. Each round trains both variants, and the variant that goes "
        "first alternates (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--epochs", type=positive_int, default=1, metavar="N",
        help="measured epochs per variant in each round (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--width", type=positive_int, default=32, metavar="N",
        help="base filter count of the DCGAN networks (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--batch-size", type=positive_int, default=32, metavar="N",
        help="images per training step, as in `logogan train` (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--decode-repeats", type=int, default=3, metavar="N",
        help="extra timed decodes of the folder with the cache turned off, before training "
        "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--backend", choices=BACKENDS, default=os.environ.get("KERAS_BACKEND", "tensorflow"),
        help="Keras backend (default: $KERAS_BACKEND, else tensorflow)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int, default=0,
        help="seed of the initial weights, the latents and the shuffling (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--work-dir", default=None, metavar="FOLDER",
        help="folder in which the temporary PNG and cache folder is made and then deleted "
        "(default: the system temporary folder)",
    )  # fmt: skip
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, metavar="FILE",
        help="JSON result file (default: benchmarks/results/input_pipeline.json)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.decode_repeats < 0:
        parser.error(f"--decode-repeats must be 0 or more. Received: {args.decode_repeats}")
    return args


def main(argv=None):
    args = parse_args(argv)
    # Keras reads the backend once, when it is first imported.
    os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import numpy as np

    from keras_logogan.datasets import load_icons

    icons = load_icons(IMAGE_SIZE)
    images = icons[np.arange(args.images) % len(icons)]

    work_dir = tempfile.mkdtemp(prefix="logogan-input-pipeline-", dir=args.work_dir)
    try:
        result = run_benchmark(args, images, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    result["settings"]["source_logos"] = len(icons)

    path = run_info.write_result(result, args.output)
    print_summary(result)
    print(f"Wrote {path}")
    return 0


def run_benchmark(args, images, work_dir):
    import keras

    started = run_info.utc_now()
    load_average_at_start = os.getloadavg()
    folder = os.path.join(work_dir, "png")
    cache_dir = os.path.join(work_dir, "cache")
    write_seconds, folder_bytes = write_png_folder(images, folder)
    uncached_decode_seconds = time_uncached_decodes(folder, args.decode_repeats)

    models, warm_up = {}, {}
    for variant in VARIANTS:
        data, load = load_variant_data(variant, args, images, folder, cache_dir)
        models[variant] = build_gan(args)
        seconds, cpu_seconds = train_epochs(models[variant], data, 1, args)
        warm_up[variant] = {**load, "epoch_seconds": seconds[0], "epoch_cpu_seconds": cpu_seconds[0]}
    print(
        f"first (unmeasured) epoch: folder {warm_up['folder']['epoch_seconds']:.1f} s, "
        f"memory {warm_up['memory']['epoch_seconds']:.1f} s",
        flush=True,
    )

    rounds = []
    for round_index in range(args.rounds):
        order = VARIANTS if round_index % 2 == 0 else VARIANTS[::-1]
        round_result = {"round": round_index + 1, "order": list(order)}
        for variant in order:
            data, load = load_variant_data(variant, args, images, folder, cache_dir)
            seconds, cpu_seconds = train_epochs(models[variant], data, args.epochs, args)
            measured_images = len(images) * args.epochs
            round_result[variant] = {
                **load,
                "measured_images": measured_images,
                "epoch_seconds": seconds,
                "epoch_cpu_seconds": cpu_seconds,
                "images_per_second": measured_images / sum(seconds),
                "images_per_cpu_second": measured_images / sum(cpu_seconds),
            }
        folder_result, memory_result = round_result["folder"], round_result["memory"]
        round_result["ratio_folder_to_memory"] = folder_result["images_per_second"] / memory_result["images_per_second"]
        round_result["cpu_time_ratio_folder_to_memory"] = (
            folder_result["images_per_cpu_second"] / memory_result["images_per_cpu_second"]
        )
        rounds.append(round_result)
        print(
            f"round {round_index + 1}/{args.rounds}: folder {folder_result['images_per_second']:.0f} images/s, "
            f"memory {memory_result['images_per_second']:.0f} images/s, "
            f"ratio {round_result['ratio_folder_to_memory']:.3f} "
            f"(CPU-time ratio {round_result['cpu_time_ratio_folder_to_memory']:.3f})",
            flush=True,
        )

    machine = run_info.describe_machine()
    machine["load_average_at_start_1_5_15_min"] = list(load_average_at_start)
    return {
        "benchmark": "input_pipeline",
        "date_utc": started,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": machine,
        "backend": keras.backend.backend(),
        "versions": run_info.package_versions(
            ["keras-logogan", "keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "pillow"]
        ),
        "git": run_info.git_revision(),
        "settings": {
            "images": len(images),
            "image_size": IMAGE_SIZE,
            "width": args.width,
            "batch_size": args.batch_size,
            "rounds": args.rounds,
            "measured_epochs_per_variant_per_round": args.epochs,
            "seed": args.seed,
        },
        "png_folder": {
            "files": len(images),
            "bytes": folder_bytes,
            "write_seconds": write_seconds,
            "uncached_decode_seconds": uncached_decode_seconds,
        },
        "first_epoch": warm_up,
        "rounds": rounds,
        "summary": summarize(warm_up, rounds, uncached_decode_seconds),
    }


def write_png_folder(images, folder):
    """Write each image as `logo_00000.png` ..., named so that sorted order is array order.

    Returns:
        The seconds taken and the total size of the files in bytes.
    """
    from PIL import Image

    os.makedirs(folder)
    start = time.perf_counter()
    digits = max(5, len(str(len(images) - 1)))
    total_bytes = 0
    for index, image in enumerate(images):
        path = os.path.join(folder, f"logo_{index:0{digits}d}.png")
        Image.fromarray(image).save(path)
        total_bytes += os.path.getsize(path)
    return time.perf_counter() - start, total_bytes


def time_uncached_decodes(folder, repeats):
    """Return the seconds of each `image_folder` call with the cache turned off."""
    from keras_logogan.datasets import image_folder

    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        image_folder(folder, IMAGE_SIZE, cache_dir=False)
        seconds.append(time.perf_counter() - start)
    return seconds


def load_variant_data(variant, args, images, folder, cache_dir):
    """Return the training input of a variant and a dict describing how it was loaded."""
    if variant == "memory":
        return images, {}

    from keras_logogan.datasets import image_folder
    from keras_logogan.datasets import make_dataset

    start = time.perf_counter()
    loaded, report = image_folder(folder, IMAGE_SIZE, cache_dir=cache_dir, return_report=True)
    load = {
        "load_seconds": time.perf_counter() - start,
        "load_from_cache": report.from_cache,
        "loaded_images": len(loaded),
        "same_pixels_as_memory": bool(loaded.shape == images.shape and (loaded == images).all()),
    }
    return make_dataset(loaded, args.batch_size, seed=args.seed), load


def build_gan(args):
    """Build and compile a LogoGAN whose initial weights depend only on `args.seed`."""
    import keras

    from keras_logogan import LogoGAN

    keras.utils.set_random_seed(args.seed)
    gan = LogoGAN(image_size=IMAGE_SIZE, width=args.width, seed=args.seed)
    gan.compile()
    return gan


def train_epochs(gan, data, epochs, args):
    """Train `gan` on `data` in one `fit` call.

    Returns:
        Two lists with one value per epoch: the wall-clock seconds, and the
        CPU seconds (user and system) of this process, all threads together.
    """
    import keras
    import numpy as np

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []
            self.cpu_seconds = []
            self._start = None
            self._cpu_start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()
            self._cpu_start = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)
            self.cpu_seconds.append(time.process_time() - self._cpu_start)

    timer = EpochTimes()
    # A dataset from make_dataset is already batched. LogoGAN.fit turns a
    # uint8 array into the same kind of dataset with this batch size.
    batch_size = args.batch_size if isinstance(data, np.ndarray) else None
    gan.fit(data, batch_size=batch_size, epochs=epochs, callbacks=[timer], verbose=0)
    return timer.seconds, timer.cpu_seconds


def summarize(warm_up, rounds, uncached_decode_seconds):
    ratios = [item["ratio_folder_to_memory"] for item in rounds]
    cpu_time_ratios = [item["cpu_time_ratio_folder_to_memory"] for item in rounds]
    folder = [item["folder"] for item in rounds]
    memory = [item["memory"] for item in rounds]
    warm_loads = [item["load_seconds"] for item in folder]
    low, high = bootstrap_median_interval(ratios)
    if low > RATIO_GOAL:
        goal_status = "met"
    elif high < RATIO_GOAL:
        goal_status = "not met"
    else:
        goal_status = "undecided: the 95% interval contains the goal"
    return {
        "ratio_folder_to_memory": describe_spread(ratios) | {"median_95_percent_interval": [low, high]},
        "ratio_of_total_throughput": _total_throughput(folder) / _total_throughput(memory),
        "cpu_time_ratio_folder_to_memory": describe_spread(cpu_time_ratios)
        | {"median_95_percent_interval": list(bootstrap_median_interval(cpu_time_ratios))},
        "goal": f"median of the per-round wall-clock ratios above {RATIO_GOAL}",
        "goal_status": goal_status,
        "median_above_goal": statistics.median(ratios) > RATIO_GOAL,
        "folder_images_per_second_median": statistics.median(item["images_per_second"] for item in folder),
        "memory_images_per_second_median": statistics.median(item["images_per_second"] for item in memory),
        "folder_images_per_cpu_second_median": statistics.median(item["images_per_cpu_second"] for item in folder),
        "memory_images_per_cpu_second_median": statistics.median(item["images_per_cpu_second"] for item in memory),
        "first_epoch_seconds": {variant: warm_up[variant]["epoch_seconds"] for variant in VARIANTS},
        "cold_cache_load_seconds": warm_up["folder"]["load_seconds"],
        "cold_cache_load_from_cache": warm_up["folder"]["load_from_cache"],
        "uncached_decode_seconds_median": statistics.median(uncached_decode_seconds) if uncached_decode_seconds else None,
        "warm_cache_load_seconds_median": statistics.median(warm_loads),
        "warm_cache_load_seconds_max": max(warm_loads),
        "warm_loads_all_from_cache": all(item["load_from_cache"] for item in folder),
        "same_pixels_as_memory": warm_up["folder"]["same_pixels_as_memory"]
        and all(item["same_pixels_as_memory"] for item in folder),
    }


def _total_throughput(results):
    images = sum(item["measured_images"] for item in results)
    return images / sum(sum(item["epoch_seconds"]) for item in results)


def bootstrap_median_interval(values, seed=0):
    """Return a percentile-bootstrap 95% interval of the median of `values`.

    NOTE: with a handful of rounds this interval is a rough estimate, and it
    assumes the rounds are independent, which drifting machine load breaks.
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    resamples = np.random.default_rng(seed).choice(values, size=(BOOTSTRAP_SAMPLES, len(values)))
    medians = np.median(resamples, axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def describe_spread(values):
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else None,
        "per_round": values,
    }


def print_summary(result):
    summary = result["summary"]
    settings = result["settings"]
    ratio = summary["ratio_folder_to_memory"]
    cpu_ratio = summary["cpu_time_ratio_folder_to_memory"]
    stdev = "n/a" if ratio["stdev"] is None else f"{ratio['stdev']:.3f}"

    print(
        f"backend {result['backend']}, {settings['images']} images, {settings['rounds']} rounds of "
        f"{settings['measured_epochs_per_variant_per_round']} epoch(s) per variant"
    )
    print(
        f"throughput after the first epoch (median of rounds): "
        f"folder {summary['folder_images_per_second_median']:.0f} images/s, "
        f"memory {summary['memory_images_per_second_median']:.0f} images/s"
    )

    low, high = ratio["median_95_percent_interval"]
    print(
        f"ratio folder/memory: median {ratio['median']:.3f} (95% interval {low:.3f} to {high:.3f}), "
        f"range {ratio['min']:.3f} to {ratio['max']:.3f}, stdev {stdev}; "
        f"ratio of total throughput {summary['ratio_of_total_throughput']:.3f}"
    )
    print(f"goal: {summary['goal']}: {summary['goal_status']}")

    cpu_low, cpu_high = cpu_ratio["median_95_percent_interval"]
    print(
        f"ratio of images per CPU second: median {cpu_ratio['median']:.3f} (95% interval "
        f"{cpu_low:.3f} to {cpu_high:.3f}), range {cpu_ratio['min']:.3f} to {cpu_ratio['max']:.3f}"
    )

    uncached = summary["uncached_decode_seconds_median"]
    print(
        f"{result['png_folder']['files']} PNG files: cold-cache load {summary['cold_cache_load_seconds']:.2f} s, "
        f"decode without cache (median) {'n/a' if uncached is None else f'{uncached:.2f} s'}, "
        f"warm-cache load (median) {summary['warm_cache_load_seconds_median']:.3f} s"
    )
    print(f"decoded pixels equal the in-memory array: {summary['same_pixels_as_memory']}")


if __name__ == "__main__":
    sys.exit(main())
