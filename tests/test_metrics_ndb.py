"""NDB: k-means bins, the two-proportion z-test, and known results on logos."""

import math

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import NDBBins
from keras_logogan.metrics import ndb
from keras_logogan.metrics.ndb import jensen_shannon_divergence
from keras_logogan.metrics.ndb import kmeans
from keras_logogan.metrics.ndb import two_proportion_p_values

NUM_BINS = 20


@pytest.fixture(scope="module")
def split_logos():
    """Training and held-out logos at 32 px, drawn at random so both cover every source."""
    logos = load_icons(image_size=32)
    order = np.random.default_rng(0).permutation(len(logos))
    return logos[order[:1500]], logos[order[1500:2100]]


@pytest.fixture(scope="module")
def bins(split_logos):
    train, _ = split_logos
    return NDBBins(train, num_bins=NUM_BINS)


def test_ndb_same_set_has_no_different_bins(bins, split_logos):
    train, _ = split_logos

    result = bins.score(train)

    assert result.num_different_bins == 0
    assert result.ndb == 0.0
    assert result.js_divergence == pytest.approx(0.0, abs=1e-12)


def test_ndb_held_out_logos_near_significance_level(bins, split_logos):
    _, held_out = split_logos

    result = bins.score(held_out)

    # 5% of 20 bins is 1 bin by chance; allow a few.
    assert result.num_different_bins <= 4
    assert result.js_divergence < 0.05


@pytest.mark.parametrize(
    "make_images",
    [
        lambda: np.random.default_rng(0).integers(0, 256, (600, 32, 32, 3), dtype=np.uint8),
        lambda: np.full((600, 32, 32, 3), (30, 90, 200), dtype=np.uint8),
    ],
    ids=["noise", "solid_color"],
)
def test_ndb_disjoint_sets_differ_in_most_bins(bins, make_images):
    result = bins.score(make_images())

    assert result.ndb >= 0.7
    assert result.js_divergence > 0.4


def test_ndb_collapsed_set_differs_in_most_bins(bins, split_logos):
    train, _ = split_logos

    result = bins.score(np.repeat(train[:1], 600, axis=0))

    assert result.ndb >= 0.7
    assert np.count_nonzero(result.proportions) == 1


def test_ndb_result_fields(bins, split_logos):
    _, held_out = split_logos

    result = bins.score(held_out)

    assert result.num_bins == NUM_BINS
    assert result.num_images == len(held_out)
    assert result.proportions.sum() == pytest.approx(1.0)
    assert result.train_proportions.sum() == pytest.approx(1.0)
    # Bins are sorted from the most to the least populated.
    assert np.all(np.diff(result.train_proportions) <= 0)
    assert result.ndb == result.num_different_bins / NUM_BINS


def test_ndb_function_matches_bins(split_logos):
    train, held_out = split_logos

    result = ndb(train[:400], held_out, num_bins=10, seed=2)
    expected = NDBBins(train[:400], num_bins=10, seed=2).score(held_out)

    assert result.num_different_bins == expected.num_different_bins
    assert result.js_divergence == expected.js_divergence


def test_ndb_rejects_fewer_images_than_bins(split_logos):
    train, _ = split_logos

    with pytest.raises(ValueError, match="at least 50 training images"):
        NDBBins(train[:40], num_bins=50)


def test_ndb_rejects_other_image_shape(bins):
    with pytest.raises(ValueError, match="training image shape"):
        bins.score(load_icons(image_size=16)[:10])


def test_two_proportion_p_value_known_answer():
    # Pooled p = 0.4, standard error sqrt(0.4 * 0.6 * 2 / 100), z = 0.2 / that.
    z = 0.2 / math.sqrt(0.4 * 0.6 * 0.02)

    p_values = two_proportion_p_values([0.5, 0.3, 0.0], 100, [0.3, 0.3, 0.0], 100)

    assert p_values[0] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert p_values[0] == pytest.approx(0.00389, abs=1e-5)
    assert p_values[1] == 1.0
    assert p_values[2] == 1.0


def test_jensen_shannon_bounds():
    assert jensen_shannon_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert jensen_shannon_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(math.log(2))


def test_kmeans_finds_separated_clusters():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.concatenate([center + rng.normal(0, 0.5, (100, 2)) for center in centers])

    found, labels = kmeans(points, 3, seed=0)

    for center in centers:
        assert np.min(np.linalg.norm(found - center, axis=1)) < 0.3
    assert sorted(np.bincount(labels)) == [100, 100, 100]


def test_kmeans_is_deterministic_per_seed():
    points = np.random.default_rng(1).normal(size=(200, 5))

    first, _ = kmeans(points, 8, seed=4)
    again, _ = kmeans(points, 8, seed=4)

    np.testing.assert_array_equal(first, again)


def test_kmeans_handles_duplicate_points():
    points = np.zeros((20, 3))

    centers, labels = kmeans(points, 4, seed=0)

    assert centers.shape == (4, 3)
    assert labels.shape == (20,)
