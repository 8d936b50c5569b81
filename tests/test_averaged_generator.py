"""The averaged generator: its update rule, its use in `generate`, and saving."""

import keras
import numpy as np
import pytest
from conftest import variable_values

from keras_logogan import LogoGAN


def test_first_update_follows_the_warm_up_rate(make_gan, logo_images):
    gan = make_gan()
    before = variable_values(gan.generator.weights)

    gan.fit(logo_images[:16], batch_size=16, epochs=1, verbose=0)

    after = variable_values(gan.generator.weights)
    averaged = variable_values(gan.averaged_generator.weights)
    # One update after none: rate = min(0.999, 1 / 10) = 0.1.
    for start, end, average in zip(before, after, averaged):
        np.testing.assert_allclose(average, 0.1 * start + 0.9 * end, rtol=1e-5, atol=1e-6)
    assert float(keras.ops.convert_to_numpy(gan.ema_updates)) == 1.0


def test_updates_are_counted_per_generator_step(make_gan, logo_images):
    gan = make_gan(discriminator_steps=2)

    gan.fit(logo_images[:48], batch_size=16, epochs=2, verbose=0)

    assert float(keras.ops.convert_to_numpy(gan.ema_updates)) == 6.0
    generator_steps = keras.ops.convert_to_numpy(gan.generator_optimizer.iterations)
    assert int(generator_steps) == 6


def test_generate_samples_the_average_by_default(make_gan, logo_images):
    gan = make_gan()
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    latents = gan.sample_latents(4, seed=0)

    averaged = gan.generate(latents=latents, dtype="float32")
    trained = gan.generate(latents=latents, dtype="float32", use_ema=False)

    expected = keras.ops.convert_to_numpy(gan.averaged_generator(latents, training=False))
    np.testing.assert_allclose(averaged, expected, atol=1e-6)
    assert not np.allclose(averaged, trained)


def test_average_survives_a_keras_file(make_gan, logo_images, tmp_path):
    gan = make_gan()
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")

    loaded = keras.saving.load_model(tmp_path / "gan.keras")

    for expected, actual in zip(
        variable_values(gan.averaged_generator.weights),
        variable_values(loaded.averaged_generator.weights),
    ):
        np.testing.assert_array_equal(expected, actual)
    assert float(keras.ops.convert_to_numpy(loaded.ema_updates)) == 2.0
    assert loaded.ema_decay == gan.ema_decay


def test_no_average_without_decay(logo_images):
    gan = LogoGAN(image_size=16, width=8, ema_decay=None)
    gan.compile()
    gan.fit(logo_images[:16], batch_size=16, epochs=1, verbose=0)

    assert gan.averaged_generator is None
    assert gan.sampling_generator is gan.generator
    np.testing.assert_array_equal(gan.generate(2, seed=0), gan.generate(2, seed=0, use_ema=False))


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5, "0.99"])
def test_bad_decay_is_named(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        LogoGAN(image_size=16, width=8, ema_decay=decay)
