"""DiscriminatorAccuracy on real training runs: logged values, the held-out gap and the warning."""

import logging

import keras
import numpy as np
import pytest

from keras_logogan.callbacks import DiscriminatorAccuracy
from keras_logogan.datasets import load_icons

KEYS = ("d_real_accuracy", "d_fake_accuracy", "r_t", "d_held_out_accuracy", "overfit_gap")


@pytest.fixture(scope="module")
def split_logos():
    """256 training logos and 128 held-out logos at 16 px, disjoint."""
    images = load_icons(image_size=16)
    return images[:256], images[-128:]


@pytest.fixture(autouse=True)
def fixed_seed():
    """Seed the weight initialisers, so a failure reproduces."""
    keras.utils.set_random_seed(0)


def _warnings(caplog):
    return [r for r in caplog.records if r.name == "keras_logogan" and r.levelno == logging.WARNING]


def test_history_has_values_in_range(make_gan, split_logos, caplog):
    train, held_out = split_logos
    gan = make_gan()
    callback = DiscriminatorAccuracy(train, held_out_images=held_out, num_images=128)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(train, batch_size=32, epochs=3, verbose=0, callbacks=[callback])

    for key in KEYS:
        assert len(history.history[key]) == 3, key
    for key in ("d_real_accuracy", "d_fake_accuracy", "d_held_out_accuracy"):
        assert all(0.0 <= value <= 1.0 for value in history.history[key]), key
    assert all(-1.0 <= value <= 1.0 for value in history.history["r_t"])
    gaps = np.array(history.history["overfit_gap"])
    expected = np.array(history.history["d_real_accuracy"]) - np.array(
        history.history["d_held_out_accuracy"]
    )
    np.testing.assert_allclose(gaps, expected, atol=1e-6)
    assert _warnings(caplog) == []
    assert not callback.warned


def test_r_t_matches_real_accuracy_without_ties(make_gan, split_logos):
    # With no logit exactly at the threshold, sign() is +-1, so
    # r_t = accuracy - (1 - accuracy).
    train, _ = split_logos
    gan = make_gan()
    callback = DiscriminatorAccuracy(train, num_images=64)
    callback.set_model(gan)
    callback.on_train_begin()

    measurements = callback.measure(gan)

    expected = 2.0 * measurements["d_real_accuracy"] - 1.0
    assert measurements["r_t"] == pytest.approx(expected)
    assert "overfit_gap" not in measurements


def test_warns_once_when_discriminator_wins(make_gan, split_logos, caplog):
    # A generator that never learns (learning rate 0) against a fast
    # discriminator: the discriminator soon classifies every image right.
    train, held_out = split_logos
    gan = make_gan(
        generator_optimizer=keras.optimizers.Adam(0.0),
        discriminator_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
    )
    callback = DiscriminatorAccuracy(train, held_out_images=held_out, num_images=128, patience=2)

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        history = gan.fit(train, batch_size=32, epochs=5, verbose=0, callbacks=[callback])

    assert history.history["d_fake_accuracy"][-1] > 0.98, history.history
    assert history.history["d_real_accuracy"][-1] > 0.98, history.history
    records = _warnings(caplog)
    assert len(records) == 1
    message = records[0].getMessage()
    assert "accuracy" in message
    assert "held-out accuracy" in message
    assert "discriminator learning rate" in message
    assert callback.warned


def test_every_epochs_skips_epochs(make_gan, split_logos):
    train, _ = split_logos
    gan = make_gan()
    callback = DiscriminatorAccuracy(train[:64], num_images=32, every_epochs=2)

    history = gan.fit(train[:64], batch_size=32, epochs=2, verbose=0, callbacks=[callback])

    assert len(history.history["d_loss"]) == 2
    assert len(history.history["d_real_accuracy"]) == 1
    assert "d_held_out_accuracy" not in history.history


def test_rejects_missing_images():
    with pytest.raises(ValueError, match="real_images"):
        DiscriminatorAccuracy()


def test_rejects_bad_arguments(split_logos):
    train, _ = split_logos
    with pytest.raises(ValueError, match="patience"):
        DiscriminatorAccuracy(train, patience=0)
    with pytest.raises(ValueError, match="warn_threshold"):
        DiscriminatorAccuracy(train, warn_threshold=1.5)


def test_rejects_images_of_other_size(make_gan):
    gan = make_gan()
    callback = DiscriminatorAccuracy(np.zeros((4, 32, 32, 3), np.uint8))

    with pytest.raises(ValueError, match="real_images"):
        gan.fit(np.zeros((8, 16, 16, 3), np.uint8), epochs=1, verbose=0, callbacks=[callback])
