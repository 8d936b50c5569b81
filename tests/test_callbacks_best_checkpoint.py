"""`BestCheckpoint`: scores per check, the best weights kept on disk and restored at the end."""

import json
import math
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

    assert sorted(os.listdir(tmp_path)) == ["best.json", "best.weights.h5"]
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


def test_non_finite_score_never_best(make_gan, logo_images, tmp_path):
    gan = make_gan()
    path = tmp_path / "best.weights.h5"
    best = BestCheckpoint(
        logo_images, num_images=16, metric_fn=scripted_metric([math.nan, 2.0, math.inf]), path=path
    )

    gan.fit(logo_images, batch_size=32, epochs=3, callbacks=[best], verbose=0)

    assert best.best_epoch == 2
    assert best.best_value == 2.0
    state = json.loads((tmp_path / "best.json").read_text())
    assert [check["swd"] for check in state["history"]] == [None, 2.0, None]


def _train_with_state(make_gan, logo_images, path, scores, epochs, initial_epoch=0, gan=None):
    gan = gan or make_gan()
    recorder = WeightRecorder()
    best = BestCheckpoint(
        logo_images, num_images=16, metric_fn=scripted_metric(scores), path=path, restore_best=False
    )
    if initial_epoch:
        assert best.resume(initial_epoch)
    gan.fit(
        logo_images,
        batch_size=32,
        epochs=epochs,
        initial_epoch=initial_epoch,
        callbacks=[recorder, best],
        verbose=0,
    )
    return gan, best, recorder


def test_resume_keeps_earlier_best(make_gan, logo_images, tmp_path):
    path = tmp_path / "best.weights.h5"
    gan, _, first = _train_with_state(make_gan, logo_images, path, [1.0, 2.0], epochs=2)

    _, best, _ = _train_with_state(
        make_gan, logo_images, path, [3.0], epochs=3, initial_epoch=2, gan=gan
    )

    assert (best.best_epoch, best.best_value) == (1, 1.0)
    assert [check["epoch"] for check in best.history] == [1, 2, 3]
    fresh = make_gan(seed=1)
    best.set_model(fresh)
    assert best.restore() == 1
    for saved, restored in zip(first.weights[0], variable_values(fresh.weights)):
        np.testing.assert_array_equal(saved, restored)


def test_resume_drops_later_checks(make_gan, logo_images, tmp_path):
    path = tmp_path / "best.weights.h5"
    _train_with_state(make_gan, logo_images, path, [2.0, 1.0, 3.0], epochs=3)
    best = BestCheckpoint(logo_images, path=path)

    assert best.resume(1)

    # Epoch 2 is trained again, but its weights scored 1.0 and are still on disk.
    assert [check["epoch"] for check in best.history] == [1]
    assert (best.best_epoch, best.best_value) == (2, 1.0)


def test_resume_forgets_changed_weights(make_gan, logo_images, tmp_path):
    path = tmp_path / "best.weights.h5"
    gan, _, _ = _train_with_state(make_gan, logo_images, path, [1.0], epochs=1)
    state = json.loads((tmp_path / "best.json").read_text())
    gan.save_weights(path)  # as if killed between saving new weights and the state
    os.utime(path, ns=(0, state["weights_file"]["mtime_ns"] + 1))

    assert not BestCheckpoint(logo_images, path=path).resume(1)


def test_resume_without_state_file(logo_images, tmp_path):
    assert not BestCheckpoint(logo_images, path=tmp_path / "best.weights.h5").resume(3)
    assert not BestCheckpoint(logo_images).resume(3)


class PoisonGenerator(keras.callbacks.Callback):
    """Fill the first weight of the sampling generator with NaN at the end of epoch `epoch` (0-based)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.sampling_generator.weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_non_finite_samples_score_nan(make_gan, logo_images):
    gan = make_gan()
    scored = []

    def metric(generated, reference, seed):
        scored.append(len(generated))
        return 1.0

    best = BestCheckpoint(logo_images, num_images=16, metric_fn=metric, restore_best=False)

    history = gan.fit(
        logo_images, batch_size=32, epochs=2, callbacks=[PoisonGenerator(1), best], verbose=0
    )

    assert scored == [16]
    assert math.isnan(history.history["swd"][1])
    assert best.best_epoch == 1
