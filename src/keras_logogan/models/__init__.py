"""The GAN model and its per-backend training steps."""

from keras_logogan.models.logo_gan import METRIC_NAMES
from keras_logogan.models.logo_gan import LogoGAN
