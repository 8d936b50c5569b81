"""The GAN training step for the JAX backend: pure functions over the state.

Keras' JAX trainer jits `train_step(state, data)` and carries
`state = (trainable, non_trainable, optimizer, metrics)`, four lists of arrays
ordered like `gan.trainable_variables`, `gan.non_trainable_variables`,
`gan.optimizer.variables` and `gan.metrics_variables`. This module splits
those lists into the generator's and the discriminator's parts, updates each
network with its own optimizer through `stateless_apply`, and joins them back
in the same order. Both optimizers live inside the compiled
`keras.optimizers.MultiOptimizer`, so their state is part of the carry.
"""

import jax
import keras
from keras import ops

from keras_logogan.models import adaptive_augmentation
from keras_logogan.models import averaged_generator
from keras_logogan.models import step_utils


class StateLayout:
    """Positions of each network's variables inside the flat JAX state lists."""

    def __init__(self, gan):
        trainable = [id(v) for v in gan.trainable_variables]
        non_trainable = [id(v) for v in gan.non_trainable_variables]

        self.generator_trainable = _positions(trainable, gan.generator.trainable_variables)
        self.discriminator_trainable = _positions(
            trainable, gan.discriminator.trainable_variables
        )
        self.generator_non_trainable = _positions(
            non_trainable, gan.generator.non_trainable_variables
        )
        self.discriminator_non_trainable = _positions(
            non_trainable, gan.discriminator.non_trainable_variables
        )
        self.seed = _positions(non_trainable, [gan.seed_generator.state])
        self.optimizer_slices = _optimizer_slices(gan)
        self.ema_updates = _positions(non_trainable, [gan.ema_updates])
        self.augment_probability = _positions(non_trainable, [gan.augment_probability])
        self.averaged = []
        self.averaged_sources = []
        if gan.averaged_generator is not None:
            self.averaged = _positions(non_trainable, gan.averaged_generator.weights)
            self.averaged_sources = _sources(gan, trainable, non_trainable)


def _positions(all_ids, variables):
    index = {variable_id: position for position, variable_id in enumerate(all_ids)}
    return [index[id(v)] for v in variables]


def _sources(gan, trainable_ids, non_trainable_ids):
    """Return, per generator weight, `(is_trainable, position)` in the JAX state lists."""
    trainable_index = {variable_id: p for p, variable_id in enumerate(trainable_ids)}
    non_trainable_index = {variable_id: p for p, variable_id in enumerate(non_trainable_ids)}
    sources = []
    for variable in gan.generator.weights:
        if id(variable) in trainable_index:
            sources.append((True, trainable_index[id(variable)]))
        else:
            sources.append((False, non_trainable_index[id(variable)]))
    return sources


def _update_averaged(layout, gan, trainable, non_trainable):
    """Write the averaged generator's new values into `non_trainable`, in place."""
    if not layout.averaged:
        return
    (count_position,) = layout.ema_updates
    num_updates = non_trainable[count_position]
    rate = averaged_generator.update_rate(gan.ema_decay, num_updates)
    averaged = _take(non_trainable, layout.averaged)
    current = [
        trainable[position] if is_trainable else non_trainable[position]
        for is_trainable, position in layout.averaged_sources
    ]
    _put(non_trainable, layout.averaged, averaged_generator.averaged_values(rate, averaged, current))
    non_trainable[count_position] = num_updates + 1.0


def _optimizer_slices(gan):
    """Return `{id(sub_optimizer): slice}` into `gan.optimizer.variables`."""
    multi = gan.optimizer
    start = len(multi.variables) - sum(len(o.variables) for o in multi.optimizers)
    slices = {}
    for optimizer in multi.optimizers:
        slices[id(optimizer)] = slice(start, start + len(optimizer.variables))
        start += len(optimizer.variables)
    return slices


def _take(values, positions):
    return [values[p] for p in positions]


def _put(values, positions, new_values):
    for position, value in zip(positions, new_values):
        values[position] = value


def _draw_noise(gan, seed_values, batch_size):
    """Draw the step's noise from the seed state without mutating any variable."""
    mapping = list(zip([gan.seed_generator.state], seed_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        noise = step_utils.draw_noise(gan, batch_size)
    new_seed_values = [scope.get_current_value(v) for v in [gan.seed_generator.state]]
    return noise, new_seed_values


def _loss_scale(optimizer, optimizer_values):
    """Return the factor `optimizer.scale_loss` applies, read from `optimizer_values`.

    It is 1 for plain optimizers and the current dynamic scale of a
    `LossScaleOptimizer`, whose variable the jitted step must not read directly.
    """
    mapping = list(zip(optimizer.variables, optimizer_values))
    with keras.StatelessScope(state_mapping=mapping):
        return optimizer.scale_loss(ops.ones((), "float32"))


def _gradient_penalty(gan, d_trainable, d_non_trainable, real, fake, mix):
    points = step_utils.interpolate(real, fake, mix)

    def summed_logits(x):
        logits, _ = gan.discriminator.stateless_call(d_trainable, d_non_trainable, x, training=True)
        return ops.sum(logits)

    return step_utils.penalty_from_gradients(jax.grad(summed_logits)(points))


def _r1_penalty(gan, d_trainable, d_non_trainable, augmented_real):
    def summed_logits(x):
        logits, _ = gan.discriminator.stateless_call(d_trainable, d_non_trainable, x, training=True)
        return ops.sum(logits)

    return step_utils.r1_penalty_from_gradients(jax.grad(summed_logits)(augmented_real))


def _discriminator_loss_fn(gan, d_trainable, d_non_trainable, real, fake, mix, step_inputs):
    draws_real, draws_fake, probability, loss_scale = step_inputs
    augmented_real = step_utils.augment(gan, real, draws_real, probability)
    augmented_fake = step_utils.augment(gan, fake, draws_fake, probability)
    real_logits, d_non_trainable = gan.discriminator.stateless_call(
        d_trainable, d_non_trainable, augmented_real, training=True
    )
    fake_logits, d_non_trainable = gan.discriminator.stateless_call(
        d_trainable, d_non_trainable, augmented_fake, training=True
    )
    d_loss = gan.loss.discriminator_loss(real_logits, fake_logits)
    if gan.loss.gradient_penalty_weight:
        penalty = _gradient_penalty(gan, d_trainable, d_non_trainable, real, fake, mix)
        d_loss = d_loss + gan.loss.gradient_penalty_weight * penalty
    if gan.r1_weight:
        # NOTE: R1 runs the discriminator once more on the augmented reals,
        # because `jax.grad` needs the logits as a function of the images.
        penalty = _r1_penalty(gan, d_trainable, d_non_trainable, augmented_real)
        d_loss = d_loss + 0.5 * gan.r1_weight * penalty
    scaled = d_loss * loss_scale
    return scaled, (d_loss, d_non_trainable, real_logits, fake_logits)


def _generator_loss_fn(
    gan, g_trainable, g_non_trainable, d_trainable, d_non_trainable, latents, step_inputs
):
    draws, probability, loss_scale = step_inputs
    fake, g_non_trainable = gan.generator.stateless_call(
        g_trainable, g_non_trainable, latents, training=True
    )
    augmented = step_utils.augment(gan, fake, draws, probability)
    fake_logits, d_non_trainable = gan.discriminator.stateless_call(
        d_trainable, d_non_trainable, augmented, training=True
    )
    g_loss = gan.loss.generator_loss(fake_logits)
    scaled = g_loss * loss_scale
    return scaled, (g_loss, g_non_trainable, d_non_trainable)


def _update_metrics(gan, metrics_values, d_loss, g_loss, real_logits, fake_logits):
    mapping = list(zip(gan.metrics_variables, metrics_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = step_utils.update_metrics(gan, d_loss, g_loss, real_logits, fake_logits)
    new_values = [scope.get_current_value(v) for v in gan.metrics_variables]
    return logs, new_values


def train_step(gan, state, data):
    """Run the discriminator updates and one generator update as pure functions."""
    trainable, non_trainable, optimizer_values, metrics_values = state
    trainable, non_trainable = list(trainable), list(non_trainable)
    optimizer_values = list(optimizer_values)
    layout = gan._jax_state_layout()

    g_trainable = _take(trainable, layout.generator_trainable)
    d_trainable = _take(trainable, layout.discriminator_trainable)
    g_non_trainable = _take(non_trainable, layout.generator_non_trainable)
    d_non_trainable = _take(non_trainable, layout.discriminator_non_trainable)
    g_slice = layout.optimizer_slices[id(gan.generator_optimizer)]
    d_slice = layout.optimizer_slices[id(gan.discriminator_optimizer)]
    g_optimizer_values = optimizer_values[g_slice]
    d_optimizer_values = optimizer_values[d_slice]

    real = step_utils.real_images(data)
    batch_size = ops.shape(real)[0]
    noise, seed_values = _draw_noise(gan, _take(non_trainable, layout.seed), batch_size)
    (probability_position,) = layout.augment_probability
    probability = non_trainable[probability_position]

    d_grad_fn = jax.value_and_grad(
        lambda tv, ntv, fake, mix, step_inputs: _discriminator_loss_fn(
            gan, tv, ntv, real, fake, mix, step_inputs
        ),
        has_aux=True,
    )
    discriminator_inputs = zip(
        noise["discriminator_latents"], noise["mix"], noise["augment_real"], noise["augment_fake"]
    )
    for latents, mix, draws_real, draws_fake in discriminator_inputs:
        fake, g_non_trainable = gan.generator.stateless_call(
            g_trainable, g_non_trainable, latents, training=True
        )
        fake = jax.lax.stop_gradient(fake)
        loss_scale = _loss_scale(gan.discriminator_optimizer, d_optimizer_values)
        step_inputs = (draws_real, draws_fake, probability, loss_scale)
        (_, aux), gradients = d_grad_fn(d_trainable, d_non_trainable, fake, mix, step_inputs)
        d_loss, d_non_trainable, real_logits, fake_logits = aux
        d_trainable, d_optimizer_values = gan.discriminator_optimizer.stateless_apply(
            d_optimizer_values, gradients, d_trainable
        )
        probability = adaptive_augmentation.adjusted_probability(
            gan, probability, real_logits, batch_size
        )

    loss_scale = _loss_scale(gan.generator_optimizer, g_optimizer_values)
    generator_step_inputs = (noise["augment_generator"], probability, loss_scale)
    g_grad_fn = jax.value_and_grad(
        lambda tv, ntv, dntv: _generator_loss_fn(
            gan, tv, ntv, d_trainable, dntv, noise["generator_latents"], generator_step_inputs
        ),
        has_aux=True,
    )
    (_, aux), gradients = g_grad_fn(g_trainable, g_non_trainable, d_non_trainable)
    g_loss, g_non_trainable, d_non_trainable = aux
    g_trainable, g_optimizer_values = gan.generator_optimizer.stateless_apply(
        g_optimizer_values, gradients, g_trainable
    )

    logs, metrics_values = _update_metrics(
        gan, metrics_values, d_loss, g_loss, real_logits, fake_logits
    )
    logs = step_utils.with_augment_probability(gan, logs, probability)

    _put(trainable, layout.generator_trainable, g_trainable)
    _put(trainable, layout.discriminator_trainable, d_trainable)
    _put(non_trainable, layout.generator_non_trainable, g_non_trainable)
    _put(non_trainable, layout.discriminator_non_trainable, d_non_trainable)
    _put(non_trainable, layout.seed, seed_values)
    non_trainable[probability_position] = probability
    _update_averaged(layout, gan, trainable, non_trainable)
    optimizer_values[g_slice] = g_optimizer_values
    optimizer_values[d_slice] = d_optimizer_values
    return logs, (trainable, non_trainable, optimizer_values, metrics_values)


def test_step(gan, state, data):
    """Measure both losses and accuracies on one batch in inference mode, as pure functions."""
    trainable, non_trainable, metrics_values = state
    non_trainable = list(non_trainable)
    layout = gan._jax_state_layout()
    g_trainable = _take(trainable, layout.generator_trainable)
    d_trainable = _take(trainable, layout.discriminator_trainable)
    g_non_trainable = _take(non_trainable, layout.generator_non_trainable)
    d_non_trainable = _take(non_trainable, layout.discriminator_non_trainable)

    real = step_utils.real_images(data)
    seed_values = _take(non_trainable, layout.seed)
    mapping = list(zip([gan.seed_generator.state], seed_values))
    with keras.StatelessScope(state_mapping=mapping) as scope:
        latents = keras.random.normal((ops.shape(real)[0], gan.latent_dim), seed=gan.seed_generator)
    _put(non_trainable, layout.seed, [scope.get_current_value(gan.seed_generator.state)])

    fake, _ = gan.generator.stateless_call(g_trainable, g_non_trainable, latents, training=False)
    real_logits, _ = gan.discriminator.stateless_call(
        d_trainable, d_non_trainable, real, training=False
    )
    fake_logits, _ = gan.discriminator.stateless_call(
        d_trainable, d_non_trainable, fake, training=False
    )
    d_loss, g_loss = step_utils.evaluation_losses(gan, real_logits, fake_logits)
    logs, metrics_values = _update_metrics(
        gan, metrics_values, d_loss, g_loss, real_logits, fake_logits
    )
    return logs, (trainable, non_trainable, metrics_values)
