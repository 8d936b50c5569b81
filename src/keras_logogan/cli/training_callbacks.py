"""Callbacks that `logogan train` adds: epoch timing and the metrics CSV file.

This module imports Keras, so the CLI imports it only after `--backend` is
applied.
"""

import time

import keras

from keras_logogan.models import METRIC_NAMES

TIMING_NAMES = ("seconds", "images_per_second")

# The per-epoch values each measuring callback writes into the logs.
MONITOR_COLUMNS = {
    "discriminator_accuracy": (
        "d_real_accuracy",
        "d_fake_accuracy",
        "r_t",
        "d_held_out_accuracy",
        "overfit_gap",
    ),
    "mode_collapse": ("diversity_ratio", "feature_diversity_ratio", "duplicate_rate"),
    "memorization": ("near_copy_share", "exact_copy_rate", "nearest_distance_ratio"),
}


class EpochTimer(keras.callbacks.Callback):
    """Add `seconds` and `images_per_second` to the logs at the end of each epoch.

    Place it before `MetricsCSVLogger` in the callback list, because Keras
    passes one logs dict to the callbacks in list order. The time runs from
    the start of the epoch to its end, before later callbacks such as
    `SampleGridSaver` run. The first epoch also includes the backend's
    tracing or compilation of the training step.

    Args:
        images_per_epoch: int. Training images seen in one epoch.
    """

    def __init__(self, images_per_epoch):
        super().__init__()
        self.images_per_epoch = images_per_epoch
        self._epoch_start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self._epoch_start is None:
            return
        seconds = time.perf_counter() - self._epoch_start
        logs["seconds"] = seconds
        logs["images_per_second"] = self.images_per_epoch / seconds if seconds > 0 else 0.0


class MetricsCSVLogger(keras.callbacks.CSVLogger):
    """`CSVLogger` with fixed columns: epoch, the GAN metrics, the timings, then `extra_columns`.

    An epoch on which a measuring callback did not run gets "NA" in its columns.

    Keras 3.15's `CSVLogger` takes its columns from the first epoch's logs
    and, when none start with "val_", adds an always-"NA" `val_` copy of each
    one. GAN training has no validation data, so this logger sets the columns
    itself, through the `keys` attribute that `CSVLogger` reads.
    """

    columns = (*METRIC_NAMES, *TIMING_NAMES)

    def __init__(self, filename, extra_columns=(), **kwargs):
        super().__init__(filename, **kwargs)
        self.extra_columns = tuple(extra_columns)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.keys = [*self.columns, *self.extra_columns]
