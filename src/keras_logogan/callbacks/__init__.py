"""Callbacks that show and check GAN training."""

from keras_logogan.callbacks.sample_grid_saver import SampleGridSaver
