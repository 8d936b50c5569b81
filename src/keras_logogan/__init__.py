"""keras-logogan: train GANs that make logo images, with Keras 3 on any backend."""

from keras_logogan import architectures
from keras_logogan import callbacks
from keras_logogan import losses
from keras_logogan.images import make_grid
from keras_logogan.images import save_grid
from keras_logogan.models import LogoGAN
from keras_logogan.version import __version__
