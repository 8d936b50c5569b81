"""Mixed precision: float16 compute, float32 weights and a loss scale per network."""

import keras
import numpy as np
import pytest
from conftest import TINY_SIZE
from conftest import TINY_WIDTH
from conftest import variable_values

from keras_logogan import LogoGAN


@pytest.fixture
def policy():
    """Set a global dtype policy for one test, then restore float32."""

    def set_policy(name):
        keras.config.set_dtype_policy(name)

    yield set_policy
    keras.config.set_dtype_policy("float32")


def _tiny_gan(**compile_kwargs):
    gan = LogoGAN(image_size=TINY_SIZE, width=TINY_WIDTH, seed=0)
    gan.compile(**compile_kwargs)
    return gan


def test_float16_wraps_each_optimizer(policy, logo_images):
    policy("mixed_float16")
    gan = _tiny_gan(augmentation="translation")

    history = gan.fit(logo_images, batch_size=32, epochs=2, verbose=0)

    assert isinstance(gan.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    assert {v.dtype for v in gan.trainable_variables} == {"float32"}
    assert gan.generator.get_layer("up1").compute_dtype == "float16"
    assert gan.generate(4, seed=0, dtype="float32").dtype == np.float32


def test_overflow_skips_step_and_halves_scale(policy, logo_images):
    policy("mixed_float16")
    gan = _tiny_gan()
    gan.discriminator_optimizer.dynamic_scale.assign(1e38)
    before = variable_values(gan.discriminator.trainable_variables)

    gan.fit(logo_images[:32], batch_size=32, epochs=1, verbose=0)

    # Gradients times 1e38 overflow float16, so the update is skipped.
    for old, new in zip(before, variable_values(gan.discriminator.trainable_variables)):
        np.testing.assert_array_equal(old, new)
    assert float(gan.discriminator_optimizer.dynamic_scale.numpy()) == pytest.approx(5e37)


def test_float16_model_file_round_trip(policy, logo_images, tmp_path):
    policy("mixed_float16")
    gan = _tiny_gan()
    gan.fit(logo_images[:32], batch_size=32, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)

    loaded = keras.saving.load_model(path)

    assert isinstance(loaded.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    np.testing.assert_array_equal(
        gan.generate(4, seed=1, dtype="float32"), loaded.generate(4, seed=1, dtype="float32")
    )


def test_bfloat16_needs_no_loss_scale(policy, logo_images):
    policy("mixed_bfloat16")
    gan = _tiny_gan()

    history = gan.fit(logo_images[:64], batch_size=32, epochs=1, verbose=0)

    assert not isinstance(gan.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert np.isfinite(history.history["d_loss"][0])


def test_auto_scale_loss_off_keeps_plain_optimizers(policy):
    policy("mixed_float16")
    gan = _tiny_gan(auto_scale_loss=False)

    assert not isinstance(gan.generator_optimizer, keras.optimizers.LossScaleOptimizer)
    assert not isinstance(gan.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
