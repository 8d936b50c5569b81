"""Frechet distance (FID) and kernel distance (KID) between image features, with Keras InceptionV3.

FID (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge
to a Local Nash Equilibrium", NeurIPS 2017) fits a Gaussian to each set of
features and returns the Frechet distance between the two Gaussians:
`|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))`. KID
(Binkowski et al., "Demystifying MMD GANs", ICLR 2018) is the unbiased
estimate of the squared maximum mean discrepancy with the cubic polynomial
kernel `k(x, y) = (x.y / d + 1)^3`, averaged over random subsets. Both are
in squared feature units, and lower is closer. KID has no bias at small
sample sizes, while FID is biased upwards as the sample shrinks, so compare
FIDs only at equal sample counts.

`inception_feature_extractor` gives the usual features: the 2048 average
pool values of InceptionV3 without its top, for images resized to 299 px.
It uses the ImageNet weights that Keras publishes for
`keras.applications.InceptionV3`, which are not the TensorFlow 2015
Inception graph behind published FIDs. Label numbers from it
"Keras-Inception FID" and "Keras-Inception KID", and compare them only with
each other. keras-logogan never downloads the weights. Pass a local file
with `weights_path=`, or keep the file in the Keras cache, where
`keras.applications.InceptionV3(include_top=False, weights="imagenet")`
stores it on a machine with network access.
"""

import dataclasses
import os
import warnings

import numpy as np

from keras_logogan.metrics import _checks

# With fewer samples per set than this, the 2048 x 2048 covariance of the
# Inception features is singular, and FID is far from its large-sample value.
MIN_FID_SAMPLES = 2048

INCEPTION_IMAGE_SIZE = 299
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"

KID_NUM_SUBSETS = 100
KID_SUBSET_SIZE = 1000


class InceptionWeightsError(OSError):
    """InceptionV3 weights that are missing or cannot be loaded.

    The message names the path and what to pass instead.

    Examples:
        >>> import os, tempfile
        >>> missing = os.path.join(tempfile.mkdtemp(), INCEPTION_WEIGHTS_FILE)
        >>> images = np.zeros((2, 8, 8, 3), np.uint8)
        >>> try:
        ...     kid(images, images, weights_path=missing)
        ... except InceptionWeightsError as error:
        ...     print("was not found" in str(error), isinstance(error, OSError))
        True True
    """


@dataclasses.dataclass(frozen=True)
class KIDResult:
    """Kernel distance of two feature sets.

    Attributes:
        mean: float. Mean of the unbiased squared-MMD estimates over the
            subsets, the KID value. It can be slightly negative when the
            sets come from the same distribution.
        std: float. Standard deviation of the estimates over the subsets.
        subset_size: int. Rows of each set per subset.
        num_subsets: int.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> result = kernel_inception_distance(
        ...     rng.standard_normal((50, 4)), rng.standard_normal((80, 4)), num_subsets=5
        ... )
        >>> result.subset_size, result.num_subsets, result.std > 0
        (50, 5, True)
    """

    mean: float
    std: float
    subset_size: int
    num_subsets: int


def frechet_distance(features_a, features_b):
    """Compute the Frechet distance between Gaussians fitted to two feature sets.

    The means and the covariances (with `N - 1` in the denominator) are
    computed in float64. The trace of `(S_a S_b)^(1/2)` is the sum of the
    square roots of the eigenvalues of `S_a^(1/2) S_b S_a^(1/2)`, a symmetric
    positive semi-definite matrix, so the result is real even when the
    covariances are singular. Eigenvalues below 0 from rounding count as 0.

    Args:
        features_a: float array `(N, D)`.
        features_b: float array `(M, D)`.

    Returns:
        A float >= 0 (up to rounding), in squared feature units.

    Warns:
        UserWarning: when a set has no more rows than columns, since its
            covariance is then singular and the distance unreliable.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> features = rng.standard_normal((5000, 4))
        >>> round(frechet_distance(features, features), 6)
        0.0
        >>> round(frechet_distance(features, features + 1.0), 6)
        4.0
    """
    features_a = _check_features("features_a", features_a)
    features_b = _check_features("features_b", features_b)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            "`features_a` and `features_b` must have the same number of columns. "
            f"Received: {features_a.shape[1]} and {features_b.shape[1]}."
        )
    for name, features in (("features_a", features_a), ("features_b", features_b)):
        if len(features) <= features.shape[1]:
            warnings.warn(
                f"`{name}` has {len(features)} rows of {features.shape[1]} features, so its "
                "covariance is singular and the Frechet distance is unreliable. Use more "
                "samples than features.",
                UserWarning,
                stacklevel=2,
            )
    mean_a, covariance_a = _mean_and_covariance(features_a)
    mean_b, covariance_b = _mean_and_covariance(features_b)
    root_a = _symmetric_sqrt(covariance_a)
    product = root_a @ covariance_b @ root_a
    eigenvalues = np.linalg.eigvalsh(0.5 * (product + product.T))
    trace_of_root = np.sum(np.sqrt(np.maximum(eigenvalues, 0.0)))
    difference = mean_a - mean_b
    return float(
        difference @ difference
        + np.trace(covariance_a)
        + np.trace(covariance_b)
        - 2.0 * trace_of_root
    )


def kernel_inception_distance(
    features_a,
    features_b,
    num_subsets=KID_NUM_SUBSETS,
    subset_size=KID_SUBSET_SIZE,
    seed=0,
):
    """Compute the kernel distance (KID) between two feature sets.

    Each subset draws `min(subset_size, N, M)` rows of each set without
    replacement. For subsets X and Y of m rows, the unbiased squared MMD is
    `sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) /
    (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2`, with the kernel
    `k(x, y) = (x.y / D + 1)^3`. The result averages it over the subsets.

    Args:
        features_a: float array `(N, D)`, N >= 2.
        features_b: float array `(M, D)`, M >= 2.
        num_subsets: int, default 100.
        subset_size: int, default 1000.
        seed: int, default 0. Seed of the subsets.

    Returns:
        A `KIDResult`.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.standard_normal((2, 500, 8))
        >>> same = kernel_inception_distance(a, b, num_subsets=10, subset_size=200)
        >>> shifted = kernel_inception_distance(a, b + 1.0, num_subsets=10, subset_size=200)
        >>> abs(same.mean) < 0.05 < shifted.mean
        True
    """
    features_a = _check_features("features_a", features_a, min_rows=2)
    features_b = _check_features("features_b", features_b, min_rows=2)
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            "`features_a` and `features_b` must have the same number of columns. "
            f"Received: {features_a.shape[1]} and {features_b.shape[1]}."
        )
    _checks.check_positive_int("num_subsets", num_subsets)
    _checks.check_positive_int("subset_size", subset_size)
    _checks.check_seed(seed)
    size = min(subset_size, len(features_a), len(features_b))
    if size < 2:
        raise ValueError(f"`subset_size` must be at least 2. Received: subset_size={subset_size}")
    dimension = features_a.shape[1]
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for index in range(num_subsets):
        x = features_a[rng.choice(len(features_a), size, replace=False)]
        y = features_b[rng.choice(len(features_b), size, replace=False)]
        kernel_xx = (x @ x.T / dimension + 1.0) ** 3
        kernel_yy = (y @ y.T / dimension + 1.0) ** 3
        kernel_xy = (x @ y.T / dimension + 1.0) ** 3
        within = (
            (kernel_xx.sum() - np.trace(kernel_xx)) + (kernel_yy.sum() - np.trace(kernel_yy))
        ) / (size * (size - 1))
        estimates[index] = within - 2.0 * kernel_xy.sum() / (size * size)
    return KIDResult(
        mean=float(np.mean(estimates)),
        std=float(np.std(estimates)),
        subset_size=size,
        num_subsets=num_subsets,
    )


def fid(a, b, feature_extractor=None, weights_path=None):
    """Compute the FID between two image sets, by default with Keras InceptionV3 features.

    Args:
        a: uint8 array `(N, H, W, C)`.
        b: uint8 array `(M, H', W', C')`.
        feature_extractor: optional callable from a uint8 image array to a
            `(N, D)` float feature array. Default: the extractor of
            `inception_feature_extractor(weights_path)`, whose values are
            "Keras-Inception FID".
        weights_path: optional path of the InceptionV3 weights, used only
            without `feature_extractor`.

    Returns:
        A float, in squared feature units.

    Raises:
        InceptionWeightsError: without `feature_extractor`, when no
            InceptionV3 weights can be loaded.

    Warns:
        UserWarning: when a set has fewer than 2048 images.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> def mean_colors(images):
        ...     return images.reshape(len(images), -1, 3).mean(axis=1)
        >>> fid(logos[:3000], logos[:3000], feature_extractor=mean_colors) < 1e-6
        True
    """
    features_a, features_b = _extract_both(a, b, feature_extractor, weights_path)
    return frechet_distance(features_a, features_b)


def kid(
    a,
    b,
    feature_extractor=None,
    weights_path=None,
    num_subsets=KID_NUM_SUBSETS,
    subset_size=KID_SUBSET_SIZE,
    seed=0,
):
    """Compute the KID between two image sets, by default with Keras InceptionV3 features.

    Arguments are those of `fid` and `kernel_inception_distance`. KID has
    no small-sample bias, so it suits sets under 2048 images better than
    FID, and `kid` does not warn about small sets.

    Returns:
        A `KIDResult`.

    Raises:
        InceptionWeightsError: without `feature_extractor`, when no
            InceptionV3 weights can be loaded.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> dark = rng.integers(0, 100, (40, 8, 8, 3), dtype=np.uint8)
        >>> bright = rng.integers(150, 256, (40, 8, 8, 3), dtype=np.uint8)
        >>> def mean_colors(images):
        ...     return images.reshape(len(images), -1, 3).mean(axis=1) / 255
        >>> near = kid(dark[:20], dark[20:], feature_extractor=mean_colors, num_subsets=1)
        >>> far = kid(dark[:20], bright[:20], feature_extractor=mean_colors, num_subsets=1)
        >>> near.subset_size, abs(near.mean) < 0.01 < far.mean
        (20, True)
    """
    features_a, features_b = _extract_both(
        a, b, feature_extractor, weights_path, warn_below=None
    )
    return kernel_inception_distance(
        features_a, features_b, num_subsets=num_subsets, subset_size=subset_size, seed=seed
    )


def inception_feature_extractor(weights_path=None, batch_size=50):
    """Build a callable that maps uint8 images to InceptionV3 average-pool features.

    The images are resized to 299x299 with PIL's bicubic filter, which
    antialiases when it shrinks an image, channel by channel in float mode
    so no rounding to uint8 happens. Other resizers change FID, so compare
    only values computed with the same resizing. Grayscale images are
    repeated to 3 channels. Pixels are then scaled to [-1, 1], as
    `keras.applications.inception_v3.preprocess_input` does.

    Args:
        weights_path: optional path of Keras InceptionV3 weights without the
            top, such as the file `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`.
            Default: that file in the Keras cache (`$KERAS_HOME/models`,
            else `~/.keras/models` or `/tmp/.keras/models`), if present.
        batch_size: int, default 50. Images per network call.

    Returns:
        A function from a uint8 array `(N, H, W, C)` to a float64 array
        `(N, 2048)`.

    Raises:
        InceptionWeightsError: when no weights path is given and none is
            cached, or when the file cannot be loaded. Nothing is downloaded.

    Examples:
        A missing weights file raises before InceptionV3 is built, and
        nothing is downloaded:

        >>> import os, tempfile
        >>> missing = os.path.join(tempfile.mkdtemp(), INCEPTION_WEIGHTS_FILE)
        >>> inception_feature_extractor(weights_path=missing)
        Traceback (most recent call last):
        ...
        keras_logogan.metrics.inception.InceptionWeightsError: The InceptionV3 weights file '...' was not found. ...
    """
    _checks.check_positive_int("batch_size", batch_size)
    path = _resolve_weights_path(weights_path)
    # NOTE: the tests load randomly initialised weights saved by Keras 3.15.
    # Loading the published ImageNet file uses the same `load_weights` call
    # as `keras.applications.InceptionV3(weights="imagenet")`, but it was
    # not run here, since the machine had no copy of the file.

    import keras

    try:
        model = keras.applications.InceptionV3(
            include_top=False,
            weights=None,
            pooling="avg",
            input_shape=(INCEPTION_IMAGE_SIZE, INCEPTION_IMAGE_SIZE, 3),
        )
        model.load_weights(path)
    except (ValueError, OSError, KeyError) as error:
        raise InceptionWeightsError(
            f"The InceptionV3 weights {path!r} could not be loaded: {error}. Pass "
            f"weights_path= the Keras file {INCEPTION_WEIGHTS_FILE} (InceptionV3 without "
            "its top), or feature_extractor= a callable from images to features."
        ) from error

    def extract_features(images):
        images = _checks.check_uint8_images("images", images)
        features = []
        for start in range(0, len(images), batch_size):
            batch = resize_for_inception(images[start : start + batch_size])
            batch = batch / 127.5 - 1.0
            output = model.predict_on_batch(batch)
            features.append(np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float64))
        return np.concatenate(features)

    return extract_features


def resize_for_inception(images, size=INCEPTION_IMAGE_SIZE):
    """Resize uint8 images to `size` x `size` with PIL bicubic, in float32, with 3 channels.

    Returns:
        A float32 array `(N, size, size, 3)` with values in [0, 255].
    """
    from PIL import Image

    images = _checks.check_uint8_images("images", images)
    resized = np.empty((len(images), size, size, images.shape[-1]), dtype=np.float32)
    for index, image in enumerate(images):
        for channel in range(images.shape[-1]):
            # A float32 array becomes a mode "F" (32-bit float) PIL image.
            plane = Image.fromarray(np.ascontiguousarray(image[..., channel], dtype=np.float32))
            resized[index, ..., channel] = np.asarray(plane.resize((size, size), Image.BICUBIC))
    np.clip(resized, 0.0, 255.0, out=resized)
    if resized.shape[-1] == 1:
        resized = np.repeat(resized, 3, axis=-1)
    return resized


def cached_weights_paths():
    """Return the paths where Keras caches the InceptionV3 weights without the top.

    Keras (3.15) stores downloads in `$KERAS_HOME/models` when `KERAS_HOME`
    is set, else in `~/.keras/models`, or in `/tmp/.keras/models` when the
    home folder is not writable.
    """
    if os.environ.get("KERAS_HOME"):
        folders = [os.environ["KERAS_HOME"]]
    else:
        folders = [os.path.join(os.path.expanduser("~"), ".keras"), os.path.join("/tmp", ".keras")]
    return [os.path.join(folder, "models", INCEPTION_WEIGHTS_FILE) for folder in folders]


def _resolve_weights_path(weights_path):
    if weights_path is not None:
        path = os.fspath(weights_path)
        if not os.path.isfile(path):
            raise InceptionWeightsError(
                f"The InceptionV3 weights file {path!r} was not found. Pass weights_path= "
                f"an existing {INCEPTION_WEIGHTS_FILE}, or feature_extractor= a callable "
                "from images to features."
            )
        return path
    candidates = cached_weights_paths()
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise InceptionWeightsError(
        "No InceptionV3 weights were found: weights_path was not given and "
        f"{' and '.join(repr(path) for path in candidates)} do not exist. keras-logogan "
        "never downloads them. Pass weights_path= a local copy of "
        f"{INCEPTION_WEIGHTS_FILE}, which keras.applications.InceptionV3(include_top=False, "
        "weights='imagenet') saves to ~/.keras/models on a machine with network access, "
        "or pass feature_extractor= a callable that maps uint8 images (N, H, W, C) to "
        "an (N, D) feature array."
    )


def _extract_both(a, b, feature_extractor, weights_path, warn_below=MIN_FID_SAMPLES):
    a = _checks.check_uint8_images("a", a, min_count=2)
    b = _checks.check_uint8_images("b", b, min_count=2)
    if warn_below is not None and min(len(a), len(b)) < warn_below:
        warnings.warn(
            f"FID of {len(a)} and {len(b)} images: below {warn_below} images per set, FID "
            "is biased upwards and the 2048-feature Inception covariance is singular. "
            "Compare only FIDs measured at equal sample counts, or use `kid`.",
            UserWarning,
            stacklevel=3,
        )
    if feature_extractor is None:
        feature_extractor = inception_feature_extractor(weights_path)
    elif not callable(feature_extractor):
        raise TypeError(
            "`feature_extractor` must be a callable from images to features. "
            f"Received: {type(feature_extractor).__name__}"
        )
    return (
        _check_features("feature_extractor(a)", feature_extractor(a), expected_rows=len(a)),
        _check_features("feature_extractor(b)", feature_extractor(b), expected_rows=len(b)),
    )


def _check_features(name, features, min_rows=2, expected_rows=None):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D array (N, D). Received: shape={features.shape}")
    if expected_rows is not None and len(features) != expected_rows:
        raise ValueError(
            f"`{name}` must have one row per image, {expected_rows}. Received: {len(features)} rows."
        )
    if len(features) < min_rows:
        raise ValueError(f"`{name}` must have at least {min_rows} rows. Received: {len(features)}.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return features


def _mean_and_covariance(features):
    return np.mean(features, axis=0), np.cov(features, rowvar=False, ddof=1).reshape(
        features.shape[1], features.shape[1]
    )


def _symmetric_sqrt(matrix):
    """Return the square root of a symmetric positive semi-definite matrix, by eigendecomposition."""
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    return (eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))) @ eigenvectors.T
