"""Generator and discriminator builders, and the named architectures."""

from keras_logogan.architectures.dcgan import dcgan_discriminator
from keras_logogan.architectures.dcgan import dcgan_generator
from keras_logogan.architectures.hobby import hobby_discriminator
from keras_logogan.architectures.hobby import hobby_generator

ARCHITECTURES = ("dcgan", "hobby")


def build_networks(
    architecture="dcgan",
    image_size=32,
    channels=3,
    latent_dim=128,
    width=32,
    discriminator_normalization="batch",
):
    """Build a matching `(generator, discriminator)` pair by architecture name.

    Args:
        architecture: str, default "dcgan". "dcgan" for the configurable DCGAN
            pair, or "hobby" for the hobby project's 32 px layer stack (which
            ignores `width`).
        image_size: int, default 32.
        channels: int, default 3.
        latent_dim: int, default 128.
        width: int, default 32. Base filter count of the DCGAN pair.
        discriminator_normalization: str, default "batch". "batch", "layer",
            "spectral" or "none" for the DCGAN discriminator; use "layer",
            "spectral" or "none" with `WassersteinGPLoss`. The "hobby"
            discriminator has none.

    Returns:
        A tuple `(generator, discriminator)` of functional `keras.Model`s.

    Raises:
        ValueError: for an unknown architecture, or sizes it cannot build.
    """
    if architecture == "dcgan":
        generator = dcgan_generator(image_size, channels, latent_dim, width)
        discriminator = dcgan_discriminator(
            image_size, channels, width, normalization=discriminator_normalization
        )
    elif architecture == "hobby":
        generator = hobby_generator(image_size, channels, latent_dim)
        discriminator = hobby_discriminator(image_size, channels)
    else:
        raise ValueError(
            f"Unknown architecture. Received: architecture={architecture!r}. "
            f"Use one of {ARCHITECTURES}, or pass `generator=` and "
            "`discriminator=` models to `LogoGAN`."
        )
    return generator, discriminator
