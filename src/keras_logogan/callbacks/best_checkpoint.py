"""`BestCheckpoint`: measure sample quality during training and keep the best generator."""

import json
import math
import os
import time

import keras
import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.atomic_files import write_json_atomically
from keras_logogan.log import logger


class BestCheckpoint(keras.callbacks.Callback):
    """Score the generator's samples every few epochs and keep the best weights.

    A check runs every `every_epochs` epochs and after the last epoch of
    `fit`. At each check the sampling generator (the averaged one when the GAN keeps
    one) renders the same `num_images` latents in inference mode. Then
    `metric_fn(generated, reference_images, seed)` scores them, and lower is
    better.
    The default metric is the sliced Wasserstein distance x1e3
    (`keras_logogan.metrics.sliced_wasserstein_distance`). The score goes
    into the epoch logs as `log_key`, and every check is appended to
    `history` with the epoch, the seconds since training began, the
    training seconds (the same, less the time spent in checks) and, given
    `images_per_epoch`, the real images shown so far.

    When a check beats every earlier one, the callback saves the weights of
    the whole GAN atomically to the `.weights.h5` file `path`, or, without
    `path`, copies them in memory. At the end of training `restore_best`
    loads the best copy back, so the GAN ends at its best check rather than its last.
    A score that is not finite is logged but never kept as the best, and
    samples with a pixel that is not finite score NaN without calling
    `metric_fn`.

    With `path` set, every check also rewrites a state file beside it (the
    same name ending in ".json" instead of ".weights.h5") with the best epoch,
    its score and the history. `resume(initial_epoch)` reads that file back,
    so a training run continued in a new process keeps comparing against the
    best check of the earlier one; `restore()` then loads the best weights
    from `path`. NOTE: the `seconds` of a check count from the start of the
    `fit` call that made it.

    Args:
        reference_images: uint8 array `(N, H, W, C)` of real images to
            compare with, e.g. the training images.
        num_images: int, default 1000. Generated images per check; the
            reference is subsampled to as many by the metric.
        every_epochs: int, default 1. Check every this many epochs, and
            after the last one.
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
        self.state_path = None
        if self.path is not None:
            self.state_path = self.path[: -len(".weights.h5")] + ".json"
        self._started = None
        self._check_seconds = 0.0

    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        self._check_seconds = 0.0
        self._latents = self.model.sample_latents(self.num_images, seed=self.seed)

    def on_epoch_end(self, epoch, logs=None):
        last_epoch = epoch + 1 == (self.params or {}).get("epochs")
        if (epoch + 1) % self.every_epochs and not last_epoch:
            return
        check_started = time.perf_counter()
        generated = self._generate()
        if generated is None:
            value = math.nan
        else:
            value = float(self.metric_fn(generated, self.reference_images, self.seed))
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
        if not np.isfinite(value):
            logger.warning(
                "BestCheckpoint: the %s of epoch %d is %s, so these weights cannot be the best.",
                self.log_key,
                epoch + 1,
                value,
            )
        elif self.best_value is None or value < self.best_value:
            self._keep(epoch + 1, value)
        if self.state_path is not None:
            self._write_state()
        self._check_seconds += time.perf_counter() - check_started

    def on_train_end(self, logs=None):
        if self.restore_best:
            self.restore()

    def restore(self):
        """Load the best check's weights into the model; return its epoch, or None without one.

        The weights come from `path` when it is set, else from memory.
        """
        if self.best_epoch is None:
            return None
        if self.path is not None and os.path.isfile(self.path):
            # The file also contains the latent seed generator's state,
            # which `get_weights` leaves out.
            self.model.load_weights(self.path)
        elif self._best_weights is not None:
            self.model.set_weights(self._best_weights)
        else:
            return None
        logger.info(
            "BestCheckpoint restored the weights of epoch %d, whose %s of %.3f was the "
            "lowest of %d checks.",
            self.best_epoch,
            self.log_key,
            self.best_value,
            len(self.history),
        )
        return self.best_epoch

    def resume(self, initial_epoch):
        """Read the state file of an earlier run that trained `initial_epoch` epochs.

        Checks after `initial_epoch` are dropped from the history, because
        training repeats those epochs. The best check is kept even when it
        is one of them: its weights file contains weights that really scored
        that value.

        Returns:
            Whether a state file with a best check was read.
        """
        if self.state_path is None or not os.path.isfile(self.state_path):
            return False
        with open(self.state_path, encoding="utf-8") as stream:
            state = json.load(stream)
        if state.get("best_epoch") is None or not os.path.isfile(self.path):
            return False
        if state.get("weights_file") != _file_stamp(self.path):
            # A kill between saving new best weights and rewriting the
            # state leaves weights whose epoch and score are unknown.
            logger.warning(
                "BestCheckpoint: %s changed after %s was written, so the earlier best "
                "check is forgotten and the comparison starts again.",
                self.path,
                self.state_path,
            )
            return False
        self.best_epoch = int(state["best_epoch"])
        self.best_value = float(state["best_value"])
        self.history = [check for check in state["history"] if check["epoch"] <= initial_epoch]
        self._best_weights = None
        return True

    def _keep(self, epoch, value):
        self.best_value, self.best_epoch = value, epoch
        if self.path is None:
            self._best_weights = [np.array(w) for w in self.model.get_weights()]
            return
        with atomic_path(self.path, suffix=".weights.h5") as temporary:
            self.model.save_weights(temporary)

    def _write_state(self):
        state = {
            "log_key": self.log_key,
            "best_epoch": self.best_epoch,
            "best_value": self.best_value,
            "weights_file": None if self.best_epoch is None else _file_stamp(self.path),
            "history": [
                {key: _json_number(value) for key, value in check.items()}
                for check in self.history
            ],
        }
        write_json_atomically(state, self.state_path)

    def _generate(self):
        from keras_logogan.callbacks._inference import predict
        from keras_logogan.images import to_uint8

        images = predict(self.model.sampling_generator, self._latents)
        if not np.isfinite(images).all():
            # uint8 conversion would hide the NaN of diverged weights.
            return None
        return to_uint8(images)


def _mean_swd(generated, reference, seed):
    from keras_logogan.metrics import sliced_wasserstein_distance

    return sliced_wasserstein_distance(generated, reference, seed=seed).mean


def _json_number(value):
    """Return `value`, or None for a float that is not finite, which JSON cannot hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _file_stamp(path):
    """Return the size and modification time of `path`, which change when it is rewritten."""
    stat = os.stat(path)
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
