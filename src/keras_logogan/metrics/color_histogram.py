"""Colour histogram distance between two image sets.

Each set's pixels are pooled into one joint colour histogram: each channel
is cut into `bins` equal ranges of uint8 values, so RGB images with the
default 8 bins per channel get 8^3 = 512 colour cells of 32 levels per side,
and grayscale images get 8 cells. The distance is the total variation
distance between the two normalised histograms, half their L1 distance. It
is the share of pixels that would have to change colour cell to turn one
histogram into the other: 0 for identical colour statistics, 1 when the
sets share no colour cell.

Logos are mostly flat colour on a white background, so this distance shows
a generator that gets the palette or the background share wrong, which the
patch and structure metrics weigh little. It ignores where colours are.
"""

import numpy as np

from keras_logogan.metrics import _checks

DEFAULT_BINS = 8


def color_histogram(images, bins=DEFAULT_BINS):
    """Return the joint colour histogram of all pixels of `images`, normalised to sum to 1.

    Args:
        images: uint8 array `(N, H, W, C)` with 1 or 3 channels.
        bins: int in [1, 256], default 8. Cells per channel.

    Returns:
        A float64 array of `bins ** C` cell shares. Cell
        `(r * bins + g) * bins + b` is the share of pixels whose channel
        values fall in ranges r, g and b.

    Examples:
        >>> white = np.full((2, 4, 4, 3), 255, dtype=np.uint8)
        >>> histogram = color_histogram(white)
        >>> histogram.shape, float(histogram[-1])
        ((512,), 1.0)
    """
    images = _checks.check_uint8_images("images", images)
    _check_bins(bins)
    # Integer arithmetic maps 0-255 onto 0-(bins - 1) in equal ranges.
    cells = images.astype(np.int64) * bins // 256
    index = np.zeros(images.shape[:3], dtype=np.int64)
    for channel in range(images.shape[-1]):
        index = index * bins + cells[..., channel]
    counts = np.bincount(index.ravel(), minlength=bins ** images.shape[-1])
    return counts / counts.sum()


def color_histogram_distance(a, b, bins=DEFAULT_BINS):
    """Compute the total variation distance between the joint colour histograms of two image sets.

    The module docstring gives the recipe. The sets may differ in size,
    since each histogram is normalised. Compare values only with values
    measured on sets of similar sizes, because a smaller set's histogram
    is noisier.

    Args:
        a: uint8 array `(N, H, W, C)`.
        b: uint8 array `(M, H', W', C)` with the same channel count.
        bins: int in [1, 256], default 8. Cells per channel.

    Returns:
        A float in [0, 1].

    Examples:
        >>> white = np.full((2, 4, 4, 3), 255, dtype=np.uint8)
        >>> black = np.zeros((3, 4, 4, 3), dtype=np.uint8)
        >>> color_histogram_distance(white, white), color_histogram_distance(white, black)
        (0.0, 1.0)
    """
    a = _checks.check_uint8_images("a", a)
    b = _checks.check_uint8_images("b", b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            "`a` and `b` must have the same number of channels. "
            f"Received: {a.shape[-1]} and {b.shape[-1]}."
        )
    histogram_a = color_histogram(a, bins)
    histogram_b = color_histogram(b, bins)
    return float(0.5 * np.sum(np.abs(histogram_a - histogram_b)))


def _check_bins(bins):
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 256:
        raise ValueError(f"`bins` must be an int in [1, 256]. Received: bins={bins!r}")
