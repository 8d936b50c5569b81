"""The two optimizers of a GAN, joined into one `keras.optimizers.MultiOptimizer`.

Keras' trainers carry and save the state of `model.optimizer` only. Wrapping
the generator's and the discriminator's optimizers in one `MultiOptimizer`
makes both part of that state: JAX threads both through its jitted step, and
`.keras` files save both. The training steps call each sub-optimizer
directly, so the wrapper's own `iterations` stays 0.
"""

import keras

DEFAULT_LEARNING_RATE = 2e-4
DEFAULT_BETA_1 = 0.5


def default_optimizer(identifier, argument_name):
    """Return an optimizer from `identifier`, or the DCGAN Adam when it is None."""
    if identifier is None:
        return keras.optimizers.Adam(DEFAULT_LEARNING_RATE, beta_1=DEFAULT_BETA_1)
    try:
        optimizer = keras.optimizers.get(identifier)
    except ValueError as error:
        raise ValueError(
            f"`{argument_name}` is not a Keras optimizer. Received: "
            f"{argument_name}={identifier!r}. Pass e.g. "
            "`keras.optimizers.Adam(2e-4, beta_1=0.5)`."
        ) from error
    if isinstance(optimizer, (keras.optimizers.LossScaleOptimizer, keras.optimizers.MultiOptimizer)):
        raise ValueError(
            f"`{argument_name}` must be a plain optimizer such as Adam. "
            f"Received: {type(optimizer).__name__}."
        )
    return optimizer


class NetworkOptimizerMap:
    """Map each variable to its network's optimizer, by identity.

    Matching by identity instead of by variable path keeps the map right for
    networks built before the GAN and for any layer names.
    """

    def __init__(self, gan):
        self._discriminator_ids = {id(v) for v in gan.discriminator.trainable_variables}
        self._generator_optimizer = gan.generator_optimizer
        self._discriminator_optimizer = gan.discriminator_optimizer

    def __call__(self, variable):
        if id(variable) in self._discriminator_ids:
            return self._discriminator_optimizer
        return self._generator_optimizer


def build_multi_optimizer(gan):
    """Return a `MultiOptimizer` holding `gan`'s two optimizers."""
    return keras.optimizers.MultiOptimizer(NetworkOptimizerMap(gan), name="gan_optimizers")
