"""Custom Keras layers: spectrally normalised convolutions and dense layers, and a
transposed convolution with a faster kernel gradient on JAX."""

from keras_logogan.layers.conv_transpose import Conv2DTranspose
from keras_logogan.layers.spectral_normalization import SpectralConv2D
from keras_logogan.layers.spectral_normalization import SpectralDense
from keras_logogan.layers.spectral_normalization import estimate_spectral_norm
