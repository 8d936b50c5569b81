"""Sliced Wasserstein distance: known results on real logos, noise, solid colours and copies."""

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import sliced_wasserstein_distance
from keras_logogan.metrics.swd import sort_rows
from keras_logogan.metrics import swd_floor
from keras_logogan.metrics import swd_with_floor
from keras_logogan.metrics.swd import laplacian_pyramid
from keras_logogan.metrics.swd import pyramid_resolutions

# Fewer patches than PGGAN's 128 keep each call short.
FAST = {"patches_per_image": 16}
NUM_IMAGES = 300


@pytest.fixture(scope="module")
def logos():
    return load_icons(image_size=32)


@pytest.fixture(scope="module")
def floor(logos):
    return swd_floor(logos[: 2 * NUM_IMAGES], num_images=NUM_IMAGES, **FAST)


def solid_colors(count, size=32, seed=0):
    colors = np.random.default_rng(seed).integers(0, 256, (count, 1, 1, 3), dtype=np.uint8)
    return np.broadcast_to(colors, (count, size, size, 3)).copy()


def test_swd_reports_levels_32_and_16(logos):
    result = sliced_wasserstein_distance(logos[:50], logos[50:100], **FAST)

    assert list(result.per_level) == [32, 16]
    assert result.mean == pytest.approx(np.mean(list(result.per_level.values())))
    assert result.num_images == 50


def test_swd_same_set_near_floor(logos, floor):
    result = sliced_wasserstein_distance(logos[:NUM_IMAGES], logos[:NUM_IMAGES], **FAST)

    assert result.mean < 1.5 * floor.mean


def test_swd_floor_shrinks_with_more_images(logos, floor):
    # The floor is sampling noise, so larger sets lower it.
    coarse = swd_floor(logos[: 2 * NUM_IMAGES], num_images=50, **FAST)

    assert 0 < floor.mean < 0.6 * coarse.mean


@pytest.mark.parametrize(
    "make_other",
    [
        lambda logos: np.random.default_rng(0).integers(0, 256, (NUM_IMAGES, 32, 32, 3), dtype=np.uint8),
        lambda logos: solid_colors(NUM_IMAGES),
        lambda logos: np.repeat(logos[:1], NUM_IMAGES, axis=0),
    ],
    ids=["noise", "solid_colors", "collapsed"],
)
def test_swd_disjoint_sets_far_above_floor(logos, floor, make_other):
    result = sliced_wasserstein_distance(logos[:NUM_IMAGES], make_other(logos), **FAST)

    assert result.mean > 5 * floor.mean
    for level in result.per_level.values():
        assert level > 2 * floor.mean


def test_swd_seed_repeats_and_changes_result(logos):
    first = sliced_wasserstein_distance(logos[:100], logos[100:200], seed=3, **FAST)
    again = sliced_wasserstein_distance(logos[:100], logos[100:200], seed=3, **FAST)
    other = sliced_wasserstein_distance(logos[:100], logos[100:200], seed=4, **FAST)

    assert first == again
    assert first.mean != other.mean


def test_swd_subsamples_larger_set(logos):
    result = sliced_wasserstein_distance(logos[:80], logos[100:300], **FAST)

    assert result.num_images == 80


def test_swd_joint_normalization_sees_contrast(logos):
    images = logos[:NUM_IMAGES]
    # Halving every pixel halves every descriptor, which per-set
    # standardisation undoes up to uint8 rounding.
    darker = images // 2

    per_set = sliced_wasserstein_distance(images, darker, **FAST)
    joint = sliced_wasserstein_distance(images, darker, normalization="joint", **FAST)

    assert joint.mean > 10 * per_set.mean


def test_swd_16_px_images_use_one_level(logos):
    small = load_icons(image_size=16)

    result = sliced_wasserstein_distance(small[:50], small[50:100], **FAST)

    assert list(result.per_level) == [16]


def test_swd_grayscale_images(logos):
    gray = load_icons(image_size=32, grayscale=True)

    result = sliced_wasserstein_distance(gray[:50], gray[50:100], **FAST)

    assert np.isfinite(result.mean)


def test_swd_rejects_images_below_min_resolution():
    images = np.zeros((4, 8, 8, 3), dtype=np.uint8)

    with pytest.raises(ValueError, match="min_resolution"):
        sliced_wasserstein_distance(images, images)
    assert list(sliced_wasserstein_distance(images, images, min_resolution=8, **FAST).per_level) == [8]


def test_swd_rejects_float_images(logos):
    with pytest.raises(ValueError, match="uint8.*to_uint8"):
        sliced_wasserstein_distance(logos[:4].astype(np.float32), logos[:4])


def test_swd_rejects_different_shapes(logos):
    with pytest.raises(ValueError, match="same image shape"):
        sliced_wasserstein_distance(logos[:4], load_icons(image_size=16)[:4])


def test_swd_rejects_unknown_normalization(logos):
    with pytest.raises(ValueError, match="normalization"):
        sliced_wasserstein_distance(logos[:4], logos[:4], normalization="global")


def test_swd_floor_rejects_too_many_images(logos):
    with pytest.raises(ValueError, match="num_images=5"):
        swd_floor(logos[:10], num_images=6)


def test_swd_with_floor_matches_floor_scale(logos, floor):
    generated = np.repeat(logos[:1], NUM_IMAGES, axis=0)

    result, paired_floor = swd_with_floor(generated, logos[: 2 * NUM_IMAGES], **FAST)

    assert result.num_images == paired_floor.num_images == NUM_IMAGES
    assert 0.5 * floor.mean < paired_floor.mean < 2 * floor.mean
    assert result.mean > 5 * paired_floor.mean


def test_pyramid_resolutions_by_size():
    assert pyramid_resolutions((32, 32)) == [32, 16]
    assert pyramid_resolutions((64, 64)) == [64, 32, 16]
    assert pyramid_resolutions((16, 16)) == [16]


def test_laplacian_pyramid_of_flat_image():
    flat = np.full((2, 32, 32, 3), 200, dtype=np.uint8)

    detail, coarse = laplacian_pyramid(flat, 2)

    assert detail.shape == (2, 32, 32, 3)
    assert coarse.shape == (2, 16, 16, 3)
    np.testing.assert_allclose(detail, 0.0, atol=1e-4)
    np.testing.assert_allclose(coarse, 200.0, atol=1e-4)


@pytest.mark.parametrize("rows", [1, 2, 7])
def test_sort_rows_matches_numpy_sort(rows):
    matrix = np.random.default_rng(rows).standard_normal((rows, 1000)).astype(np.float32)
    expected = np.sort(matrix, axis=1)

    sort_rows(matrix)

    np.testing.assert_array_equal(matrix, expected)
