"""Which images `LogoGAN.fit(uint8_array)` trains on, batch by batch and epoch by epoch.

Image `i` of the arrays here has every pixel equal to `i`, so each training
batch maps back to the indices of its images. The GAN runs eagerly, so a
`train_step` override receives each batch as a concrete array on every backend.
"""

import keras
import numpy as np
import pytest
from conftest import TINY_SIZE
from conftest import TINY_WIDTH

from keras_logogan import LogoGAN
from keras_logogan import distribution
from keras_logogan.models import step_utils

NUM_IMAGES = 20
BATCH_SIZE = 8


def numbered_images(count):
    """Return `count` uint8 images whose pixels all equal the image's index."""
    return np.broadcast_to(
        np.arange(count, dtype=np.uint8)[:, None, None, None], (count, TINY_SIZE, TINY_SIZE, 3)
    ).copy()


def image_indices(batch):
    """Return the indices of a batch of `numbered_images` scaled to [-1, 1]."""
    pixels = (np.asarray(batch).reshape(len(batch), -1).mean(axis=1) + 1.0) * 127.5
    return np.rint(pixels).astype(int).tolist()


class BatchRecorder(keras.callbacks.Callback):
    """Collect the image indices of each training step, grouped by epoch.

    `RecordingGAN.train_step` appends to `pending`, and each epoch's end
    moves those steps into `epochs`.
    """

    def __init__(self):
        super().__init__()
        self.pending = []
        self.epochs = []
        self.batch_end_calls = []

    def on_epoch_begin(self, epoch, logs=None):
        self.batch_end_calls.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.batch_end_calls[-1] += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(self.pending)
        self.pending = []


class RecordingGAN(LogoGAN):
    """A tiny `LogoGAN` that reports the image indices of every batch it trains on."""

    def __init__(self, recorder, seed=0):
        super().__init__(image_size=TINY_SIZE, width=TINY_WIDTH, seed=seed)
        self.recorder = recorder

    def train_step(self, *args):
        real = keras.ops.convert_to_numpy(step_utils.real_images(args[-1]))
        self.recorder.pending.append(image_indices(real))
        return super().train_step(*args)


def record_fit(seed=0, images=None, compile_kwargs=None, **fit_kwargs):
    """Fit a fresh `RecordingGAN` and return its recorder and the fit's history."""
    recorder = BatchRecorder()
    gan = RecordingGAN(recorder, seed=seed)
    gan.compile(run_eagerly=True, **(compile_kwargs or {}))
    images = numbered_images(NUM_IMAGES) if images is None else images
    fit_kwargs.setdefault("batch_size", BATCH_SIZE)
    history = gan.fit(images, verbose=0, callbacks=[recorder], **fit_kwargs)
    return recorder, history


def epoch_orders(recorder):
    """Return each epoch's image indices in the order they were trained on."""
    return [[index for batch in epoch for index in batch] for epoch in recorder.epochs]


def test_fit_shows_each_image_once_per_epoch():
    recorder, history = record_fit(epochs=3)

    assert history.params["steps"] == 3
    assert recorder.batch_end_calls == [3, 3, 3]
    for epoch in recorder.epochs:
        assert [len(batch) for batch in epoch] == [8, 8, 4]
    for order in epoch_orders(recorder):
        assert sorted(order) == list(range(NUM_IMAGES))


def test_fit_without_shuffle_keeps_order():
    recorder, _ = record_fit(epochs=2, shuffle=False)

    assert epoch_orders(recorder) == [list(range(NUM_IMAGES))] * 2


def test_fit_shuffles_each_epoch_differently():
    # If Keras started a new pass over the endless dataset each epoch, every
    # epoch would repeat the first one's order.
    recorder, _ = record_fit(epochs=3)
    orders = epoch_orders(recorder)

    assert orders[0] != list(range(NUM_IMAGES))
    assert orders[0] != orders[1]
    assert orders[1] != orders[2]
    assert orders[0] != orders[2]


def test_fit_order_repeats_with_same_seed():
    first, _ = record_fit(seed=3, epochs=2)
    second, _ = record_fit(seed=3, epochs=2)
    other, _ = record_fit(seed=4, epochs=2)

    assert epoch_orders(first) == epoch_orders(second)
    assert epoch_orders(first) != epoch_orders(other)


def test_fit_seedless_order_follows_global_seed():
    keras.utils.set_random_seed(11)
    first, _ = record_fit(seed=None, epochs=2)
    keras.utils.set_random_seed(11)
    second, _ = record_fit(seed=None, epochs=2)

    assert epoch_orders(first) == epoch_orders(second)


def test_fit_initial_epoch_continues_order():
    uninterrupted, _ = record_fit(epochs=3)
    resumed, history = record_fit(epochs=3, initial_epoch=2)

    assert history.epoch == [2]
    assert epoch_orders(resumed) == epoch_orders(uninterrupted)[2:]


def test_fit_small_array_makes_one_batch():
    recorder, _ = record_fit(images=numbered_images(5), batch_size=8, epochs=2)

    assert [len(batch) for epoch in recorder.epochs for batch in epoch] == [5, 5]


def test_fit_drops_batch_that_replicas_cannot_split(monkeypatch):
    # 22 images in batches of 8 leave 6 images, which 4 replicas cannot
    # split evenly, so `check_array_batches` returns True and `fit` drops them.
    monkeypatch.setattr(distribution, "num_replicas", lambda: 4)
    recorder, history = record_fit(images=numbered_images(22), epochs=2)

    assert history.params["steps"] == 2
    assert recorder.batch_end_calls == [2, 2]
    for order in epoch_orders(recorder):
        assert len(order) == 16
        assert len(set(order)) == 16


def test_fit_keeps_batch_that_replicas_can_split(monkeypatch):
    # 20 images in batches of 8 leave 4, one image for each of 4 replicas.
    monkeypatch.setattr(distribution, "num_replicas", lambda: 4)
    recorder, history = record_fit(epochs=1)

    assert history.params["steps"] == 3
    assert sorted(epoch_orders(recorder)[0]) == list(range(NUM_IMAGES))


def test_fit_honours_steps_per_epoch():
    # The array makes 3 batches, and 2 epochs of 1 step stay within them.
    recorder, history = record_fit(epochs=2, steps_per_epoch=1)

    assert history.params["steps"] == 1
    assert recorder.batch_end_calls == [1, 1]


@pytest.mark.skipif(
    keras.config.backend() == "torch", reason="Keras' torch trainer takes steps_per_execution=1 only"
)
@pytest.mark.parametrize("num_images", [20, 32])
def test_fit_steps_per_execution_keeps_epochs(num_images):
    # 20 images make 3 batches, which 2 steps per call do not divide, so
    # `fit` falls back to a finite dataset. 32 images make 4 batches.
    recorder, history = record_fit(
        images=numbered_images(num_images), epochs=3, compile_kwargs={"steps_per_execution": 2}
    )

    assert len(history.epoch) == 3
    for order in epoch_orders(recorder):
        assert sorted(order) == list(range(num_images))


@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_batches_match_make_epoch_dataset(shuffle):
    from keras_logogan.datasets.pipeline import make_epoch_dataset

    recorder, _ = record_fit(epochs=2, shuffle=shuffle)
    dataset = make_epoch_dataset(numbered_images(NUM_IMAGES), BATCH_SIZE, seed=0, shuffle=shuffle)
    expected = [image_indices(batch.numpy()) for batch in dataset.take(6)]

    assert [batch for epoch in recorder.epochs for batch in epoch] == expected
