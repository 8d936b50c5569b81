"""Callbacks that show, check and checkpoint GAN training."""

from keras_logogan.callbacks.best_checkpoint import BestCheckpoint
from keras_logogan.callbacks.checkpoint import TrainingCheckpoint
from keras_logogan.callbacks.discriminator_accuracy import DiscriminatorAccuracy
from keras_logogan.callbacks.memorization_monitor import MemorizationMonitor
from keras_logogan.callbacks.mode_collapse_detector import ModeCollapseDetector
from keras_logogan.callbacks.nan_guard import NaNGuard
from keras_logogan.callbacks.sample_grid_saver import SampleGridSaver
