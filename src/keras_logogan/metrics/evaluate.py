"""Evaluate generated images against real ones with every metric that needs no pretrained network.

`evaluate_generated` returns one flat dict of floats and ints, ready for
JSON. Most metrics come with a real-vs-real floor: the same metric measured
between real image sets. A metric near its floor cannot tell the generated
images from real ones at this sample size. The floors are measured as
follows:

- The real images (train and held-out together) give two disjoint random
  subsets A and B of `swd_num_images` images each: as many as the
  generated images, or half the real images if that is fewer. In each
  floor, B takes the place of the generated images.
- `swd` and `color_histogram` compare the generated images with A, and
  `swd_floor` and `color_histogram_floor` compare B with A.
- `ndb` and `ndb_js` test the generated images, and `ndb_floor` and
  `ndb_js_floor` test B, against k-means bins fitted to all real images
  except B. The floors then come from images that the bins never saw, at
  the same sample size, so `ndb_floor` is the significance level 0.05 in
  expectation.
- `ms_ssim_real`: MS-SSIM diversity of the training images.
- `near_copy_share_floor`, `exact_copy_rate_floor` and
  `held_out_median_distance`: the memorisation measures of the held-out
  images against the training images. Only these use the held-out images
  on their own, since only they need images that the generator never
  trained on.
"""

import numpy as np

from keras_logogan.metrics import _checks
from keras_logogan.metrics import _sampling
from keras_logogan.metrics.color_histogram import color_histogram_distance
from keras_logogan.metrics.memorization import memorization
from keras_logogan.metrics.ms_ssim import ms_ssim_diversity
from keras_logogan.metrics.ndb import NDBBins
from keras_logogan.metrics.swd import MIN_RESOLUTION
from keras_logogan.metrics.swd import PATCH_SIZE
from keras_logogan.metrics.swd import swd_with_floor

# PGGAN cuts 128 patches per image, and SWD time grows in proportion. With
# 32, SWD and its floor for 2,000 generated and 5,484 real 32 px images took
# about 12 s on a busy 2-core x86-64 CPU, and all of `evaluate_generated`
# about 17 s. The floor uses the same setting, so the two stay comparable.
EVALUATE_SWD_PATCHES_PER_IMAGE = 32
EVALUATE_NDB_BINS = 100
EVALUATE_MS_SSIM_PAIRS = 1000

# One-line meanings of the summary metrics, in the order `summary_rows`
# lists them. Each value is `(floor key or None, meaning)`.
METRIC_MEANINGS = {
    "swd": ("swd_floor", "sliced Wasserstein distance x1e3 of 7x7 patches, mean of the levels"),
    "color_histogram": (
        "color_histogram_floor",
        "total variation distance of the joint colour histograms, 0 to 1",
    ),
    "ms_ssim": ("ms_ssim_real", "mean MS-SSIM of random pairs; above real means less variety"),
    "ndb": ("ndb_floor", "share of k-means bins with a significantly different share"),
    "ndb_js": ("ndb_js_floor", "Jensen-Shannon divergence of the k-means bin shares, in nats"),
    "near_copy_share": (
        "near_copy_share_floor",
        "share closer to a training image than 95% of held-out images are",
    ),
    "exact_copy_rate": (
        "exact_copy_rate_floor",
        "share within one uint8 level of a training image in every pixel",
    ),
    "generated_median_distance": (
        "held_out_median_distance",
        "median L2 distance to the nearest training image, pixels in [0, 1]",
    ),
}


def evaluate_generated(
    generated,
    train,
    held_out,
    seed=0,
    *,
    swd_patches_per_image=EVALUATE_SWD_PATCHES_PER_IMAGE,
    ndb_bins=EVALUATE_NDB_BINS,
    ms_ssim_pairs=EVALUATE_MS_SSIM_PAIRS,
):
    """Measure generated images against training and held-out images with every metric.

    The metrics are SWD (`keras_logogan.metrics.swd`), the colour histogram
    distance, MS-SSIM diversity, NDB and the memorisation test. The module
    docstring describes how each real-vs-real floor is measured. The held-out
    images must be real images the generator did not train on.

    Args:
        generated: uint8 array `(N, H, W, C)`, N >= 2, H and W at least 7.
        train: uint8 array `(M, H, W, C)` of the training images, M >= 2.
        held_out: uint8 array `(K, H, W, C)` of held-out real images.
        seed: int, default 0. Seed of every random choice.
        swd_patches_per_image: int, default 32. Patches per image and level
            for SWD; PGGAN used 128, which takes four times as long.
        ndb_bins: int, default 100. K-means bins of NDB, lowered to the
            number of images the bins are fitted to when that is smaller.
        ms_ssim_pairs: int, default 1000. Random pairs for MS-SSIM.

    Returns:
        A flat dict of floats and ints with the keys `swd`, `swd_floor`,
        `swd_<resolution>` and `swd_floor_<resolution>` per pyramid level
        (e.g. `swd_32`), `swd_num_images`, `color_histogram`,
        `color_histogram_floor`, `ms_ssim`, `ms_ssim_real`, `ndb`,
        `ndb_floor`, `ndb_js`, `ndb_js_floor`, `ndb_bins`,
        `near_copy_share`, `near_copy_share_floor`, `exact_copy_rate`,
        `exact_copy_rate_floor`, `near_copy_distance`,
        `generated_median_distance`, `held_out_median_distance`,
        `num_generated`, `num_train` and `num_held_out`.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=16)
        >>> train, held_out = logos[:200], logos[200:240]
        >>> results = evaluate_generated(logos[:40], train, held_out, ndb_bins=10, ms_ssim_pairs=50)
        >>> results["exact_copy_rate"], results["near_copy_share"]
        (1.0, 1.0)
    """
    generated = _checks.check_uint8_images("generated", generated, min_count=2)
    train = _checks.check_uint8_images("train", train, min_count=2)
    held_out = _checks.check_uint8_images("held_out", held_out)
    _checks.check_same_image_shape("generated", generated, "train", train)
    _checks.check_same_image_shape("held_out", held_out, "train", train)
    _checks.check_seed(seed)
    _checks.check_positive_int("ndb_bins", ndb_bins)

    results = {
        "num_generated": len(generated),
        "num_train": len(train),
        "num_held_out": len(held_out),
    }
    real = np.concatenate([train, held_out])
    num_images = min(len(generated), len(real) // 2)
    # `swd_with_floor` draws A and B with this same call and seed.
    reference_indices, floor_indices, rest_indices = _sampling.split_indices(
        len(real), num_images, seed
    )
    reference = real[reference_indices]
    floor_images = real[floor_indices]

    results.update(_swd_metrics(generated, real, num_images, seed, swd_patches_per_image))
    results["color_histogram"] = color_histogram_distance(generated, reference)
    results["color_histogram_floor"] = color_histogram_distance(floor_images, reference)
    results["ms_ssim"] = ms_ssim_diversity(generated, num_pairs=ms_ssim_pairs, seed=seed)
    results["ms_ssim_real"] = ms_ssim_diversity(train, num_pairs=ms_ssim_pairs, seed=seed)
    bin_images = real[np.sort(np.concatenate([reference_indices, rest_indices]))]
    results.update(_ndb_metrics(generated, bin_images, floor_images, ndb_bins, seed))
    results.update(_memorization_metrics(generated, train, held_out))
    return results


def summary_rows(results):
    """Return `(name, value, floor, meaning)` rows of the main metrics in `results`.

    `floor` is None for a metric without a real-vs-real floor. The per-level
    SWD values follow `swd`, finest level first.
    """
    rows = []
    for name, (floor_name, meaning) in METRIC_MEANINGS.items():
        rows.append((name, results[name], results.get(floor_name), meaning))
        if name == "swd":
            rows.extend(_swd_level_rows(results))
    return rows


def _swd_metrics(generated, real, num_images, seed, patches_per_image):
    side = min(generated.shape[1:3])
    # Images under 16 px get a single-level pyramid instead of an error.
    min_resolution = max(min(MIN_RESOLUTION, side), PATCH_SIZE)
    swd, floor = swd_with_floor(
        generated,
        real,
        seed=seed,
        num_images=num_images,
        patches_per_image=patches_per_image,
        min_resolution=min_resolution,
    )
    metrics = {"swd": swd.mean, "swd_floor": floor.mean, "swd_num_images": num_images}
    for resolution in swd.per_level:
        metrics[f"swd_{resolution}"] = swd.per_level[resolution]
        metrics[f"swd_floor_{resolution}"] = floor.per_level[resolution]
    return metrics


def _ndb_metrics(generated, bin_images, floor_images, num_bins, seed):
    bins = NDBBins(bin_images, num_bins=min(num_bins, len(bin_images)), seed=seed)
    generated_result = bins.score(generated)
    floor_result = bins.score(floor_images)
    return {
        "ndb": generated_result.ndb,
        "ndb_floor": floor_result.ndb,
        "ndb_js": generated_result.js_divergence,
        "ndb_js_floor": floor_result.js_divergence,
        "ndb_bins": generated_result.num_bins,
    }


def _memorization_metrics(generated, train, held_out):
    copies = memorization(generated, train, held_out)
    return {
        "near_copy_share": copies.near_copy_share,
        "near_copy_share_floor": copies.held_out_near_copy_share,
        "exact_copy_rate": copies.exact_copy_rate,
        "exact_copy_rate_floor": copies.held_out_exact_copy_rate,
        "near_copy_distance": copies.near_copy_distance,
        "generated_median_distance": copies.generated_median_distance,
        "held_out_median_distance": copies.held_out_median_distance,
    }


def _swd_level_rows(results):
    levels = sorted(
        (int(key[len("swd_") :]) for key in results if key[len("swd_") :].isdigit()),
        reverse=True,
    )
    rows = []
    for index, resolution in enumerate(levels):
        if index == len(levels) - 1:
            content = "blurred image: shapes and colour layout"
        else:
            content = "band-pass detail: edges and fine structure"
        rows.append(
            (
                f"swd_{resolution}",
                results[f"swd_{resolution}"],
                results.get(f"swd_floor_{resolution}"),
                f"SWD x1e3 of the {resolution} px pyramid level, {content}",
            )
        )
    return rows
