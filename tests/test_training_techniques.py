"""DiffAugment, adaptive augmentation (ADA) and R1 inside real training steps, on each backend."""

import keras
import numpy as np
import pytest
from conftest import TINY_SIZE
from conftest import TINY_WIDTH
from conftest import variable_values

from keras_logogan import LogoGAN
from keras_logogan.augmentation import DiffAugment
from keras_logogan.models import adaptive_augmentation


def _probability(gan):
    return float(keras.ops.convert_to_numpy(gan.augment_probability))


def _input_gradients(discriminator, images):
    """Return d(sum of logits)/d(images) with the backend's own autodiff, in training mode."""
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        images = tf.convert_to_tensor(images)
        with tf.GradientTape() as tape:
            tape.watch(images)
            summed = tf.reduce_sum(discriminator(images, training=True))
        return tape.gradient(summed, images).numpy()
    if backend == "jax":
        import jax

        trainable = [v.value for v in discriminator.trainable_variables]
        non_trainable = [v.value for v in discriminator.non_trainable_variables]

        def summed(x):
            logits, _ = discriminator.stateless_call(trainable, non_trainable, x, training=True)
            return logits.sum()

        return np.asarray(jax.grad(summed)(images))
    import torch

    tensor = torch.tensor(images, requires_grad=True)
    discriminator(tensor, training=True).sum().backward()
    return tensor.grad.numpy()


def test_augmentation_logs_fixed_probability(make_gan, logo_images):
    gan = make_gan(augmentation="translation,cutout", augment_probability=0.5)

    history = gan.fit(logo_images, batch_size=32, epochs=1, verbose=0)

    assert history.history["augment_probability"] == [pytest.approx(0.5)]
    assert _probability(gan) == pytest.approx(0.5)


def test_no_augmentation_logs_no_probability(make_gan, logo_images):
    gan = make_gan()

    history = gan.fit(logo_images, batch_size=32, epochs=1, verbose=0)

    assert "augment_probability" not in history.history


def test_augmentation_still_trains_generator(make_gan, logo_images):
    gan = make_gan(augmentation="translation,cutout,color")
    before = variable_values(gan.generator.trainable_variables)

    history = gan.fit(logo_images, batch_size=32, epochs=1, verbose=0)

    after = variable_values(gan.generator.trainable_variables)
    assert all(not np.array_equal(b, a) for b, a in zip(before, after))
    assert np.isfinite(history.history["g_loss"][0])


def test_ada_raises_probability_when_discriminator_overfits(make_gan, logo_images):
    # Four images repeated: the discriminator soon calls every real image real,
    # so r_t passes the target and ADA must raise the strength from 0.
    few = np.repeat(logo_images[:4], 16, axis=0)
    gan = make_gan(
        augmentation="translation,cutout",
        ada_target=0.2,
        ada_kimg=1,
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    assert _probability(gan) == 0.0

    history = gan.fit(few, batch_size=32, epochs=8, verbose=0)

    assert _probability(gan) > 0.0
    assert history.history["augment_probability"][-1] == pytest.approx(_probability(gan))
    assert all(0.0 <= p <= 1.0 for p in history.history["augment_probability"])


def test_ada_lowers_probability_when_discriminator_unsure(make_gan, logo_images):
    # Learning rates of 0 keep the discriminator at its initial guesses,
    # whose r_t sits far below a target of 0.99.
    gan = make_gan(
        augmentation="translation",
        ada_target=0.99,
        ada_kimg=1,
        generator_optimizer=keras.optimizers.SGD(0.0),
        discriminator_optimizer=keras.optimizers.SGD(0.0),
    )
    gan.augment_probability.assign(0.5)

    gan.fit(logo_images, batch_size=32, epochs=1, verbose=0)

    assert _probability(gan) == pytest.approx(0.5 - 2 * 32 / 1000, abs=1e-5)


def test_ada_probability_survives_keras_file(make_gan, logo_images, tmp_path):
    gan = make_gan(augmentation="translation,cutout", ada_target=0.6)
    gan.augment_probability.assign(0.37)
    path = str(tmp_path / "gan.keras")

    gan.save(path)
    loaded = keras.saving.load_model(path)

    assert _probability(loaded) == pytest.approx(0.37)
    assert isinstance(loaded.augmentation, DiffAugment)
    assert loaded.ada_target == pytest.approx(0.6)
    assert loaded.get_compile_config() == gan.get_compile_config()


def test_r1_adds_half_weight_times_gradient_norm(logo_images):
    real = logo_images[:32].astype("float32") / 127.5 - 1.0
    losses = {}
    for r1_weight in (0.0, 4.0):
        keras.utils.set_random_seed(0)
        gan = LogoGAN(image_size=TINY_SIZE, width=TINY_WIDTH, seed=0)
        gan.compile(r1_weight=r1_weight)
        if r1_weight == 0.0:
            gradients = _input_gradients(gan.discriminator, real)
        losses[r1_weight] = gan.train_on_batch(real, return_dict=True)["d_loss"]

    penalty = np.mean(np.sum(np.square(gradients), axis=(1, 2, 3)))
    assert penalty > 0
    np.testing.assert_allclose(losses[4.0] - losses[0.0], 0.5 * 4.0 * penalty, rtol=1e-3)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"ada_target": 0.6}, "needs an `augmentation`"),
        ({"augmentation": "translation", "ada_target": 1.5}, "ada_target"),
        ({"augmentation": "translation", "augment_probability": -0.1}, "augment_probability"),
        ({"augmentation": "translation", "ada_target": 0.6, "ada_kimg": 0}, "ada_kimg"),
        ({"r1_weight": -1.0}, "r1_weight"),
        ({"augmentation": "rotation"}, "rotation"),
    ],
)
def test_compile_rejects_bad_regularizer_settings(make_gan, settings, message):
    with pytest.raises(ValueError, match=message):
        make_gan(**settings)


def test_adjusted_probability_clamps_to_unit_interval(make_gan):
    gan = make_gan(augmentation="translation", ada_target=0.6, ada_kimg=0.001)
    sure = keras.ops.ones((64, 1)) * 5.0
    unsure = -sure

    raised = adaptive_augmentation.adjusted_probability(gan, 0.9, sure, 64)
    lowered = adaptive_augmentation.adjusted_probability(gan, 0.1, unsure, 64)

    assert float(keras.ops.convert_to_numpy(raised)) == 1.0
    assert float(keras.ops.convert_to_numpy(lowered)) == 0.0
