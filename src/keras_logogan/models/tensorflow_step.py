"""The GAN training step for the TensorFlow backend (one gradient tape per network)."""

import tensorflow as tf
from keras import ops

from keras_logogan.models import averaged_generator
from keras_logogan.models import step_utils


def _gradient_penalty(gan, real, fake, mix):
    points = step_utils.interpolate(real, fake, mix)
    with tf.GradientTape() as tape:
        tape.watch(points)
        summed_logits = ops.sum(gan.discriminator(points, training=True))
    gradients = tape.gradient(summed_logits, points)
    return step_utils.penalty_from_gradients(gradients)


def _discriminator_step(gan, real, latents, mix):
    fake = ops.stop_gradient(gan.generator(latents, training=True))
    variables = gan.discriminator.trainable_variables
    with tf.GradientTape() as tape:
        real_logits = gan.discriminator(real, training=True)
        fake_logits = gan.discriminator(fake, training=True)
        d_loss = gan.loss.discriminator_loss(real_logits, fake_logits)
        if gan.loss.gradient_penalty_weight:
            penalty = _gradient_penalty(gan, real, fake, mix)
            d_loss = d_loss + gan.loss.gradient_penalty_weight * penalty
        scaled = gan.discriminator_optimizer.scale_loss(d_loss)
    gradients = tape.gradient(scaled, variables)
    gan.discriminator_optimizer.apply(gradients, variables)
    return d_loss, real_logits, fake_logits


def _generator_step(gan, latents):
    variables = gan.generator.trainable_variables
    with tf.GradientTape() as tape:
        fake = gan.generator(latents, training=True)
        fake_logits = gan.discriminator(fake, training=True)
        g_loss = gan.loss.generator_loss(fake_logits)
        scaled = gan.generator_optimizer.scale_loss(g_loss)
    gradients = tape.gradient(scaled, variables)
    gan.generator_optimizer.apply(gradients, variables)
    return g_loss


def train_step(gan, data):
    """Run `gan.discriminator_steps` discriminator updates, then one generator update."""
    real = step_utils.real_images(data)
    noise = step_utils.draw_noise(gan, ops.shape(real)[0])

    for latents, mix in zip(noise["discriminator_latents"], noise["mix"]):
        d_loss, real_logits, fake_logits = _discriminator_step(gan, real, latents, mix)

    g_loss = _generator_step(gan, noise["generator_latents"])
    averaged_generator.update_in_place(gan)
    return step_utils.update_metrics(gan, d_loss, g_loss, real_logits, fake_logits)


# Evaluation needs no gradients, so the shared stateful step serves this backend.
test_step = step_utils.stateful_test_step
