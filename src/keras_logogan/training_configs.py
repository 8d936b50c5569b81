"""Named training configurations: networks, loss, optimizers and regularisers in one place.

A `TrainingConfig` records every choice that decides how a GAN trains, so a
setup can be named, compared and reproduced. `logogan train --config NAME`
and `keras_logogan.training_configs.get(NAME).build()` use the same objects.

- "default": the package's plain DCGAN, as `LogoGAN()` and `compile()` build
  it with no arguments, at batch 32.
- "hobby": the TF2 DCGAN this package grew out of: its layer stack with the
  32 px fix, the non-saturating loss and batch 256. Both networks use Adam
  1e-4, as in the TensorFlow DCGAN tutorial it followed. It has no averaged
  generator and no augmentation.
- "small_data": the recommended setup for a few hundred to a few thousand
  logos: the "default" DCGAN with DiffAugment translation and cutout, whose
  strength ADA adapts, and the averaged generator. `benchmarks/quality.py`
  compares it with "hobby". A spectrally normalised discriminator with the
  hinge loss scored worse in that study at 100,000 images shown (SWD 53
  against 23 on the 4,984-logo pool), so it is an option, not the default.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Every setting that decides how a LogoGAN trains.

    Args:
        name: str. The configuration's name.
        description: str. One line on what it is for.
        architecture: str. "dcgan" or "hobby".
        width: int. Base filter count of the DCGAN networks.
        discriminator_normalization: str. "batch", "layer", "spectral" or
            "none".
        ema_decay: float or None. Decay of the averaged generator.
        loss: str. Name of a `keras_logogan.losses` loss.
        batch_size: int. Images per training step.
        generator_learning_rate: float. Adam learning rate of the generator.
        discriminator_learning_rate: float. Adam learning rate of the
            discriminator.
        beta_1: float. Adam beta_1 of both optimizers.
        beta_2: float. Adam beta_2 of both optimizers.
        discriminator_steps: int. Discriminator updates per generator update.
        augmentation: str or None. DiffAugment policy, e.g.
            "translation,cutout".
        augment_probability: float. Augmentation probability when
            `ada_target` is None.
        ada_target: float or None. Target of adaptive augmentation.
        ada_kimg: float. Thousands of images over which ADA can move the
            probability from 0 to 1.
        r1_weight: float. Weight of the R1 penalty; 0 turns it off.

    Examples:
        >>> from keras_logogan import training_configs
        >>> config = training_configs.get("small_data")
        >>> config.ada_target, config.augmentation
        (0.6, 'translation,cutout')
        >>> gan = config.replace(width=8).build(image_size=16, seed=0)
        >>> gan.discriminator_steps
        1
    """

    name: str
    description: str
    architecture: str = "dcgan"
    width: int = 32
    discriminator_normalization: str = "batch"
    ema_decay: float = 0.999
    loss: str = "non_saturating"
    batch_size: int = 32
    generator_learning_rate: float = 2e-4
    discriminator_learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    discriminator_steps: int = 1
    augmentation: str = None
    augment_probability: float = 1.0
    ada_target: float = None
    ada_kimg: float = 100
    r1_weight: float = 0.0

    def replace(self, **changes):
        """Return a copy with some settings changed; unknown names raise a TypeError."""
        return dataclasses.replace(self, **changes)

    def get_config(self):
        """Return the settings as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def build(self, image_size=32, channels=3, latent_dim=None, seed=None):
        """Build and compile a `LogoGAN` with these settings.

        Args:
            image_size: int, default 32.
            channels: int, default 3.
            latent_dim: optional int; the architecture's default when None.
            seed: optional int seeding the training latents and augmentation.

        Returns:
            A compiled `keras_logogan.LogoGAN`. `batch_size` is not part of
            the model: pass `config.batch_size` to `fit`.
        """
        import keras

        from keras_logogan.models import LogoGAN

        gan = LogoGAN(
            architecture=self.architecture,
            image_size=image_size,
            channels=channels,
            latent_dim=latent_dim,
            width=self.width,
            discriminator_normalization=self.discriminator_normalization,
            ema_decay=self.ema_decay,
            seed=seed,
        )
        gan.compile(
            generator_optimizer=keras.optimizers.Adam(
                self.generator_learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
            ),
            discriminator_optimizer=keras.optimizers.Adam(
                self.discriminator_learning_rate, beta_1=self.beta_1, beta_2=self.beta_2
            ),
            loss=self.loss,
            discriminator_steps=self.discriminator_steps,
            augmentation=self.augmentation,
            augment_probability=self.augment_probability,
            ada_target=self.ada_target,
            ada_kimg=self.ada_kimg,
            r1_weight=self.r1_weight,
        )
        return gan


TRAINING_CONFIGS = {
    "default": TrainingConfig(
        name="default",
        description="the plain DCGAN that LogoGAN() and compile() build, at batch 32",
    ),
    "hobby": TrainingConfig(
        name="hobby",
        description="the hobby project's DCGAN: its layers, Adam 1e-4, batch 256, no regularisers",
        architecture="hobby",
        discriminator_normalization="none",
        ema_decay=None,
        batch_size=256,
        generator_learning_rate=1e-4,
        discriminator_learning_rate=1e-4,
        beta_1=0.9,
    ),
    "small_data": TrainingConfig(
        name="small_data",
        description="recommended for small logo sets: DiffAugment with ADA and the averaged generator",
        augmentation="translation,cutout",
        ada_target=0.6,
        ada_kimg=100,
    ),
}


def get(name):
    """Return the `TrainingConfig` named `name`.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if isinstance(name, TrainingConfig):
        return name
    if name not in TRAINING_CONFIGS:
        raise ValueError(
            f"Unknown training configuration. Received: {name!r}. "
            f"Use one of {sorted(TRAINING_CONFIGS)}."
        )
    return TRAINING_CONFIGS[name]
