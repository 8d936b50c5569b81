"""The GAN training step for the TensorFlow backend (one gradient tape per network).

The step also runs under `tf.distribute` strategies: Keras calls it once per
replica, and `tensorflow_replicas` makes the replicas together compute what
one device computes on the global batch.
"""

import keras
import tensorflow as tf
from keras import ops

from keras_logogan.models import adaptive_augmentation
from keras_logogan.models import averaged_generator
from keras_logogan.models import step_utils
from keras_logogan.models import tensorflow_replicas as replicas


def _gradient_penalty(gan, real, fake, mix):
    points = step_utils.interpolate(real, fake, mix)
    with tf.GradientTape() as tape:
        tape.watch(points)
        summed_logits = ops.sum(gan.discriminator(points, training=True))
    gradients = tape.gradient(summed_logits, points)
    return step_utils.penalty_from_gradients(gradients)


def _real_logits_and_r1(gan, real):
    """Return the discriminator's logits on `real` and the R1 penalty (0 when off)."""
    if not gan.r1_weight:
        return gan.discriminator(real, training=True), 0.0
    with tf.GradientTape() as tape:
        tape.watch(real)
        real_logits = gan.discriminator(real, training=True)
        summed_logits = ops.sum(real_logits)
    gradients = tape.gradient(summed_logits, real)
    return real_logits, step_utils.r1_penalty_from_gradients(gradients)


def _discriminator_step(gan, batch, real, latents, mix, draws_real, draws_fake):
    probability = gan.augment_probability
    fake = ops.stop_gradient(gan.generator(latents, training=True))
    variables = gan.discriminator.trainable_variables
    with tf.GradientTape() as tape:
        augmented_real = step_utils.augment(gan, real, draws_real, probability)
        augmented_fake = step_utils.augment(gan, fake, draws_fake, probability)
        real_logits, r1_penalty = _real_logits_and_r1(gan, augmented_real)
        fake_logits = gan.discriminator(augmented_fake, training=True)
        d_loss = gan.loss.discriminator_loss(real_logits, fake_logits)
        if gan.loss.gradient_penalty_weight:
            penalty = _gradient_penalty(gan, real, fake, mix)
            d_loss = d_loss + gan.loss.gradient_penalty_weight * penalty
        if gan.r1_weight:
            d_loss = d_loss + 0.5 * gan.r1_weight * r1_penalty
        scaled = gan.discriminator_optimizer.scale_loss(replicas.replica_share(d_loss, batch))
    gradients = tape.gradient(scaled, variables)
    gan.discriminator_optimizer.apply(gradients, variables)
    return d_loss, real_logits, fake_logits


def _generator_step(gan, batch, latents, draws):
    variables = gan.generator.trainable_variables
    with tf.GradientTape() as tape:
        fake = gan.generator(latents, training=True)
        augmented = step_utils.augment(gan, fake, draws, gan.augment_probability)
        fake_logits = gan.discriminator(augmented, training=True)
        g_loss = gan.loss.generator_loss(fake_logits)
        scaled = gan.generator_optimizer.scale_loss(replicas.replica_share(g_loss, batch))
    gradients = tape.gradient(scaled, variables)
    gan.generator_optimizer.apply(gradients, variables)
    return g_loss


def train_step(gan, data):
    """Run `gan.discriminator_steps` discriminator updates, then one generator update."""
    real = step_utils.real_images(data)
    batch = replicas.ReplicaBatch(ops.shape(real)[0])
    noise = replicas.local_rows(step_utils.draw_noise(gan, batch.global_size), batch)

    with replicas.global_batch_norm(gan, batch):
        discriminator_inputs = zip(
            noise["discriminator_latents"],
            noise["mix"],
            noise["augment_real"],
            noise["augment_fake"],
        )
        for latents, mix, draws_real, draws_fake in discriminator_inputs:
            d_loss, real_logits, fake_logits = _discriminator_step(
                gan, batch, real, latents, mix, draws_real, draws_fake
            )
            if gan.ada_target is not None:
                _adapt_augment_probability(gan, batch, real_logits)

        g_loss = _generator_step(
            gan, batch, noise["generator_latents"], noise["augment_generator"]
        )
    averaged_generator.update_in_place(gan)
    values = step_utils.metric_values(gan, d_loss, g_loss, real_logits, fake_logits)
    logs = step_utils.update_trackers(gan, replicas.global_mean(values, batch))
    return step_utils.with_augment_probability(gan, logs, gan.augment_probability)


def _adapt_augment_probability(gan, batch, real_logits):
    """Move the ADA strength by the signal `r_t` of the global batch, the same on every replica."""
    signs = adaptive_augmentation.overfitting_signs(gan.loss, ops.stop_gradient(real_logits))
    # The sum of the signs is a whole number, so r_t is exact and a tie with
    # `ada_target` leaves the strength unchanged, as on one device.
    r_t = replicas.global_sum(ops.sum(signs), batch) / ops.cast(batch.global_size, signs.dtype)
    gan.augment_probability.assign(
        adaptive_augmentation.moved_probability(
            gan, gan.augment_probability, r_t, batch.global_size
        )
    )


def test_step(gan, data):
    """Measure both losses and accuracies on one batch in inference mode."""
    real = step_utils.real_images(data)
    batch = replicas.ReplicaBatch(ops.shape(real)[0])
    global_latents = keras.random.normal(
        (batch.global_size, gan.latent_dim), seed=gan.seed_generator
    )
    fake = gan.generator(replicas.local_rows(global_latents, batch), training=False)
    real_logits = gan.discriminator(real, training=False)
    fake_logits = gan.discriminator(fake, training=False)
    d_loss, g_loss = step_utils.evaluation_losses(gan, real_logits, fake_logits)
    values = step_utils.metric_values(gan, d_loss, g_loss, real_logits, fake_logits)
    return step_utils.update_trackers(gan, replicas.global_mean(values, batch))
