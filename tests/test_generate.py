"""`LogoGAN.generate`: seeds, latents, dtypes and input checks."""

import numpy as np
import pytest

from keras_logogan import LogoGAN


@pytest.fixture(scope="module")
def gan():
    return LogoGAN(image_size=16, width=8, latent_dim=16)


def test_same_seed_gives_same_images(gan):
    first = gan.generate(6, seed=3)
    second = gan.generate(6, seed=3)

    assert first.dtype == np.uint8
    assert first.shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(first, second)


def test_different_seeds_give_different_images(gan):
    assert not np.array_equal(gan.generate(4, seed=1), gan.generate(4, seed=2))


def test_batches_do_not_change_the_images(gan):
    whole = gan.generate(10, seed=5, dtype="float32")
    batched = gan.generate(10, seed=5, batch_size=3, dtype="float32")

    np.testing.assert_allclose(whole, batched, atol=1e-5)


def test_latents_are_used_as_given(gan):
    latents = gan.sample_latents(3, seed=9)

    np.testing.assert_array_equal(gan.generate(latents=latents), gan.generate(3, seed=9))


def test_float_output_is_in_tanh_range(gan):
    images = gan.generate(4, seed=0, dtype="float32")

    assert images.dtype == np.float32
    assert images.min() >= -1.0
    assert images.max() <= 1.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "num_images"),
        ({"num_images": 0}, "num_images"),
        ({"latents": np.zeros((2, 5), np.float32)}, r"\(N, 16\)"),
        ({"num_images": 3, "latents": np.zeros((2, 16), np.float32)}, "does not match"),
        ({"num_images": 2, "dtype": "int8"}, "dtype"),
    ],
)
def test_bad_arguments_are_named(gan, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gan.generate(**kwargs)
