"""Logo images shipped with the package and `tf.data` input pipelines."""

from keras_logogan.datasets.icons import load_icons
from keras_logogan.datasets.pipeline import make_dataset

__all__ = ["load_icons", "make_dataset"]
