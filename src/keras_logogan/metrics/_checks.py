"""Argument checks shared by the metric functions."""

import numpy as np


def check_uint8_images(name, images, min_count=1):
    """Return `images` as a numpy array after checking that it is a uint8 image batch.

    Raises:
        ValueError: if it is not a uint8 `(N, H, W, C)` array with 1 or 3
            channels, or has fewer than `min_count` images.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"`{name}` must be an array of shape (N, height, width, channels) with 1 or 3 "
            f"channels. Received: shape={images.shape}"
        )
    if images.dtype != np.uint8:
        raise ValueError(
            f"`{name}` must be uint8 in [0, 255]. Received: dtype={images.dtype}. Convert "
            "floats in [-1, 1] with `keras_logogan.images.to_uint8`, or call "
            "`LogoGAN.generate` with its default dtype='uint8'."
        )
    if len(images) < min_count:
        raise ValueError(
            f"`{name}` must contain at least {min_count} images. Received: {len(images)}."
        )
    return images


def check_same_image_shape(name_a, images_a, name_b, images_b):
    """Raise a `ValueError` unless both batches have the same height, width and channels."""
    if images_a.shape[1:] != images_b.shape[1:]:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must have the same image shape. "
            f"Received: {images_a.shape[1:]} and {images_b.shape[1:]}."
        )


def check_positive_int(name, value):
    """Raise a `ValueError` unless `value` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1. Received: {name}={value!r}")


def check_seed(seed):
    """Raise a `ValueError` unless `seed` is an int >= 0, which NumPy's generators accept."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be an int >= 0. Received: seed={seed!r}")


def to_unit_float(images, dtype=np.float32):
    """Return uint8 images as floats in [0, 1]."""
    return images.astype(dtype) / 255.0
