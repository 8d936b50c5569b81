"""`DiscriminatorAccuracy`: measure how well the discriminator separates real from generated logos."""

import keras
import numpy as np

from keras_logogan.callbacks import _checks
from keras_logogan.callbacks._inference import predict
from keras_logogan.callbacks.nearest_neighbors import to_model_input
from keras_logogan.log import logger


class DiscriminatorAccuracy(keras.callbacks.Callback):
    """Measure the discriminator on fixed real and generated samples at epoch end.

    The training metrics `real_accuracy` and `fake_accuracy` are averaged over
    an epoch of training-mode steps on changing batches. This callback instead
    runs both networks in inference mode on the same images at every check,
    so the numbers are comparable between epochs. It adds to the epoch logs,
    and so to `history.history` and to a `keras.callbacks.CSVLogger` placed
    after it:

    - `d_real_accuracy`: share of the real sample with a logit above the
      loss's `decision_threshold`.
    - `d_fake_accuracy`: share of generated images at or below it.
    - `r_t`: `mean(sign(D(x) - threshold))` over the real sample, the
      overfitting heuristic of ADA (Karras et al. 2020, "Training Generative
      Adversarial Networks with Limited Data"). 0 means the discriminator is
      unsure of real images, 1 means it is sure of all of them. ADA aims
      for 0.6.
    - `d_held_out_accuracy` and `overfit_gap` (only with `held_out_images`):
      accuracy on real images the GAN never trains on, and
      `d_real_accuracy - d_held_out_accuracy`. A growing gap means the
      discriminator memorises the training images.

    Epochs without a check (see `every_epochs`) have none of these keys, as
    Keras does for validation metrics with `validation_freq`.

    When the accuracy on real and on generated images both stay above
    `warn_threshold` for `patience` checks in a row, the discriminator wins
    so clearly that the generator gets little useful gradient. The callback
    then logs one warning per `fit()` call through the "keras_logogan" logger.

    Args:
        real_images: uint8 array `(N, H, W, C)` of training images, or float
            in [-1, 1]. A fixed sample of `num_images` is measured.
        held_out_images: optional array like `real_images`, of real images
            left out of training.
        num_images: int, default 256. Size of each fixed sample: real,
            held-out and generated.
        seed: int, default 0. Seed of the samples and latents.
        every_epochs: int, default 1. Check every this many epochs.
        warn_threshold: float, default 0.98. Accuracy on both real and
            generated images above which the discriminator counts as
            winning. 0.98 allows about 5 misclassified images in 256. In
            healthy 16 px test runs, at least one side stayed at or below 0.98.
        patience: int, default 3. Checks in a row above `warn_threshold`
            before the warning, so one lucky epoch does not trigger it.

    Examples:
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.callbacks import DiscriminatorAccuracy
        >>> from keras_logogan.datasets import load_icons
        >>> images = load_icons(16)
        >>> gan = LogoGAN(image_size=16, width=8)
        >>> gan.compile()
        >>> callback = DiscriminatorAccuracy(images[:64], held_out_images=images[-32:])
        >>> history = gan.fit(images[:64], epochs=1, verbose=0, callbacks=[callback])
        >>> sorted(key for key in history.history if key.startswith(("d_", "r_", "overfit")))
        ['d_fake_accuracy', 'd_held_out_accuracy', 'd_loss', 'd_real_accuracy', 'overfit_gap', 'r_t']
    """

    def __init__(
        self,
        real_images=None,
        held_out_images=None,
        num_images=256,
        seed=0,
        every_epochs=1,
        warn_threshold=0.98,
        patience=3,
    ):
        super().__init__()
        if real_images is None and held_out_images is None:
            raise ValueError(
                "DiscriminatorAccuracy needs real images to measure. Pass "
                "`real_images` (training images), `held_out_images`, or both."
            )
        _checks.check_positive_int("num_images", num_images)
        _checks.check_positive_int("every_epochs", every_epochs)
        _checks.check_positive_int("patience", patience)
        _checks.check_fraction("warn_threshold", warn_threshold)
        self.real_images = None
        self.held_out_images = None
        if real_images is not None:
            self.real_images = _checks.check_images("real_images", real_images)
        if held_out_images is not None:
            self.held_out_images = _checks.check_images("held_out_images", held_out_images)
        self.num_images = num_images
        self.seed = seed
        self.every_epochs = every_epochs
        self.warn_threshold = warn_threshold
        self.patience = patience
        self.warned = False
        self._winning_checks = 0
        self._real_sample = None
        self._held_out_sample = None
        self._latents = None

    def on_train_begin(self, logs=None):
        model = self.model
        self.warned = False
        self._winning_checks = 0
        self._real_sample = self._prepare_sample("real_images", self.real_images, model)
        self._held_out_sample = self._prepare_sample(
            "held_out_images", self.held_out_images, model
        )
        self._latents = model.sample_latents(self.num_images, self.seed)

    def _prepare_sample(self, name, images, model):
        if images is None:
            return None
        _checks.check_images_fit_model(name, images, model)
        return to_model_input(_checks.fixed_subset(images, self.num_images, self.seed))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs:
            return
        measurements = self.measure(self.model)
        if logs is not None:
            logs.update(measurements)
        self._update_warning(epoch, measurements)

    def measure(self, model):
        """Return this check's measurements as a dict of floats (the keys listed above)."""
        discriminator = model.discriminator
        threshold = model.loss.decision_threshold
        generated = predict(model.generator, self._latents)
        fake_logits = predict(discriminator, generated)
        measurements = {"d_fake_accuracy": float(np.mean(fake_logits <= threshold))}

        if self._real_sample is not None:
            real_logits = predict(discriminator, self._real_sample)
            measurements["d_real_accuracy"] = float(np.mean(real_logits > threshold))
            measurements["r_t"] = float(np.mean(np.sign(real_logits - threshold)))
        if self._held_out_sample is not None:
            held_out_logits = predict(discriminator, self._held_out_sample)
            measurements["d_held_out_accuracy"] = float(np.mean(held_out_logits > threshold))
            if self._real_sample is not None:
                measurements["overfit_gap"] = (
                    measurements["d_real_accuracy"] - measurements["d_held_out_accuracy"]
                )
        return measurements

    def _update_warning(self, epoch, measurements):
        real_accuracy = measurements.get("d_real_accuracy")
        if real_accuracy is None:
            # Without training images the warning would judge held-out ones,
            # which the discriminator is not expected to win on.
            return
        winning = (
            real_accuracy > self.warn_threshold
            and measurements["d_fake_accuracy"] > self.warn_threshold
        )
        self._winning_checks = self._winning_checks + 1 if winning else 0
        if self._winning_checks < self.patience or self.warned:
            return

        self.warned = True
        held_out = ""
        if "overfit_gap" in measurements:
            held_out = (
                f", held-out accuracy {measurements['d_held_out_accuracy']:.3f} "
                f"(overfit_gap {measurements['overfit_gap']:.3f})"
            )
        logger.warning(
            "Epoch %d: the discriminator separates real from generated images "
            "almost perfectly for %d checks in a row: accuracy %.3f on real and "
            "%.3f on generated images (above warn_threshold=%.2f), r_t %.3f%s. "
            "The generator then gets little useful gradient. Try augmenting "
            "real and generated images (DiffAugment or ADA), fewer "
            "discriminator steps per generator step, a lower discriminator "
            "learning rate, or more training images.",
            epoch + 1,
            self._winning_checks,
            real_accuracy,
            measurements["d_fake_accuracy"],
            self.warn_threshold,
            measurements["r_t"],
            held_out,
        )
