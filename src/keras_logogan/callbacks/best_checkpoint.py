"""`BestCheckpoint`: measure sample quality during training and keep the best generator."""

import os
import time

import keras
import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.log import logger


class BestCheckpoint(keras.callbacks.Callback):
    """Score the generator's samples every few epochs and keep the best weights.

    At each check the sampling generator (the averaged one when the GAN keeps
    one) renders the same `num_images` latents in inference mode. Then
    `metric_fn(generated, reference_images, seed)` scores them, and lower is
    better.
    The default metric is the sliced Wasserstein distance x1e3
    (`keras_logogan.metrics.sliced_wasserstein_distance`). The score goes
    into the epoch logs as `log_key`, and every check is appended to
    `history` with the epoch, the seconds since training began, the
    training seconds (the same, less the time spent in checks) and, given
    `images_per_epoch`, the real images shown so far.

    When a check beats every earlier one, the callback copies the weights of
    the whole GAN in memory and, if `path` is set, saves them atomically to
    that `.weights.h5` file. At the end of training `restore_best` loads the
    best copy back, so the GAN ends at its best check rather than its last.

    Args:
        reference_images: uint8 array `(N, H, W, C)` of real images to
            compare with, e.g. the training images.
        num_images: int, default 1000. Generated images per check; the
            reference is subsampled to as many by the metric.
        every_epochs: int, default 1. Check every this many epochs.
        seed: int, default 0. Seed of the latents and of the metric.
        metric_fn: optional callable `(generated, reference, seed) -> float`,
            lower is better. Default: the mean SWD x1e3.
        log_key: str, default "swd". Name of the score in the logs.
        images_per_epoch: optional int, to record `images_shown` per check.
        path: optional path ending in ".weights.h5" for the best weights.
        restore_best: bool, default True.

    Examples:
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.callbacks import BestCheckpoint
        >>> from keras_logogan.datasets import load_icons
        >>> logos = load_icons(image_size=16)[:64]
        >>> gan = LogoGAN(image_size=16, width=8)
        >>> gan.compile()
        >>> best = BestCheckpoint(logos, num_images=64)
        >>> history = gan.fit(logos, batch_size=32, epochs=2, callbacks=[best], verbose=0)
        >>> len(best.history), best.best_epoch in (1, 2)
        (2, True)
    """

    def __init__(
        self,
        reference_images,
        num_images=1000,
        every_epochs=1,
        seed=0,
        metric_fn=None,
        log_key="swd",
        images_per_epoch=None,
        path=None,
        restore_best=True,
    ):
        super().__init__()
        reference_images = np.asarray(reference_images)
        if reference_images.dtype != np.uint8 or reference_images.ndim != 4:
            raise ValueError(
                "`reference_images` must be a uint8 array (N, height, width, channels). "
                f"Received: dtype={reference_images.dtype}, shape={reference_images.shape}"
            )
        if path is not None and not str(path).endswith(".weights.h5"):
            raise ValueError(
                "`path` must end in '.weights.h5', the suffix Keras requires for "
                f"weights files. Received: path={path!r}"
            )
        for name, value in (("num_images", num_images), ("every_epochs", every_epochs)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        self.reference_images = reference_images
        self.num_images = num_images
        self.every_epochs = every_epochs
        self.seed = seed
        self.metric_fn = metric_fn or _mean_swd
        self.log_key = log_key
        self.path = None if path is None else os.fspath(path)
        self.restore_best = restore_best
        self.history = []
        self.best_value = None
        self.best_epoch = None
        self._best_weights = None
        self.images_per_epoch = images_per_epoch
        self._started = None
        self._check_seconds = 0.0

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        self._check_seconds = 0.0
        self._latents = self.model.sample_latents(self.num_images, seed=self.seed)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs:
            return
        check_started = time.perf_counter()
        value = float(self.metric_fn(self._generate(), self.reference_images, self.seed))
        if logs is not None:
            logs[self.log_key] = value
        self.history.append(
            {
                "epoch": epoch + 1,
                "images_shown": None
                if self.images_per_epoch is None
                else (epoch + 1) * self.images_per_epoch,
                "seconds": time.perf_counter() - self._started,
                "training_seconds": check_started - self._started - self._check_seconds,
                self.log_key: value,
            }
        )
        if self.best_value is None or value < self.best_value:
            self._keep(epoch + 1, value)
        self._check_seconds += time.perf_counter() - check_started

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_weights is not None:
            self.model.set_weights(self._best_weights)
            logger.info(
                "BestCheckpoint restored the weights of epoch %d, whose %s of %.3f was the "
                "lowest of %d checks.",
                self.best_epoch,
                self.log_key,
                self.best_value,
                len(self.history),
            )

    def _keep(self, epoch, value):
        self.best_value, self.best_epoch = value, epoch
        self._best_weights = [np.array(w) for w in self.model.get_weights()]
        if self.path is not None:
            with atomic_path(self.path, suffix=".weights.h5") as temporary:
                self.model.save_weights(temporary)

    def _generate(self):
        from keras_logogan.callbacks._inference import predict
        from keras_logogan.images import to_uint8

        return to_uint8(predict(self.model.sampling_generator, self._latents))


def _mean_swd(generated, reference, seed):
    from keras_logogan.metrics import sliced_wasserstein_distance

    return sliced_wasserstein_distance(generated, reference, seed=seed).mean
