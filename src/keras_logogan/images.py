"""Image arrays: conversion to uint8, checks, and grids saved as PNG."""

import math
import os

import numpy as np
from PIL import Image

from keras_logogan.atomic_files import atomic_path


def to_uint8(images):
    """Map float images in [-1, 1] to uint8 in [0, 255], rounding and clipping."""
    scaled = (np.asarray(images, dtype=np.float32) + 1.0) * 127.5
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def check_image_array(images, image_size=None, channels=None):
    """Raise a `ValueError` unless `images` is an `(N, H, W, C)` image array.

    Args:
        images: numpy array to check.
        image_size: optional int the height and width must equal.
        channels: optional int the last axis must equal.
    """
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or len(images) == 0:
        raise ValueError(
            "Images must be a non-empty array of shape (N, height, width, channels) "
            f"with 1 or 3 channels. Received: shape={images.shape}"
        )
    height, width = images.shape[1:3]
    if image_size is not None and (height, width) != (image_size, image_size):
        raise ValueError(
            f"The images are {height}x{width} but the model makes {image_size}x{image_size} "
            f"images. Load images of that size (e.g. `load_icons(image_size={image_size})`) "
            f"or build the model with `image_size={height}`."
        )
    if channels is not None and images.shape[-1] != channels:
        raise ValueError(
            f"The images have {images.shape[-1]} channels but the model expects "
            f"{channels}. Convert them, or build the model with `channels={images.shape[-1]}`."
        )
    if images.dtype != np.uint8 and not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            "Images must be uint8 in [0, 255] or float in [-1, 1]. "
            f"Received: dtype={images.dtype}"
        )


def make_grid(images, columns=None, padding=2, background=255):
    """Tile images into one uint8 grid image.

    Args:
        images: uint8 array `(N, H, W, C)`, or float in [-1, 1].
        columns: int, default `ceil(sqrt(N))`.
        padding: int, default 2. Pixels between and around the tiles.
        background: int, default 255 (white). Value of the padding.

    Returns:
        A uint8 array `(rows * (H + padding) + padding, ..., C)`.

    Examples:
        >>> make_grid(np.zeros((6, 8, 8, 3), np.uint8), columns=3).shape
        (22, 32, 3)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        images = to_uint8(images)
    check_image_array(images)
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)

    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        background,
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_grid(images, path, columns=None, padding=2, scale=1):
    """Save images as one PNG grid, atomically.

    The grid is written to a temporary file in the same folder and renamed
    into place, so a crash never leaves a half-written PNG at `path`.

    Args:
        images: uint8 array `(N, H, W, C)`, or float in [-1, 1].
        path: str or path-like ending in ".png".
        columns: int, default `ceil(sqrt(N))`.
        padding: int, default 2.
        scale: int, default 1. Nearest-neighbour upscaling factor, so small
            logos stay crisp when viewed.

    Returns:
        The path written, as a str.

    Examples:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "grid.png"
        >>> save_grid(np.zeros((4, 8, 8, 3), np.uint8), out).endswith("grid.png")
        True
    """
    grid = make_grid(images, columns=columns, padding=padding)
    picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale != 1:
        picture = picture.resize(
            (picture.width * scale, picture.height * scale), Image.Resampling.NEAREST
        )

    path = os.fspath(path)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as stream:
            picture.save(stream, format="PNG")
    return path
