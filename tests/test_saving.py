"""Config, compile config and `.keras` round trips, and weights shared across backends."""

import json
import os
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
from conftest import variable_values

from keras_logogan import LogoGAN
from keras_logogan import losses

BACKENDS = ("tensorflow", "jax", "torch")


def _as_json(config):
    """Normalise a config the way a saved file does (tuples become lists)."""
    return json.loads(json.dumps(config))


def test_config_round_trip_keeps_every_argument():
    gan = LogoGAN(image_size=16, width=8, latent_dim=12, channels=1, seed=4)

    config = gan.get_config()
    rebuilt = LogoGAN.from_config(json.loads(json.dumps(config)))

    assert _as_json(rebuilt.get_config()) == _as_json(config)
    assert (rebuilt.latent_dim, rebuilt.image_size, rebuilt.channels) == (12, 16, 1)
    assert rebuilt.seed == 4


def test_hobby_architecture_round_trips():
    gan = LogoGAN(architecture="hobby")

    rebuilt = LogoGAN.from_config(gan.get_config())

    assert rebuilt.architecture == "hobby"
    assert rebuilt.latent_dim == 100
    assert rebuilt.generator.output_shape == (None, 32, 32, 3)


def test_keras_file_restores_compile_config_and_optimizers(make_gan, logo_images, tmp_path):
    gan = make_gan(
        generator_optimizer=keras.optimizers.Adam(1e-4, beta_1=0.0),
        discriminator_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5),
        loss=losses.NonSaturatingLoss(label_smoothing=0.1),
        discriminator_steps=2,
    )
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "gan.keras"
    gan.save(path)

    loaded = keras.saving.load_model(path)

    assert isinstance(loaded, LogoGAN)
    assert _as_json(loaded.get_config()) == _as_json(gan.get_config())
    assert _as_json(loaded.get_compile_config()) == _as_json(gan.get_compile_config())
    assert loaded.loss.label_smoothing == pytest.approx(0.1)
    assert loaded.discriminator_steps == 2
    for name in ("generator_optimizer", "discriminator_optimizer"):
        saved = variable_values(getattr(gan, name).variables)
        restored = variable_values(getattr(loaded, name).variables)
        assert len(saved) == len(restored)
        for expected, actual in zip(saved, restored):
            np.testing.assert_array_equal(expected, actual)
    np.testing.assert_array_equal(loaded.generate(4, seed=1), gan.generate(4, seed=1))


def test_fit_continues_after_loading(make_gan, logo_images, tmp_path):
    gan = make_gan()
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")

    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    loaded.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)

    iterations = keras.ops.convert_to_numpy(loaded.generator_optimizer.iterations)
    assert int(iterations) == 4


def test_keras_file_holds_no_pickle(make_gan, tmp_path):
    gan = make_gan()
    gan.save(tmp_path / "gan.keras")

    with zipfile.ZipFile(tmp_path / "gan.keras") as archive:
        names = archive.namelist()
    assert sorted(names) == ["config.json", "metadata.json", "model.weights.h5"]


_GENERATE_SCRIPT = """
import sys
import numpy as np
from keras_logogan import LogoGAN

gan = LogoGAN(image_size=16, width=8, latent_dim=16)
gan.load_weights(sys.argv[1])
latents = np.load(sys.argv[2])
np.save(sys.argv[3], gan.generate(latents=latents, dtype="float32"))
"""


def _other_backends():
    current = keras.config.backend()
    return [backend for backend in BACKENDS if backend != current]


@pytest.mark.parametrize("other_backend", _other_backends())
def test_weights_give_same_images_on_other_backend(other_backend, logo_images, tmp_path):
    if other_backend == "jax":
        pytest.importorskip("jax", reason="install the 'jax' extra to compare with JAX")
    if other_backend == "torch":
        pytest.importorskip("torch", reason="install the 'torch' extra to compare with PyTorch")
    gan = LogoGAN(image_size=16, width=8, latent_dim=16, seed=0)
    gan.compile()
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    weights = tmp_path / "gan.weights.h5"
    gan.save_weights(weights)
    latents = gan.sample_latents(8, seed=11)
    np.save(tmp_path / "latents.npy", latents)

    env = dict(os.environ, KERAS_BACKEND=other_backend)
    output = tmp_path / "images.npy"
    subprocess.run(
        [sys.executable, "-c", _GENERATE_SCRIPT, str(weights), str(tmp_path / "latents.npy"), str(output)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )

    expected = gan.generate(latents=latents, dtype="float32")
    actual = np.load(output)
    assert np.max(np.abs(expected - actual)) < 1e-3


def test_keras_file_restores_the_training_seed(make_gan, logo_images, tmp_path):
    gan = make_gan(seed=5)
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    gan.save(tmp_path / "gan.keras")

    loaded = keras.saving.load_model(tmp_path / "gan.keras")

    saved_state = keras.ops.convert_to_numpy(gan.seed_generator.state.value)
    loaded_state = keras.ops.convert_to_numpy(loaded.seed_generator.state.value)
    np.testing.assert_array_equal(saved_state, loaded_state)
    fresh_state = keras.ops.convert_to_numpy(LogoGAN(image_size=16, width=8, seed=5).seed_generator.state.value)
    assert not np.array_equal(saved_state, fresh_state)
