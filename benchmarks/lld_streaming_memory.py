"""Measure the peak memory of `load_lld` while it streams an LLD-logo HDF5 file into small images.

The script writes a synthetic file with the LLD-logo layout: a dataset
`data` of uint8 channels-first canvases `(N, 3, 400, 400)`, each holding one
logo in its top-left `rows x columns` block and zeros elsewhere, and a
dataset `shapes` with one `(3, rows, columns)` row per canvas. The logos
are the shipped 64 px logos scaled to random sizes from 32 to 400 pixels
per side by repeating pixels.

Each measurement runs `load_lld(path, image_size)` in a fresh Python
process, which reports:

- `peak_rss_bytes`: the maximum resident set size of that process from its
  start, imports included, read from `VmHWM` in `/proc/self/status`. The
  goal is below 2 GiB.
- `load_peak_rss_bytes`: the maximum resident set size during the
  `load_lld` call alone. Linux resets `VmHWM` when "5" is written to
  `/proc/self/clear_refs`, and this number is None where that fails.
- `ru_maxrss_bytes`: `resource.getrusage(RUSAGE_SELF).ru_maxrss`, for
  comparison. On Linux it also counted the peak of the parent process up to
  the moment the parent started the child (`subprocess` starts children
  with `vfork()` there). The file is therefore written by a separate
  process as well, so that the parent stays small.

The file is deleted at the end unless `--keep-file` is given.

Run from the repository root:

    python benchmarks/lld_streaming_memory.py                 # N=2,000, a 0.96 GB file, about 10 seconds
    python benchmarks/lld_streaming_memory.py --count 200     # a quick check
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import run_info
from run_info import positive_int

DEFAULT_OUTPUT = os.path.join(run_info.RESULTS_FOLDER, "lld_streaming_memory.json")
CANVAS_SIZE = 400
MIN_LOGO_SIDE = 32
MEMORY_GOAL_BYTES = 2 * 2**30
# Canvases written to the HDF5 file at once: 64 x 480,000 bytes, about 31 MB.
WRITE_BLOCK = 64
# Free space to leave on the disk beyond the file itself.
DISK_MARGIN_BYTES = 2 * 2**30


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Write a synthetic LLD-logo HDF5 file, then measure the peak resident memory "
        "and the time of load_lld reading it, each in a fresh process."
    )
    parser.add_argument(
        "--count", type=positive_int, default=2000, metavar="N",
        help="canvases in the file, 480,000 bytes each on disk without compression "
        "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--image-size", type=positive_int, default=32, metavar="PIXELS",
        help="side of the images load_lld returns (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--chunk-size", type=positive_int, default=None, metavar="N",
        help="images load_lld reads at once (default: the load_lld default)",
    )  # fmt: skip
    parser.add_argument(
        "--compression", choices=("none", "gzip"), default="none",
        help="HDF5 storage of 'data': 'none' for one contiguous block, 'gzip' for one "
        "compressed chunk per canvas (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the logo sizes and choices (default: %(default)s)")
    parser.add_argument(
        "--work-dir", default=None, metavar="FOLDER",
        help="folder for the temporary HDF5 file (default: the system temporary folder)",
    )  # fmt: skip
    parser.add_argument("--keep-file", action="store_true", help="keep the HDF5 file and print its path")
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, metavar="FILE",
        help="JSON result file (default: benchmarks/results/lld_streaming_memory.json)",
    )  # fmt: skip
    # Internal modes, run in child processes.
    parser.add_argument("--generate", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=positive_int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.generate:
        seconds = write_lld_logo_file(args.generate, args.count, args.compression, args.seed)
        print(json.dumps({"generation_seconds": seconds}))
        return 0
    if args.measure:
        measure_in_this_process(args)
        return 0

    work_dir = tempfile.mkdtemp(prefix="logogan-lld-memory-", dir=args.work_dir)
    path = os.path.join(work_dir, "LLD-logo-synthetic.hdf5")
    try:
        check_disk_space(work_dir, args.count)
        generation = run_child(
            ["--generate", path, "--count", str(args.count), "--compression", args.compression, "--seed", str(args.seed)]
        )
        generation_seconds = generation["generation_seconds"]
        file_bytes = os.path.getsize(path)
        print(f"wrote {args.count} canvases, {file_bytes / 1e9:.2f} GB, in {generation_seconds:.1f} s", flush=True)

        started = run_info.utc_now()
        # The quarter-size read shows whether the peak grows with the part
        # of the file read or only with the output array.
        limits = [None] if args.count < 4 else [None, args.count // 4]
        measurements = [measure_in_subprocess(path, args, limit) for limit in limits]
    finally:
        if args.keep_file and os.path.exists(path):
            print(f"kept {path}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)

    full = measurements[0]
    result = {
        "benchmark": "lld_streaming_memory",
        "date_utc": started,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": run_info.describe_machine(),
        "versions": run_info.package_versions(["keras-logogan", "h5py", "numpy", "pillow"]),
        "git": run_info.git_revision(),
        "file": {
            "count": args.count,
            "canvas_shape": [3, CANVAS_SIZE, CANVAS_SIZE],
            "compression": args.compression,
            "bytes": file_bytes,
            "generation_seconds": generation_seconds,
            "deleted": not args.keep_file,
        },
        "settings": {"image_size": args.image_size, "chunk_size": full["chunk_size"], "seed": args.seed},
        "measurements": measurements,
        "goal": f"peak_rss_bytes below {MEMORY_GOAL_BYTES} (2 GiB)",
        "goal_met": all(item["peak_rss_bytes"] < MEMORY_GOAL_BYTES for item in measurements),
    }
    output = run_info.write_result(result, args.output)
    print_summary(result)
    print(f"Wrote {output}")
    return 0


def check_disk_space(folder, count):
    """Raise SystemExit if `folder` lacks room for an uncompressed file of `count` canvases plus the margin."""
    needed = count * 3 * CANVAS_SIZE * CANVAS_SIZE + DISK_MARGIN_BYTES
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SystemExit(
            f"Not enough disk space in {folder}: {free / 2**30:.1f} GiB free, but {count} canvases "
            f"need {needed / 2**30:.1f} GiB including a {DISK_MARGIN_BYTES / 2**30:.0f} GiB margin. "
            "Pass a smaller --count, or a --work-dir on a larger disk."
        )


def write_lld_logo_file(path, count, compression, seed):
    """Write a synthetic LLD-logo file and return the seconds taken."""
    import h5py
    import numpy as np

    from keras_logogan.datasets import load_icons

    start = time.perf_counter()
    icons = load_icons(64)
    generator = np.random.default_rng(seed)
    sides = generator.integers(MIN_LOGO_SIDE, CANVAS_SIZE + 1, size=(count, 2))
    choices = generator.integers(0, len(icons), size=count)

    storage = {}
    if compression == "gzip":
        storage = {"chunks": (1, 3, CANVAS_SIZE, CANVAS_SIZE), "compression": "gzip"}
    with h5py.File(path, "w") as file:
        data = file.create_dataset("data", (count, 3, CANVAS_SIZE, CANVAS_SIZE), dtype=np.uint8, **storage)
        shapes = np.column_stack([np.full(count, 3), sides]).astype(np.int64)
        file.create_dataset("shapes", data=shapes)
        for block_start in range(0, count, WRITE_BLOCK):
            block_stop = min(block_start + WRITE_BLOCK, count)
            block = np.zeros((block_stop - block_start, 3, CANVAS_SIZE, CANVAS_SIZE), np.uint8)
            for offset, index in enumerate(range(block_start, block_stop)):
                rows, columns = sides[index]
                block[offset, :, :rows, :columns] = scale_by_repeating(icons[choices[index]], rows, columns)
            data[block_start:block_stop] = block
    return time.perf_counter() - start


def scale_by_repeating(image, rows, columns):
    """Scale an `(H, W, 3)` image to `(3, rows, columns)` by nearest-neighbour pixel repetition."""
    import numpy as np

    height, width = image.shape[:2]
    row_index = np.arange(rows) * height // rows
    column_index = np.arange(columns) * width // columns
    return image[row_index][:, column_index].transpose(2, 0, 1)


def measure_in_subprocess(path, args, limit):
    """Run `load_lld` in a fresh Python process and return what it measured."""
    options = ["--measure", path, "--image-size", str(args.image_size)]
    if args.chunk_size is not None:
        options += ["--chunk-size", str(args.chunk_size)]
    if limit is not None:
        options += ["--limit", str(limit)]
    measurement = run_child(options)
    print(
        f"read {measurement['images']} images: peak RSS {measurement['peak_rss_bytes'] / 2**20:.0f} MiB, "
        f"{measurement['load_seconds']:.1f} s",
        flush=True,
    )
    return measurement


def run_child(options):
    """Run this script in a new Python process with `options`, and return the JSON object it prints last."""
    command = [sys.executable, os.path.abspath(__file__), *options]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(
            f"The child process failed with exit status {completed.returncode}: {' '.join(command)}\n"
            f"{completed.stderr[-4000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_in_this_process(args):
    """Load the file given by --measure and print one JSON line with the memory and time."""
    import resource

    from keras_logogan.datasets import lld
    from keras_logogan.datasets import load_lld

    chunk_size = args.chunk_size or lld.DEFAULT_CHUNK_SIZE
    rss_after_imports = _proc_status_bytes("VmRSS")
    peak_after_imports = _proc_status_bytes("VmHWM")
    peak_was_reset = _reset_peak_rss()

    start = time.perf_counter()
    images = load_lld(args.measure, args.image_size, chunk_size=chunk_size, limit=args.limit)
    load_seconds = time.perf_counter() - start

    peak_now = _proc_status_bytes("VmHWM")
    if peak_was_reset:
        load_peak = peak_now
        peak = max(peak_after_imports, peak_now) if peak_now is not None else None
    else:
        load_peak = None
        peak = peak_now
    # ru_maxrss is in KiB on Linux.
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print(
        json.dumps(
            {
                "limit": args.limit,
                "images": len(images),
                "output_shape": list(images.shape),
                "output_bytes": images.nbytes,
                "chunk_size": chunk_size,
                "load_seconds": load_seconds,
                "images_per_second": len(images) / load_seconds,
                "rss_after_imports_bytes": rss_after_imports,
                "peak_rss_after_imports_bytes": peak_after_imports,
                "peak_rss_bytes": peak if peak is not None else ru_maxrss,
                "peak_rss_source": "VmHWM" if peak is not None else "ru_maxrss",
                "load_peak_rss_bytes": load_peak,
                "rss_after_load_bytes": _proc_status_bytes("VmRSS"),
                "ru_maxrss_bytes": ru_maxrss,
            }
        )
    )


def _reset_peak_rss():
    """Reset the kernel's peak resident set size (VmHWM) of this process, and return True if that worked.

    Writing "5" to /proc/self/clear_refs does this on Linux 4.0 and later.
    """
    try:
        with open("/proc/self/clear_refs", "w") as stream:
            stream.write("5")
    except OSError:
        return False
    return True


def _proc_status_bytes(field):
    """Return a memory field of /proc/self/status, such as VmRSS, in bytes, or None where it is missing."""
    try:
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def print_summary(result):
    for item in result["measurements"]:
        load_peak = item["load_peak_rss_bytes"]
        print(
            f"{item['images']} images of {result['file']['count']} ({result['file']['bytes'] / 1e9:.2f} GB file): "
            f"peak RSS {item['peak_rss_bytes'] / 2**20:.0f} MiB "
            f"(after imports {item['rss_after_imports_bytes'] / 2**20:.0f} MiB, during load_lld "
            f"{'n/a' if load_peak is None else f'{load_peak / 2**20:.0f} MiB'}), "
            f"{item['load_seconds']:.1f} s, {item['images_per_second']:.0f} images/s"
        )
    print(f"goal: peak RSS below 2 GiB: {'met' if result['goal_met'] else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
