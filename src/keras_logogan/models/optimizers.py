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

    def unscaled(self, variable):
        """Return the variable's optimizer, or the one a `LossScaleOptimizer` wraps."""
        return unscaled(self(variable))

    def wrapper_of(self, inner_optimizer):
        """Return the `LossScaleOptimizer` around `inner_optimizer`, or None."""
        for optimizer in (self._generator_optimizer, self._discriminator_optimizer):
            if optimizer is not inner_optimizer and unscaled(optimizer) is inner_optimizer:
                return optimizer
        return None


def unscaled(optimizer):
    """Return the optimizer inside a `LossScaleOptimizer`, or `optimizer` itself."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer.inner_optimizer
    return optimizer


class GANOptimizers(keras.optimizers.MultiOptimizer):
    """A `MultiOptimizer` whose sub-optimizers may be `LossScaleOptimizer`s.

    Keras' `MultiOptimizer` refuses loss-scale wrappers. This one is built over
    the inner optimizers and then contains the wrappers in their place, so its
    `variables` include each wrapper's dynamic scale and step counter. The
    training steps call the wrappers directly.
    """

    def __init__(self, network_map, name=None):
        super().__init__(network_map.unscaled, name=name)
        self._network_map = network_map

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)

        for position, optimizer in enumerate(self._inner_optimizers):
            wrapper = self._network_map.wrapper_of(optimizer)
            if wrapper is None:
                continue
            wrapper.build([v for v in var_list if self._network_map(v) is wrapper])
            self._inner_optimizers[position] = wrapper


def build_multi_optimizer(gan):
    """Return one optimizer holding `gan`'s two, loss-scale wrappers included."""
    return GANOptimizers(NetworkOptimizerMap(gan), name="gan_optimizers")
