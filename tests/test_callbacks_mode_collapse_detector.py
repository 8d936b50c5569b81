"""ModeCollapseDetector on real training runs: healthy, constant and few-mode generators."""

import logging

import keras
import numpy as np
import pytest
from conftest import TINY_SIZE
from conftest import TINY_WIDTH
from conftest import variable_values

from keras_logogan import LogoGAN
from keras_logogan.architectures import dcgan_discriminator
from keras_logogan.callbacks import ModeCollapseDetector
from keras_logogan.datasets import load_icons

LATENT_DIM = 8
KEYS = ("diversity_ratio", "feature_diversity_ratio", "duplicate_rate")


@pytest.fixture(autouse=True)
def fixed_seed():
    """Seed the weight initialisers, so a failure reproduces."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def logos():
    return load_icons(image_size=TINY_SIZE)[:256]


def _warnings(caplog):
    return [r for r in caplog.records if r.name == "keras_logogan" and r.levelno == logging.WARNING]


def _image_generator(images, select_by_latent):
    """Build a generator whose output ignores the latents, or picks one of `images` by latent.

    With `select_by_latent=False`, the latents are multiplied by 0, so every
    latent gives the same image. With `select_by_latent=True`, a softmax with
    a large temperature over the first `len(images)` latent entries picks
    one of `images` nearly exactly, so the generator has `len(images)` modes.
    Both stay that way while they train, because the structure forces it.
    """
    flat = images.reshape(len(images), -1).astype("float32") / 127.5 - 1.0
    latents = keras.Input((LATENT_DIM,))
    if select_by_latent:
        logits = keras.layers.Rescaling(100.0)(latents[:, : len(images)])
        weights = keras.layers.Softmax()(logits)
        pixels = keras.layers.Dense(
            flat.shape[1],
            use_bias=False,
            kernel_initializer=keras.initializers.Constant(flat),
        )(weights)
    else:
        silenced = keras.layers.Rescaling(0.0)(latents)
        pixels = keras.layers.Dense(
            flat.shape[1], bias_initializer=keras.initializers.Constant(flat[0])
        )(silenced)
    outputs = keras.layers.Reshape(images.shape[1:])(pixels)
    return keras.Model(latents, outputs, name="generator")


def _gan_with_generator(generator):
    discriminator = dcgan_discriminator(image_size=TINY_SIZE, width=TINY_WIDTH)
    gan = LogoGAN(generator, discriminator, seed=0)
    gan.compile()
    return gan


def test_healthy_run_does_not_stop(make_gan, logos, caplog):
    gan = make_gan()
    detector = ModeCollapseDetector(logos, num_images=128, start_from_epoch=0)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(logos, batch_size=32, epochs=3, verbose=0, callbacks=[detector])

    assert len(history.history["d_loss"]) == 3
    for key in KEYS:
        assert len(history.history[key]) == 3, key
    assert all(value > 0.1 for value in history.history["diversity_ratio"])
    assert all(value < 0.5 for value in history.history["duplicate_rate"])
    assert detector.collapsed_epoch is None
    assert _warnings(caplog) == []
    assert detector.real_duplicate_rate < 0.05


def test_constant_generator_stops_at_first_check(logos, caplog):
    gan = _gan_with_generator(_image_generator(logos[:1], select_by_latent=False))
    detector = ModeCollapseDetector(logos, num_images=64, start_from_epoch=0)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(logos[:64], batch_size=32, epochs=3, verbose=0, callbacks=[detector])

    assert len(history.history["d_loss"]) == 1
    assert history.history["diversity_ratio"][0] < 0.01
    assert history.history["duplicate_rate"][0] == 1.0
    assert detector.collapsed_epoch == 1
    records = _warnings(caplog)
    assert len(records) == 1
    assert "mode collapse" in records[0].getMessage()
    assert "Stopping training" in records[0].getMessage()


def test_few_modes_caught_by_duplicate_rate(logos):
    # Four distinct real logos keep the pixel diversity high, but every
    # sample has an exact twin.
    gan = _gan_with_generator(_image_generator(logos[10:14], select_by_latent=True))
    detector = ModeCollapseDetector(logos, num_images=64, start_from_epoch=0)

    history = gan.fit(logos[:32], batch_size=32, epochs=2, verbose=0, callbacks=[detector])

    assert history.history["diversity_ratio"][0] > 0.1
    assert history.history["duplicate_rate"][0] > 0.9
    assert detector.collapsed_epoch == 1


def test_warm_up_ignores_constant_generator(logos, caplog):
    gan = _gan_with_generator(_image_generator(logos[:1], select_by_latent=False))
    detector = ModeCollapseDetector(logos, num_images=64, start_from_epoch=2)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(logos[:32], batch_size=32, epochs=4, verbose=0, callbacks=[detector])

    assert len(history.history["d_loss"]) == 3
    assert detector.collapsed_epoch == 3


class _SilenceGeneratorAt(keras.callbacks.Callback):
    """Zero the generator's last kernel at the end of one epoch, so its output collapses."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            layer = self.model.generator.get_layer("to_image")
            kernel, bias = layer.get_weights()
            layer.set_weights([np.zeros_like(kernel), bias])


class _GeneratorSnapshots(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(variable_values(self.model.generator.weights))


def test_restores_most_diverse_weights(make_gan, logos, caplog):
    gan = make_gan()
    snapshots = _GeneratorSnapshots()
    detector = ModeCollapseDetector(
        logos, num_images=64, start_from_epoch=0, restore_best_weights=True
    )
    callbacks = [_SilenceGeneratorAt(epoch=2), snapshots, detector]

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(logos[:128], batch_size=32, epochs=5, verbose=0, callbacks=callbacks)

    assert len(history.history["d_loss"]) == 3
    assert detector.collapsed_epoch == 3
    ratios = history.history["diversity_ratio"]
    assert detector.best_epoch == 1 + int(np.argmax(ratios[:2]))
    restored = variable_values(gan.generator.weights)
    for actual, expected in zip(restored, snapshots.weights[detector.best_epoch - 1]):
        np.testing.assert_array_equal(actual, expected)
    assert f"epoch {detector.best_epoch}" in _warnings(caplog)[0].getMessage()


def test_rejects_bad_arguments(logos):
    with pytest.raises(ValueError, match="real_images"):
        ModeCollapseDetector(logos[:1])
    with pytest.raises(ValueError, match="duplicate_rate_threshold"):
        ModeCollapseDetector(logos, duplicate_rate_threshold=2.0)
    with pytest.raises(ValueError, match="start_from_epoch"):
        ModeCollapseDetector(logos, start_from_epoch=-1)


def _scripted_measurements(detector, values):
    """Make `detector.measure` return the `(diversity_ratio, duplicate_rate)` pairs in order."""
    remaining = list(values)

    def measure(model):
        diversity_ratio, duplicate_rate = remaining.pop(0)
        return {"diversity_ratio": diversity_ratio, "duplicate_rate": duplicate_rate}

    detector.measure = measure


@pytest.mark.parametrize(
    "first_check, collapsed_epoch",
    [((0.108, 0.0), None), ((0.15, 0.0), None), ((0.5, 0.3), None), ((0.5, 0.0), 2)],
)
def test_early_counting_needs_clearly_healthy_check(make_gan, logos, first_check, collapsed_epoch):
    # A first check near the thresholds, like an early small-data run's, must
    # not start the counting before `start_from_epoch`; a clearly healthy one does.
    gan = make_gan()
    detector = ModeCollapseDetector(logos, num_images=16, start_from_epoch=5)
    _scripted_measurements(detector, [first_check, (0.071, 0.27), (0.2, 0.0)])

    gan.fit(logos[:32], batch_size=32, epochs=3, verbose=0, callbacks=[detector])

    assert detector.collapsed_epoch == collapsed_epoch
