"""keras-logogan: train GANs that make logo images, with Keras 3 on any backend.

The public names load on first use, so `import keras_logogan` does not import
Keras. That lets the command line set `KERAS_BACKEND` from `--backend` before
Keras picks its backend.

Examples:
    >>> from keras_logogan import LogoGAN
    >>> LogoGAN(image_size=16, width=8).generate(2, seed=0).shape
    (2, 16, 16, 3)
"""

import importlib

from keras_logogan.version import __version__

_LAZY_ATTRIBUTES = {
    "LogoGAN": ("keras_logogan.models", "LogoGAN"),
    "data_parallel": ("keras_logogan.distribution", "data_parallel"),
    "make_grid": ("keras_logogan.images", "make_grid"),
    "save_grid": ("keras_logogan.images", "save_grid"),
}
_LAZY_MODULES = (
    "architectures",
    "augmentation",
    "callbacks",
    "datasets",
    "distribution",
    "hub",
    "images",
    "layers",
    "losses",
    "metrics",
    "models",
    "report",
    "training_configs",
)

__all__ = ["__version__", *_LAZY_ATTRIBUTES, *_LAZY_MODULES]


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        module_name, attribute = _LAZY_ATTRIBUTES[name]
        value = getattr(importlib.import_module(module_name), attribute)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"keras_logogan.{name}")
    else:
        raise AttributeError(f"module 'keras_logogan' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
