"""The GAN training step for the PyTorch backend (`backward()`, then no-grad updates)."""

import torch
from keras import ops

from keras_logogan.models import averaged_generator
from keras_logogan.models import step_utils


def _gradients(variables):
    """Read `.grad` of each variable, with zeros where autograd left none."""
    return [
        v.value.grad if v.value.grad is not None else ops.zeros_like(v.value) for v in variables
    ]


def _gradient_penalty(gan, real, fake, mix):
    points = step_utils.interpolate(real, fake, mix).detach().requires_grad_(True)
    logits = gan.discriminator(points, training=True)
    (gradients,) = torch.autograd.grad(ops.sum(logits), points, create_graph=True)
    return step_utils.penalty_from_gradients(gradients)


def _discriminator_step(gan, real, latents, mix):
    with torch.no_grad():
        fake = gan.generator(latents, training=True)

    gan.zero_grad()
    real_logits = gan.discriminator(real, training=True)
    fake_logits = gan.discriminator(fake, training=True)
    d_loss = gan.loss.discriminator_loss(real_logits, fake_logits)
    if gan.loss.gradient_penalty_weight:
        penalty = _gradient_penalty(gan, real, fake, mix)
        d_loss = d_loss + gan.loss.gradient_penalty_weight * penalty
    gan.discriminator_optimizer.scale_loss(d_loss).backward()

    variables = gan.discriminator.trainable_variables
    gradients = _gradients(variables)
    with torch.no_grad():
        gan.discriminator_optimizer.apply(gradients, variables)
    return d_loss, real_logits, fake_logits


def _generator_step(gan, latents):
    gan.zero_grad()
    fake = gan.generator(latents, training=True)
    fake_logits = gan.discriminator(fake, training=True)
    g_loss = gan.loss.generator_loss(fake_logits)
    gan.generator_optimizer.scale_loss(g_loss).backward()

    variables = gan.generator.trainable_variables
    gradients = _gradients(variables)
    with torch.no_grad():
        gan.generator_optimizer.apply(gradients, variables)
    return g_loss


def train_step(gan, data):
    """Run `gan.discriminator_steps` discriminator updates, then one generator update."""
    real = step_utils.real_images(data)
    noise = step_utils.draw_noise(gan, ops.shape(real)[0])

    for latents, mix in zip(noise["discriminator_latents"], noise["mix"]):
        d_loss, real_logits, fake_logits = _discriminator_step(gan, real, latents, mix)

    g_loss = _generator_step(gan, noise["generator_latents"])
    with torch.no_grad():
        averaged_generator.update_in_place(gan)
    return step_utils.update_metrics(gan, d_loss, g_loss, real_logits, fake_logits)


# Evaluation needs no gradients, so the shared stateful step serves this backend.
test_step = step_utils.stateful_test_step
