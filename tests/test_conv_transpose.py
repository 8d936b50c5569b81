"""The package's Conv2DTranspose: same outputs, weights and gradients as Keras' layer."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_logogan.layers import Conv2DTranspose

SETTINGS = [
    dict(kernel_size=4, strides=2),
    dict(kernel_size=5, strides=2),
    dict(kernel_size=3, strides=1),
    dict(kernel_size=3, strides=2, activation="tanh", use_bias=True),
]


def _layer_pair(settings, in_channels=6, filters=5):
    ours = Conv2DTranspose(filters, padding="same", **settings)
    theirs = keras.layers.Conv2DTranspose(filters, padding="same", **settings)
    ours.build((None, 4, 4, in_channels))
    theirs.build((None, 4, 4, in_channels))

    rng = np.random.default_rng(0)
    for variable in theirs.weights:
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _inputs(in_channels=6):
    return np.random.default_rng(1).normal(size=(3, 4, 4, in_channels)).astype("float32")


@pytest.mark.parametrize("settings", SETTINGS)
def test_outputs_match_keras_layer(settings):
    ours, theirs = _layer_pair(settings)
    inputs = _inputs()

    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(inputs)), ops.convert_to_numpy(theirs(inputs)), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("settings", SETTINGS)
def test_gradients_match_keras_layer_on_jax(settings):
    if keras.backend.backend() != "jax":
        pytest.skip("the custom kernel gradient exists only on JAX; other backends run Keras' own code")
    import jax

    ours, theirs = _layer_pair(settings)
    inputs = _inputs()
    cotangent = np.random.default_rng(2).normal(size=ops.shape(theirs(inputs))).astype("float32")

    def gradients(layer):
        def loss(kernel, images):
            outputs, _ = layer.stateless_call([kernel] + layer.trainable_weights[1:], [], images)
            return (outputs * cotangent).sum()

        return jax.grad(loss, argnums=(0, 1))(layer.kernel.value, inputs)

    for mine, reference in zip(gradients(ours), gradients(theirs)):
        scale = np.abs(np.asarray(reference)).max()
        np.testing.assert_allclose(np.asarray(mine) / scale, np.asarray(reference) / scale, atol=1e-5)


def test_falls_back_to_keras_for_valid_padding():
    ours = Conv2DTranspose(4, 3, strides=2, padding="valid")
    theirs = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="valid")
    ours.build((None, 4, 4, 6))
    theirs.build((None, 4, 4, 6))
    ours.set_weights(theirs.get_weights())
    inputs = _inputs()

    assert not ours._has_fast_gradient()
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(inputs)), ops.convert_to_numpy(theirs(inputs)), rtol=1e-5, atol=1e-5
    )


def test_keras_file_round_trip(tmp_path):
    inputs = keras.Input((4, 4, 6))
    model = keras.Model(inputs, Conv2DTranspose(5, 4, strides=2, padding="same")(inputs))
    path = str(tmp_path / "model.keras")
    model.save(path)

    loaded = keras.saving.load_model(path, safe_mode=True)
    images = _inputs()

    assert isinstance(loaded.layers[-1], Conv2DTranspose)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(images)), ops.convert_to_numpy(model(images)), rtol=1e-6
    )
