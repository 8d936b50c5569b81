"""Spectrally normalised `Conv2D` and `Dense` layers (Miyato et al. 2018, SNGAN).

Each layer divides its kernel by an estimate of the kernel's largest singular
value, `sigma`, in the forward pass. The kernel is reshaped to a matrix `W` of
shape `(fan_in, units)`, and `sigma` comes from power iteration started at a
persistent vector `u` of length `units`:

    v = normalize(W u)
    u = normalize(W^T v)        (repeated `power_iterations` times)
    sigma = v^T W u

The layer treats `u` and `v` as constants (`stop_gradient`), so the gradient
of `kernel / sigma` is the SNGAN one. The layers never assign to the kernel.
Only the optimizer changes it, and only the non-trainable `u` carries state
from one call to the next. So the layers also train under JAX, where
`stateless_call` returns the updated non-trainable variables, and LogoGAN's
JAX training step would drop an assignment to a trainable one.

`keras.layers.SpectralNormalization` (Keras 3.15) differs here. In training,
its `call` assigns `kernel / sigma` back into the wrapped layer's kernel
(`self.kernel.assign(new_kernel)`), so the optimizer then updates the
normalised kernel, and no gradient flows through `sigma`.
"""

import keras
from keras import ops

# Floor of the vector norms and of `sigma`. It keeps an all-zero kernel from
# dividing by zero.
EPSILON = 1e-12


def _check_power_iterations(power_iterations):
    if (
        not isinstance(power_iterations, int)
        or isinstance(power_iterations, bool)
        or power_iterations < 1
    ):
        raise ValueError(
            "`power_iterations` must be an integer of at least 1. "
            f"Received: power_iterations={power_iterations!r}"
        )


def _normalize_or_keep(vector, fallback):
    """Scale `vector` to unit L2 norm, or return `fallback` where its norm is ~0."""
    norm = ops.sqrt(ops.sum(ops.square(vector)))
    return ops.where(norm > EPSILON, vector / ops.maximum(norm, EPSILON), fallback)


def estimate_spectral_norm(matrix, u, power_iterations=1):
    """Estimate the largest singular value of `matrix` by power iteration.

    Args:
        matrix: 2D tensor of shape `(m, n)`.
        u: tensor of shape `(n,)`, the current estimate of the right singular
            vector. It need not have unit norm.
        power_iterations: int, default 1. Number of `v = normalize(W u)`,
            `u = normalize(W^T v)` steps.

    Returns:
        A tuple `(sigma, u)`: the scalar estimate `v^T W u`, differentiable
        with respect to `matrix` only, and the updated unit vector `u`. If
        `W u` or `W^T v` is zero (an all-zero matrix), `u` is returned
        unchanged and `sigma` is 0.

    Examples:
        >>> import numpy as np
        >>> sigma, u = estimate_spectral_norm(np.diag([3.0, 1.0]), np.array([1.0, 1.0]), 20)
        >>> round(float(sigma), 4)
        3.0
    """
    _check_power_iterations(power_iterations)
    matrix = ops.convert_to_tensor(matrix)
    # The iteration reads `stop_gradient(matrix)`, so no backend records it
    # for backpropagation. On PyTorch this also keeps autograd from saving the
    # variable `u` for the backward pass, which the in-place assignment of the
    # new `u` would invalidate.
    constant_matrix = ops.stop_gradient(matrix)
    u = ops.stop_gradient(ops.reshape(ops.convert_to_tensor(u, dtype=matrix.dtype), (-1, 1)))
    v = ops.zeros((ops.shape(matrix)[0], 1), dtype=matrix.dtype)
    for _ in range(power_iterations):
        v = _normalize_or_keep(ops.matmul(constant_matrix, u), ops.zeros_like(v))
        u = _normalize_or_keep(ops.matmul(ops.transpose(constant_matrix), v), u)
    u = ops.stop_gradient(u)
    v = ops.stop_gradient(v)
    sigma = ops.sum(v * ops.matmul(matrix, u))
    return sigma, ops.reshape(u, (-1,))


class SpectralNormalizationMixin:
    """Shared state and kernel normalisation of the spectrally normalised layers.

    A subclass calls `_init_spectral_normalization(power_iterations)` in
    `__init__`, `_build_spectral_vector()` at the end of `build()`, and uses
    `normalized_kernel(training)` in place of `self.kernel` in `call()`.
    The vector is the non-trainable weight `spectral_u` of shape
    `(kernel.shape[-1],)`, kept in the layer's variable dtype (float32 under a
    mixed precision policy) and never autocast.

    NOTE: Every training-mode call advances `u`, not every optimizer step.
    A LogoGAN training step calls the discriminator on real, generated and
    (with a gradient penalty, except under JAX) interpolated images, so it
    runs several times `power_iterations` steps.
    """

    def _init_spectral_normalization(self, power_iterations):
        _check_power_iterations(power_iterations)
        if self.lora_rank:
            self.enable_lora(self.lora_rank)
        self.power_iterations = power_iterations

    def _build_spectral_vector(self):
        self.spectral_u = self.add_weight(
            name="spectral_u",
            shape=(self._kernel.shape[-1],),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            trainable=False,
            autocast=False,
            dtype=self.variable_dtype,
        )

    def _estimate_sigma(self, kernel, training):
        matrix = ops.reshape(kernel, (-1, ops.shape(kernel)[-1]))
        matrix = ops.cast(matrix, self.spectral_u.dtype)
        sigma, u = estimate_spectral_norm(matrix, self.spectral_u.value, self.power_iterations)
        if training:
            self.spectral_u.assign(u)
        return sigma

    def normalized_kernel(self, training=False):
        """Return `kernel / sigma` in the kernel's dtype.

        Args:
            training: bool, default False. If true, also assign the updated
                `u` to `spectral_u`. Otherwise the stored vector is kept, so
                repeated inference calls give identical outputs.
        """
        kernel = self.kernel
        sigma = ops.maximum(self._estimate_sigma(kernel, training), EPSILON)
        return kernel / ops.cast(sigma, kernel.dtype)

    def quantize(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} does not support quantization, because its "
            "forward pass divides the float kernel by its spectral norm. "
            "Quantize a plain Conv2D or Dense layer instead."
        )

    def enable_lora(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} does not support LoRA. Use a plain Conv2D "
            "or Dense layer for LoRA fine-tuning."
        )

    def _spectral_u_index(self):
        # The parent classes save the kernel, then the bias if there is one.
        return 2 if self.bias is not None else 1

    def save_own_variables(self, store):
        # `Conv2D` and `Dense` save only their kernel and bias, by position,
        # so `spectral_u` is appended after them.
        super().save_own_variables(store)
        if self.built:
            store[str(self._spectral_u_index())] = self.spectral_u

    def load_own_variables(self, store):
        super().load_own_variables(store)
        if self.built:
            self.spectral_u.assign(store[str(self._spectral_u_index())])

    def _spectral_config(self, base_config):
        return {**base_config, "power_iterations": self.power_iterations}


@keras.saving.register_keras_serializable(package="keras_logogan")
class SpectralConv2D(SpectralNormalizationMixin, keras.layers.Conv2D):
    """A `Conv2D` layer whose kernel is divided by its spectral norm.

    The kernel of shape `(kernel_height, kernel_width, in_channels, filters)`
    is reshaped to a `(kernel_height * kernel_width * in_channels, filters)`
    matrix for the estimate. Each call in training mode runs
    `power_iterations` power-iteration steps and stores the new `u`. Calls in
    inference mode run the same steps without storing them.

    NOTE: The spectral norm of this reshaped matrix is not the Lipschitz
    constant of the convolution, which can be larger. SNGAN and
    `keras.layers.SpectralNormalization` normalise the same matrix.

    Args:
        filters: int. Number of output channels.
        kernel_size: int or tuple of 2 ints.
        power_iterations: int, default 1. Power-iteration steps per call.
        **kwargs: every other `keras.layers.Conv2D` argument.

    Examples:
        >>> import numpy as np
        >>> layer = SpectralConv2D(4, 3, padding="same")
        >>> outputs = layer(np.ones((2, 8, 8, 3)), training=True)
        >>> tuple(outputs.shape)
        (2, 8, 8, 4)
        >>> tuple(layer.spectral_u.shape)
        (4,)
    """

    def __init__(self, filters, kernel_size, power_iterations=1, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        self._init_spectral_normalization(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral_vector()

    def call(self, inputs, training=None):
        outputs = self.convolution_op(inputs, self.normalized_kernel(training))
        if self.use_bias:
            if self.data_format == "channels_last":
                bias_shape = (1,) * (self.rank + 1) + (self.filters,)
            else:
                bias_shape = (1, self.filters) + (1,) * self.rank
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        return self._spectral_config(super().get_config())


@keras.saving.register_keras_serializable(package="keras_logogan")
class SpectralDense(SpectralNormalizationMixin, keras.layers.Dense):
    """A `Dense` layer whose `(input_dim, units)` kernel is divided by its spectral norm.

    Each call in training mode runs `power_iterations` power-iteration steps
    and stores the new `u`. Calls in inference mode run the same steps
    without storing them.

    Args:
        units: int. Output size.
        power_iterations: int, default 1. Power-iteration steps per call.
        **kwargs: every other `keras.layers.Dense` argument.

    Examples:
        >>> import numpy as np
        >>> layer = SpectralDense(3)
        >>> outputs = layer(np.ones((2, 5)), training=True)
        >>> tuple(outputs.shape)
        (2, 3)
        >>> tuple(layer.spectral_u.shape)
        (3,)
    """

    def __init__(self, units, power_iterations=1, **kwargs):
        super().__init__(units, **kwargs)
        self._init_spectral_normalization(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral_vector()

    def call(self, inputs, training=None):
        outputs = ops.matmul(inputs, self.normalized_kernel(training))
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        return self._spectral_config(super().get_config())
