"""Memorisation test: copies, near copies, held-out images and noise against real logos."""

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import memorization


@pytest.fixture(scope="module")
def split_logos():
    """Training and held-out logos at 32 px, drawn at random so both cover every source."""
    logos = load_icons(image_size=32)
    order = np.random.default_rng(0).permutation(len(logos))
    return logos[order[:1000]], logos[order[1000:1300]]


def test_memorization_copied_set(split_logos):
    train, held_out = split_logos

    result = memorization(train[:200], train, held_out)

    assert result.near_copy_share == 1.0
    assert result.exact_copy_rate == 1.0
    assert result.generated_median_distance == 0.0
    np.testing.assert_array_equal(train[result.nearest_train_indices], train[:200])


def test_memorization_held_out_images_score_the_percentile(split_logos):
    train, held_out = split_logos

    result = memorization(held_out, train, held_out)

    assert result.near_copy_share == result.held_out_near_copy_share
    assert result.near_copy_share == pytest.approx(0.05, abs=0.02)
    assert result.generated_median_distance == result.held_out_median_distance


def test_memorization_noise_is_far_from_training_set(split_logos):
    train, held_out = split_logos
    noise = np.random.default_rng(0).integers(0, 256, (100, 32, 32, 3), dtype=np.uint8)

    result = memorization(noise, train, held_out)

    assert result.near_copy_share == 0.0
    assert result.exact_copy_rate == 0.0
    assert result.generated_median_distance > 1.5 * result.held_out_median_distance


def test_memorization_tolerates_one_uint8_level(split_logos):
    train, held_out = split_logos
    one_level = np.minimum(train[:50].astype(np.int16) + 1, 255).astype(np.uint8)
    two_levels = np.minimum(train[:50].astype(np.int16) + 2, 255).astype(np.uint8)

    assert memorization(one_level, train, held_out).exact_copy_rate == 1.0
    assert memorization(two_levels, train, held_out).exact_copy_rate == 0.0


def test_memorization_chunk_size_does_not_change_result(split_logos):
    train, held_out = split_logos
    generated = np.concatenate([train[:30], held_out[:30]])

    small_chunks = memorization(generated, train, held_out, chunk_size=7)
    one_chunk = memorization(generated, train, held_out, chunk_size=1000)

    np.testing.assert_array_equal(small_chunks.nearest_train_indices, one_chunk.nearest_train_indices)
    np.testing.assert_allclose(small_chunks.generated_distances, one_chunk.generated_distances)
    assert small_chunks.near_copy_share == one_chunk.near_copy_share


def test_memorization_distance_units(split_logos):
    train, held_out = split_logos
    black = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    white = np.full((1, 32, 32, 3), 255, dtype=np.uint8)

    result = memorization(black, white, held_out)

    # L2 distance with pixels in [0, 1]: sqrt(32 * 32 * 3).
    assert result.generated_median_distance == pytest.approx(np.sqrt(3072), rel=1e-6)


def test_memorization_rejects_bad_percentile(split_logos):
    train, held_out = split_logos

    with pytest.raises(ValueError, match="percentile"):
        memorization(train[:2], train, held_out, percentile=100)


def test_memorization_rejects_mismatched_shapes(split_logos):
    train, held_out = split_logos

    with pytest.raises(ValueError, match="same image shape"):
        memorization(load_icons(image_size=16)[:2], train, held_out)
