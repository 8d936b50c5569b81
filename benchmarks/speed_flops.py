"""Count the arithmetic of a GAN training step and measure the machine's matmul peak.

`speed.py` divides the measured training throughput by these numbers to
report what share of the machine's dense float32 rate each loop reaches.

- Analytic count: the multiply-accumulates (MACs) of every dense,
  convolution and transposed-convolution layer, from the layer shapes. A
  forward pass costs one MAC per weight use. The backward pass costs the
  same again for the gradients of the weights and once more for the
  gradients of the layer inputs, where those are needed. One MAC is two
  floating-point operations (FLOPs). Normalisation, activations, losses and
  optimizer updates are left out, so this count is a lower bound.
- XLA count: the FLOPs that XLA's cost analysis reports for the compiled
  forward and backward passes of one discriminator and one generator update,
  written with `stateless_call` on the Keras models and compiled by JAX. It
  includes the elementwise work. Optimizer updates are left out.
- Matmul peak: the best rate of a NumPy float32 2048x2048 matrix product,
  `2 * 2048**3` FLOPs, over several repeats.
"""

import time

MATMUL_SIZE = 2048

# How many times each training step runs every layer of each network, per
# image, by the kind of pass. "input_gradient" counts backward passes that
# need the gradient of the layer inputs. In those the first layer of a
# network needs none unless the gradient must reach the network's input,
# which `*_input_gradient_to_input` counts.
#
# alternating: LogoGAN's step, also written by `gradient_tape` and
# `pytorch_loop`. The discriminator update runs the generator forward without
# gradients, then the discriminator forward and backward on the real and on
# the generated batch. The generator update runs both networks forward on
# fresh latents and back through both, with weight gradients for the
# generator only.
#
# simultaneous_with_accuracy_pass: `hobby_loop`. One generator forward pass
# feeds both losses, the discriminator runs forward on the real and the
# generated batch, both tapes go backward, and then an extra inference pass
# runs the generator once and the discriminator twice to measure accuracy.
SCHEDULES = {
    "alternating": {
        "generator_forward": 2,
        "generator_weight_gradient": 1,
        "generator_input_gradient": 1,
        "generator_input_gradient_to_input": 0,
        "discriminator_forward": 3,
        "discriminator_weight_gradient": 2,
        "discriminator_input_gradient": 2,
        "discriminator_input_gradient_to_input": 1,
    },
    "simultaneous_with_accuracy_pass": {
        "generator_forward": 2,
        "generator_weight_gradient": 1,
        "generator_input_gradient": 1,
        "generator_input_gradient_to_input": 0,
        "discriminator_forward": 4,
        "discriminator_weight_gradient": 2,
        "discriminator_input_gradient": 2,
        "discriminator_input_gradient_to_input": 1,
    },
}
LOOP_SCHEDULES = {
    "logogan_fit": "alternating",
    "gradient_tape": "alternating",
    "pytorch_loop": "alternating",
    "hobby_loop": "simultaneous_with_accuracy_pass",
}


def keras_layer_macs(model):
    """Return the MACs per image of each dense and convolution layer of a Keras model.

    Returns:
        A list of `{"layer", "kind", "macs"}` dicts in layer order, and a
        list of the names of other layers that hold a kernel and are not
        counted.
    """
    import keras

    counted, uncounted = [], []
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        if isinstance(layer, keras.layers.Conv2DTranspose):
            # The kernel has shape (height, width, filters, input channels).
            macs = conv_macs(
                layer.input.shape[1:3], layer.output.shape[1:3], layer.kernel_size, layer.strides,
                keras_padding_before(layer, layer.input.shape[1:3], layer.output.shape[1:3]),
                _product(kernel.shape[2:]),
            )  # fmt: skip
            kind = "conv_transpose"
        elif isinstance(layer, keras.layers.Conv2D):
            macs = conv_macs(
                layer.output.shape[1:3], layer.input.shape[1:3], layer.kernel_size, layer.strides,
                keras_padding_before(layer, layer.output.shape[1:3], layer.input.shape[1:3]),
                _product(kernel.shape[2:]),
            )  # fmt: skip
            kind = "conv"
        elif isinstance(layer, keras.layers.Dense):
            macs = _product(layer.input.shape[1:-1]) * _product(kernel.shape)
            kind = "dense"
        else:
            uncounted.append(layer.name)
            continue
        counted.append({"layer": layer.name, "kind": kind, "macs": int(macs)})
    return counted, uncounted


def keras_padding_before(layer, strided_sizes, full_sizes):
    """Return the zero rows and columns before the image of a Keras convolution, per spatial axis.

    With "same" padding Keras pads `(strided - 1) * stride + kernel - full`
    in all, the smaller half before the image.
    """
    if layer.padding == "valid":
        return (0, 0)
    return tuple(
        max((strided - 1) * stride + kernel - full, 0) // 2
        for strided, full, kernel, stride in zip(
            strided_sizes, full_sizes, layer.kernel_size, layer.strides
        )
    )


def conv_macs(strided_sizes, full_sizes, kernel_sizes, strides, padding_before, channel_product):
    """Return the MACs per image of a convolution or transposed convolution, counting only taps on real pixels.

    A convolution reads the full-resolution map and writes the strided one,
    and a transposed convolution does the reverse. Either way, position `a` of
    the strided map and kernel tap `t` meet pixel `a * stride + t - padding`
    of the full map, and the product is computed only when that pixel
    exists, so taps on the zero padding cost nothing. XLA's cost analysis
    counts the same way.
    """
    taps = 1
    for strided, full, kernel, stride, before in zip(
        strided_sizes, full_sizes, kernel_sizes, strides, padding_before
    ):
        taps *= sum(
            1 for a in range(strided) for t in range(kernel) if 0 <= a * stride + t - before < full
        )
    return taps * channel_product


def _product(values):
    result = 1
    for value in values:
        result *= int(value)
    return result


def describe_keras_network(model):
    """Return the parameter counts and the forward MACs per image of a Keras model."""
    layers, uncounted = keras_layer_macs(model)
    return {
        "trainable_parameters": int(sum(_product(w.shape) for w in model.trainable_weights)),
        "non_trainable_parameters": int(
            sum(_product(w.shape) for w in model.non_trainable_weights)
        ),
        "forward_macs": sum(item["macs"] for item in layers),
        "first_layer_macs": layers[0]["macs"] if layers else 0,
        "layers": layers,
        "uncounted_layers": uncounted,
    }


def training_macs(schedule, generator, discriminator):
    """Return the MACs per training image of one step of `schedule`.

    Args:
        schedule: a key of `SCHEDULES`.
        generator, discriminator: dicts from `describe_keras_network` or
            `speed_torch.describe_torch_network`.
    """
    counts = SCHEDULES[schedule]
    total = 0
    for network, description in (("generator", generator), ("discriminator", discriminator)):
        forward = description["forward_macs"]
        beyond_first = forward - description["first_layer_macs"]
        total += counts[f"{network}_forward"] * forward
        total += counts[f"{network}_weight_gradient"] * forward
        total += counts[f"{network}_input_gradient"] * beyond_first
        total += counts[f"{network}_input_gradient_to_input"] * forward
    return total


def xla_step_flops(batch_size, seed=0):
    """Return the XLA cost analysis of one alternating GAN step on LogoGAN's default networks.

    Runs under the JAX backend. The compiled function computes the
    discriminator's loss and its gradients on a real and a generated batch,
    then the generator's loss and its gradients through the discriminator,
    as `keras_logogan.models.jax_step` does. Optimizer updates are left out.

    Returns:
        A dict with the total FLOPs of the step, the FLOPs per image, the
        batch size and the seconds the compilation took.
    """
    import jax
    import keras
    import numpy as np

    from keras_logogan.architectures import dcgan_discriminator
    from keras_logogan.architectures import dcgan_generator
    from keras_logogan.losses import NonSaturatingLoss

    if keras.config.backend() != "jax":
        raise RuntimeError(
            f"The XLA FLOP count needs KERAS_BACKEND=jax. Received: {keras.config.backend()!r}"
        )
    keras.utils.set_random_seed(seed)
    generator, discriminator = dcgan_generator(), dcgan_discriminator()
    step = _alternating_step_function(generator, discriminator, NonSaturatingLoss())

    rng = np.random.default_rng(seed)
    values = [
        [v.value for v in generator.trainable_variables],
        [v.value for v in generator.non_trainable_variables],
        [v.value for v in discriminator.trainable_variables],
        [v.value for v in discriminator.non_trainable_variables],
        rng.uniform(-1.0, 1.0, (batch_size, *discriminator.input_shape[1:])).astype("float32"),
        rng.standard_normal((batch_size, generator.input_shape[1]), dtype="float32"),
        rng.standard_normal((batch_size, generator.input_shape[1]), dtype="float32"),
    ]

    started = time.perf_counter()
    compiled = jax.jit(step).lower(*values).compile()
    compile_seconds = time.perf_counter() - started

    # The docstring of `cost_analysis` in JAX 0.10.2 allows any structure, or
    # None. That version returns a dict; a list of dicts is read by its first.
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)) and analysis:
        analysis = analysis[0]
    if not isinstance(analysis, dict) or "flops" not in analysis:
        raise RuntimeError(
            f"XLA's cost analysis returned no FLOP count: {analysis!r}. Run speed.py with --flops analytic."
        )
    flops = float(analysis["flops"])
    return {
        "method": "jax.jit(step).lower(...).compile().cost_analysis()['flops']",
        "flops_per_step": flops,
        "flops_per_image": flops / batch_size,
        "batch_size": batch_size,
        "compile_seconds": compile_seconds,
        "bytes_accessed_per_step": float(analysis.get("bytes accessed", float("nan"))),
    }


def _alternating_step_function(generator, discriminator, loss):
    """Return a pure function of the weights and inputs: both updates' losses and gradients."""
    import jax

    def discriminator_loss(
        d_trainable, d_non_trainable, g_trainable, g_non_trainable, real, latents
    ):
        fake, _ = generator.stateless_call(g_trainable, g_non_trainable, latents, training=True)
        fake = jax.lax.stop_gradient(fake)
        real_logits, d_non_trainable = discriminator.stateless_call(
            d_trainable, d_non_trainable, real, training=True
        )
        fake_logits, _ = discriminator.stateless_call(
            d_trainable, d_non_trainable, fake, training=True
        )
        return loss.discriminator_loss(real_logits, fake_logits)

    def generator_loss(g_trainable, g_non_trainable, d_trainable, d_non_trainable, latents):
        fake, _ = generator.stateless_call(g_trainable, g_non_trainable, latents, training=True)
        logits, _ = discriminator.stateless_call(d_trainable, d_non_trainable, fake, training=True)
        return loss.generator_loss(logits)

    def step(
        g_trainable, g_non_trainable, d_trainable, d_non_trainable, real, d_latents, g_latents
    ):
        d_loss, d_gradients = jax.value_and_grad(discriminator_loss)(
            d_trainable, d_non_trainable, g_trainable, g_non_trainable, real, d_latents
        )
        g_loss, g_gradients = jax.value_and_grad(generator_loss)(
            g_trainable, g_non_trainable, d_trainable, d_non_trainable, g_latents
        )
        return d_loss, g_loss, d_gradients, g_gradients

    return step


def matmul_peak(repeats):
    """Return the seconds and the GFLOP/s of `repeats` NumPy float32 2048x2048 matmuls, after one warm-up."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    b = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    np.matmul(a, b)

    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.matmul(a, b)
        seconds.append(time.perf_counter() - started)
    flops = 2 * MATMUL_SIZE**3
    return {
        "size": MATMUL_SIZE,
        "dtype": "float32",
        "seconds": seconds,
        "gflops": [flops / s / 1e9 for s in seconds],
        "best_gflops": flops / min(seconds) / 1e9,
    }


def jax_matmul_peak(repeats):
    """Return the best GFLOP/s of `repeats` jitted JAX float32 2048x2048 matmuls, after one warm-up.

    A second reference for `matmul_peak`: the same product computed by
    XLA's CPU backend instead of the BLAS library NumPy was built with.
    """
    import jax
    import jax.numpy as jnp

    key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
    a = jax.random.normal(key_a, (MATMUL_SIZE, MATMUL_SIZE), dtype=jnp.float32)
    b = jax.random.normal(key_b, (MATMUL_SIZE, MATMUL_SIZE), dtype=jnp.float32)
    product = jax.jit(jnp.matmul)
    product(a, b).block_until_ready()

    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        product(a, b).block_until_ready()
        seconds.append(time.perf_counter() - started)
    return {"seconds": seconds, "best_gflops": 2 * MATMUL_SIZE**3 / min(seconds) / 1e9}


def numpy_blas():
    """Return the name and version of the BLAS library NumPy was built with, or None if unknown."""
    import numpy as np

    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return None
    return {"name": blas.get("name"), "version": blas.get("version")}
