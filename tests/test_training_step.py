"""One real training step on each backend: what changes, what is counted, what is returned."""

import keras
import numpy as np
import pytest
from conftest import variable_values

from keras_logogan import LogoGAN
from keras_logogan.architectures import dcgan_discriminator
from keras_logogan.architectures import dcgan_generator
from keras_logogan.models import METRIC_NAMES


def _changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after)]


def test_one_step_changes_both_networks(make_gan, logo_images):
    gan = make_gan()
    generator_before = variable_values(gan.generator.trainable_variables)
    discriminator_before = variable_values(gan.discriminator.trainable_variables)

    gan.fit(logo_images[:32], batch_size=32, epochs=1, verbose=0, shuffle=False)

    generator_after = variable_values(gan.generator.trainable_variables)
    discriminator_after = variable_values(gan.discriminator.trainable_variables)
    assert all(_changed(generator_before, generator_after))
    assert all(_changed(discriminator_before, discriminator_after))


def test_batch_norm_statistics_move(make_gan, logo_images):
    gan = make_gan()
    networks = {"generator": gan.generator, "discriminator": gan.discriminator}
    before = {name: variable_values(net.non_trainable_variables) for name, net in networks.items()}

    gan.fit(logo_images[:32], batch_size=32, epochs=1, verbose=0)

    for name, network in networks.items():
        after = variable_values(network.non_trainable_variables)
        assert before[name], f"{name} has no BatchNorm statistics"
        assert all(_changed(before[name], after)), f"{name} BatchNorm statistics did not move"


def test_optimizer_iterations_advance(make_gan, logo_images):
    gan = make_gan(discriminator_steps=2)

    gan.fit(logo_images[:64], batch_size=16, epochs=1, verbose=0)

    generator_steps = int(keras.ops.convert_to_numpy(gan.generator_optimizer.iterations))
    discriminator_steps = int(keras.ops.convert_to_numpy(gan.discriminator_optimizer.iterations))
    assert generator_steps == 4
    assert discriminator_steps == 8


def test_consecutive_steps_draw_new_latents(make_gan, logo_images):
    # With both learning rates at 0 and one fixed batch, the discriminator's
    # loss can only change between steps if the latents change.
    gan = make_gan(
        generator_optimizer=keras.optimizers.SGD(0.0),
        discriminator_optimizer=keras.optimizers.SGD(0.0),
    )
    batch = logo_images[:8]

    history = gan.fit(batch, batch_size=8, epochs=3, verbose=0, shuffle=False)

    losses = history.history["d_loss"]
    assert len(set(np.round(losses, 7))) == 3, losses


def test_history_has_documented_metric_names(make_gan, logo_images):
    gan = make_gan()

    history = gan.fit(logo_images[:32], batch_size=16, epochs=2, verbose=0)

    assert sorted(history.history) == sorted(METRIC_NAMES)
    assert all(len(values) == 2 for values in history.history.values())
    for name in ("real_accuracy", "fake_accuracy"):
        assert all(0.0 <= value <= 1.0 for value in history.history[name])


@pytest.mark.parametrize("loss", ["non_saturating", "hinge", "least_squares", "wasserstein_gp"])
def test_every_loss_trains_with_finite_values(loss, logo_images):
    normalization = "layer" if loss == "wasserstein_gp" else "batch"
    gan = LogoGAN(
        dcgan_generator(16, 3, latent_dim=16, width=8),
        dcgan_discriminator(16, 3, width=8, normalization=normalization),
    )
    gan.compile(loss=loss)
    before = variable_values(gan.trainable_variables)

    history = gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)

    after = variable_values(gan.trainable_variables)
    assert all(np.isfinite(history.history[name][0]) for name in METRIC_NAMES)
    assert all(np.isfinite(value).all() for value in after)
    assert any(_changed(before, after))


def test_dataset_smaller_than_one_batch_trains(make_gan, logo_images):
    gan = make_gan()
    before = variable_values(gan.generator.trainable_variables)

    history = gan.fit(logo_images[:5], batch_size=64, epochs=2, verbose=0)

    assert len(history.history["g_loss"]) == 2
    assert any(_changed(before, variable_values(gan.generator.trainable_variables)))


def test_fit_takes_a_dataset_and_float_arrays(make_gan, logo_images):
    from keras_logogan.datasets import make_dataset

    gan = make_gan()
    gan.fit(make_dataset(logo_images[:32], batch_size=16), epochs=1, verbose=0)
    floats = logo_images[:32].astype("float32") / 127.5 - 1.0
    history = gan.fit(floats, batch_size=16, epochs=1, verbose=0)

    assert np.isfinite(history.history["d_loss"][0])


def test_fit_rejects_images_of_the_wrong_size(make_gan):
    gan = make_gan()
    wrong = np.zeros((4, 32, 32, 3), np.uint8)

    with pytest.raises(ValueError, match="32x32.*16x16"):
        gan.fit(wrong, epochs=1, verbose=0)


def test_fit_before_compile_says_what_to_do():
    gan = LogoGAN(image_size=16, width=8)

    with pytest.raises(RuntimeError, match="compile"):
        gan.fit(np.zeros((4, 16, 16, 3), np.uint8), epochs=1, verbose=0)


def test_evaluate_and_validation_data(make_gan, logo_images):
    gan = make_gan()
    train, held_out = logo_images[:32], logo_images[32:48]
    before = variable_values(gan.trainable_variables)

    results = gan.evaluate(held_out, batch_size=16, verbose=0, return_dict=True)

    assert sorted(results) == sorted(METRIC_NAMES)
    assert all(np.isfinite(value) for value in results.values())
    unchanged = variable_values(gan.trainable_variables)
    assert all(np.array_equal(b, a) for b, a in zip(before, unchanged))

    floats = held_out.astype("float32") / 127.5 - 1.0
    history = gan.fit(train, batch_size=16, epochs=1, verbose=0, validation_data=(floats,))
    assert sorted(history.history) == sorted(
        list(METRIC_NAMES) + [f"val_{name}" for name in METRIC_NAMES]
    )
