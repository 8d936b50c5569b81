"""Argument checks shared by the monitoring callbacks."""

import numpy as np

from keras_logogan import images as images_io


def check_positive_int(name, value):
    """Raise a `ValueError` unless `value` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1. Received: {name}={value!r}")


def check_fraction(name, value):
    """Raise a `ValueError` unless `value` is a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1]. Received: {name}={value!r}")


def check_images(name, images, min_count=1):
    """Return `images` as a numpy array after checking that it is an image batch.

    Raises:
        ValueError: if it is not `(N, H, W, C)` uint8 or float images, or has
            fewer than `min_count` images.
    """
    images = np.asarray(images)
    try:
        images_io.check_image_array(images)
    except ValueError as error:
        raise ValueError(f"`{name}` is not a valid image array. {error}") from error
    if len(images) < min_count:
        raise ValueError(
            f"`{name}` must contain at least {min_count} images. Received: {len(images)}."
        )
    return images


def check_images_fit_model(name, images, model):
    """Raise a `ValueError` unless the images have the model's size and channels."""
    try:
        images_io.check_image_array(images, model.image_size, model.channels)
    except ValueError as error:
        raise ValueError(f"`{name}` does not fit the model. {error}") from error


def fixed_subset(images, num_images, seed):
    """Return `num_images` images drawn without replacement by `seed`, or all if fewer."""
    if len(images) <= num_images:
        return images
    rng = np.random.default_rng(seed)
    return images[np.sort(rng.choice(len(images), num_images, replace=False))]
