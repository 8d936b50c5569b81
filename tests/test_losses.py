"""Loss values on known logits, serialization and name lookup."""

import math

import keras
import numpy as np
import pytest

from keras_logogan import losses


def _value(tensor):
    return float(keras.ops.convert_to_numpy(tensor))


ZEROS = np.zeros((4, 1), np.float32)
ONES = np.ones((4, 1), np.float32)


def test_non_saturating_at_zero_logits():
    loss = losses.NonSaturatingLoss()

    assert _value(loss.discriminator_loss(ZEROS, ZEROS)) == pytest.approx(2 * math.log(2), rel=1e-5)
    assert _value(loss.generator_loss(ZEROS)) == pytest.approx(math.log(2), rel=1e-5)


def test_non_saturating_label_smoothing_raises_confident_real_loss():
    plain = losses.NonSaturatingLoss()
    smoothed = losses.NonSaturatingLoss(label_smoothing=0.2)
    confident = 10 * ONES

    assert _value(smoothed.discriminator_loss(confident, -confident)) > _value(
        plain.discriminator_loss(confident, -confident)
    )


def test_hinge_is_zero_beyond_the_margin():
    loss = losses.HingeLoss()

    assert _value(loss.discriminator_loss(2 * ONES, -2 * ONES)) == pytest.approx(0.0)
    assert _value(loss.discriminator_loss(ZEROS, ZEROS)) == pytest.approx(2.0)
    assert _value(loss.generator_loss(3 * ONES)) == pytest.approx(-3.0)


def test_least_squares_targets():
    loss = losses.LeastSquaresLoss()

    assert _value(loss.discriminator_loss(ONES, ZEROS)) == pytest.approx(0.0)
    assert _value(loss.generator_loss(ONES)) == pytest.approx(0.0)
    assert _value(loss.generator_loss(ZEROS)) == pytest.approx(0.5)


def test_wasserstein_is_the_mean_gap_plus_drift():
    loss = losses.WassersteinGPLoss(drift=0.0)

    assert _value(loss.discriminator_loss(3 * ONES, ONES)) == pytest.approx(-2.0)
    assert loss.gradient_penalty_weight == 10.0


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_loss_serializes_by_registered_name(name):
    loss = losses.get(name)

    config = keras.saving.serialize_keras_object(loss)
    restored = losses.get(config)

    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    assert config["registered_name"].startswith("keras_logogan>")


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match="Received: loss='wgan'.*hinge"):
        losses.get("wgan")


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: losses.NonSaturatingLoss(label_smoothing=1.0), "label_smoothing"),
        (lambda: losses.WassersteinGPLoss(gradient_penalty_weight=0), "gradient_penalty_weight"),
    ],
)
def test_bad_loss_settings_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()
