"""DCGAN generator and discriminator builders (Radford et al. 2016).

Both networks double or halve the spatial size with stride-2, 4x4
convolutions between a 4x4 base and the image size. So one builder covers
32, 64 and 128 px, and any other power of two from 8 px, which the tests use
to stay fast.
"""

import math

import keras
from keras import layers

from keras_logogan.layers import Conv2DTranspose
from keras_logogan.layers import SpectralConv2D
from keras_logogan.layers import SpectralDense

BASE_SIZE = 4
NORMALIZATIONS = ("batch", "layer", "spectral", "none")


def check_image_size(image_size):
    """Raise a `ValueError` unless `image_size` is a power of two >= 8."""
    if (
        not isinstance(image_size, int)
        or image_size < 2 * BASE_SIZE
        or image_size & (image_size - 1)
    ):
        raise ValueError(
            "`image_size` must be a power of two of at least 8 pixels "
            f"(32, 64 and 128 are the usual sizes). Received: image_size={image_size!r}"
        )


def check_channels(channels):
    """Raise a `ValueError` unless `channels` is 1 (grayscale) or 3 (RGB)."""
    if channels not in (1, 3):
        raise ValueError(
            "`channels` must be 3 for RGB or 1 for grayscale. "
            f"Received: channels={channels!r}"
        )


def _num_resamplings(image_size):
    return int(math.log2(image_size // BASE_SIZE))


def _filters_at(level, num_levels, width, max_width):
    """Filters of the block `level` steps away from the image resolution."""
    return min(width * 2 ** (num_levels - 1 - level), max_width)


def dcgan_generator(
    image_size=32,
    channels=3,
    latent_dim=128,
    width=32,
    max_width=512,
    name="generator",
):
    """Build a DCGAN generator that maps latents to images in [-1, 1].

    A dense layer makes a 4x4 feature map. Each stride-2 transposed
    convolution doubles the size and halves the filters, and the last one
    outputs `channels` maps through `tanh`. Hidden layers use batch normalisation and
    ReLU.

    Args:
        image_size: int, default 32. Output side in pixels, a power of two.
        channels: int, default 3. 3 for RGB, 1 for grayscale.
        latent_dim: int, default 128. Size of the latent vector.
        width: int, default 32. Filters of the last hidden block; earlier
            blocks have 2, 4, ... times as many, capped at `max_width`.
        max_width: int, default 512.
        name: str, default "generator".

    Returns:
        A functional `keras.Model` from `(batch, latent_dim)` to
        `(batch, image_size, image_size, channels)`.

    Examples:
        >>> generator = dcgan_generator(image_size=32, width=16)
        >>> generator.output_shape
        (None, 32, 32, 3)
    """
    check_image_size(image_size)
    check_channels(channels)
    num_levels = _num_resamplings(image_size)

    latents = keras.Input((latent_dim,), name="latents")
    base_filters = _filters_at(0, num_levels, width, max_width)
    x = layers.Dense(BASE_SIZE * BASE_SIZE * base_filters, use_bias=False, name="project")(latents)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((BASE_SIZE, BASE_SIZE, base_filters), name="reshape")(x)

    for level in range(1, num_levels):
        filters = _filters_at(level, num_levels, width, max_width)
        x = Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, name=f"up{level}"
        )(x)
        x = layers.BatchNormalization(name=f"up{level}_bn")(x)
        x = layers.ReLU(name=f"up{level}_relu")(x)

    images = Conv2DTranspose(
        channels, 4, strides=2, padding="same", activation="tanh", name="to_image",
        dtype="float32"
    )(x)
    return keras.Model(latents, images, name=name)


def _normalization(kind, name):
    """Return the layer after a hidden convolution, or None for "spectral" and "none"."""
    if kind == "batch":
        return layers.BatchNormalization(name=name)
    if kind == "layer":
        return layers.LayerNormalization(axis=[1, 2, 3], name=name)
    return None


def dcgan_discriminator(
    image_size=32,
    channels=3,
    width=32,
    max_width=512,
    normalization="batch",
    dropout=0.0,
    name="discriminator",
):
    """Build a DCGAN discriminator that maps images to one logit each.

    Each stride-2 convolution halves the size and doubles the filters down to
    4x4; a dense layer then gives an unbounded logit (no sigmoid, so every loss
    in `keras_logogan.losses` can use it). LeakyReLU(0.2) throughout; no
    normalisation on the first block.

    Args:
        image_size: int, default 32. Input side in pixels, a power of two.
        channels: int, default 3.
        width: int, default 32. Filters of the first block.
        max_width: int, default 512.
        normalization: str, default "batch". One of "batch", "layer",
            "spectral" or "none". "spectral" divides the kernel of every
            convolution and of the final dense layer by its spectral norm
            (Miyato et al. 2018) and adds no normalisation layers. Use
            "layer", "spectral" or "none" with `WassersteinGPLoss`.
        dropout: float, default 0. Dropout rate after each block.
        name: str, default "discriminator".

    Returns:
        A functional `keras.Model` from `(batch, image_size, image_size,
        channels)` to logits of shape `(batch, 1)`.

    Examples:
        >>> discriminator = dcgan_discriminator(image_size=32, width=16)
        >>> discriminator.output_shape
        (None, 1)
    """
    check_image_size(image_size)
    check_channels(channels)
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {NORMALIZATIONS}. "
            f"Received: normalization={normalization!r}"
        )
    num_levels = _num_resamplings(image_size)

    spectral = normalization == "spectral"
    conv_class = SpectralConv2D if spectral else layers.Conv2D
    dense_class = SpectralDense if spectral else layers.Dense

    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    for level in range(num_levels):
        filters = min(width * 2**level, max_width)
        x = conv_class(filters, 4, strides=2, padding="same", name=f"down{level}")(x)
        norm = _normalization(normalization, f"down{level}_norm") if level else None
        if norm is not None:
            x = norm(x)
        x = layers.LeakyReLU(0.2, name=f"down{level}_lrelu")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"down{level}_dropout")(x)

    x = layers.Flatten(name="flatten")(x)
    logits = dense_class(1, name="logits", dtype="float32")(x)
    return keras.Model(images, logits, name=name)
