"""Input pipelines that turn uint8 image arrays into batches for training."""

import operator
import os

import numpy as np
import tensorflow as tf


def make_dataset(
    images,
    batch_size=64,
    *,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    repeat=False,
    cache=True,
):
    """Make a batched `tf.data.Dataset` of images scaled to [-1, 1].

    Each image is converted to float32 as `x / 127.5 - 1`, the range of a
    generator with a `tanh` output. The dataset yields image batches only,
    without labels, and works with `keras.Model.fit` on the TensorFlow, JAX
    and PyTorch backends.

    Args:
        images: uint8 numpy array of shape `(N, height, width, channels)`
            with values in [0, 255], `N >= 1` and 1 or 3 channels, e.g. the
            output of `load_icons`.
        batch_size: int, default 64. Number of images per batch.
        shuffle: bool, default True. If True, shuffle all images before
            batching, with a new order each epoch.
        seed: int or None, default None. Shuffle seed. The same seed gives
            the same sequence of epoch orders.
        drop_remainder: bool, default False. If True, drop the last batch
            when it has fewer than `batch_size` images. If False, a dataset
            with fewer than `batch_size` images yields one partial batch.
        repeat: bool, default False. If True, repeat the dataset
            indefinitely, so `fit` needs `steps_per_epoch`.
        cache: bool, default True. If True, keep the scaled float32 images in
            memory after the first epoch, which takes 4 bytes per value.

    Returns:
        A `tf.data.Dataset` of float32 tensors of shape
        `(batch, height, width, channels)` with values in [-1, 1].

    Raises:
        ValueError: If `images` is not a non-empty uint8 array of shape
            `(N, height, width, channels)` with 1 or 3 channels, or if
            `batch_size` is not a positive integer.

    Examples:
        >>> from keras_logogan.datasets import load_icons, make_dataset
        >>> dataset = make_dataset(load_icons(32), batch_size=128, seed=0)
        >>> batch = next(iter(dataset))
        >>> tuple(batch.shape), batch.dtype.name
        ((128, 32, 32, 3), 'float32')
    """
    images = _validate_images(images)
    batch_size = _validate_batch_size(batch_size)

    dataset = tf.data.Dataset.from_tensor_slices(images)
    # Fixed parallelism and prefetch depth, because tf.data's autotuning
    # stalled `fit` for seconds at epoch ends (see `make_epoch_dataset`).
    dataset = dataset.map(_scale_to_unit_range, num_parallel_calls=os.cpu_count() or 1)
    if cache:
        dataset = dataset.cache()

    # Shuffle before repeat so that every epoch is a full permutation.
    if shuffle:
        dataset = dataset.shuffle(
            buffer_size=len(images), seed=seed, reshuffle_each_iteration=True
        )
    if repeat:
        dataset = dataset.repeat()

    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def make_epoch_dataset(
    images,
    batch_size=64,
    *,
    seed=0,
    initial_epoch=0,
    shuffle=True,
    drop_remainder=False,
):
    """Make an endless `tf.data.Dataset` of epochs, each shuffled by `(seed, epoch)` alone.

    Epoch `e` (0-based) is the permutation of all images that
    `tf.random.experimental.stateless_shuffle` draws from the seed
    `(seed, e)`, or the original order when `shuffle` is False. It is cut
    into batches of `batch_size` with a smaller last batch, unless
    `drop_remainder` drops that batch. A dataset that starts at
    `initial_epoch` therefore yields, from there on, the same batches as one
    that starts at epoch 0, which lets a resumed run train on the batches of
    an uninterrupted one. Batches never span two epochs, so pass
    `steps_per_epoch=epoch_steps(len(images), batch_size, drop_remainder)`
    and `initial_epoch` to `fit`. Because the dataset never ends, `fit` keeps
    one iterator for all its epochs. Keras reads `steps_per_execution`
    batches per call, so with `compile(steps_per_execution=k)` the epochs
    stay aligned only when `k` divides the number of steps per epoch.

    Unlike `make_dataset`, the images stay uint8 in memory and each batch is
    gathered and scaled to [-1, 1] when it is read. The dataset's
    `tf.data.Options` turn autotuning off, which also covers transformations
    added on top unless they set their own options.

    Args:
        images: uint8 numpy array `(N, height, width, channels)` with values
            in [0, 255], `N >= 1` and 1 or 3 channels.
        batch_size: int, default 64. Number of images per batch.
        seed: int, default 0. Shuffle seed, any value that fits in int64.
        initial_epoch: int, default 0. 0-based epoch of the first batch.
        shuffle: bool, default True. If False, every epoch keeps the order
            of `images` and `seed` has no effect.
        drop_remainder: bool, default False. If True, each epoch drops its
            last batch when that batch has fewer than `batch_size` images.

    Returns:
        An infinite `tf.data.Dataset` of float32 tensors of shape
        `(batch, height, width, channels)` with values in [-1, 1].

    Raises:
        ValueError: If `images` or `batch_size` is invalid as in
            `make_dataset`, if `seed` or `initial_epoch` is not an int or
            `initial_epoch` is negative, or if `drop_remainder` is True and
            `images` has fewer than `batch_size` images, which would leave
            every epoch empty.

    Examples:
        >>> import numpy as np
        >>> from keras_logogan.datasets import epoch_steps, make_epoch_dataset
        >>> images = np.arange(5, dtype=np.uint8).reshape(5, 1, 1, 1)
        >>> def pixels(dataset, count):
        ...     return [np.rint((batch.numpy().ravel() + 1) * 127.5).astype(int).tolist()
        ...             for batch in dataset.take(count)]
        >>> epoch_steps(len(images), batch_size=2)
        3
        >>> from_start = pixels(make_epoch_dataset(images, 2, seed=7), 6)
        >>> from_start[3:] == pixels(make_epoch_dataset(images, 2, seed=7, initial_epoch=1), 3)
        True
        >>> pixels(make_epoch_dataset(images, 2, shuffle=False, drop_remainder=True), 4)
        [[0, 1], [2, 3], [0, 1], [2, 3]]
    """
    images = _validate_images(images)
    batch_size = _validate_batch_size(batch_size)
    seed = _validate_int("seed", seed)
    initial_epoch = _validate_int("initial_epoch", initial_epoch)
    if initial_epoch < 0:
        raise ValueError(f"Invalid initial_epoch: {initial_epoch}. Expected 0 or more.")
    num_images = len(images)
    if drop_remainder and num_images < batch_size:
        raise ValueError(
            f"With drop_remainder=True, the {num_images} images make no full batch "
            f"of batch_size={batch_size}, so every epoch would be empty. Pass a "
            f"batch_size of at most {num_images}, or drop_remainder=False."
        )

    image_tensor = tf.constant(images)
    shuffle_seed = tf.constant(seed, dtype=tf.int64)

    def epoch_index_batches(epoch):
        order = tf.range(num_images, dtype=tf.int64)
        if shuffle:
            # Philox is named explicitly because "auto_select" may pick another
            # algorithm on another device, and so another order.
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([shuffle_seed, epoch]), alg="philox"
            )
        return tf.data.Dataset.from_tensor_slices(order).batch(
            batch_size, drop_remainder=drop_remainder
        )

    def gather_batch(indices):
        return _scale_to_unit_range(tf.gather(image_tensor, indices))

    dataset = tf.data.Dataset.counter(start=initial_epoch).flat_map(epoch_index_batches)
    # A batch costs one gather and one cast, so a fixed prefetch of 2 batches
    # keeps up without autotuning. With autotuning on, freeing the iterator
    # at the end of `fit` blocked for about 8 s (TensorFlow 2.21, 2-core CPU).
    dataset = dataset.map(gather_batch).prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def epoch_steps(num_images, batch_size, drop_remainder=False):
    """Return the number of batches in each epoch of `make_epoch_dataset`.

    The count rounds up, or down when `drop_remainder` drops the last,
    partial batch. Pass it to `fit(steps_per_epoch=...)`, because the
    dataset repeats without end.

    Examples:
        >>> from keras_logogan.datasets import epoch_steps
        >>> epoch_steps(1000, 256), epoch_steps(1000, 256, drop_remainder=True)
        (4, 3)
    """
    if drop_remainder:
        return num_images // batch_size
    return -(-num_images // batch_size)


def _scale_to_unit_range(image):
    """Map a uint8 image tensor in [0, 255] to float32 in [-1, 1]."""
    return tf.cast(image, tf.float32) / 127.5 - 1.0


def _validate_images(images):
    """Return `images` as a numpy array, or raise ValueError if it is not valid."""
    images = np.asarray(images)

    if images.ndim != 4:
        raise ValueError(
            "Expected images of shape (N, height, width, channels). "
            f"Received: shape={images.shape}. Add a batch axis with "
            "`images[None]` for one image, or a channel axis with "
            "`images[..., None]` for grayscale images of shape (N, height, width)."
        )
    if images.dtype != np.uint8:
        raise ValueError(
            "Expected uint8 images with values in [0, 255]. "
            f"Received: dtype={images.dtype}. Pass uint8 0-255 images, or convert "
            'float images in [0, 1] with `(x * 255).astype("uint8")`.'
        )
    if images.shape[-1] not in (1, 3):
        raise ValueError(
            "Expected 1 (grayscale) or 3 (RGB) channels on the last axis. "
            f"Received: shape={images.shape}. Put channels last, and drop an "
            "alpha channel with `images[..., :3]`."
        )
    if len(images) == 0:
        raise ValueError(
            f"Expected at least one image. Received: shape={images.shape}. "
            "Check the slice or filter that produced the array."
        )
    return images


def _validate_int(name, value):
    """Return `value` as an int, or raise ValueError if it is not an integer."""
    if isinstance(value, bool):
        raise ValueError(f"Invalid {name}: {value!r}. Expected an integer.")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"Invalid {name}: {value!r}. Expected an integer.") from None


def _validate_batch_size(batch_size):
    """Return `batch_size` as an int, or raise ValueError if it is not positive."""
    error = ValueError(
        f"Invalid batch_size: {batch_size!r}. Expected a positive integer."
    )
    if isinstance(batch_size, bool):
        raise error
    try:
        size = operator.index(batch_size)
    except TypeError:
        raise error from None
    if size < 1:
        raise error
    return size
