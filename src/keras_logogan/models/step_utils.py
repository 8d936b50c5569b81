"""Backend-neutral pieces of the GAN training step, written with `keras.ops`.

Each backend's `train_step` module calls these, so the losses, the noise
drawn per step and the metrics are the same everywhere. Only gradient
computation and the optimizer update differ between backends.
"""

import keras
from keras import ops


def real_images(data):
    """Return the real image batch from `data`, as float32 in [-1, 1].

    `data` may be a tensor, an `(x,)` or `(x, y)` tuple, or a list, as Keras
    data adapters deliver it. uint8 batches are scaled from [0, 255]; float
    batches must already be in [-1, 1].
    """
    x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
    if isinstance(x, (list, tuple)):
        x = x[0]
    if "uint8" in str(x.dtype):
        return ops.cast(x, "float32") / 127.5 - 1.0
    return ops.cast(x, "float32")


def draw_noise(gan, batch_size):
    """Draw every random tensor one training step needs from `gan.seed_generator`.

    Returns:
        A dict with `discriminator_latents` (one latent batch per
        discriminator step), `generator_latents`, `mix` (one uniform batch
        per discriminator step for the gradient-penalty interpolates) and,
        when the GAN augments, `augment_real` and `augment_fake` (one set of
        augmentation draws per discriminator step) and `augment_generator`.
    """
    latent_shape = (batch_size, gan.latent_dim)
    mix_shape = (batch_size, 1, 1, 1)
    seed = gan.seed_generator
    steps = range(gan.discriminator_steps)
    noise = {
        "discriminator_latents": [keras.random.normal(latent_shape, seed=seed) for _ in steps],
        "generator_latents": keras.random.normal(latent_shape, seed=seed),
        "mix": [keras.random.uniform(mix_shape, seed=seed) for _ in steps],
        "augment_real": [None for _ in steps],
        "augment_fake": [None for _ in steps],
        "augment_generator": None,
    }
    if gan.augmentation is not None:
        draw = gan.augmentation.draw
        size = gan.image_size
        noise["augment_real"] = [draw(batch_size, size, seed=seed) for _ in steps]
        noise["augment_fake"] = [draw(batch_size, size, seed=seed) for _ in steps]
        noise["augment_generator"] = draw(batch_size, size, seed=seed)
    return noise


def augment(gan, images, draws, probability):
    """Return `images` augmented with the GAN's augmentation, or unchanged without one."""
    if gan.augmentation is None:
        return images
    return gan.augmentation.apply(images, draws, probability=probability)


def evaluation_losses(gan, real_logits, fake_logits):
    """Return `(d_loss, g_loss)` for evaluation, without any gradient penalty."""
    d_loss = gan.loss.discriminator_loss(real_logits, fake_logits)
    return d_loss, gan.loss.generator_loss(fake_logits)


def stateful_test_step(gan, data):
    """Measure both losses and accuracies on one batch in inference mode.

    It reads and writes Keras variables directly (the seed and the metric
    trackers), which suits TensorFlow and PyTorch; JAX has its own version.
    """
    real = real_images(data)
    latents = keras.random.normal((ops.shape(real)[0], gan.latent_dim), seed=gan.seed_generator)
    fake = gan.generator(latents, training=False)
    real_logits = gan.discriminator(real, training=False)
    fake_logits = gan.discriminator(fake, training=False)
    d_loss, g_loss = evaluation_losses(gan, real_logits, fake_logits)
    return update_metrics(gan, d_loss, g_loss, real_logits, fake_logits)


def interpolate(real, fake, mix):
    """Return random points on the lines between real and generated images."""
    return mix * real + (1.0 - mix) * fake


def penalty_from_gradients(gradients):
    """Return `mean((||g|| - 1) ** 2)` over the per-sample gradient norms."""
    squared = ops.sum(ops.square(gradients), axis=[1, 2, 3])
    norms = ops.sqrt(squared + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty_from_gradients(gradients):
    """Return `mean(||g|| ** 2)`, the R1 penalty before its `r1_weight / 2` factor.

    The gradients are those of the discriminator's summed logits with respect
    to the (augmented) real images (Mescheder et al. 2018).
    """
    return ops.mean(ops.sum(ops.square(gradients), axis=[1, 2, 3]))


def accuracies(loss, real_logits, fake_logits):
    """Return the discriminator's accuracy on real and on generated images."""
    threshold = loss.decision_threshold
    real_accuracy = ops.mean(ops.cast(real_logits > threshold, "float32"))
    fake_accuracy = ops.mean(ops.cast(fake_logits <= threshold, "float32"))
    return real_accuracy, fake_accuracy


def metric_values(gan, d_loss, g_loss, real_logits, fake_logits):
    """Return one step's metric values, keyed by tracker name."""
    real_accuracy, fake_accuracy = accuracies(gan.loss, real_logits, fake_logits)
    return {
        "d_loss": ops.stop_gradient(d_loss),
        "g_loss": ops.stop_gradient(g_loss),
        "real_accuracy": real_accuracy,
        "fake_accuracy": fake_accuracy,
    }


def update_trackers(gan, values):
    """Update the epoch-mean trackers with one step's `metric_values` and return the logs."""
    for tracker in gan.metrics:
        tracker.update_state(values[tracker.name])
    return {tracker.name: tracker.result() for tracker in gan.metrics}


def update_metrics(gan, d_loss, g_loss, real_logits, fake_logits):
    """Update the GAN's epoch-mean trackers and return their results as logs."""
    return update_trackers(gan, metric_values(gan, d_loss, g_loss, real_logits, fake_logits))


def with_augment_probability(gan, logs, probability):
    """Add the current augmentation strength to `logs` when the GAN augments."""
    if gan.augmentation is not None:
        logs = dict(logs)
        logs["augment_probability"] = ops.convert_to_tensor(probability)
    return logs
