"""Shapes and input checks of the DCGAN and hobby builders."""

import pytest

from keras_logogan import LogoGAN
from keras_logogan.architectures import build_networks
from keras_logogan.architectures import dcgan_discriminator
from keras_logogan.architectures import dcgan_generator
from keras_logogan.architectures import hobby_discriminator
from keras_logogan.architectures import hobby_generator


@pytest.mark.parametrize("image_size", [32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_pair_shapes(image_size, channels):
    generator = dcgan_generator(image_size, channels, latent_dim=32, width=8)
    discriminator = dcgan_discriminator(image_size, channels, width=8)

    assert generator.output_shape == (None, image_size, image_size, channels)
    assert discriminator.input_shape == (None, image_size, image_size, channels)
    assert discriminator.output_shape == (None, 1)


def test_width_sets_the_filter_counts():
    generator = dcgan_generator(32, width=8)
    discriminator = dcgan_discriminator(32, width=8)

    assert [generator.get_layer(name).filters for name in ("up1", "up2")] == [16, 8]
    assert [discriminator.get_layer(f"down{i}").filters for i in range(3)] == [8, 16, 32]


def test_hobby_generator_outputs_what_its_discriminator_reads():
    generator = hobby_generator()
    discriminator = hobby_discriminator()

    assert generator.input_shape == (None, 100)
    assert generator.output_shape == (None, 32, 32, 3)
    assert discriminator.input_shape == generator.output_shape
    kernel_sizes = {layer.kernel_size for layer in generator.layers if hasattr(layer, "kernel_size")}
    assert kernel_sizes == {(5, 5)}


def test_hobby_rejects_other_sizes():
    with pytest.raises(ValueError, match="image_size=64"):
        build_networks("hobby", image_size=64)


@pytest.mark.parametrize("image_size", [0, 4, 24, 48, "32"])
def test_bad_image_sizes_are_named(image_size):
    with pytest.raises(ValueError, match="image_size"):
        dcgan_generator(image_size)


def test_bad_channels_and_normalization_are_named():
    with pytest.raises(ValueError, match="channels=2"):
        dcgan_generator(32, channels=2)
    with pytest.raises(ValueError, match="normalization='group'"):
        dcgan_discriminator(32, normalization="group")


def test_unknown_architecture_lists_choices():
    with pytest.raises(ValueError, match="architecture='stylegan'.*dcgan"):
        LogoGAN(architecture="stylegan")


def test_mismatched_networks_are_rejected():
    with pytest.raises(ValueError, match="discriminator reads"):
        LogoGAN(dcgan_generator(32, width=8), dcgan_discriminator(64, width=8))
