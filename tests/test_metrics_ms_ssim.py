"""MS-SSIM: scales for small images, known results, and agreement with TensorFlow on large images."""

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import ms_ssim
from keras_logogan.metrics import ms_ssim_diversity
from keras_logogan.metrics import ms_ssim_scales
from keras_logogan.metrics.ms_ssim import STANDARD_WEIGHTS


@pytest.fixture(scope="module")
def logos():
    return load_icons(image_size=32)


def structured_images(size, seed):
    """Return a batch of 2 smooth gradient-and-disc images with random parameters, float32 in [0, 255]."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:size, 0:size] / size
    images = []
    for _ in range(2):
        frequency, phase, radius = rng.uniform(2, 8), rng.uniform(0, 3), rng.uniform(0.1, 0.4)
        disc = ((rows - 0.5) ** 2 + (columns - 0.5) ** 2 < radius**2) * 90.0
        images.append(
            np.stack(
                [
                    110 + 100 * np.sin(frequency * columns + phase),
                    120 + 80 * np.cos(frequency * rows) + disc,
                    255 * rows * columns,
                ],
                axis=-1,
            )
        )
    return np.clip(np.array(images), 0, 255).astype(np.float32)


def test_scales_at_32_px():
    scales = ms_ssim_scales(32, 32)

    assert [(scale.height, scale.width) for scale in scales] == [(32, 32), (16, 16), (8, 8), (4, 4)]
    assert [scale.window for scale in scales] == [11, 11, 7, 3]
    assert [scale.sigma for scale in scales] == pytest.approx([1.5, 1.5, 1.5 * 7 / 11, 1.5 * 3 / 11])
    assert sum(scale.weight for scale in scales) == pytest.approx(1.0)


def test_scales_at_16_px():
    scales = ms_ssim_scales(16, 16)

    assert [scale.height for scale in scales] == [16, 8, 4]
    assert [scale.window for scale in scales] == [11, 7, 3]


@pytest.mark.parametrize("size", [161, 192, 256])
def test_scales_standard_from_161_px(size):
    scales = ms_ssim_scales(size, size)

    assert [scale.window for scale in scales] == [11] * 5
    assert [scale.sigma for scale in scales] == [1.5] * 5
    assert [scale.weight for scale in scales] == list(STANDARD_WEIGHTS)


def test_scales_shrink_last_window_at_160_px():
    scales = ms_ssim_scales(160, 160)

    assert [scale.height for scale in scales] == [160, 80, 40, 20, 10]
    assert scales[-1].window == 9


def test_scales_reject_images_under_4_px():
    with pytest.raises(ValueError, match="at least 4x4"):
        ms_ssim_scales(3, 32)


def test_ms_ssim_of_identical_images_is_one(logos):
    assert ms_ssim(logos[5], logos[5]) == 1.0


def test_ms_ssim_orders_by_noise(logos):
    rng = np.random.default_rng(0)
    image = logos[10].astype(np.float32)
    light = np.clip(image + rng.normal(0, 10, image.shape), 0, 255)
    heavy = np.clip(image + rng.normal(0, 80, image.shape), 0, 255)

    assert 1.0 > ms_ssim(image, light) > ms_ssim(image, heavy) > 0.0


def test_ms_ssim_batch_returns_one_value_per_pair(logos):
    values = ms_ssim(logos[:6], logos[6:12])

    assert values.shape == (6,)
    assert np.all((values >= 0) & (values <= 1))


def test_ms_ssim_rejects_different_shapes(logos):
    with pytest.raises(ValueError, match="same shape"):
        ms_ssim(logos[:2], logos[:3])


def test_diversity_of_collapsed_set_is_one(logos):
    assert ms_ssim_diversity(np.repeat(logos[:1], 20, axis=0), num_pairs=50) == 1.0


def test_diversity_of_logos_is_low(logos):
    value = ms_ssim_diversity(logos[:500], num_pairs=300)

    assert 0.02 < value < 0.3


def test_diversity_rises_with_near_duplicates(logos):
    rng = np.random.default_rng(0)
    base = np.repeat(logos[:5], 40, axis=0).astype(np.int16)
    near_duplicates = np.clip(base + rng.integers(-8, 9, base.shape), 0, 255).astype(np.uint8)

    assert ms_ssim_diversity(near_duplicates, num_pairs=300) > 2 * ms_ssim_diversity(logos[:200], num_pairs=300)


def test_diversity_seed_repeats(logos):
    assert ms_ssim_diversity(logos[:100], num_pairs=50, seed=1) == ms_ssim_diversity(
        logos[:100], num_pairs=50, seed=1
    )


def test_diversity_needs_two_images(logos):
    with pytest.raises(ValueError, match="at least 2"):
        ms_ssim_diversity(logos[:1])


def test_diversity_of_grayscale_images():
    gray = load_icons(image_size=16, grayscale=True)

    assert 0.0 < ms_ssim_diversity(gray[:100], num_pairs=50) < 1.0


@pytest.mark.parametrize("size", [161, 192, 224])
def test_ms_ssim_matches_tensorflow_on_large_images(size):
    import tensorflow as tf

    rng = np.random.default_rng(size)
    noise = rng.integers(0, 256, (3, size, size, 3)).astype(np.float32)
    noisy_copy = np.clip(noise + rng.normal(0, 40, noise.shape), 0, 255).astype(np.float32)
    structured = structured_images(size, seed=size)
    pairs = [
        (noise, noisy_copy),
        (noise, noise[::-1].copy()),
        (structured[:1], structured[1:]),
        (structured, np.clip(structured + rng.normal(0, 20, structured.shape), 0, 255).astype(np.float32)),
    ]

    for x, y in pairs:
        expected = tf.image.ssim_multiscale(x, y, max_val=255.0).numpy()
        np.testing.assert_allclose(ms_ssim(x, y), expected, atol=1e-3)
