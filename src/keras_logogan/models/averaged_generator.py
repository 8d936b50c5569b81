"""The averaged generator: an exponential moving average (EMA) of the generator's weights.

Sampling from averaged weights smooths out the step-to-step jitter of
adversarial training, so grids change steadily from epoch to epoch. The
average is kept in a second copy of the generator whose variables are
non-trainable, so every backend saves and restores it with the model, and
JAX carries it through its jitted step like BatchNorm statistics.

The update after each generator step is

    rate = min(decay, (1 + n) / (10 + n))
    averaged = rate * averaged + (1 - rate) * current

where `n` counts earlier updates. The warm-up term lets the average follow
the generator closely during the first hundreds of steps, as TensorFlow's
`ExponentialMovingAverage` does with `num_updates`. Every generator variable
is averaged, BatchNorm moving statistics included.
"""

import keras
from keras import ops


def check_decay(decay):
    """Raise a `ValueError` unless `decay` is None or a float in (0, 1)."""
    if decay is None:
        return
    if not isinstance(decay, (int, float)) or not 0.0 < decay < 1.0:
        raise ValueError(
            "`ema_decay` must be a number in (0, 1), e.g. 0.999, or None to keep "
            f"no averaged generator. Received: ema_decay={decay!r}"
        )


def clone_generator(generator):
    """Return a non-trainable copy of `generator` holding the same weights."""
    averaged = keras.models.clone_model(generator)
    averaged.name = "averaged_generator"
    averaged.set_weights(generator.get_weights())
    averaged.trainable = False
    return averaged


def update_rate(decay, num_updates):
    """Return the averaging rate for the update after `num_updates` earlier ones."""
    return ops.minimum(decay, (1.0 + num_updates) / (10.0 + num_updates))


def averaged_values(rate, averaged, current):
    """Return `rate * averaged + (1 - rate) * current` for each pair of values."""
    return [
        ops.cast(rate * a + (1.0 - rate) * ops.cast(c, "float32"), a.dtype)
        for a, c in zip(averaged, current)
    ]


def update_in_place(gan):
    """Move `gan.averaged_generator`'s variables towards the generator's, on TF and torch."""
    if gan.averaged_generator is None:
        return
    rate = update_rate(gan.ema_decay, gan.ema_updates.value)
    averaged = [v.value for v in gan.averaged_generator.weights]
    current = [ops.stop_gradient(v.value) for v in gan.generator.weights]
    for variable, value in zip(gan.averaged_generator.weights, averaged_values(rate, averaged, current)):
        variable.assign(value)
    gan.ema_updates.assign_add(1.0)


def copy_generator_weights(gan):
    """Make the averaged generator equal to the generator, e.g. after loading generator weights."""
    if gan.averaged_generator is not None:
        gan.averaged_generator.set_weights(gan.generator.get_weights())
