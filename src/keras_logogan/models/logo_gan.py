"""`LogoGAN`: a generator and a discriminator trained together by `fit()`."""

import contextlib
import random

import keras
import numpy as np

from keras_logogan import augmentation as augmentation_lib
from keras_logogan import distribution as distribution_lib
from keras_logogan import losses as losses_lib
from keras_logogan.architectures import build_networks
from keras_logogan import images as images_io
from keras_logogan import latents as latents_lib
from keras_logogan.hub.presets import PresetsDescriptor
from keras_logogan.log import logger
from keras_logogan.models import adaptive_augmentation
from keras_logogan.models import averaged_generator
from keras_logogan.models.optimizers import build_multi_optimizer
from keras_logogan.models.optimizers import default_optimizer
from keras_logogan.models.optimizers import unscaled

METRIC_NAMES = ("d_loss", "g_loss", "real_accuracy", "fake_accuracy")
SEED_STATE_KEY = "latent_seed_state"


def _backend_step_module():
    backend = keras.config.backend()
    if backend == "tensorflow":
        from keras_logogan.models import tensorflow_step as module
    elif backend == "jax":
        from keras_logogan.models import jax_step as module
    elif backend == "torch":
        from keras_logogan.models import torch_step as module
    else:
        raise RuntimeError(
            f"LogoGAN trains on the tensorflow, jax and torch backends. "
            f"Received: KERAS_BACKEND={backend!r}. Set KERAS_BACKEND to one of those."
        )
    return module


def _no_grad():
    if keras.config.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


@keras.saving.register_keras_serializable(package="keras_logogan")
class LogoGAN(keras.Model):
    """A GAN whose `fit()` trains a generator and a discriminator together.

    `LogoGAN()` builds the default 32 px DCGAN pair. Calling the model on a
    batch of latents returns generated images in [-1, 1]; `generate()` returns
    uint8 images ready to save.

    Each training step runs `discriminator_steps` discriminator updates, then
    one generator update, with fresh latents for each. Both networks run in
    training mode, so BatchNorm statistics and dropout behave as in training.
    The step returns, and `fit()` averages per epoch, these metrics:

    - `d_loss`: the discriminator's loss (with its gradient penalty, if any).
    - `g_loss`: the generator's loss.
    - `real_accuracy`: share of real images the discriminator calls real.
    - `fake_accuracy`: share of generated images it calls generated.

    Args:
        generator: optional `keras.Model` from `(batch, latent_dim)` latents
            to `(batch, size, size, channels)` images in [-1, 1]. Built from
            `architecture` when omitted.
        discriminator: optional `keras.Model` from images to `(batch, 1)`
            logits. Built from `architecture` when omitted.
        architecture: str, default "dcgan". "dcgan" or "hobby"; used only to
            build the networks that were not passed in.
        image_size: int, default 32. Side of the images in pixels.
        channels: int, default 3. 3 for RGB, 1 for grayscale.
        latent_dim: int, default 128 (100 for the "hobby" architecture).
        width: int, default 32. Base filter count of the DCGAN networks.
            32 trains at about 600 images/s on two CPU cores with TensorFlow;
            64 is the classic DCGAN width and about four times slower.
        discriminator_normalization: str, default "batch". "batch",
            "layer", "spectral" or "none" for the DCGAN discriminator; use
            "layer", "spectral" or "none" with the "wasserstein_gp" loss.
        ema_decay: float or None, default 0.999. Decay of the exponential
            moving average of the generator's weights that `generate` samples
            from (see `keras_logogan.models.averaged_generator`); None keeps
            no average.
        seed: optional int seeding the latents drawn during training.
        name: str, default "logo_gan".

    Examples:
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.datasets import load_icons
        >>> gan = LogoGAN(image_size=32, width=16)
        >>> gan.compile()
        >>> history = gan.fit(load_icons(32)[:128], batch_size=64, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['d_loss', 'fake_accuracy', 'g_loss', 'real_accuracy']
        >>> gan.generate(4, seed=0).shape
        (4, 32, 32, 3)
    """

    def __init__(
        self,
        generator=None,
        discriminator=None,
        *,
        architecture="dcgan",
        image_size=32,
        channels=3,
        latent_dim=None,
        width=32,
        discriminator_normalization="batch",
        ema_decay=0.999,
        seed=None,
        name="logo_gan",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        if latent_dim is None:
            latent_dim = 100 if architecture == "hobby" else 128
        if generator is None or discriminator is None:
            built_generator, built_discriminator = build_networks(
                architecture, image_size, channels, latent_dim, width, discriminator_normalization
            )
            generator = built_generator if generator is None else generator
            discriminator = built_discriminator if discriminator is None else discriminator

        self.generator = generator
        self.discriminator = discriminator
        self.architecture = architecture
        self.width = width
        self.discriminator_normalization = discriminator_normalization
        self.seed = seed
        self.latent_dim, self.image_size, self.channels = _check_networks(generator, discriminator)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")

        averaged_generator.check_decay(ema_decay)
        self.ema_decay = ema_decay
        self.averaged_generator = None
        if ema_decay is not None:
            self.averaged_generator = averaged_generator.clone_generator(generator)
        self.ema_updates = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="ema_updates"
        )
        # The augmentation strength is model state, so ADA adapts it under
        # JAX's jit too and a resumed run continues from the saved value.
        self.augment_probability = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="augment_probability"
        )

        self.trackers = [keras.metrics.Mean(name=metric) for metric in METRIC_NAMES]
        self.discriminator_steps = 1
        self.augmentation = None
        self.fixed_augment_probability = 1.0
        self.ada_target = None
        self.ada_kimg = 100
        self.r1_weight = 0.0
        self._train_step_module = _backend_step_module()
        self._state_layout = None
        self.built = True

    # Forward pass and metrics.

    def call(self, latents, training=False):
        """Return generated images in [-1, 1] for a batch of latents."""
        return self.generator(latents, training=training)

    @property
    def metrics(self):
        return list(self.trackers)

    # Compilation.

    def compile(
        self,
        generator_optimizer=None,
        discriminator_optimizer=None,
        loss="non_saturating",
        discriminator_steps=1,
        augmentation=None,
        augment_probability=1.0,
        ada_target=None,
        ada_kimg=100,
        r1_weight=0.0,
        **kwargs,
    ):
        """Set the optimizers, the adversarial loss and the regularisers.

        Args:
            generator_optimizer: optional `keras.optimizers.Optimizer`, an
                optimizer name or config. Default: Adam, learning rate 2e-4,
                beta_1 0.5 (Radford et al. 2016).
            discriminator_optimizer: as `generator_optimizer`, and a
                separate instance.
            loss: str or `keras_logogan.losses.GANLoss`, default
                "non_saturating". Also "hinge", "least_squares" and
                "wasserstein_gp".
            discriminator_steps: int, default 1. Discriminator updates per
                generator update (5 is usual with "wasserstein_gp").
            augmentation: optional differentiable augmentation applied to
                real and generated images before the discriminator, in both
                losses (DiffAugment): a `keras_logogan.augmentation.DiffAugment`,
                its config, or a policy string such as "translation,cutout".
            augment_probability: float in [0, 1], default 1.0. Probability
                of each augmentation per image when `ada_target` is None.
            ada_target: optional float in (0, 1), e.g. 0.6. Turns on adaptive
                augmentation (ADA): the probability starts at 0 and follows
                the discriminator's overfitting signal `r_t` towards this
                target (see `keras_logogan.models.adaptive_augmentation`).
            ada_kimg: float, default 100. Thousands of images over which ADA
                can move the probability from 0 to 1.
            r1_weight: float, default 0. Weight of the R1 penalty on the
                discriminator's gradients at the (augmented) real images; the
                loss gains `r1_weight / 2 * mean(||grad||^2)`. A usual
                heuristic is `0.0002 * image_size**2 / batch_size`.
            **kwargs: passed to `keras.Model.compile`, e.g. `jit_compile`,
                `steps_per_execution`. With `auto_scale_loss=True` (the
                default, as in Keras) and the "mixed_float16" dtype policy,
                each network's optimizer is wrapped in a
                `keras.optimizers.LossScaleOptimizer`.

        Raises:
            ValueError: for an unknown loss or augmentation, a non-positive
                `discriminator_steps`, invalid augmentation settings, a
                negative `r1_weight`, one optimizer instance passed for
                both networks, or, under a `tf.distribute` strategy, a model
                or optimizer created outside its scope.
        """
        for forbidden in ("optimizer", "metrics"):
            if forbidden in kwargs:
                raise ValueError(
                    f"LogoGAN.compile() does not take `{forbidden}`. Pass "
                    "`generator_optimizer=` and `discriminator_optimizer=`; the "
                    f"metrics are fixed: {list(METRIC_NAMES)}."
                )
        if not isinstance(discriminator_steps, int) or discriminator_steps < 1:
            raise ValueError(
                "`discriminator_steps` must be a positive int. "
                f"Received: discriminator_steps={discriminator_steps!r}"
            )

        self.generator_optimizer = default_optimizer(generator_optimizer, "generator_optimizer")
        self.discriminator_optimizer = default_optimizer(
            discriminator_optimizer, "discriminator_optimizer"
        )
        if self.generator_optimizer is self.discriminator_optimizer:
            raise ValueError(
                "The generator and the discriminator need separate optimizer "
                "instances, because each keeps its own moment estimates. Pass "
                "two optimizers, e.g. `keras.optimizers.Adam(2e-4, beta_1=0.5)` twice."
            )
        self.loss = losses_lib.get(loss)
        self.discriminator_steps = discriminator_steps
        self._set_regularizers(augmentation, augment_probability, ada_target, ada_kimg, r1_weight)
        self._warn_about_batch_norm_with_penalty()

        distribution_lib.check_strategy_scope(self)
        if kwargs.pop("auto_scale_loss", True):
            self._wrap_optimizers_for_loss_scaling()
        optimizer = build_multi_optimizer(self)
        # Keras would wrap the joined optimizer; each network's own is wrapped above.
        super().compile(optimizer=optimizer, auto_scale_loss=False, **kwargs)
        optimizer.build(self.trainable_variables)
        self._state_layout = None

    def _wrap_optimizers_for_loss_scaling(self):
        """Wrap both optimizers in `LossScaleOptimizer` under the "mixed_float16" policy."""
        if self.dtype_policy.name != "mixed_float16":
            return
        self.generator_optimizer = keras.optimizers.LossScaleOptimizer(
            self.generator_optimizer, name="generator_loss_scale"
        )
        self.discriminator_optimizer = keras.optimizers.LossScaleOptimizer(
            self.discriminator_optimizer, name="discriminator_loss_scale"
        )

    def _set_regularizers(self, augmentation, augment_probability, ada_target, ada_kimg, r1_weight):
        augmentation = augmentation_lib.get(augmentation)
        adaptive_augmentation.check_settings(
            augmentation, augment_probability, ada_target, ada_kimg
        )
        if not r1_weight >= 0:
            raise ValueError(
                "`r1_weight` must be zero or positive; 0 turns R1 off. "
                f"Received: r1_weight={r1_weight!r}"
            )
        self.augmentation = augmentation
        self.ada_target = None if ada_target is None else float(ada_target)
        self.ada_kimg = float(ada_kimg)
        self.r1_weight = float(r1_weight)
        self.fixed_augment_probability = float(augment_probability)
        if augmentation is not None and ada_target is None:
            self.augment_probability.assign(self.fixed_augment_probability)

    def _warn_about_batch_norm_with_penalty(self):
        if not self.loss.gradient_penalty_weight:
            return
        for layer in self.discriminator._flatten_layers():
            if isinstance(layer, keras.layers.BatchNormalization):
                logger.warning(
                    "The discriminator has BatchNormalization layer %r, but %s "
                    "penalises per-sample gradients, which batch statistics "
                    "mix. Build the discriminator with normalization='layer', "
                    "'spectral' or 'none'.",
                    layer.name,
                    type(self.loss).__name__,
                )
                return

    def get_compile_config(self):
        if not self.compiled:
            return None
        serialize = keras.saving.serialize_keras_object
        return {
            # Inner optimizers only: `compile` wraps them again under "mixed_float16".
            "generator_optimizer": serialize(unscaled(self.generator_optimizer)),
            "discriminator_optimizer": serialize(unscaled(self.discriminator_optimizer)),
            "loss": serialize(self.loss),
            "discriminator_steps": self.discriminator_steps,
            "augmentation": serialize(self.augmentation),
            "augment_probability": self.fixed_augment_probability,
            "ada_target": self.ada_target,
            "ada_kimg": self.ada_kimg,
            "r1_weight": self.r1_weight,
        }

    def compile_from_config(self, config):
        deserialize = keras.saving.deserialize_keras_object
        self.compile(
            generator_optimizer=deserialize(config["generator_optimizer"]),
            discriminator_optimizer=deserialize(config["discriminator_optimizer"]),
            loss=losses_lib.get(config["loss"]),
            discriminator_steps=config["discriminator_steps"],
            augmentation=deserialize(config.get("augmentation")),
            augment_probability=config.get("augment_probability", 1.0),
            ada_target=config.get("ada_target"),
            ada_kimg=config.get("ada_kimg", 100),
            r1_weight=config.get("r1_weight", 0.0),
        )

    # Training.

    def train_step(self, *args):
        """Train both networks on one batch; see `keras_logogan.models.*_step`."""
        return self._train_step_module.train_step(self, *args)

    def test_step(self, *args):
        """Measure the metrics on one batch for `evaluate()` and validation data.

        Both networks run in inference mode and nothing is updated. `d_loss`
        leaves out any gradient penalty, so it is comparable across losses'
        settings but lower than the training `d_loss` of "wasserstein_gp".
        """
        return self._train_step_module.test_step(self, *args)

    def _jax_state_layout(self):
        if self._state_layout is None:
            self._state_layout = self._train_step_module.StateLayout(self)
        return self._state_layout

    def fit(self, x=None, y=None, batch_size=None, **kwargs):
        """Train on logo images; see `keras.Model.fit` for the other arguments.

        A uint8 array becomes the endless dataset of
        `keras_logogan.datasets.pipeline.make_epoch_dataset`, and
        `steps_per_epoch` becomes one pass over the array. So each epoch
        trains on every image once (see `batch_size` for the one exception),
        and `fit` keeps one dataset iterator for all epochs. With
        `shuffle=True` (the default), the order of epoch `e` depends only on
        the GAN's `seed` and `e`. So two GANs with the same seed train on the
        same batches, and `initial_epoch=e` starts with the order of epoch
        `e`. With `seed=None`, each `fit` call draws a shuffle seed from
        Python's `random` module, which `keras.utils.set_random_seed` seeds.
        With `shuffle=False`, every epoch keeps the order of the array.
        `keras_logogan.datasets.make_dataset` batches a uint8 array instead,
        with a new iterator and a new shuffle each epoch, when you pass
        `steps_per_epoch` or when the `steps_per_execution` set in `compile`
        does not divide the number of batches per epoch.

        Args:
            x: uint8 array `(N, H, W, C)` of images in [0, 255], a float array
                in [-1, 1], or a dataset (e.g. from
                `keras_logogan.datasets.make_dataset`) yielding such batches.
            y: unused; GANs need no labels.
            batch_size: int, default 32 for arrays, as in Keras. Under
                data-parallel training (see `keras_logogan.data_parallel`)
                it is the global batch size, which must be a multiple of the
                device count. There, a uint8 array's last batch is dropped
                when the devices cannot split it evenly.
            **kwargs: `epochs`, `callbacks`, `verbose`, ... as in Keras.

        Returns:
            A `keras.callbacks.History` whose `history` has the keys
            `d_loss`, `g_loss`, `real_accuracy` and `fake_accuracy`.

        Raises:
            RuntimeError: when the model is not compiled.
            ValueError: for invalid images. Under data-parallel training,
                also for a batch size that the devices cannot split, and for
                a float array whose last batch they cannot split.

        Examples:
            >>> from keras_logogan import LogoGAN
            >>> from keras_logogan.datasets import load_icons
            >>> gan = LogoGAN(image_size=16, width=8, seed=0)
            >>> gan.compile()
            >>> history = gan.fit(load_icons(16)[:40], batch_size=16, epochs=2, verbose=0)
            >>> history.params["steps"], len(history.history["d_loss"])
            (3, 2)
        """
        if not self.compiled:
            raise RuntimeError(
                "Call `gan.compile()` before `gan.fit()`; with no arguments it "
                "uses Adam(2e-4, beta_1=0.5) for both networks and the "
                "non-saturating loss."
            )
        if isinstance(x, np.ndarray):
            images_io.check_image_array(x, self.image_size, self.channels)
            batch_size = 32 if batch_size is None else batch_size
            is_uint8 = x.dtype == np.uint8
            drop_remainder = distribution_lib.check_array_batches(len(x), batch_size, is_uint8)
            if is_uint8:
                x, kwargs = self._uint8_array_dataset(x, batch_size, drop_remainder, kwargs)
                batch_size = None
        else:
            distribution_lib.check_dataset_batches(x)
            # Keras warns when `shuffle=True` meets a dataset, which cannot be
            # shuffled by `fit`; datasets from `make_dataset` shuffle themselves.
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, batch_size=batch_size, **kwargs)

    def _uint8_array_dataset(self, images, batch_size, drop_remainder, fit_kwargs):
        """Return a dataset of uint8 `images` and the `fit` keyword arguments that go with it."""
        from keras_logogan.datasets import pipeline

        fit_kwargs = dict(fit_kwargs)
        shuffle = bool(fit_kwargs.pop("shuffle", True))
        fit_kwargs["shuffle"] = False  # The dataset shuffles itself.
        steps = pipeline.epoch_steps(len(images), batch_size, drop_remainder=drop_remainder)

        # Keras reads `steps_per_execution` batches per call. From an endless
        # dataset, the last call of an epoch would read the first batches of
        # the next one. A finite dataset ends that call early instead.
        if fit_kwargs.get("steps_per_epoch") is not None or steps % self.steps_per_execution:
            dataset = pipeline.make_dataset(
                images, batch_size, shuffle=shuffle, seed=self.seed, drop_remainder=drop_remainder
            )
            return dataset, fit_kwargs

        # Keras makes a new iterator for each epoch of a finite dataset. With
        # `make_dataset`, fits then waited up to 7 s at epoch boundaries
        # (TensorFlow 2.21 and JAX 0.10 on a 2-core CPU). One iterator over an
        # endless dataset avoids those waits.
        seed = random.randrange(2**31) if self.seed is None else self.seed
        dataset = pipeline.make_epoch_dataset(
            images,
            batch_size,
            seed=seed,
            initial_epoch=fit_kwargs.get("initial_epoch", 0),
            shuffle=shuffle,
            drop_remainder=drop_remainder,
        )
        fit_kwargs["steps_per_epoch"] = steps
        return dataset, fit_kwargs

    # Generation.

    def sample_latents(self, num_images, seed=None):
        """Return `(num_images, latent_dim)` float32 standard-normal latents.

        The latents come from NumPy, not from the backend, so one seed gives
        the same latents on TensorFlow, JAX and PyTorch.
        """
        rng = np.random.default_rng(seed)
        return rng.standard_normal((num_images, self.latent_dim), dtype=np.float32)

    def generate(
        self,
        num_images=None,
        seed=None,
        latents=None,
        batch_size=256,
        dtype="uint8",
        truncation=None,
        use_ema=True,
    ):
        """Generate images in inference mode, from the averaged generator when there is one.

        Args:
            num_images: int. How many images; may be omitted with `latents`.
            seed: optional int. The same seed gives the same images.
            latents: optional float array `(N, latent_dim)`; overrides `seed`.
            batch_size: int, default 256. Images per generator call.
            dtype: "uint8" (default) for [0, 255] images, or "float32" for
                the generator's raw output in [-1, 1].
            truncation: optional positive float. Truncation trick: latent
                components whose magnitude exceeds it are drawn again, which
                trades variety for typical images (0.5 to 1.0 is usual).
                Applies to latents drawn from `seed`; cannot be combined
                with `latents`. See `keras_logogan.latents`.
            use_ema: bool, default True. Sample from the averaged generator
                (`averaged_generator`) when the model keeps one; False
                samples from the generator being trained.

        Returns:
            A numpy array of shape `(N, image_size, image_size, channels)`.

        Examples:
            >>> gan = LogoGAN(image_size=16, width=8)
            >>> images = gan.generate(8, seed=1)
            >>> images.dtype, images.shape
            (dtype('uint8'), (8, 16, 16, 3))
        """
        latents = self._resolve_latents(num_images, seed, latents, truncation)
        if dtype not in ("uint8", "float32"):
            raise ValueError(f"`dtype` must be 'uint8' or 'float32'. Received: dtype={dtype!r}")
        network = self.sampling_generator if use_ema else self.generator

        batches = []
        with _no_grad():
            for start in range(0, len(latents), batch_size):
                images = network(latents[start : start + batch_size], training=False)
                batches.append(keras.ops.convert_to_numpy(images))
        images = np.concatenate(batches, axis=0).astype(np.float32)
        return images if dtype == "float32" else images_io.to_uint8(images)

    @property
    def sampling_generator(self):
        """The network `generate` uses: the averaged generator, or the generator without one."""
        return self.generator if self.averaged_generator is None else self.averaged_generator

    def _resolve_latents(self, num_images, seed, latents, truncation=None):
        if latents is None:
            if num_images is None or int(num_images) < 1:
                raise ValueError(
                    "Pass `num_images` (a positive int) or `latents`. "
                    f"Received: num_images={num_images!r}"
                )
            if truncation is not None:
                return latents_lib.truncated_normal_latents(
                    int(num_images), self.latent_dim, truncation, seed
                )
            return self.sample_latents(int(num_images), seed)
        if truncation is not None:
            raise ValueError(
                "`truncation` applies to latents drawn from `seed`, not to `latents` "
                "passed in. Truncate them first, e.g. with "
                "`keras_logogan.latents.truncated_normal_latents`."
            )

        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise ValueError(
                f"`latents` must have shape (N, {self.latent_dim}). "
                f"Received: shape={latents.shape}"
            )
        if num_images is not None and num_images != len(latents):
            raise ValueError(
                f"`num_images`={num_images} does not match the {len(latents)} latents "
                "passed. Omit `num_images` when passing `latents`."
            )
        return latents

    # Serialization.

    def save_own_variables(self, store):
        """Save the model's own variables and the training seed's state.

        Keras 3.15 saves no `SeedGenerator` state with a model, so without
        this a reloaded model would draw its training latents from the start
        of the seed's sequence again.
        """
        super().save_own_variables(store)
        store[SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store):
        """Load what `save_own_variables` saved; files without the seed's state load too."""
        keys = list(store.keys())
        own_variables = self._trainable_variables + self._non_trainable_variables
        numbered = [key for key in keys if key != SEED_STATE_KEY]
        if len(numbered) == len(own_variables) - 1:
            # Files saved before the augmentation strength became model state
            # lack its value, which is the last own variable; it stays 0.
            own_variables = own_variables[:-1]
        if len(numbered) != len(own_variables):
            raise ValueError(
                f"The weights file contains {len(numbered)} variables for LogoGAN "
                f"'{self.name}' itself, but this model has {len(own_variables)}. "
                "Build the model with the config it was saved with."
            )
        for index, variable in enumerate(own_variables):
            variable.assign(store[f"{index}"])
        if SEED_STATE_KEY in keys:
            self.seed_generator.state.assign(store[SEED_STATE_KEY])

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            "name": self.name,
            "generator": serialize(self.generator),
            "discriminator": serialize(self.discriminator),
            "architecture": self.architecture,
            "image_size": self.image_size,
            "channels": self.channels,
            "latent_dim": self.latent_dim,
            "width": self.width,
            "discriminator_normalization": self.discriminator_normalization,
            "ema_decay": self.ema_decay,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # Interpolation and pretrained models: the logic is in
    # `keras_logogan.latents` and `keras_logogan.hub`.

    def interpolate(self, start_seed, end_seed, steps=8, truncation=None, dtype="uint8"):
        """Generate `steps` images along a spherical path between the latents of two seeds.

        Args:
            start_seed: int. Seed of the first latent, as in `generate`.
            end_seed: int. Seed of the last latent.
            steps: int, default 8. Number of images, at least 2, both ends
                included.
            truncation: optional positive float, as in `generate`.
            dtype: "uint8" (default) or "float32", as in `generate`.

        Returns:
            A numpy array `(steps, image_size, image_size, channels)`. The
            first image equals `generate(1, seed=start_seed)` and the last
            `generate(1, seed=end_seed)`, with the same `truncation`.

        Examples:
            >>> gan = LogoGAN(image_size=16, width=8)
            >>> gan.interpolate(0, 1, steps=5).shape
            (5, 16, 16, 3)
        """
        if not isinstance(steps, int) or steps < 2:
            raise ValueError(f"`steps` must be an int of at least 2. Received: steps={steps!r}")
        start = self._resolve_latents(1, start_seed, None, truncation)[0]
        end = self._resolve_latents(1, end_seed, None, truncation)[0]
        return self.generate(latents=latents_lib.slerp(start, end, steps), dtype=dtype)

    presets = PresetsDescriptor()

    @classmethod
    def from_pretrained(
        cls,
        name_or_path,
        *,
        revision=None,
        cache_dir=None,
        force_download=False,
        token=None,
        local_files_only=False,
        load_discriminator=False,
    ):
        """Load a LogoGAN saved with `save_pretrained`, from a folder, a preset or the Hub.

        Hub files go through the Hugging Face cache with
        `huggingface_hub.hf_hub_download`, which honours `HF_ENDPOINT`,
        `HF_HOME`, `HF_HUB_CACHE`, `HF_HUB_OFFLINE` and `HF_TOKEN`. Only
        `config.json` and the weights files are read. Classes in the config
        must be Keras built-ins or registered by keras-logogan, and nothing
        is unpickled.

        Args:
            name_or_path: a folder written by `save_pretrained`; a shipped
                preset name (see `LogoGAN.presets`); a Hub repository id
                "namespace/name"; or "hf://namespace/name". An existing
                folder wins over the other forms.
            revision: optional str. Hub branch, tag or commit hash; default
                "main".
            cache_dir: optional path. Hub cache folder; default
                `HF_HUB_CACHE`.
            force_download: bool, default False. Download Hub files again
                even if cached.
            token: optional str or bool. Hub token; default `HF_TOKEN` or
                the saved login.
            local_files_only: bool, default False. Use only the Hub cache,
                as `HF_HUB_OFFLINE=1` does.
            load_discriminator: bool, default False. Also load the saved
                discriminator; when False, the discriminator is built with
                fresh weights.

        Returns:
            A `LogoGAN`, not compiled.

        Raises:
            keras_logogan.hub.PretrainedNotFoundError: no such folder,
                preset, repository, revision or file.
            keras_logogan.hub.OfflineCacheMissError: a Hub file is not
                cached while offline.
            keras_logogan.hub.IncompatibleConfigError: `config.json` is
                invalid, too new, or names a class outside Keras and
                keras-logogan.
            keras_logogan.hub.WeightsFileError: a weights file is
                truncated or corrupt.
            keras_logogan.hub.WeightsMismatchError: a weights file does
                not fit the networks in `config.json`.

        Examples:
            >>> import tempfile
            >>> folder = LogoGAN(image_size=16, width=8).save_pretrained(tempfile.mkdtemp())
            >>> LogoGAN.from_pretrained(folder).generate(2, seed=0).shape
            (2, 16, 16, 3)
        """
        from keras_logogan.hub.pretrained import from_pretrained

        return from_pretrained(
            name_or_path,
            revision=revision,
            cache_dir=cache_dir,
            force_download=force_download,
            token=token,
            local_files_only=local_files_only,
            load_discriminator=load_discriminator,
        )

    def save_pretrained(self, folder, *, include_discriminator=False, **card_options):
        """Write this model to `folder` for `from_pretrained`; see `keras_logogan.hub.pretrained`.

        Args:
            folder: str or path-like, created if missing.
            include_discriminator: bool, default False. Also save the
                discriminator's weights, to continue training later.
            **card_options: `license`, `description`, `training`, `metrics`
                and `repo_name` for the model card.

        Returns:
            The folder path, as a str.
        """
        from keras_logogan.hub.pretrained import save_pretrained

        return save_pretrained(
            self, folder, include_discriminator=include_discriminator, **card_options
        )

    def push_to_hub(
        self,
        repo_id,
        *,
        commit_message="Upload LogoGAN",
        private=None,
        token=None,
        branch=None,
        create_pr=False,
        include_discriminator=False,
        **card_options,
    ):
        """Upload this model, as `save_pretrained` writes it, to a Hub model repository.

        The repository is created if missing, and `branch` too.

        Args:
            repo_id: str. "namespace/name".
            commit_message: str, default "Upload LogoGAN".
            private: optional bool. Visibility of a newly created repository.
            token: optional str. Hub token with write access; default
                `HF_TOKEN` or the saved login.
            branch: optional str. Branch to commit to; default "main".
            create_pr: bool, default False. Open a pull request instead of
                committing directly.
            include_discriminator: bool, default False. As in
                `save_pretrained`.
            **card_options: as in `save_pretrained`.

        Returns:
            The `huggingface_hub.CommitInfo` of the upload.
        """
        from keras_logogan.hub.push import push_to_hub

        return push_to_hub(
            self,
            repo_id,
            commit_message=commit_message,
            private=private,
            token=token,
            branch=branch,
            create_pr=create_pr,
            include_discriminator=include_discriminator,
            **card_options,
        )


def _check_networks(generator, discriminator):
    """Return `(latent_dim, image_size, channels)` after checking the pair fits."""
    latent_shape = tuple(generator.input_shape)
    image_shape = tuple(generator.output_shape)
    if len(latent_shape) != 2 or len(image_shape) != 4 or image_shape[1] != image_shape[2]:
        raise ValueError(
            "The generator must map (batch, latent_dim) latents to square "
            "(batch, size, size, channels) images. Received: input shape "
            f"{latent_shape}, output shape {image_shape}."
        )
    read_shape = tuple(discriminator.input_shape)
    if read_shape[1:] != image_shape[1:]:
        raise ValueError(
            f"The generator makes images of shape {image_shape[1:]} but the "
            f"discriminator reads {read_shape[1:]}. Build both for the same "
            "image_size and channels."
        )
    logits_shape = tuple(discriminator.output_shape)
    if logits_shape[1:] != (1,):
        raise ValueError(
            "The discriminator must output one logit per image, shape "
            f"(batch, 1). Received: output shape {logits_shape}."
        )
    return latent_shape[1], image_shape[1], image_shape[3]
