"""Colour histogram distance: known results on flat colours, logos and noise."""

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import color_histogram
from keras_logogan.metrics import color_histogram_distance


@pytest.fixture(scope="module")
def logos():
    logos = load_icons(image_size=32)
    return logos[np.random.default_rng(0).permutation(len(logos))]


def flat(color, count=4, size=8):
    return np.full((count, size, size, len(color)), color, dtype=np.uint8)


def test_histogram_cell_layout():
    histogram = color_histogram(flat((0, 32, 255)))

    # 0 falls in range 0, 32 in range 1 and 255 in range 7 of 8.
    assert histogram[(0 * 8 + 1) * 8 + 7] == 1.0
    assert histogram.sum() == 1.0
    assert histogram.shape == (512,)


def test_histogram_of_grayscale_images():
    histogram = color_histogram(flat((200,)), bins=4)

    assert histogram.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_distance_identical_sets_is_zero(logos):
    assert color_histogram_distance(logos[:500], logos[:500]) == 0.0


def test_distance_disjoint_colors_is_one():
    assert color_histogram_distance(flat((255, 255, 255)), flat((0, 0, 0))) == 1.0


def test_distance_is_share_of_moved_pixels():
    half_white = np.concatenate([flat((255, 255, 255), count=2), flat((0, 0, 0), count=2)])

    assert color_histogram_distance(half_white, flat((255, 255, 255))) == pytest.approx(0.5)


def test_distance_real_halves_far_below_noise(logos):
    real_floor = color_histogram_distance(logos[:1000], logos[1000:2000])
    noise = np.random.default_rng(0).integers(0, 256, (1000, 32, 32, 3), dtype=np.uint8)

    assert real_floor < 0.1
    assert color_histogram_distance(noise, logos[:1000]) > 5 * real_floor


def test_distance_collapsed_set_above_floor(logos):
    real_floor = color_histogram_distance(logos[:1000], logos[1000:2000])
    collapsed = np.repeat(logos[:1], 1000, axis=0)

    assert color_histogram_distance(collapsed, logos[1000:2000]) > 2 * real_floor


def test_one_bin_sees_no_difference():
    assert color_histogram_distance(flat((255, 0, 0)), flat((0, 0, 255)), bins=1) == 0.0


@pytest.mark.parametrize("bins", [0, 257, 2.5, True])
def test_distance_rejects_invalid_bins(bins):
    with pytest.raises(ValueError, match="bins"):
        color_histogram_distance(flat((1, 2, 3)), flat((1, 2, 3)), bins=bins)


def test_distance_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="channels"):
        color_histogram_distance(flat((1, 2, 3)), flat((1,)))
