"""`NaNGuard`: stop GAN training when a loss becomes NaN or infinite."""

import math

import keras
import numpy as np

from keras_logogan.log import logger


class NaNGuard(keras.callbacks.Callback):
    """Stop training at the first batch whose logged loss is NaN or infinite.

    `keras.callbacks.TerminateOnNaN` (Keras 3.15) reads only the `loss` key,
    which `LogoGAN` does not log, so it never stops a GAN. This callback
    checks `d_loss` and `g_loss` (or the keys in `monitor`) after every
    training batch, logs an error through the "keras_logogan" logger that
    names the metric, its value, the 1-based epoch and the 0-based batch,
    and sets `model.stop_training`. The epoch still ends normally, so
    callbacks such as `keras.callbacks.ModelCheckpoint` still run at its end
    and may save the broken weights. Pass `raise_error=True` to prevent that.

    NOTE: reading the batch logs makes the backend finish the step before
    the next one starts, which may cost speed on an accelerator (not measured).

    Args:
        monitor: optional list of log keys to check. Default: every key
            ending in "loss", which for `LogoGAN` is `d_loss` and `g_loss`.
        raise_error: bool, default False. Raise a `RuntimeError` in place of
            stopping, so `on_epoch_end` and `on_train_end` of the other
            callbacks do not run.

    Attributes:
        stopped_epoch: 1-based epoch of the first bad value, or None.
        stopped_batch: 0-based batch of the first bad value, or None.
        bad_metric: name of the first bad metric, or None.

    Examples:
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.callbacks import NaNGuard
        >>> gan = LogoGAN(image_size=16, width=8)
        >>> gan.compile()
        >>> guard = NaNGuard()
        >>> _ = gan.fit(np.zeros((32, 16, 16, 3), np.uint8), epochs=1, verbose=0, callbacks=[guard])
        >>> guard.stopped_epoch is None
        True
    """

    def __init__(self, monitor=None, raise_error=False):
        super().__init__()
        if isinstance(monitor, str):
            monitor = [monitor]
        self.monitor = None if monitor is None else list(monitor)
        self.raise_error = raise_error
        self._epoch = 0
        self.stopped_epoch = None
        self.stopped_batch = None
        self.bad_metric = None

    def on_train_begin(self, logs=None):
        self._epoch = 0
        self.stopped_epoch = None
        self.stopped_batch = None
        self.bad_metric = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if not logs or self.stopped_epoch is not None:
            return
        keys = self.monitor or [key for key in logs if key.endswith("loss")]
        for key in keys:
            if key not in logs:
                continue
            value = float(np.asarray(keras.ops.convert_to_numpy(logs[key])))
            if math.isfinite(value):
                continue
            self._stop(key, value, batch)
            return

    def _stop(self, key, value, batch):
        self.stopped_epoch = self._epoch + 1
        self.stopped_batch = batch
        self.bad_metric = key
        message = (
            f"{key} is {value} at epoch {self.stopped_epoch}, batch {batch}. "
            "The GAN's weights are probably no longer finite. Lower the learning "
            "rates, check the training images for NaN values, or resume from "
            "an earlier checkpoint."
        )
        if self.raise_error:
            raise RuntimeError(message)
        logger.error("%s Stopping training.", message)
        self.model.stop_training = True
