"""The layer stack of the hobby TF2 DCGAN this package grew out of, fixed.

The original generator started from a 7x7 map and upsampled three times with
stride 2, so it made 56x56 images while its discriminator read 32x32 ones.
This preset starts from 4x4 instead, so three stride-2 layers give exactly
`image_size`. Every other layer (5x5 kernels, filter counts, LeakyReLU,
dropout 0.3, no normalisation in the discriminator) is kept.
"""

import keras
from keras import layers

from keras_logogan.architectures.dcgan import check_channels
from keras_logogan.layers import Conv2DTranspose

HOBBY_IMAGE_SIZE = 32
HOBBY_LATENT_DIM = 100


def _check_hobby_size(image_size):
    if image_size != HOBBY_IMAGE_SIZE:
        raise ValueError(
            "The 'hobby' architecture reproduces a 32 px network and has three "
            "fixed upsampling layers, so it only supports image_size=32. "
            f"Received: image_size={image_size!r}. Use architecture='dcgan' "
            "for other sizes."
        )


def hobby_generator(
    image_size=HOBBY_IMAGE_SIZE, channels=3, latent_dim=HOBBY_LATENT_DIM, name="generator"
):
    """Build the hobby project's generator with a 4x4 start (32x32 output).

    Args:
        image_size: int, default 32. Only 32 is supported.
        channels: int, default 3.
        latent_dim: int, default 100, as in the original.
        name: str, default "generator".

    Returns:
        A functional `keras.Model` from `(batch, latent_dim)` to
        `(batch, 32, 32, channels)` in [-1, 1].

    Examples:
        >>> hobby_generator().output_shape
        (None, 32, 32, 3)
    """
    _check_hobby_size(image_size)
    check_channels(channels)
    start = image_size // 8

    latents = keras.Input((latent_dim,), name="latents")
    x = layers.Dense(start * start * 256, use_bias=False, name="project")(latents)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.LeakyReLU(name="project_lrelu")(x)
    x = layers.Reshape((start, start, 256), name="reshape")(x)

    for index, (filters, strides) in enumerate(((128, 1), (64, 2), (32, 2))):
        x = Conv2DTranspose(
            filters, 5, strides=strides, padding="same", use_bias=False, name=f"up{index}"
        )(x)
        x = layers.BatchNormalization(name=f"up{index}_bn")(x)
        x = layers.LeakyReLU(name=f"up{index}_lrelu")(x)

    images = Conv2DTranspose(
        channels, 5, strides=2, padding="same", use_bias=False, activation="tanh", name="to_image",
        dtype="float32"
    )(x)
    return keras.Model(latents, images, name=name)


def hobby_discriminator(image_size=HOBBY_IMAGE_SIZE, channels=3, name="discriminator"):
    """Build the hobby project's discriminator (two 5x5 convolutions, dropout 0.3).

    Args:
        image_size: int, default 32. Only 32 is supported.
        channels: int, default 3.
        name: str, default "discriminator".

    Returns:
        A functional `keras.Model` from images to logits of shape `(batch, 1)`.
    """
    _check_hobby_size(image_size)
    check_channels(channels)

    images = keras.Input((image_size, image_size, channels), name="images")
    x = images
    for index, filters in enumerate((64, 128)):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", name=f"down{index}")(x)
        x = layers.LeakyReLU(name=f"down{index}_lrelu")(x)
        x = layers.Dropout(0.3, name=f"down{index}_dropout")(x)

    x = layers.Flatten(name="flatten")(x)
    logits = layers.Dense(1, name="logits", dtype="float32")(x)
    return keras.Model(images, logits, name=name)
