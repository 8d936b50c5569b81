"""Memorisation test: are generated images closer to the training set than new real images are?

A generator that generalises draws images about as far from their nearest
training image as real images it never saw (held-out images) are. One that
memorises draws images much closer, up to exact copies. Distances are L2
between images flattened to vectors with pixel values in [0, 1], so two
32x32 RGB images are at most sqrt(3072), about 55.4, apart.

This is the nearest-neighbour memorisation test commonly used for GANs. The
C_T test of Meehan, Chaudhuri and Dasgupta, "A Non-Parametric Test to
Detect Data-Copying in Generative Models" (AISTATS 2020), is its
statistical version.
"""

import dataclasses

import numpy as np

from keras_logogan.metrics import _checks

# An image is an exact copy when no pixel value differs from its nearest
# training image by more than one uint8 level. `MemorizationMonitor` uses
# the same tolerance.
EXACT_COPY_TOLERANCE = 1.0 / 255.0
NEAR_COPY_PERCENTILE = 5.0

# Query images compared with the whole training set at once. A chunk needs
# `chunk_size * len(train)` float32 distances: 256 * 5,484 is about 5.6 MB.
DEFAULT_CHUNK_SIZE = 256


@dataclasses.dataclass(frozen=True)
class MemorizationResult:
    """Nearest-training-image distances of generated and held-out images.

    Attributes:
        near_copy_share: float. Share of generated images closer to the
            training set than `near_copy_distance`, or exact copies.
        exact_copy_rate: float. Share of generated images within the exact
            copy tolerance of their nearest training image in every pixel.
        held_out_near_copy_share: float. The same share for the held-out
            images, about `percentile / 100` by construction. It is the
            real-vs-real floor of `near_copy_share`.
        held_out_exact_copy_rate: float. Share of held-out images that have
            an exact copy in the training set: genuine duplicates in the
            data, the floor of `exact_copy_rate`.
        near_copy_distance: float. The `percentile`-th percentile of the
            held-out images' nearest-neighbour distances.
        generated_median_distance: float. Median distance from a generated
            image to its nearest training image.
        held_out_median_distance: float. The same median for held-out images.
        generated_distances: float32 array `(N,)` of the generated images'
            distances.
        nearest_train_indices: int64 array `(N,)`, the row in `train` of
            each generated image's nearest training image.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> train = rng.integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
        >>> held_out = rng.integers(0, 256, (10, 8, 8, 3), dtype=np.uint8)
        >>> result = memorization(train[:5], train=train, held_out=held_out)
        >>> result.exact_copy_rate, result.held_out_exact_copy_rate
        (1.0, 0.0)
        >>> result.nearest_train_indices.tolist(), float(result.generated_distances.max())
        ([0, 1, 2, 3, 4], 0.0)
    """

    near_copy_share: float
    exact_copy_rate: float
    held_out_near_copy_share: float
    held_out_exact_copy_rate: float
    near_copy_distance: float
    generated_median_distance: float
    held_out_median_distance: float
    generated_distances: np.ndarray = dataclasses.field(repr=False)
    nearest_train_indices: np.ndarray = dataclasses.field(repr=False)


def memorization(
    generated,
    train,
    held_out,
    percentile=NEAR_COPY_PERCENTILE,
    exact_copy_tolerance=EXACT_COPY_TOLERANCE,
    chunk_size=DEFAULT_CHUNK_SIZE,
):
    """Compare generated images' distances to the training set with those of held-out images.

    The threshold `near_copy_distance` is the `percentile`-th percentile of
    the held-out images' distances to their nearest training image. A
    generated image is a near copy when it is closer than that, or an exact
    copy. Held-out images that duplicate training images lower the
    threshold, so deduplicate the data first when you can.

    The nearest neighbour is found with `|t|^2 - 2 q.t` in float32, in
    chunks of `chunk_size` query images, and its distance is then computed
    again directly, so an exact copy has distance 0.

    Args:
        generated: uint8 array `(N, H, W, C)`.
        train: uint8 array `(M, H, W, C)` of the training images.
        held_out: uint8 array `(K, H, W, C)` of real images the model did
            not train on.
        percentile: float in (0, 100), default 5.
        exact_copy_tolerance: float, default 1/255. Largest difference of a
            pixel value, in [0, 1] units, that still counts as a copy.
        chunk_size: int, default 256. Memory is about
            `chunk_size * M` float32 values.

    Returns:
        A `MemorizationResult`.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> copies = memorization(logos[:50], train=logos[:500], held_out=logos[500:600])
        >>> copies.near_copy_share, copies.exact_copy_rate
        (1.0, 1.0)
    """
    generated = _checks.check_uint8_images("generated", generated)
    train = _checks.check_uint8_images("train", train)
    held_out = _checks.check_uint8_images("held_out", held_out)
    _checks.check_same_image_shape("generated", generated, "train", train)
    _checks.check_same_image_shape("held_out", held_out, "train", train)
    _checks.check_positive_int("chunk_size", chunk_size)
    if isinstance(percentile, bool) or not isinstance(percentile, (int, float)) or not 0 < percentile < 100:
        raise ValueError(f"`percentile` must be a number in (0, 100). Received: percentile={percentile!r}")
    if not exact_copy_tolerance >= 0:
        raise ValueError(
            "`exact_copy_tolerance` must be a number >= 0. "
            f"Received: exact_copy_tolerance={exact_copy_tolerance!r}"
        )

    train_vectors = _to_vectors(train)
    generated_distances, generated_indices, generated_exact = nearest_training_images(
        generated, train_vectors, exact_copy_tolerance, chunk_size
    )
    held_out_distances, _, held_out_exact = nearest_training_images(
        held_out, train_vectors, exact_copy_tolerance, chunk_size
    )
    near_copy_distance = float(np.percentile(held_out_distances, percentile))
    generated_near = (generated_distances < near_copy_distance) | generated_exact
    held_out_near = (held_out_distances < near_copy_distance) | held_out_exact
    return MemorizationResult(
        near_copy_share=float(np.mean(generated_near)),
        exact_copy_rate=float(np.mean(generated_exact)),
        held_out_near_copy_share=float(np.mean(held_out_near)),
        held_out_exact_copy_rate=float(np.mean(held_out_exact)),
        near_copy_distance=near_copy_distance,
        generated_median_distance=float(np.median(generated_distances)),
        held_out_median_distance=float(np.median(held_out_distances)),
        generated_distances=generated_distances,
        nearest_train_indices=generated_indices,
    )


def nearest_training_images(images, train_vectors, exact_copy_tolerance, chunk_size):
    """Find each image's nearest training vector.

    Args:
        images: uint8 array `(N, H, W, C)`.
        train_vectors: float32 array `(M, H * W * C)` in [0, 1], from the
            training images.
        exact_copy_tolerance: float. Largest pixel difference of an exact copy.
        chunk_size: int. Images compared at once.

    Returns:
        A tuple `(distances, indices, exact)`: float32 L2 distances, int64
        rows of `train_vectors` and a bool array, True for exact copies.
    """
    train_norms = np.sum(train_vectors * train_vectors, axis=1)
    distances = np.empty(len(images), dtype=np.float32)
    indices = np.empty(len(images), dtype=np.int64)
    exact = np.empty(len(images), dtype=bool)
    for start in range(0, len(images), chunk_size):
        queries = _to_vectors(images[start : start + chunk_size])
        # NOTE: float32 rounding of this expansion reaches about 0.01 in
        # squared distance for 32 px logos, so of two training images at
        # nearly equal distance the slightly farther one may be chosen.
        squared = train_norms[None, :] - 2.0 * queries @ train_vectors.T
        chunk_indices = np.argmin(squared, axis=1)
        differences = queries - train_vectors[chunk_indices]
        rows = slice(start, start + len(queries))
        indices[rows] = chunk_indices
        distances[rows] = np.sqrt(np.sum(differences * differences, axis=1))
        # The small margin absorbs float32 rounding of (a - b) / 255.
        exact[rows] = np.max(np.abs(differences), axis=1) <= exact_copy_tolerance + 1e-6
    return distances, indices, exact


def _to_vectors(images):
    return _checks.to_unit_float(images).reshape(len(images), -1)
