"""`Conv2DTranspose`: Keras' layer, with a faster kernel gradient on JAX."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_logogan")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """A drop-in `keras.layers.Conv2DTranspose` that trains faster on JAX.

    It takes the same arguments, has the same weights and computes the same
    outputs. On the JAX backend, with `padding="same"`, no dilation, no
    `output_padding` and `channels_last` data, its kernel gradient is computed
    through an ordinary strided convolution (see
    `keras_logogan.layers.jax_conv_transpose`). On the DCGAN generator that
    made a JAX training step about twice as fast on a 2-core CPU (batch 256). Other backends and
    settings run Keras' own code.

    Weights saved from either class load into the other.

    Examples:
        >>> import numpy as np
        >>> layer = Conv2DTranspose(8, 4, strides=2, padding="same")
        >>> tuple(layer(np.zeros((1, 4, 4, 16), "float32")).shape)
        (1, 8, 8, 8)
    """

    def call(self, inputs):
        if not self._has_fast_gradient():
            return super().call(inputs)

        from keras_logogan.layers import jax_conv_transpose

        outputs = jax_conv_transpose.conv_transpose_same(inputs, self.kernel, self.strides)
        if self.use_bias:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _has_fast_gradient(self):
        return (
            keras.backend.backend() == "jax"
            and self.padding == "same"
            and self.data_format == "channels_last"
            and self.output_padding is None
            and tuple(self.dilation_rate) == (1, 1)
        )
