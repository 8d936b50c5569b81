"""The hand-written TensorFlow loops of `speed.py`: `gradient_tape` and `hobby_loop`.

Both train LogoGAN's default DCGAN pair (`dcgan_generator` and
`dcgan_discriminator` at their defaults) on the same endless
`make_epoch_dataset` as `logogan_fit`, at the same batch size, with Adam at
LogoGAN's settings (learning rate 2e-4, beta_1 0.5). Neither keeps
LogoGAN's averaged generator or its epoch-mean metrics.

- gradient_tape: LogoGAN's step in one `tf.function` with one tape per
  network: a discriminator update on a real batch and a generated batch,
  then a generator update on fresh latents, with LogoGAN's non-saturating
  loss. Nothing else runs between steps.
- hobby_loop: the training loop of the hobby TF2 DCGAN this package grew
  out of, on today's TensorFlow and Keras. One `tf.function` step runs the
  generator once, records both losses under two tapes at the same time
  (binary cross-entropy on logits) and applies both updates. After every
  batch a second `tf.function` measures the discriminator's accuracy, in
  inference mode, on the real batch and on a new generated batch. The loop
  then writes four scalars and a `tf.summary.histogram` of every weight of
  both networks to a temporary log folder.
"""

import os
import shutil
import tempfile
import time

import keras
import tensorflow as tf

import speed_loops


def build_models_and_data(settings):
    """Return the default generator and discriminator, their Adam optimizers and an endless batch iterator."""
    from keras_logogan.architectures import dcgan_discriminator
    from keras_logogan.architectures import dcgan_generator
    from keras_logogan.datasets.pipeline import make_epoch_dataset
    from keras_logogan.models.optimizers import default_optimizer

    keras.utils.set_random_seed(settings["seed"])
    generator, discriminator = dcgan_generator(), dcgan_discriminator()
    g_optimizer = default_optimizer(None, "generator_optimizer")
    d_optimizer = default_optimizer(None, "discriminator_optimizer")
    g_optimizer.build(generator.trainable_variables)
    d_optimizer.build(discriminator.trainable_variables)

    images = speed_loops.load_training_images(settings["batch_size"])
    batches = iter(make_epoch_dataset(images, settings["batch_size"], seed=settings["seed"]))
    return generator, discriminator, g_optimizer, d_optimizer, batches


def describe_networks(generator, discriminator):
    import speed_flops

    return {
        "generator": speed_flops.describe_keras_network(generator),
        "discriminator": speed_flops.describe_keras_network(discriminator),
    }


def run_gradient_tape(settings):
    """Time `gradient_tape` epochs and return its worker result."""
    started = time.perf_counter()
    run_epoch, networks = gradient_tape_epochs(settings)
    setup_seconds = time.perf_counter() - started

    records = speed_loops.time_epochs(run_epoch, settings)
    result = speed_loops.loop_result(
        "gradient_tape", "tensorflow", records, settings, setup_seconds
    )
    result["networks"] = networks
    return result


def gradient_tape_epochs(settings):
    """Build the `gradient_tape` loop and return `(run_epoch, networks)`.

    `run_epoch()` runs `settings["steps"]` steps and returns both losses
    of the last one as floats, after that step has finished.
    """
    from keras_logogan.losses import NonSaturatingLoss

    generator, discriminator, g_optimizer, d_optimizer, batches = build_models_and_data(settings)
    loss = NonSaturatingLoss()
    latent_dim = generator.input_shape[1]

    @tf.function
    def train_step(real):
        batch_size = tf.shape(real)[0]
        # Outside the tape, so no gradient flows into the generator.
        fake = generator(tf.random.normal([batch_size, latent_dim]), training=True)
        with tf.GradientTape() as tape:
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            d_loss = loss.discriminator_loss(real_logits, fake_logits)
        variables = discriminator.trainable_variables
        d_optimizer.apply(tape.gradient(d_loss, variables), variables)

        with tf.GradientTape() as tape:
            fake = generator(tf.random.normal([batch_size, latent_dim]), training=True)
            g_loss = loss.generator_loss(discriminator(fake, training=True))
        variables = generator.trainable_variables
        g_optimizer.apply(tape.gradient(g_loss, variables), variables)
        return d_loss, g_loss

    def run_epoch():
        for _ in range(settings["steps"]):
            d_loss, g_loss = train_step(next(batches))
        return float(d_loss), float(g_loss)

    return run_epoch, describe_networks(generator, discriminator)


def make_hobby_step(generator, discriminator, g_optimizer, d_optimizer):
    """Return the hobby project's `tf.function` step: both losses under two tapes from one generator pass."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    latent_dim = generator.input_shape[1]

    @tf.function
    def train_step(real):
        latents = tf.random.normal([tf.shape(real)[0], latent_dim])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(latents, training=True)
            real_logits = discriminator(real, training=True)
            fake_logits = discriminator(fake, training=True)
            g_loss = cross_entropy(tf.ones_like(fake_logits), fake_logits)
            d_loss = cross_entropy(tf.ones_like(real_logits), real_logits) + cross_entropy(
                tf.zeros_like(fake_logits), fake_logits
            )
        g_variables = generator.trainable_variables
        d_variables = discriminator.trainable_variables
        g_gradients = g_tape.gradient(g_loss, g_variables)
        d_gradients = d_tape.gradient(d_loss, d_variables)
        g_optimizer.apply(g_gradients, g_variables)
        d_optimizer.apply(d_gradients, d_variables)
        return g_loss, d_loss

    return train_step


def make_accuracy_pass(generator, discriminator):
    """Return a `tf.function` of the discriminator's accuracy on a real batch and a new generated batch."""
    latent_dim = generator.input_shape[1]

    @tf.function
    def accuracy_pass(real):
        fake = generator(tf.random.normal([tf.shape(real)[0], latent_dim]), training=False)
        real_logits = discriminator(real, training=False)
        fake_logits = discriminator(fake, training=False)
        real_accuracy = tf.reduce_mean(tf.cast(real_logits >= 0.0, tf.float32))
        fake_accuracy = tf.reduce_mean(tf.cast(fake_logits < 0.0, tf.float32))
        return real_accuracy, fake_accuracy

    return accuracy_pass


def write_step_summaries(networks, step, losses, accuracies):
    """Write the losses, the accuracies and a histogram of every weight of `networks` for one step, eagerly."""
    g_loss, d_loss = losses
    real_accuracy, fake_accuracy = accuracies
    tf.summary.scalar("loss/generator", g_loss, step=step)
    tf.summary.scalar("loss/discriminator", d_loss, step=step)
    tf.summary.scalar("accuracy/real", real_accuracy, step=step)
    tf.summary.scalar("accuracy/fake", fake_accuracy, step=step)
    for network in networks:
        for weight in network.weights:
            tf.summary.histogram(f"{network.name}/{weight.path}", weight.value, step=step)


def run_hobby_loop(settings):
    """Time `hobby_loop` epochs and return its worker result."""
    started = time.perf_counter()
    log_folder = tempfile.mkdtemp(prefix="logogan-speed-hobby-")
    try:
        run_epoch, networks, finish = hobby_loop_epochs(settings, log_folder)
        setup_seconds = time.perf_counter() - started
        records = speed_loops.time_epochs(run_epoch, settings)
        summaries = finish()
    finally:
        shutil.rmtree(log_folder, ignore_errors=True)

    result = speed_loops.loop_result("hobby_loop", "tensorflow", records, settings, setup_seconds)
    result["networks"] = networks
    result.update(summaries)
    return result


def hobby_loop_epochs(settings, log_folder):
    """Build the `hobby_loop` loop, writing its summaries under `log_folder`.

    Returns:
        `(run_epoch, networks, finish)`. `run_epoch()` runs
        `settings["steps"]` steps with their accuracy passes and summaries.
        `finish()` closes the summary writer and returns the histograms and
        summary bytes written per step.
    """
    generator, discriminator, g_optimizer, d_optimizer, batches = build_models_and_data(settings)
    train_step = make_hobby_step(generator, discriminator, g_optimizer, d_optimizer)
    accuracy_pass = make_accuracy_pass(generator, discriminator)
    writer = tf.summary.create_file_writer(log_folder)
    step = 0

    def run_epoch():
        nonlocal step
        with writer.as_default():
            for _ in range(settings["steps"]):
                real = next(batches)
                losses = train_step(real)
                accuracies = accuracy_pass(real)
                write_step_summaries((generator, discriminator), step, losses, accuracies)
                step += 1
        return [float(value) for value in losses]

    def finish():
        writer.close()
        log_bytes = sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(log_folder)
            for name in names
        )
        return {
            "histograms_per_step": len(generator.weights) + len(discriminator.weights),
            "summary_bytes_per_step": log_bytes / max(step, 1),
        }

    return run_epoch, describe_networks(generator, discriminator), finish
