"""`BestCheckpoint`: scores per check, the best weights kept on disk and restored at the end."""

import os
import time

import keras
import numpy as np
import pytest
from conftest import variable_values

from keras_logogan.callbacks import BestCheckpoint


class WeightRecorder(keras.callbacks.Callback):
    """Record the GAN's weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(variable_values(self.model.weights))


def scripted_metric(values):
    """Return a metric function that returns `values` one per call."""
    remaining = list(values)

    def metric(generated, reference, seed):
        assert generated.dtype == np.uint8
        assert generated.shape[1:] == reference.shape[1:]
        return remaining.pop(0)

    return metric


def test_restores_weights_of_lowest_check(make_gan, logo_images):
    gan = make_gan()
    recorder = WeightRecorder()
    best = BestCheckpoint(logo_images, num_images=16, metric_fn=scripted_metric([3.0, 1.0, 2.0]))

    history = gan.fit(logo_images, batch_size=32, epochs=3, callbacks=[recorder, best], verbose=0)

    assert history.history["swd"] == [3.0, 1.0, 2.0]
    assert best.best_epoch == 2
    assert best.best_value == 1.0
    for kept, restored in zip(recorder.weights[1], variable_values(gan.weights)):
        np.testing.assert_array_equal(kept, restored)


def test_keeps_last_weights_without_restore(make_gan, logo_images):
    gan = make_gan()
    recorder = WeightRecorder()
    best = BestCheckpoint(
        logo_images, num_images=16, metric_fn=scripted_metric([3.0, 1.0]), restore_best=False
    )

    gan.fit(logo_images, batch_size=32, epochs=2, callbacks=[recorder, best], verbose=0)

    assert best.best_epoch == 2
    for last, current in zip(recorder.weights[-1], variable_values(gan.weights)):
        np.testing.assert_array_equal(last, current)


def test_writes_best_weights_file(make_gan, logo_images, tmp_path):
    gan = make_gan()
    path = str(tmp_path / "best.weights.h5")
    recorder = WeightRecorder()
    best = BestCheckpoint(
        logo_images, num_images=16, metric_fn=scripted_metric([1.0, 2.0]), path=path
    )

    gan.fit(logo_images, batch_size=32, epochs=2, callbacks=[recorder, best], verbose=0)

    assert sorted(os.listdir(tmp_path)) == ["best.weights.h5"]
    fresh = make_gan(seed=1)
    fresh.load_weights(path)
    for kept, loaded in zip(recorder.weights[0], variable_values(fresh.weights)):
        np.testing.assert_array_equal(kept, loaded)


def test_default_metric_is_swd_with_history(make_gan, logo_images):
    gan = make_gan()
    best = BestCheckpoint(logo_images, num_images=32, every_epochs=2, images_per_epoch=64)

    history = gan.fit(logo_images, batch_size=32, epochs=4, callbacks=[best], verbose=0)

    assert [check["epoch"] for check in best.history] == [2, 4]
    assert [check["images_shown"] for check in best.history] == [128, 256]
    assert all(np.isfinite(check["swd"]) and check["swd"] > 0 for check in best.history)
    assert history.history["swd"] == [check["swd"] for check in best.history]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"path": "best.h5"}, "weights.h5"),
        ({"num_images": 0}, "num_images"),
        ({"every_epochs": 1.5}, "every_epochs"),
    ],
)
def test_rejects_bad_arguments(logo_images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        BestCheckpoint(logo_images, **kwargs)


def test_rejects_float_reference(logo_images):
    with pytest.raises(ValueError, match="uint8"):
        BestCheckpoint(logo_images.astype("float32"))


def test_training_seconds_leave_out_checks(make_gan, logo_images):
    def slow_metric(generated, reference, seed):
        time.sleep(0.5)
        return 1.0

    gan = make_gan()
    best = BestCheckpoint(logo_images, num_images=16, metric_fn=slow_metric)

    gan.fit(logo_images, batch_size=32, epochs=3, callbacks=[best], verbose=0)

    first, second, third = best.history
    assert 0 < first["training_seconds"] < second["training_seconds"] < third["training_seconds"]
    assert third["seconds"] - third["training_seconds"] >= 1.0
