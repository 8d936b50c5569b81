"""Deterministic image transforms with per-sample parameters, written in `keras.ops`.

Every function takes an image batch of shape `(batch, height, width, channels)`
and one parameter per sample, and returns a batch of the same shape and dtype.
None of them draws random numbers or branches on tensor values, so they run
under `jax.jit`, inside `tf.function` and with torch autograd, and gradients
flow to the images. `DiffAugment` draws the parameters and chains these
transforms.
"""

from keras import ops


def _per_sample(values, dtype):
    """Reshape a `(batch,)` tensor to `(batch, 1, 1, 1)` so it broadcasts over images."""
    return ops.reshape(ops.cast(values, dtype), (-1, 1, 1, 1))


def select_per_sample(mask, transformed, images):
    """Return `transformed[i]` where `mask[i]` is true and `images[i]` elsewhere.

    The result is `m * transformed + (1 - m) * images` with `m` in {0, 1},
    which on the TensorFlow CPU kernels is several times faster than a
    broadcast `where`. For finite values it returns the selected sample
    exactly, except that a -0.0 may come back as 0.0.

    NOTE: an inf in the input that is not selected makes that output pixel
    NaN, unlike a `where`. A NaN in either input also comes out as NaN.
    """
    selected = _per_sample(mask, images.dtype)
    return selected * transformed + (1.0 - selected) * images


def flip_and_translate(images, flip, shift_y, shift_x, fill_value):
    """Mirror some images left to right, then shift each by whole pixels.

    After the optional mirror, output pixel `(y, x)` of sample `i` is pixel
    `(y - shift_y[i], x - shift_x[i])`, so positive shifts move the content
    down and to the right. Pixels that would come from outside the image get
    `fill_value` in every channel. Pixels that stay inside are copied, so
    they keep their exact values.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        flip: bool tensor `(batch,)`, true for the samples to mirror, or None
            to mirror none.
        shift_y: int tensor `(batch,)`, rows to move down.
        shift_x: int tensor `(batch,)`, columns to move right.
        fill_value: float, value of the vacated pixels.
    """
    _, height, width, channels = ops.shape(images)
    pixels = height * width
    rows = ops.arange(height, dtype="int32")[None, :, None]
    columns = ops.arange(width, dtype="int32")[None, None, :]
    source_rows = rows - ops.reshape(ops.cast(shift_y, "int32"), (-1, 1, 1))
    source_columns = columns - ops.reshape(ops.cast(shift_x, "int32"), (-1, 1, 1))
    if flip is not None:
        mirrored_columns = (width - 1) - source_columns
        source_columns = ops.where(ops.reshape(flip, (-1, 1, 1)), mirrored_columns, source_columns)
    inside = (
        (source_rows >= 0)
        & (source_rows < height)
        & (source_columns >= 0)
        & (source_columns < width)
    )

    # Each image gets one extra pixel holding the fill value, at flat index
    # `pixels`. Reads from outside the image point there, so a single gather
    # both moves the pixels and fills the vacated ones. The batch is
    # flattened too, because with Keras 3.15 on TensorFlow's CPU kernels a
    # 1-D `take` was several times faster than `take_along_axis` (measured at
    # batch 256, 32 px).
    source_index = ops.where(inside, source_rows * width + source_columns, pixels)
    # `cumsum` of ones numbers the samples without needing a static batch size.
    sample_index = ops.cast(ops.cumsum(ops.ones_like(shift_y, dtype="int32")) - 1, "int32")
    source_index = source_index + ops.reshape(sample_index, (-1, 1, 1)) * (pixels + 1)

    flat_images = ops.reshape(images, (-1, pixels, channels))
    fill_pixel = ops.full_like(flat_images[:, :1, :], fill_value)
    padded = ops.reshape(ops.concatenate([flat_images, fill_pixel], axis=1), (-1, channels))
    moved = ops.take(padded, ops.reshape(source_index, (-1,)), axis=0)
    return ops.reshape(moved, (-1, height, width, channels))


def adjust_brightness(images, offset):
    """Add `offset[i]` to every pixel of sample `i`."""
    return images + _per_sample(offset, images.dtype)


def adjust_saturation(images, factor):
    """Scale each pixel's distance from its own channel mean by `factor[i]`.

    A factor of 0 makes the image gray, 1 keeps it and 2 doubles the
    saturation. Images with one channel are returned unchanged.
    """
    pixel_mean = ops.mean(images, axis=-1, keepdims=True)
    return (images - pixel_mean) * _per_sample(factor, images.dtype) + pixel_mean


def adjust_contrast(images, factor):
    """Scale each image's distance from its mean over all pixels and channels by `factor[i]`."""
    image_mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - image_mean) * _per_sample(factor, images.dtype) + image_mean


def cutout(images, top, left, size_y, size_x, enabled=None):
    """Set a `size_y` x `size_x` rectangle of each image to 0.

    Sample `i` loses rows `top[i]` to `top[i] + size_y - 1` and columns
    `left[i]` to `left[i] + size_x - 1`. `top` and `left` may be negative or
    place the rectangle partly outside the image, and only its part inside
    the image is set to 0.

    NOTE: an inf or NaN inside the rectangle becomes NaN, not 0.

    Args:
        images: float tensor `(batch, height, width, channels)`.
        top: int tensor `(batch,)`, first row of the rectangle.
        left: int tensor `(batch,)`, first column of the rectangle.
        size_y: int, height of the rectangle in pixels.
        size_x: int, width of the rectangle in pixels.
        enabled: optional bool tensor `(batch,)`. Samples where it is false
            are returned unchanged.
    """
    _, height, width, _ = ops.shape(images)
    rows = ops.arange(height, dtype="int32")[None, :, None]
    columns = ops.arange(width, dtype="int32")[None, None, :]
    top = ops.reshape(ops.cast(top, "int32"), (-1, 1, 1))
    left = ops.reshape(ops.cast(left, "int32"), (-1, 1, 1))
    covered = (
        (rows >= top)
        & (rows < top + size_y)
        & (columns >= left)
        & (columns < left + size_x)
    )
    if enabled is not None:
        covered = covered & ops.reshape(enabled, (-1, 1, 1))
    # Multiplying by a 0/1 mask is much faster than a broadcast `where` on
    # TensorFlow's CPU kernels. Covered pixels become 0.0, or -0.0 where the
    # input was negative.
    keep = ops.cast(ops.logical_not(covered), images.dtype)
    return images * keep[..., None]
