"""Custom Keras layers: spectrally normalised convolutions and dense layers."""

from keras_logogan.layers.spectral_normalization import SpectralConv2D
from keras_logogan.layers.spectral_normalization import SpectralDense
from keras_logogan.layers.spectral_normalization import estimate_spectral_norm
