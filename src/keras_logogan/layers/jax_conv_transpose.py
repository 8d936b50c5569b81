"""A transposed convolution for JAX whose kernel gradient XLA:CPU computes quickly.

A stride-`s` transposed convolution with "same" padding is the adjoint of a
stride-`s` convolution with "SAME" padding: for an output cotangent `dy`,

    dinputs = conv(dy, kernel, stride s)
    dkernel = the kernel gradient of conv(dy, kernel), pulled back from `inputs`.

Autodiff of `lax.conv_transpose` instead requests from XLA the kernel gradient of an
input-dilated convolution. On a 2-core x86 CPU, the whole gradient of each of
the DCGAN generator's layers at batch 256 took 2 to 9 times longer that way
than with the strided convolution used here. Both give the same numbers to
float32 rounding.

This module imports JAX, so only the JAX backend imports it.
"""

import jax
from keras import ops

_DIMENSIONS = ("NHWC", "HWIO", "NHWC")


def _strided_conv(images, kernel, strides):
    """Convolve NHWC `images` with an HWIO `kernel`, "SAME" padding."""
    return jax.lax.conv_general_dilated(
        images, kernel, window_strides=strides, padding="SAME", dimension_numbers=_DIMENSIONS
    )


def conv_transpose_same(inputs, kernel, strides):
    """Transposed convolution of NHWC `inputs`, "same" padding, no dilation.

    Args:
        inputs: array of shape `(batch, height, width, in_channels)`.
        kernel: array of shape `(kh, kw, out_channels, in_channels)`, the
            layout of `keras.layers.Conv2DTranspose.kernel`.
        strides: tuple of two ints.

    Returns:
        An array of shape `(batch, height * strides[0], width * strides[1],
        out_channels)`, equal to `keras.ops.conv_transpose(inputs, kernel,
        strides, padding="same")`.
    """
    inputs = ops.convert_to_tensor(inputs)
    kernel = ops.convert_to_tensor(kernel, dtype=inputs.dtype)
    return _conv_transpose(inputs, kernel, tuple(strides))


def _forward_value(inputs, kernel, strides):
    return ops.conv_transpose(inputs, kernel, strides=list(strides), padding="same")


def _forward(inputs, kernel, strides):
    return _forward_value(inputs, kernel, strides), (inputs, kernel)


def _backward(strides, residuals, output_cotangent):
    inputs, kernel = residuals
    input_cotangent = _strided_conv(output_cotangent, kernel, strides)

    _, pull_back = jax.vjp(lambda k: _strided_conv(output_cotangent, k, strides), kernel)
    (kernel_cotangent,) = pull_back(inputs)
    return input_cotangent, kernel_cotangent


_conv_transpose = jax.custom_vjp(_forward_value, nondiff_argnums=(2,))
_conv_transpose.defvjp(_forward, _backward)
