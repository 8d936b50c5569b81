"""Shared fixtures: tiny networks and real logo images, so each backend's run stays short."""

import keras
import numpy as np
import pytest

from keras_logogan import LogoGAN

TINY_SIZE = 16
TINY_WIDTH = 8


def variable_values(variables):
    """Return copies of the variables' current values as numpy arrays."""
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


@pytest.fixture(scope="session")
def logo_images():
    """The first 64 shipped logos at 16 px, uint8."""
    from keras_logogan.datasets import load_icons

    return load_icons(image_size=TINY_SIZE)[:64]


@pytest.fixture
def make_gan():
    """Return a factory of tiny compiled GANs; keyword arguments go to `compile`."""

    def factory(seed=0, architecture="dcgan", **compile_kwargs):
        gan = LogoGAN(image_size=TINY_SIZE, width=TINY_WIDTH, seed=seed, architecture=architecture)
        gan.compile(**compile_kwargs)
        return gan

    return factory
