"""NaNGuard on real training runs whose discriminator outputs NaN."""

import logging

import keras
import pytest

from keras_logogan.callbacks import NaNGuard


@pytest.fixture(autouse=True)
def fixed_seed():
    """Seed the weight initialisers, so a failure reproduces."""
    keras.utils.set_random_seed(0)


def _broken_gan(make_gan):
    gan = make_gan()
    gan.discriminator.get_layer("logits").bias.assign([float("nan")])
    return gan


def test_stops_and_names_metric(make_gan, logo_images, caplog):
    gan = _broken_gan(make_gan)
    guard = NaNGuard()

    with caplog.at_level(logging.ERROR, logger="keras_logogan"):
        history = gan.fit(logo_images, batch_size=16, epochs=3, verbose=0, callbacks=[guard])

    assert len(history.history["d_loss"]) == 1
    assert guard.stopped_epoch == 1
    assert guard.stopped_batch == 0
    assert guard.bad_metric == "d_loss"
    messages = [r.getMessage() for r in caplog.records if r.name == "keras_logogan"]
    assert len(messages) == 1
    assert "d_loss is nan at epoch 1, batch 0" in messages[0]


def test_keras_terminate_on_nan_misses_gan_losses(make_gan, logo_images):
    # The reason NaNGuard exists: the Keras callback reads only `loss`.
    gan = _broken_gan(make_gan)

    history = gan.fit(
        logo_images,
        batch_size=16,
        epochs=2,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )

    assert len(history.history["d_loss"]) == 2


def test_raise_error(make_gan, logo_images):
    gan = _broken_gan(make_gan)

    with pytest.raises(RuntimeError, match="d_loss is nan"):
        gan.fit(
            logo_images,
            batch_size=16,
            epochs=1,
            verbose=0,
            callbacks=[NaNGuard(raise_error=True)],
        )


def test_monitor_limits_checked_keys(make_gan, logo_images):
    gan = _broken_gan(make_gan)
    guard = NaNGuard(monitor=["real_accuracy"])

    history = gan.fit(logo_images, batch_size=16, epochs=2, verbose=0, callbacks=[guard])

    assert len(history.history["d_loss"]) == 2
    assert guard.stopped_epoch is None
