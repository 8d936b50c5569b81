"""Multi-scale structural similarity (MS-SSIM), and the MS-SSIM diversity of an image set.

MS-SSIM is from Wang, Simoncelli and Bovik, "Multiscale structural
similarity for image quality assessment" (Asilomar 2003). At each scale,
the local means, variances and covariance of the two images are taken under
a Gaussian window. The contrast-structure term
`cs = (2 cov_xy + C2) / (var_x + var_y + C2)` is averaged over the image at
every scale. The luminance term `(2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)`
enters only at the coarsest scale, as the SSIM map `luminance * cs`. Here
`C1 = (0.01 * max_val)^2` and `C2 = (0.03 * max_val)^2`. The scale values,
clipped at 0, are combined as a weighted geometric mean, and the result is
averaged over colour channels. Each coarser scale is the previous one
average-pooled 2x2, after an odd height or width is padded by repeating the
last row or column. The value is unitless and lies in [0, 1], 1 for
identical images.

With the standard settings (5 scales, an 11 px window with sigma 1.5, the
weights 0.0448, 0.2856, 0.3001, 0.2363 and 0.1333), the coarsest scale of a
5-scale pyramid needs 11 px, so the images need 161 px or more.
`tf.image.ssim_multiscale` (TensorFlow 2.21) rejects smaller images. For
small images, `ms_ssim_scales` uses fewer scales and smaller windows:

- Scales are added, up to 5, while the shorter side of the scale is at
  least 4 px.
- The window at each scale is 11 px when that scale is at least 11 px on
  its shorter side, else the largest odd size that fits, and its sigma is
  scaled to `1.5 * window / 11`.
- The weights are the first weights of the standard list, divided by their
  sum when fewer than 5 scales are used.

At 32 px this gives 4 scales of 32, 16, 8 and 4 px, windows of 11, 11, 7
and 3 px with sigmas 1.5, 1.5, 0.955 and 0.409, and the weights 0.0517,
0.3295, 0.3462 and 0.2726. At 16 px it gives 3 scales of 16, 8 and 4 px,
with windows of 11, 7 and 3 px. Images of 161 px or more get the standard
settings, and there the results match `tf.image.ssim_multiscale` to within
1e-3 (the tests compare 161, 192 and 224 px images).

MS-SSIM diversity follows Odena, Olah and Shlens, "Conditional Image
Synthesis with Auxiliary Classifier GANs" (ICML 2017): the mean MS-SSIM
over random pairs of distinct images of a set. Real images give a baseline.
A generator whose value rises above it makes too-similar images, and 1
means that every sample is the same image.
"""

import dataclasses

import numpy as np

from keras_logogan.metrics import _checks

STANDARD_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
STANDARD_WINDOW = 11
STANDARD_SIGMA = 1.5
K1 = 0.01
K2 = 0.03
MIN_SCALE_SIDE = 4

# Pairs compared per batch in `ms_ssim_diversity`, to bound memory.
_PAIRS_PER_BATCH = 256


@dataclasses.dataclass(frozen=True)
class MSSSIMScale:
    """One scale of MS-SSIM.

    Attributes:
        height: int. Image height at this scale, in pixels.
        width: int. Image width at this scale, in pixels.
        window: int. Side of the Gaussian window, in pixels.
        sigma: float. Standard deviation of the window, in pixels.
        weight: float. Exponent of this scale's term in the geometric mean.

    Examples:
        >>> scales = ms_ssim_scales(16, 24)
        >>> [(scale.height, scale.width, scale.window) for scale in scales]
        [(16, 24, 11), (8, 12, 7), (4, 6, 3)]
        >>> round(scales[-1].sigma, 3), round(sum(scale.weight for scale in scales), 6)
        (0.409, 1.0)
    """

    height: int
    width: int
    window: int
    sigma: float
    weight: float


def ms_ssim_scales(height, width):
    """Return the `MSSSIMScale`s that `ms_ssim` uses for images of this size, finest first.

    The module docstring gives the rule.

    Raises:
        ValueError: if the shorter side is below 4 px.

    Examples:
        >>> [(scale.height, scale.window) for scale in ms_ssim_scales(32, 32)]
        [(32, 11), (16, 11), (8, 7), (4, 3)]
        >>> [round(scale.weight, 4) for scale in ms_ssim_scales(32, 32)]
        [0.0517, 0.3295, 0.3462, 0.2726]
    """
    if min(height, width) < MIN_SCALE_SIDE:
        raise ValueError(
            f"MS-SSIM needs images of at least {MIN_SCALE_SIDE}x{MIN_SCALE_SIDE} px. "
            f"Received: {height}x{width}."
        )
    sizes = [(height, width)]
    while len(sizes) < len(STANDARD_WEIGHTS):
        next_height, next_width = (-(-side // 2) for side in sizes[-1])
        if min(next_height, next_width) < MIN_SCALE_SIDE:
            break
        sizes.append((next_height, next_width))

    weights = np.array(STANDARD_WEIGHTS[: len(sizes)])
    if len(sizes) < len(STANDARD_WEIGHTS):
        weights = weights / weights.sum()
    scales = []
    for (scale_height, scale_width), weight in zip(sizes, weights):
        shorter = min(scale_height, scale_width)
        window = STANDARD_WINDOW if shorter >= STANDARD_WINDOW else shorter - (1 - shorter % 2)
        scales.append(
            MSSSIMScale(
                height=scale_height,
                width=scale_width,
                window=window,
                sigma=STANDARD_SIGMA * window / STANDARD_WINDOW,
                weight=float(weight),
            )
        )
    return scales


def ms_ssim(x, y, max_val=255.0):
    """Compute the MS-SSIM of two images or two equal-sized batches of images.

    The module docstring gives the formula and the scales, which adapt to
    images under 161 px.

    Args:
        x: array `(H, W, C)` or `(N, H, W, C)`, uint8 or float.
        y: array of the same shape as `x`.
        max_val: float, default 255. The dynamic range of the pixel values,
            e.g. 255 for uint8 and 1.0 for floats in [0, 1].

    Returns:
        A float for single images, else a float64 array of shape `(N,)`,
        in [0, 1].

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> float(ms_ssim(logos[0], logos[0]))
        1.0
        >>> 0.0 <= ms_ssim(logos[0], logos[1]) < 1.0
        True
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.shape != y.shape:
        raise ValueError(f"`x` and `y` must have the same shape. Received: {x.shape} and {y.shape}.")
    if x.ndim not in (3, 4):
        raise ValueError(
            "`x` and `y` must be images (height, width, channels) or batches "
            f"(N, height, width, channels). Received: shape={x.shape}"
        )
    if isinstance(max_val, bool) or not np.isscalar(max_val) or not np.isfinite(max_val) or max_val <= 0:
        raise ValueError(f"`max_val` must be a positive number. Received: max_val={max_val!r}")
    single = x.ndim == 3
    if single:
        x, y = x[None], y[None]
    values = _ms_ssim_batch(x.astype(np.float64), y.astype(np.float64), float(max_val))
    return float(values[0]) if single else values


def ms_ssim_diversity(images, num_pairs=1000, seed=0):
    """Compute the mean MS-SSIM over random pairs of distinct images of a set.

    Each pair is two different indices, drawn uniformly, so duplicate
    images in the set count as pairs of identical images. The recipe and
    the scales used for small images are in the module docstring.

    Args:
        images: uint8 array `(N, H, W, C)`, N >= 2.
        num_pairs: int, default 1000. Pairs drawn with replacement.
        seed: int, default 0. Seed of the pairs.

    Returns:
        A float in [0, 1]. Higher means less diverse. Compare it with the
        value of real images, e.g. the training set.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> ms_ssim_diversity(np.repeat(logos[:1], 10, axis=0), num_pairs=20)
        1.0
        >>> ms_ssim_diversity(logos[:200], num_pairs=100) < 0.5
        True
    """
    images = _checks.check_uint8_images("images", images, min_count=2)
    _checks.check_positive_int("num_pairs", num_pairs)
    _checks.check_seed(seed)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(images), size=num_pairs)
    # An offset in [1, N - 1] makes the second index differ from the first
    # and leaves it uniform over the other images.
    second = (first + rng.integers(1, len(images), size=num_pairs)) % len(images)
    values = []
    for start in range(0, num_pairs, _PAIRS_PER_BATCH):
        batch = slice(start, start + _PAIRS_PER_BATCH)
        values.append(
            _ms_ssim_batch(
                images[first[batch]].astype(np.float64),
                images[second[batch]].astype(np.float64),
                255.0,
            )
        )
    return float(np.mean(np.concatenate(values)))


def _ms_ssim_batch(x, y, max_val):
    """Return the MS-SSIM of each pair of float64 images `(N, H, W, C)`, as an `(N,)` array."""
    scales = ms_ssim_scales(x.shape[1], x.shape[2])
    log_terms = np.zeros(x.shape[0:1] + x.shape[3:4])
    for index, scale in enumerate(scales):
        if index > 0:
            x, y = _downsample(x), _downsample(y)
        luminance, contrast_structure = _ssim_maps(x, y, scale.window, scale.sigma, max_val)
        if index < len(scales) - 1:
            term = np.mean(contrast_structure, axis=(1, 2))
        else:
            term = np.mean(luminance * contrast_structure, axis=(1, 2))
        # A term of 0 makes the product 0, and log(0) = -inf gives exp(-inf) = 0.
        with np.errstate(divide="ignore"):
            log_terms += scale.weight * np.log(np.maximum(term, 0.0))
    return np.mean(np.exp(log_terms), axis=-1)


def _ssim_maps(x, y, window, sigma, max_val):
    """Return the luminance and contrast-structure maps under a Gaussian window, unpadded."""
    taps = _gaussian_taps(window, sigma)
    c1 = (K1 * max_val) ** 2
    c2 = (K2 * max_val) ** 2
    mean_x = _filter(x, taps)
    mean_y = _filter(y, taps)
    mean_products = 2.0 * mean_x * mean_y
    mean_squares = mean_x * mean_x + mean_y * mean_y
    luminance = (mean_products + c1) / (mean_squares + c1)
    # 2 cov_xy = 2 E[xy] - 2 mu_x mu_y and var_x + var_y = E[x^2 + y^2] - mu_x^2 - mu_y^2.
    covariance_term = 2.0 * _filter(x * y, taps) - mean_products
    variance_term = _filter(x * x + y * y, taps) - mean_squares
    contrast_structure = (covariance_term + c2) / (variance_term + c2)
    return luminance, contrast_structure


def _gaussian_taps(window, sigma):
    """Return a normalised 1-D Gaussian of `window` taps; its outer product is the 2-D window."""
    coordinates = np.arange(window) - (window - 1) / 2.0
    taps = np.exp(-0.5 * (coordinates / sigma) ** 2)
    return taps / taps.sum()


def _filter(images, taps):
    """Convolve `(N, H, W, C)` images with the separable window, keeping only full overlaps."""
    for axis in (1, 2):
        length = images.shape[axis] - len(taps) + 1
        filtered = np.zeros(images.shape[:axis] + (length,) + images.shape[axis + 1 :])
        for offset, weight in enumerate(taps):
            window = [slice(None)] * images.ndim
            window[axis] = slice(offset, offset + length)
            filtered += weight * images[tuple(window)]
        images = filtered
    return images


def _downsample(images):
    """Average-pool 2x2, first repeating the last row or column of an odd height or width."""
    _, height, width, _ = images.shape
    padding = ((0, 0), (0, height % 2), (0, width % 2), (0, 0))
    if height % 2 or width % 2:
        images = np.pad(images, padding, mode="edge")
    return 0.25 * (
        images[:, 0::2, 0::2] + images[:, 1::2, 0::2] + images[:, 0::2, 1::2] + images[:, 1::2, 1::2]
    )
