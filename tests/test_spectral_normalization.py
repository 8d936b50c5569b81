"""Spectral normalisation layers: power iteration, state, gradients, saving and GAN training."""

import keras
import numpy as np
import pytest
from conftest import variable_values
from keras import ops

from keras_logogan import LogoGAN
from keras_logogan.architectures import dcgan_discriminator
from keras_logogan.layers import SpectralConv2D
from keras_logogan.layers import SpectralDense
from keras_logogan.layers import estimate_spectral_norm


def _numpy(value):
    return np.array(ops.convert_to_numpy(value), dtype=np.float64)


def _power_iteration(matrix, u, steps):
    """Return `(sigma, u, v)` after `steps` SNGAN power-iteration steps, in float64."""
    for _ in range(steps):
        v = matrix @ u
        v = v / np.linalg.norm(v)
        u = matrix.T @ v
        u = u / np.linalg.norm(u)
    return v @ matrix @ u, u, v


def _largest_singular_value(kernel):
    matrix = _numpy(kernel).reshape(-1, kernel.shape[-1])
    return np.linalg.svd(matrix, compute_uv=False)[0]


def _conv2d_valid(inputs, kernel, stride):
    """Cross-correlate NHWC `inputs` with an HWIO `kernel`, as Conv2D(padding="valid") does."""
    height, width = kernel.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(inputs, (height, width), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    return np.einsum("bijcxy,xyco->bijo", windows, kernel)


def _set_kernel(layer, seed):
    kernel = np.random.default_rng(seed).normal(size=layer.kernel.shape).astype("float32")
    layer.kernel.assign(kernel)
    return kernel.astype(np.float64)


def _spectral_layers(model):
    return [layer for layer in model.layers if isinstance(layer, (SpectralConv2D, SpectralDense))]


def _conv_layer(power_iterations=1):
    layer = SpectralConv2D(5, 3, strides=2, power_iterations=power_iterations)
    layer.build((None, 7, 7, 3))
    return layer


def _dense_layer(power_iterations=1):
    layer = SpectralDense(4, power_iterations=power_iterations)
    layer.build((None, 6))
    return layer


LAYER_FACTORIES = {"conv": _conv_layer, "dense": _dense_layer}
INPUT_SHAPES = {"conv": (2, 7, 7, 3), "dense": (3, 6)}


def _reference_outputs(kind, inputs, kernel, bias):
    if kind == "conv":
        return _conv2d_valid(inputs, kernel, stride=2) + bias
    return inputs @ kernel + bias


def _kernel_gradient(layer, inputs, output_weights):
    """Return d sum(layer(inputs, training=True) * output_weights) / d kernel."""
    backend = keras.config.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = ops.sum(layer(inputs, training=True) * output_weights)
        return tape.gradient(loss, layer.trainable_variables)[0]

    if backend == "jax":
        import jax

        def loss_fn(trainable_values, non_trainable_values):
            outputs, _ = layer.stateless_call(
                trainable_values, non_trainable_values, inputs, training=True
            )
            return ops.sum(outputs * output_weights)

        trainable_values = [v.value for v in layer.trainable_variables]
        non_trainable_values = [v.value for v in layer.non_trainable_variables]
        return jax.grad(loss_fn)(trainable_values, non_trainable_values)[0]

    loss = ops.sum(layer(inputs, training=True) * output_weights)
    loss.backward()
    return layer.trainable_variables[0].value.grad


# Power iteration.


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (48, 8)])
def test_estimate_converges_to_largest_singular_value(shape):
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=shape).astype("float32")
    u = rng.normal(size=shape[1]).astype("float32")

    sigma, _ = estimate_spectral_norm(matrix, u, power_iterations=200)

    expected = np.linalg.svd(matrix.astype(np.float64), compute_uv=False)[0]
    np.testing.assert_allclose(float(sigma), expected, rtol=1e-4)


def test_estimate_keeps_u_for_zero_matrix():
    u = np.array([0.6, 0.8], "float32")

    sigma, new_u = estimate_spectral_norm(np.zeros((3, 2), "float32"), u)

    assert float(sigma) == 0.0
    np.testing.assert_allclose(_numpy(new_u), u)


@pytest.mark.parametrize("power_iterations", [0, -1, 1.5, True, "1"])
def test_invalid_power_iterations_are_rejected(power_iterations):
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralDense(2, power_iterations=power_iterations)
    with pytest.raises(ValueError, match="power_iterations"):
        SpectralConv2D(2, 3, power_iterations=power_iterations)


# Layer state and outputs.


@pytest.mark.parametrize("kind", sorted(LAYER_FACTORIES))
def test_normalized_kernel_has_unit_spectral_norm(kind):
    layer = LAYER_FACTORIES[kind]()
    _set_kernel(layer, seed=1)
    inputs = np.ones(INPUT_SHAPES[kind], "float32")

    for _ in range(100):
        layer(inputs, training=True)

    normalized = layer.normalized_kernel()
    assert _largest_singular_value(normalized) == pytest.approx(1.0, abs=1e-2)
    assert _largest_singular_value(layer.kernel) > 1.5


@pytest.mark.parametrize("kind", sorted(LAYER_FACTORIES))
def test_u_changes_only_in_training_mode(kind):
    layer = LAYER_FACTORIES[kind]()
    inputs = np.ones(INPUT_SHAPES[kind], "float32")
    initial_u = _numpy(layer.spectral_u)

    first = _numpy(layer(inputs, training=False))
    second = _numpy(layer(inputs))
    after_inference = _numpy(layer.spectral_u)
    layer(inputs, training=True)
    after_training = _numpy(layer.spectral_u)

    np.testing.assert_array_equal(after_inference, initial_u)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(after_training, initial_u)
    assert np.linalg.norm(after_training) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("power_iterations", [1, 3])
@pytest.mark.parametrize("kind", sorted(LAYER_FACTORIES))
def test_outputs_match_numpy_reference(kind, power_iterations):
    layer = LAYER_FACTORIES[kind](power_iterations)
    kernel = _set_kernel(layer, seed=2)
    bias = np.linspace(-1.0, 1.0, kernel.shape[-1])
    layer.bias.assign(bias.astype("float32"))
    inputs = np.random.default_rng(3).normal(size=INPUT_SHAPES[kind]).astype("float32")
    initial_u = _numpy(layer.spectral_u)

    outputs = _numpy(layer(inputs, training=True))

    matrix = kernel.reshape(-1, kernel.shape[-1])
    sigma, expected_u, _ = _power_iteration(matrix, initial_u, power_iterations)
    expected = _reference_outputs(kind, inputs.astype(np.float64), kernel / sigma, bias)
    np.testing.assert_allclose(outputs, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_numpy(layer.spectral_u), expected_u, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(LAYER_FACTORIES))
def test_training_never_assigns_kernel(kind):
    layer = LAYER_FACTORIES[kind]()
    kernel = _set_kernel(layer, seed=4)
    inputs = np.ones(INPUT_SHAPES[kind], "float32")

    for _ in range(3):
        layer(inputs, training=True)

    np.testing.assert_array_equal(_numpy(layer.kernel), kernel)


def test_zero_kernel_gives_bias_and_keeps_u():
    layer = _dense_layer()
    layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
    layer.bias.assign(np.full(4, 0.5, "float32"))
    initial_u = _numpy(layer.spectral_u)

    outputs = _numpy(layer(np.ones((2, 6), "float32"), training=True))

    np.testing.assert_array_equal(outputs, np.full((2, 4), 0.5))
    np.testing.assert_array_equal(_numpy(layer.spectral_u), initial_u)


def test_mixed_precision_keeps_u_in_float32():
    layer = SpectralDense(4, dtype="mixed_bfloat16")
    layer.build((None, 6))
    kernel = _set_kernel(layer, seed=5)
    inputs = np.random.default_rng(6).normal(size=(3, 6)).astype("float32")
    initial_u = _numpy(layer.spectral_u)

    outputs = layer(inputs, training=True)

    sigma, _, _ = _power_iteration(kernel, initial_u, 1)
    expected = inputs @ (kernel / sigma)
    assert layer.spectral_u.dtype == "float32"
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    np.testing.assert_allclose(_numpy(outputs), expected, rtol=5e-2, atol=5e-2)


def test_quantization_and_lora_are_rejected():
    layer = _dense_layer()

    with pytest.raises(NotImplementedError, match="quantization"):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="LoRA"):
        layer.enable_lora(2)
    with pytest.raises(NotImplementedError, match="LoRA"):
        SpectralConv2D(4, 3, lora_rank=2)


# Gradients.


def test_dense_gradient_flows_through_sigma():
    layer = _dense_layer()
    kernel = _set_kernel(layer, seed=7)
    rng = np.random.default_rng(8)
    inputs = rng.normal(size=(3, 6)).astype("float32")
    output_weights = rng.normal(size=(3, 4)).astype("float32")
    initial_u = _numpy(layer.spectral_u)

    gradient = _kernel_gradient(
        layer, ops.convert_to_tensor(inputs), ops.convert_to_tensor(output_weights)
    )
    gradient = _numpy(gradient)

    # d/dW of <G, W / sigma> with sigma = v^T W u and u, v held constant.
    sigma, u, v = _power_iteration(kernel, initial_u, 1)
    upstream = inputs.astype(np.float64).T @ output_weights
    expected = upstream / sigma - np.sum(upstream * kernel) / sigma**2 * np.outer(v, u)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient, expected, rtol=1e-3, atol=1e-5)


def test_conv_gradient_is_finite():
    layer = _conv_layer()
    inputs = np.random.default_rng(9).normal(size=(2, 7, 7, 3)).astype("float32")
    output_weights = np.ones((2, 3, 3, 5), "float32")

    gradient = _kernel_gradient(
        layer, ops.convert_to_tensor(inputs), ops.convert_to_tensor(output_weights)
    )
    gradient = _numpy(gradient)

    assert gradient.shape == tuple(layer.kernel.shape)
    assert np.isfinite(gradient).all()
    assert np.abs(gradient).max() > 0


# Saving.


def test_config_round_trip_keeps_power_iterations():
    layer = SpectralConv2D(4, 3, strides=2, padding="same", power_iterations=2, name="conv")

    rebuilt = SpectralConv2D.from_config(layer.get_config())

    assert rebuilt.power_iterations == 2
    assert rebuilt.get_config() == layer.get_config()
    assert keras.saving.get_registered_name(SpectralDense) == "keras_logogan>SpectralDense"


def test_keras_file_round_trip_restores_outputs_and_u(tmp_path):
    images = keras.Input((8, 8, 3))
    x = SpectralConv2D(4, 3, strides=2, padding="same", power_iterations=2)(images)
    x = keras.layers.Flatten()(x)
    logits = SpectralDense(1, use_bias=False)(x)
    model = keras.Model(images, logits)
    inputs = np.random.default_rng(10).normal(size=(2, 8, 8, 3)).astype("float32")
    for _ in range(3):
        model(inputs, training=True)
    expected = _numpy(model(inputs, training=False))

    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)

    np.testing.assert_allclose(_numpy(loaded(inputs, training=False)), expected, rtol=1e-6)
    for original, restored in zip(_spectral_layers(model), _spectral_layers(loaded)):
        assert restored.power_iterations == original.power_iterations
        np.testing.assert_array_equal(_numpy(restored.spectral_u), _numpy(original.spectral_u))
        np.testing.assert_array_equal(_numpy(restored.kernel), _numpy(original.kernel))


# DCGAN discriminator and LogoGAN training.


def test_spectral_discriminator_layers():
    discriminator = dcgan_discriminator(16, width=8, normalization="spectral")

    spectral_names = [layer.name for layer in _spectral_layers(discriminator)]
    batch_norms = [
        layer
        for layer in discriminator.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert spectral_names == ["down0", "down1", "logits"]
    assert batch_norms == []
    assert discriminator.output_shape == (None, 1)


def test_logogan_fit_updates_u_on_every_backend(logo_images):
    gan = LogoGAN(image_size=16, width=8, discriminator_normalization="spectral", seed=0)
    gan.compile(loss="hinge")
    layers = _spectral_layers(gan.discriminator)
    u_before = variable_values([layer.spectral_u for layer in layers])
    kernels_before = variable_values([layer.kernel for layer in layers])

    history = gan.fit(logo_images, batch_size=16, epochs=1, verbose=0)

    u_after = variable_values([layer.spectral_u for layer in layers])
    kernels_after = variable_values([layer.kernel for layer in layers])
    assert all(np.isfinite(values).all() for values in history.history.values())
    for layer, before, after in zip(layers, u_before, u_after):
        assert not np.allclose(before, after), f"{layer.name}: u did not change during fit"
    for layer, before, after in zip(layers, kernels_before, kernels_after):
        assert not np.array_equal(before, after), f"{layer.name}: kernel did not train"


def test_logogan_fit_leaves_kernels_to_optimizer(logo_images):
    # With a zero learning rate only an assignment inside the layer could
    # change a kernel, so the kernels must stay exactly as they were.
    gan = LogoGAN(image_size=16, width=8, discriminator_normalization="spectral", seed=0)
    gan.compile(loss="hinge", discriminator_optimizer=keras.optimizers.SGD(0.0))
    layers = _spectral_layers(gan.discriminator)
    u_before = variable_values([layer.spectral_u for layer in layers])
    kernels_before = variable_values([layer.kernel for layer in layers])

    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)

    u_after = variable_values([layer.spectral_u for layer in layers])
    kernels_after = variable_values([layer.kernel for layer in layers])
    for before, after in zip(kernels_before, kernels_after):
        np.testing.assert_array_equal(before, after)
    assert all(not np.allclose(before, after) for before, after in zip(u_before, u_after))


def test_logogan_wasserstein_gp_trains_with_spectral(logo_images):
    gan = LogoGAN(image_size=16, width=8, discriminator_normalization="spectral", seed=1)
    gan.compile(loss="wasserstein_gp")

    history = gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)

    assert all(np.isfinite(values).all() for values in history.history.values())
    assert all(np.isfinite(values).all() for values in variable_values(gan.discriminator.weights))


def test_logogan_keras_file_keeps_spectral_state(tmp_path, logo_images):
    gan = LogoGAN(image_size=16, width=8, discriminator_normalization="spectral", seed=2)
    gan.compile(loss="hinge")
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)
    images = logo_images[:4].astype("float32") / 127.5 - 1.0
    expected = _numpy(gan.discriminator(images, training=False))

    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras", safe_mode=True)

    assert loaded.discriminator_normalization == "spectral"
    outputs = _numpy(loaded.discriminator(images, training=False))
    np.testing.assert_allclose(outputs, expected, rtol=1e-5)
    original_layers = _spectral_layers(gan.discriminator)
    loaded_layers = _spectral_layers(loaded.discriminator)
    assert len(loaded_layers) == len(original_layers)
    for original, restored in zip(original_layers, loaded_layers):
        np.testing.assert_array_equal(_numpy(restored.spectral_u), _numpy(original.spectral_u))
