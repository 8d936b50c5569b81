"""Number of statistically different bins (NDB) and the Jensen-Shannon divergence of the bins.

The metric is from Richardson and Weiss, "On GANs and GMMs" (NeurIPS 2018):

1. Cluster the training images with k-means into K bins (K = 100 in the
   paper). Here the images are average-pooled 2x2 until they are at most
   16 px wide, so a 32 px logo becomes 768 values in [0, 1], and k-means
   runs in NumPy with k-means++ initialisation.
2. Assign each training image and each evaluated image to its nearest bin
   centre (L2 distance).
3. For each bin, run a two-sided two-proportion z-test between the share of
   training images and the share of evaluated images in it, at significance
   level 0.05.

NDB/K is the share of bins whose proportions differ significantly. A model
that matches the training distribution scores about the significance level,
since that share of bins differs by chance. Mode collapse and missing modes
raise it towards 1. The Jensen-Shannon divergence between the two bin
histograms, in nats (natural log, so in [0, ln 2]), complements it.
"""

import dataclasses
import math

import numpy as np

from keras_logogan.metrics import _checks

DEFAULT_NUM_BINS = 100
DEFAULT_MAX_SIDE = 16
SIGNIFICANCE_LEVEL = 0.05


@dataclasses.dataclass(frozen=True)
class NDBResult:
    """NDB test of one image set against the training bins.

    Attributes:
        ndb: float. NDB/K, the share of bins that differ significantly.
        num_different_bins: int. NDB, the count of those bins.
        js_divergence: float. Jensen-Shannon divergence of the two bin
            histograms, in nats.
        num_bins: int. K.
        train_proportions: float64 array `(K,)`, share of training images
            per bin. Bins are sorted from most to least training images.
        proportions: float64 array `(K,)`, share of evaluated images per bin.
        different: bool array `(K,)`, True for the significantly different
            bins.
        num_images: int. Evaluated images.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> collapsed = ndb(logos[:200], np.repeat(logos[:1], 100, axis=0), num_bins=5)
        >>> collapsed.num_images, collapsed.num_bins, float(collapsed.proportions.max())
        (100, 5, 1.0)
        >>> collapsed.ndb == collapsed.num_different_bins / collapsed.num_bins
        True
    """

    ndb: float
    num_different_bins: int
    js_divergence: float
    num_bins: int
    train_proportions: np.ndarray = dataclasses.field(repr=False)
    proportions: np.ndarray = dataclasses.field(repr=False)
    different: np.ndarray = dataclasses.field(repr=False)
    num_images: int


class NDBBins:
    """K-means bins of training images, for NDB tests of any number of image sets.

    Fitting the bins is the slow step, so build them once and call `score`
    for generated and held-out images alike.

    Args:
        train: uint8 array `(N, H, W, C)` of training images, N >= num_bins.
        num_bins: int, default 100. K, the number of k-means bins.
        seed: int, default 0. Seed of the k-means++ initialisation.
        max_side: int, default 16. Images are average-pooled 2x2 while wider
            than this and of even size, which speeds up k-means.
        max_iterations: int, default 100. Cap on k-means (Lloyd) iterations.

    Attributes:
        centers: float32 array `(K, D)` of bin centres, in pooled pixels in
            [0, 1], sorted from the most to the least populated bin.
        train_proportions: float64 array `(K,)` of the training images' bin
            shares.
        num_train: int. N.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> bins = NDBBins(logos[:500], num_bins=10)
        >>> bins.score(logos[:500]).num_different_bins
        0
        >>> bins.score(np.repeat(logos[:1], 200, axis=0)).ndb >= 0.7
        True
    """

    def __init__(
        self,
        train,
        num_bins=DEFAULT_NUM_BINS,
        seed=0,
        max_side=DEFAULT_MAX_SIDE,
        max_iterations=100,
    ):
        train = _checks.check_uint8_images("train", train)
        _checks.check_positive_int("num_bins", num_bins)
        _checks.check_seed(seed)
        _checks.check_positive_int("max_side", max_side)
        _checks.check_positive_int("max_iterations", max_iterations)
        if len(train) < num_bins:
            raise ValueError(
                f"NDB with {num_bins} bins needs at least {num_bins} training images. "
                f"Received: {len(train)}. Pass a smaller `num_bins`."
            )
        self.image_shape = train.shape[1:]
        self.max_side = max_side
        points = self._to_points(train)
        centers, _ = kmeans(points, num_bins, seed=seed, max_iterations=max_iterations)
        labels = _nearest_centers(points, centers)
        counts = np.bincount(labels, minlength=num_bins)
        order = np.argsort(-counts, kind="stable")
        self.centers = centers[order]
        self.train_proportions = counts[order] / len(train)
        self.num_train = len(train)

    def score(self, images, significance_level=SIGNIFICANCE_LEVEL):
        """Run the NDB test of `images` against the training bins.

        Args:
            images: uint8 array `(M, H, W, C)` of the training image shape.
            significance_level: float, default 0.05. A bin differs when the
                two-sided p-value of its z-test is below this.

        Returns:
            An `NDBResult`.
        """
        images = _checks.check_uint8_images("images", images)
        if images.shape[1:] != self.image_shape:
            raise ValueError(
                f"`images` must have the training image shape {self.image_shape}. "
                f"Received: {images.shape[1:]}."
            )
        if not 0.0 < significance_level < 1.0:
            raise ValueError(
                "`significance_level` must be in (0, 1). "
                f"Received: significance_level={significance_level!r}"
            )
        labels = _nearest_centers(self._to_points(images), self.centers)
        proportions = np.bincount(labels, minlength=len(self.centers)) / len(images)
        p_values = two_proportion_p_values(
            self.train_proportions, self.num_train, proportions, len(images)
        )
        different = p_values < significance_level
        return NDBResult(
            ndb=float(np.mean(different)),
            num_different_bins=int(np.sum(different)),
            js_divergence=jensen_shannon_divergence(self.train_proportions, proportions),
            num_bins=len(self.centers),
            train_proportions=self.train_proportions,
            proportions=proportions,
            different=different,
            num_images=len(images),
        )

    def _to_points(self, images):
        points = _checks.to_unit_float(images)
        while max(points.shape[1:3]) > self.max_side and not (
            points.shape[1] % 2 or points.shape[2] % 2
        ):
            points = 0.25 * (
                points[:, 0::2, 0::2] + points[:, 1::2, 0::2] + points[:, 0::2, 1::2] + points[:, 1::2, 1::2]
            )
        return points.reshape(len(points), -1)


def ndb(train, generated, num_bins=DEFAULT_NUM_BINS, seed=0, significance_level=SIGNIFICANCE_LEVEL):
    """Run the NDB test of generated images against k-means bins of the training images.

    The module docstring gives the recipe (Richardson and Weiss 2018). To
    test several image sets against the same bins, use `NDBBins`.

    Args:
        train: uint8 array `(N, H, W, C)`, N >= num_bins.
        generated: uint8 array `(M, H, W, C)`.
        num_bins: int, default 100. K.
        seed: int, default 0. Seed of the k-means++ initialisation.
        significance_level: float, default 0.05.

    Returns:
        An `NDBResult`; `result.ndb` is NDB/K and `result.js_divergence` the
        Jensen-Shannon divergence in nats.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=32)
        >>> solid = np.full((200, 32, 32, 3), 200, dtype=np.uint8)
        >>> ndb(logos[:500], solid, num_bins=10).ndb >= 0.7
        True
    """
    bins = NDBBins(train, num_bins=num_bins, seed=seed)
    return bins.score(generated, significance_level=significance_level)


def kmeans(points, num_clusters, seed=0, max_iterations=100):
    """Cluster the rows of `points` with Lloyd's k-means and k-means++ initialisation.

    A cluster that loses all its points takes the point farthest from its
    centre. Iterations stop when no point changes cluster, or after
    `max_iterations`.

    Args:
        points: float array `(N, D)`, N >= num_clusters.
        num_clusters: int. K.
        seed: int, default 0. Seed of the initialisation.
        max_iterations: int, default 100.

    Returns:
        A tuple `(centers, labels)`: float32 `(K, D)` centres and the int64
        `(N,)` cluster index of each point.
    """
    # NOTE: one k-means++ start, where scikit-learn's KMeans (used by the NDB
    # authors) keeps the best of several, so the bins and NDB values vary a
    # little with `seed`.
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or len(points) < num_clusters:
        raise ValueError(
            f"k-means needs a 2-D array of at least num_clusters={num_clusters} rows. "
            f"Received: shape={points.shape}"
        )
    rng = np.random.default_rng(seed)
    centers = _kmeans_plus_plus(points, num_clusters, rng)
    labels = None
    for _ in range(max_iterations):
        distances = _squared_distances(points, centers)
        new_labels = np.argmin(distances, axis=1)
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=num_clusters)
        membership = np.zeros((num_clusters, len(points)), dtype=np.float32)
        membership[labels, np.arange(len(points))] = 1.0
        sums = membership @ points
        nonempty = counts > 0
        centers[nonempty] = sums[nonempty] / counts[nonempty, None]
        empty = np.flatnonzero(~nonempty)
        if len(empty):
            point_distances = distances[np.arange(len(points)), labels]
            farthest = np.argsort(-point_distances)[: len(empty)]
            centers[empty] = points[farthest]
            labels = None
    if labels is None:
        labels = np.argmin(_squared_distances(points, centers), axis=1)
    return centers, labels


def two_proportion_p_values(proportions_a, count_a, proportions_b, count_b):
    """Return the two-sided p-values of the pooled two-proportion z-test, per bin.

    `z = (p_a - p_b) / sqrt(p (1 - p) (1 / n_a + 1 / n_b))`, where `p` is the
    pooled proportion. A bin empty in both samples gets a p-value of 1.
    """
    proportions_a = np.asarray(proportions_a, dtype=np.float64)
    proportions_b = np.asarray(proportions_b, dtype=np.float64)
    pooled = (proportions_a * count_a + proportions_b * count_b) / (count_a + count_b)
    standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / count_a + 1.0 / count_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(standard_error > 0, (proportions_a - proportions_b) / standard_error, 0.0)
    # The two-sided tail of the standard normal is erfc(|z| / sqrt(2)).
    return np.array([math.erfc(abs(value) / math.sqrt(2.0)) for value in z])


def jensen_shannon_divergence(p, q):
    """Return the Jensen-Shannon divergence of two discrete distributions, in nats."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    middle = 0.5 * (p + q)
    return float(0.5 * _kl_divergence(p, middle) + 0.5 * _kl_divergence(q, middle))


def _kl_divergence(p, q):
    support = p > 0
    return np.sum(p[support] * np.log(p[support] / q[support]))


def _squared_distances(points, centers):
    squared = (
        np.sum(points * points, axis=1)[:, None]
        - 2.0 * points @ centers.T
        + np.sum(centers * centers, axis=1)[None, :]
    )
    return np.maximum(squared, 0.0)


def _nearest_centers(points, centers, chunk_size=4096):
    labels = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), chunk_size):
        chunk = points[start : start + chunk_size]
        labels[start : start + len(chunk)] = np.argmin(_squared_distances(chunk, centers), axis=1)
    return labels


def _kmeans_plus_plus(points, num_clusters, rng):
    """Pick initial centres: the first uniformly, each next with probability proportional to D^2.

    D is a point's distance to its nearest centre so far (Arthur and
    Vassilvitskii, "k-means++: The Advantages of Careful Seeding", 2007).
    """
    centers = np.empty((num_clusters, points.shape[1]), dtype=np.float32)
    centers[0] = points[rng.integers(len(points))]
    nearest = _squared_distances(points, centers[:1])[:, 0].astype(np.float64)
    for index in range(1, num_clusters):
        cumulative = np.cumsum(nearest)
        if cumulative[-1] > 0:
            choice = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
            choice = min(choice, len(points) - 1)
        else:
            # Every point equals a centre already, so any point will do.
            choice = rng.integers(len(points))
        centers[index] = points[choice]
        nearest = np.minimum(nearest, _squared_distances(points, centers[index : index + 1])[:, 0])
    return centers
