"""Re-run the hobby project's three cases with its setup and with the recommended setup.

The hobby TF2 DCGAN collapsed on 5,000 favicons and copied its 100-image
subset. This study trains both named training configurations
(`keras_logogan.training_configs`: "hobby" and "small_data") on three cases,
each for the same number of real images shown to the discriminator (kimg),
and scores the results with `keras_logogan.metrics`:

- all_logos: every shipped logo except a fixed held-out set (4,984 images),
  the stand-in for the hobby project's 5,000 favicons.
- subset_100: 100 of those logos, the hobby project's second case, which
  it trained at batch 100; the hobby setup uses that batch size here.
- large_batch: 4,096 logos at batch 512 for both setups. The hobby
  project's third case used 4,096 images at batch 1,024; batch 512 keeps
  some hundreds of steps within this study's budget.

Every case holds out the same 500 logos, which never train, to measure
copying. Data is tiled so that one Keras epoch shows about 5,000 images in
every case. Each run checks the sampling generator (the averaged one when a
setup keeps one) every `--check-every` epochs with `BestCheckpoint` and ends
at the check with the lowest SWD, as a user of the package would. The
final numbers come from 2,000 generated images:

- swd: sliced Wasserstein distance x1e3 against 2,000 logos of the
  training pool, which is all 4,984 non-held-out logos in every case. So
  copying the 100 images of the subset earns no credit. swd_floor is the
  same distance between two disjoint real sets of that size.
- near_copy_share and exact_copy_rate: against the case's own training
  images, with the held-out logos as the reference distance.
- ms_ssim (generated pairs) and ms_ssim_real (real pairs): higher means less
  diverse.
- ndb: the share of k-means bins of the training pool with a statistically
  different share of generated images, and ndb_js.
- collapse_flagged: whether `ModeCollapseDetector` flagged a collapse.

Run from the repository root (TensorFlow is the fastest backend on CPU):

    KERAS_BACKEND=tensorflow python benchmarks/quality.py              # the study, about 40 minutes on 2 cores
    KERAS_BACKEND=tensorflow python benchmarks/quality.py --kimg 10 --cases subset_100   # a quick check
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np

import run_info

DEFAULT_OUTPUT = os.path.join(run_info.RESULTS_FOLDER, "quality.json")
DEFAULT_GRIDS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "images", "quality"
)
IMAGE_SIZE = 32
NUM_HELD_OUT = 500
EPOCH_IMAGES = 5000
NUM_EVALUATION_IMAGES = 2000
NUM_CHECK_IMAGES = 1000
SETUPS = ("hobby", "small_data")
# `batch_size` maps a setup to the batch size it uses in that case, when it
# differs from the setup's own.
CASES = {
    "all_logos": {"num_train": None, "batch_size": {}},
    "subset_100": {"num_train": 100, "batch_size": {"hobby": 100}},
    "large_batch": {"num_train": 4096, "batch_size": {"hobby": 512, "small_data": 512}},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kimg", type=float, default=100.0, metavar="THOUSANDS",
        help="real images shown per run, in thousands (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--cases", default=",".join(CASES), metavar="NAMES",
        help="comma-separated cases to run (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--setups", default=",".join(SETUPS), metavar="NAMES",
        help="comma-separated training configurations (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--check-every", type=int, default=2, metavar="EPOCHS",
        help="epochs of about 5,000 images between quality checks (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of everything (default: 0)")
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, help="result JSON file (default: %(default)s)"
    )
    parser.add_argument(
        "--grids", default=DEFAULT_GRIDS, help="folder for sample grids (default: %(default)s)"
    )
    parser.add_argument(
        "--table", action="store_true",
        help="print the results in --output as a Markdown table and exit, without training",
    )  # fmt: skip
    return parser.parse_args(argv)


def split_logos(seed):
    """Return `(pool, held_out)`: the shipped logos in a fixed random order, 500 held out."""
    from keras_logogan.datasets import load_icons

    logos = load_icons(image_size=IMAGE_SIZE)
    order = np.random.default_rng(seed).permutation(len(logos))
    return logos[order[NUM_HELD_OUT:]], logos[order[:NUM_HELD_OUT]]


def tile(images, num_images):
    """Repeat `images` whole as many times as fit in `num_images`, and at least once."""
    repeats = max(1, num_images // len(images))
    return np.concatenate([images] * repeats, axis=0)


def train_run(case, setup, pool, held_out, args):
    """Train one setup on one case and return its result entry."""
    import keras

    from keras_logogan import training_configs
    from keras_logogan.callbacks import BestCheckpoint
    from keras_logogan.callbacks import MemorizationMonitor
    from keras_logogan.callbacks import ModeCollapseDetector

    settings = CASES[case]
    train_images = pool if settings["num_train"] is None else pool[: settings["num_train"]]
    config = training_configs.get(setup)
    if setup in settings["batch_size"]:
        config = config.replace(batch_size=settings["batch_size"][setup])

    keras.utils.set_random_seed(args.seed)
    gan = config.build(image_size=IMAGE_SIZE, seed=args.seed)
    epoch_images = tile(train_images, EPOCH_IMAGES)
    epochs = max(1, math.ceil(args.kimg * 1000 / len(epoch_images)))
    best = BestCheckpoint(
        pool,
        num_images=NUM_CHECK_IMAGES,
        every_epochs=args.check_every,
        seed=args.seed,
        images_per_epoch=len(epoch_images),
    )
    collapse = ModeCollapseDetector(
        pool, every_epochs=args.check_every, stop_training=False, restore_best_weights=False
    )
    copies = MemorizationMonitor(
        train_images,
        held_out,
        num_images=NUM_CHECK_IMAGES,
        every_epochs=args.check_every,
        seed=args.seed,
    )
    copy_checks = []
    record_copies = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: copy_checks.extend(copy_measurements(epoch, logs))
    )

    print(f"--- {case} / {setup}: {len(train_images)} images, batch {config.batch_size}, "
          f"{epochs} epochs of {len(epoch_images)} images", flush=True)  # fmt: skip
    started = time.perf_counter()
    history = gan.fit(
        epoch_images,
        batch_size=config.batch_size,
        epochs=epochs,
        callbacks=[collapse, copies, record_copies, best],
        verbose=0,
    )
    seconds = time.perf_counter() - started

    generated = gan.generate(NUM_EVALUATION_IMAGES, seed=args.seed + 1)
    scores = evaluate(generated, train_images, pool, held_out, args.seed)
    save_grids(gan, case, setup, train_images, args)
    return {
        "case": case,
        "setup": setup,
        "config": config.get_config(),
        "num_train": len(train_images),
        "batch_size": config.batch_size,
        "kimg": epochs * len(epoch_images) / 1000,
        "seconds": round(seconds, 1),
        "images_per_second": round(epochs * len(epoch_images) / seconds, 1),
        "best_epoch": best.best_epoch,
        "best_kimg": best.best_epoch * len(epoch_images) / 1000,
        "collapse_flagged": collapse.collapsed_epoch is not None,
        "augment_probability": [
            round(float(p), 4) for p in history.history.get("augment_probability", [])
        ],
        "checks": merge_checks(best.history, copy_checks),
        **scores,
    }


def copy_measurements(epoch, logs):
    """Return `[entry]` when `MemorizationMonitor` measured this epoch, else `[]`."""
    if not logs or "near_copy_share" not in logs:
        return []
    keys = ("near_copy_share", "exact_copy_rate", "nearest_distance_ratio")
    return [{"epoch": epoch + 1, **{key: round(float(logs[key]), 4) for key in keys}}]


def merge_checks(swd_checks, copy_checks):
    """Return the SWD checks with each one's near-copy measurements added, matched by epoch."""
    by_epoch = {check["epoch"]: check for check in copy_checks}
    merged = []
    for check in swd_checks:
        extra = by_epoch.get(check["epoch"], {})
        merged.append({**check, **{k: v for k, v in extra.items() if k != "epoch"}})
    return merged


def evaluate(generated, train_images, pool, held_out, seed):
    """Score `generated` with the metrics the study reports."""
    from keras_logogan import metrics

    rng = np.random.default_rng(seed)
    reference = pool[rng.choice(len(pool), size=2 * NUM_EVALUATION_IMAGES, replace=False)]
    first, second = reference[:NUM_EVALUATION_IMAGES], reference[NUM_EVALUATION_IMAGES:]

    swd = metrics.sliced_wasserstein_distance(generated, first, seed=seed)
    swd_floor = metrics.sliced_wasserstein_distance(second, first, seed=seed)
    copies = metrics.memorization(generated, train_images, held_out)
    ndb = metrics.ndb(pool, generated, seed=seed)
    return {
        "swd": round(swd.mean, 3),
        "swd_per_level": {str(k): round(v, 3) for k, v in swd.per_level.items()},
        "swd_floor": round(swd_floor.mean, 3),
        "near_copy_share": round(float(copies.near_copy_share), 4),
        "exact_copy_rate": round(float(copies.exact_copy_rate), 4),
        "ms_ssim": round(float(metrics.ms_ssim_diversity(generated, seed=seed)), 4),
        "ms_ssim_real": round(float(metrics.ms_ssim_diversity(second, seed=seed)), 4),
        "ndb": round(float(ndb.ndb), 4),
        "ndb_js": round(float(ndb.js_divergence), 4),
    }


def save_grids(gan, case, setup, train_images, args):
    """Write 64 samples, and for the subset each sample beside its nearest training image."""
    from keras_logogan.images import save_grid

    os.makedirs(args.grids, exist_ok=True)
    samples = gan.generate(64, seed=args.seed + 2)
    save_grid(samples, os.path.join(args.grids, f"{case}_{setup}.png"), columns=8, scale=2)
    if case != "subset_100":
        return
    pixels = samples.reshape(len(samples), -1).astype(np.float32)
    train_pixels = train_images.reshape(len(train_images), -1).astype(np.float32)
    distances = ((pixels[:, None, :] - train_pixels[None, :, :]) ** 2).sum(axis=-1)
    nearest = train_images[distances.argmin(axis=1)]
    pairs = np.stack([samples[:32], nearest[:32]], axis=1).reshape(64, *samples.shape[1:])
    path = os.path.join(args.grids, f"{case}_{setup}_nearest.png")
    save_grid(pairs, path, columns=8, scale=2)


def check_criteria(results):
    """Return the study's pass/fail verdicts, comparing setups within each case."""
    by_key = {(r["case"], r["setup"]): r for r in results}
    verdicts = {}
    subset = (by_key.get(("subset_100", "hobby")), by_key.get(("subset_100", "small_data")))
    if all(subset):
        hobby, small = subset
        verdicts["subset_near_copies_at_most_half"] = (
            small["near_copy_share"] <= 0.5 * hobby["near_copy_share"]
        )
        verdicts["subset_swd_no_worse"] = small["swd"] <= hobby["swd"]
        verdicts.update(last_check_copies(hobby, small))
    full = (by_key.get(("all_logos", "hobby")), by_key.get(("all_logos", "small_data")))
    if all(full):
        hobby, small = full
        verdicts["all_logos_swd_ratio"] = round(small["swd"] / hobby["swd"], 3)
        verdicts["all_logos_swd_at_least_25_percent_lower"] = small["swd"] <= 0.75 * hobby["swd"]
        verdicts["all_logos_no_collapse_flagged"] = not small["collapse_flagged"]
    return verdicts


def last_check_copies(hobby, small):
    """Compare both setups' near-copy shares at their last check, when it saw the same images.

    The study's headline numbers come from the check with the best SWD,
    which can be early. The last check shows each generator as training
    left it, which is where the hobby project saw its copies.
    """
    hobby_checks = [c for c in hobby.get("checks", []) if "near_copy_share" in c]
    small_checks = [c for c in small.get("checks", []) if "near_copy_share" in c]
    if not hobby_checks or not small_checks:
        return {}
    hobby_last, small_last = hobby_checks[-1], small_checks[-1]
    if hobby_last["images_shown"] != small_last["images_shown"]:
        return {}
    return {
        "subset_last_check_images_shown": hobby_last["images_shown"],
        "subset_last_check_near_copy_share": {
            "hobby": hobby_last["near_copy_share"],
            "small_data": small_last["near_copy_share"],
        },
        "subset_last_check_near_copies_at_most_half": (
            small_last["near_copy_share"] <= 0.5 * hobby_last["near_copy_share"]
        ),
    }


def markdown_table(report):
    """Return the results of a quality report as a Markdown table, one row per case and setup."""
    columns = (
        "case", "setup", "kimg", "swd", "swd_floor", "near_copy_share", "ms_ssim",
        "ms_ssim_real", "ndb", "collapse_flagged", "best_kimg", "seconds",
    )  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for entry in report["results"]:
        lines.append("| " + " | ".join(str(entry[column]) for column in columns) + " |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.table:
        with open(args.output, encoding="utf-8") as stream:
            print(markdown_table(json.load(stream)))
        return
    cases = [name for name in args.cases.split(",") if name]
    setups = [name for name in args.setups.split(",") if name]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        sys.exit(f"quality.py: unknown cases {unknown}; use names from {sorted(CASES)}.")

    import keras

    pool, held_out = split_logos(args.seed)
    results = previous_results(args.output, args)
    for case in cases:
        for setup in setups:
            entry = train_run(case, setup, pool, held_out, args)
            summary = {k: entry[k] for k in ("swd", "swd_floor", "near_copy_share", "ms_ssim", "ndb")}
            print(f"    {entry['seconds']} s, {entry['images_per_second']} img/s, {summary}", flush=True)
            results = [r for r in results if (r["case"], r["setup"]) != (case, setup)]
            results.append(entry)
            # Written after every run, so a study split over several
            # invocations, or stopped part way, keeps what it measured.
            report = {
                "benchmark": "quality",
                "date": run_info.utc_now(),
                "git": run_info.git_revision(),
                "backend": keras.config.backend(),
                "kimg_per_run": args.kimg,
                "seed": args.seed,
                "machine": run_info.describe_machine(),
                "results": results,
                "criteria": check_criteria(results),
            }
            run_info.write_result(report, args.output)
    print(json.dumps(check_criteria(results), indent=2))


def previous_results(path, args):
    """Return the entries of an earlier result file with the same kimg and seed, to be extended."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as stream:
        previous = json.load(stream)
    if previous.get("kimg_per_run") != args.kimg or previous.get("seed") != args.seed:
        return []
    return previous.get("results", [])


if __name__ == "__main__":
    main()
