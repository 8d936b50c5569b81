"""The GAN training step for the PyTorch backend (`backward()`, then no-grad updates)."""

import torch
from keras import ops

from keras_logogan.models import adaptive_augmentation
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


def _real_logits_and_r1(gan, real):
    """Return the discriminator's logits on `real` and the R1 penalty (0 when off)."""
    if not gan.r1_weight:
        return gan.discriminator(real, training=True), 0.0
    real = real.detach().requires_grad_(True)
    real_logits = gan.discriminator(real, training=True)
    (gradients,) = torch.autograd.grad(ops.sum(real_logits), real, create_graph=True)
    return real_logits, step_utils.r1_penalty_from_gradients(gradients)


def _discriminator_step(gan, real, latents, mix, draws_real, draws_fake):
    probability = gan.augment_probability.value
    with torch.no_grad():
        fake = gan.generator(latents, training=True)

    gan.zero_grad()
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
    gan.discriminator_optimizer.scale_loss(d_loss).backward()

    variables = gan.discriminator.trainable_variables
    gradients = _gradients(variables)
    with torch.no_grad():
        gan.discriminator_optimizer.apply(gradients, variables)
    return d_loss, real_logits, fake_logits


def _generator_step(gan, latents, draws):
    gan.zero_grad()
    fake = gan.generator(latents, training=True)
    augmented = step_utils.augment(gan, fake, draws, gan.augment_probability.value)
    fake_logits = gan.discriminator(augmented, training=True)
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
    batch_size = ops.shape(real)[0]
    noise = step_utils.draw_noise(gan, batch_size)

    discriminator_inputs = zip(
        noise["discriminator_latents"], noise["mix"], noise["augment_real"], noise["augment_fake"]
    )
    for latents, mix, draws_real, draws_fake in discriminator_inputs:
        d_loss, real_logits, fake_logits = _discriminator_step(
            gan, real, latents, mix, draws_real, draws_fake
        )
        if gan.ada_target is None:
            continue
        with torch.no_grad():
            gan.augment_probability.assign(
                adaptive_augmentation.adjusted_probability(
                    gan, gan.augment_probability.value, real_logits, batch_size
                )
            )

    g_loss = _generator_step(gan, noise["generator_latents"], noise["augment_generator"])
    with torch.no_grad():
        averaged_generator.update_in_place(gan)
    logs = step_utils.update_metrics(gan, d_loss, g_loss, real_logits, fake_logits)
    return step_utils.with_augment_probability(gan, logs, gan.augment_probability.value)


# Evaluation needs no gradients, so the shared stateful step serves this backend.
test_step = step_utils.stateful_test_step
