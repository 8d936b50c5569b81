"""Data-parallel training of `LogoGAN` on several devices of one machine.

`data_parallel()` returns a context manager. Build, compile and fit the GAN
inside it, and each global batch is split evenly across the devices:

- On JAX it sets a `keras.distribution.DataParallel` distribution. The
  variables are replicated on every device, the batch is sharded along its
  first axis, and XLA inserts the cross-device reductions. So the step
  computes what one device computes on the whole batch.
- On TensorFlow it enters a `tf.distribute.MirroredStrategy` scope. Keras
  runs the training step once per replica on that replica's share of the
  batch. `LogoGAN`'s TensorFlow step then scales the losses, draws the
  noise, normalises the batches and averages the metrics over the global
  batch (see `keras_logogan.models.tensorflow_replicas`).
- PyTorch has no such support in Keras 3.15, and `data_parallel()` raises
  there. LogoGAN trains on one device with the torch backend.

`fit(batch_size=...)` stays the global batch size, so going from one device
to N devices with the same `batch_size` trains on the same batches with the
same learning rate. To keep each device as busy as before, multiply the
batch size by N. Whether to raise the learning rate with it is a tuning
question for GANs, not a rule.

See `data_parallel` for an example, and docs/multi-device.md for multi-GPU
and multi-host recipes.
"""

import keras

from keras_logogan.log import logger

DATA_PARALLEL_BACKENDS = ("jax", "tensorflow")


class DataParallelScope:
    """A context manager in which `LogoGAN` trains data-parallel; made by `data_parallel()`.

    Attributes:
        backend: str, the Keras backend, "jax" or "tensorflow".
        devices: list of str, the devices the global batch is split across.
        num_replicas: int, the number of those devices.
        distribution: the backend's object: a `keras.distribution.DataParallel`
            on JAX, a `tf.distribute.MirroredStrategy` on TensorFlow.
    """

    def __init__(self, backend, devices, distribution):
        self.backend = backend
        self.devices = list(devices)
        self.num_replicas = len(self.devices)
        self.distribution = distribution
        self._scope = None

    def __enter__(self):
        if self._scope is not None:
            raise RuntimeError(
                "This data-parallel scope is already entered. Call "
                "`keras_logogan.data_parallel()` again for a second scope."
            )
        self._scope = self.distribution.scope()
        self._scope.__enter__()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        scope, self._scope = self._scope, None
        return scope.__exit__(exc_type, exc_value, traceback)

    def __repr__(self):
        return f"DataParallelScope(backend={self.backend!r}, devices={self.devices!r})"


def data_parallel(devices=None):
    """Return a context manager that trains `LogoGAN` data-parallel across `devices`.

    Create, compile and fit the model inside the `with` block, so that its
    variables are replicated on every device. Each global batch must split
    evenly across the devices: `fit` raises a `ValueError` for a
    `batch_size` that is not a multiple of the device count.

    Args:
        devices: optional list of device names such as `["gpu:0", "gpu:1"]`.
            Default: every GPU or TPU of this machine, or every CPU device
            when it has none (JAX lists each CPU device that
            `XLA_FLAGS=--xla_force_host_platform_device_count=N` makes, and
            TensorFlow each logical CPU device).

    Returns:
        A `DataParallelScope`. Its `num_replicas` is the device count.

    Raises:
        RuntimeError: on the torch backend, or any backend other than JAX
            and TensorFlow.
        ValueError: for an empty `devices` list.

    Examples:
        >>> import keras
        >>> import keras_logogan
        >>> from keras_logogan.datasets import load_icons
        >>> if keras.config.backend() != "torch":  # torch trains on one device
        ...     with keras_logogan.data_parallel() as scope:
        ...         gan = keras_logogan.LogoGAN(image_size=16, width=8, seed=0)
        ...         gan.compile()
        ...         history = gan.fit(
        ...             load_icons(16)[:32], batch_size=8 * scope.num_replicas, epochs=1, verbose=0
        ...         )
    """
    backend = keras.config.backend()
    if backend not in DATA_PARALLEL_BACKENDS:
        raise RuntimeError(
            f"Data-parallel training needs the jax or tensorflow backend. "
            f"Received: KERAS_BACKEND={backend!r}. Keras 3 has no multi-device "
            "training for PyTorch, so LogoGAN trains on one device there. Set "
            "KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow to train on several devices."
        )
    if devices is not None:
        devices = list(devices)
        if not devices:
            raise ValueError(
                "`devices` must name at least one device, or be None for all "
                "of them. Received: devices=[]"
            )

    if backend == "jax":
        distribution = _jax_data_parallel(devices)
        devices = [str(device) for device in distribution.device_mesh.devices.ravel()]
    else:
        distribution, devices = _mirrored_strategy(devices)
    scope = DataParallelScope(backend, devices, distribution)
    if scope.num_replicas == 1:
        logger.warning(
            "Data-parallel training found one device (%s), so it trains as "
            "without `data_parallel()`.",
            devices[0],
        )
    return scope


def _jax_data_parallel(devices):
    if devices is None:
        devices = keras.distribution.list_devices()
    return keras.distribution.DataParallel(devices=devices)


def _mirrored_strategy(devices):
    import tensorflow as tf

    if devices is None:
        found = (
            tf.config.list_logical_devices("GPU")
            or tf.config.list_logical_devices("TPU")
            or tf.config.list_logical_devices("CPU")
        )
        devices = [device.name for device in found]
    strategy = tf.distribute.MirroredStrategy(devices=devices)
    return strategy, list(strategy.extended.worker_devices)


def num_replicas():
    """Return the number of devices that the current setup splits each batch across.

    This is the size of the batch axis of the current
    `keras.distribution.Distribution` on JAX, the `num_replicas_in_sync` of
    the current `tf.distribute` strategy on TensorFlow, and 1 otherwise.
    """
    backend = keras.config.backend()
    if backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        mesh = distribution.device_mesh
        return int(mesh.shape[mesh.axis_names.index(distribution.batch_dim_name)])
    if backend == "tensorflow":
        import tensorflow as tf

        return int(tf.distribute.get_strategy().num_replicas_in_sync)
    return 1


def check_batch_size(batch_size, replicas=None):
    """Raise a `ValueError` unless `batch_size` splits evenly across the replicas.

    Args:
        batch_size: int, the global batch size.
        replicas: optional int; default `num_replicas()`.
    """
    replicas = num_replicas() if replicas is None else replicas
    if batch_size % replicas:
        lower = max(replicas, batch_size - batch_size % replicas)
        raise ValueError(
            f"The global batch size must be a multiple of the {replicas} devices "
            f"that data-parallel training splits it across. Received: "
            f"batch_size={batch_size}. Pass batch_size={lower} or "
            f"{lower + replicas}."
        )


def check_array_batches(num_images, batch_size, can_drop_last):
    """Check that the replicas can split every batch of an array; return whether to drop the last.

    Each epoch's last batch contains `num_images % batch_size` images. When the
    replicas cannot split it evenly, JAX cannot shard it and TensorFlow may
    leave a replica without images, which its convolutions reject.

    Args:
        num_images: int, images in the array.
        batch_size: int, the global batch size.
        can_drop_last: bool. True when the caller can drop the last batch
            (uint8 arrays, which `fit` batches itself).

    Returns:
        True when the last batch must be dropped.

    Raises:
        ValueError: for a `batch_size` the replicas cannot split, or an
            uneven last batch that cannot be dropped.
    """
    replicas = num_replicas()
    if replicas == 1:
        return False
    check_batch_size(batch_size, replicas)
    last = num_images % batch_size
    if last % replicas == 0:
        return False
    if num_images < batch_size:
        raise ValueError(
            f"The {num_images} images make one batch, which the {replicas} devices "
            f"cannot split evenly. Pass a multiple of {replicas} images, e.g. "
            f"{max(replicas, num_images - last % replicas)}."
        )
    if not can_drop_last:
        raise ValueError(
            f"With batch_size={batch_size}, the last batch of each epoch would have "
            f"{last} of the {num_images} images, which the {replicas} devices cannot "
            f"split evenly. Pass {num_images - last % replicas} images, pass uint8 "
            "images (then `fit` drops that batch), or pass a dataset batched with "
            "`drop_remainder=True`."
        )
    logger.warning(
        "The last batch of each epoch would have %d images, which the %d devices "
        "cannot split evenly, so each epoch skips it.",
        last,
        replicas,
    )
    return True


def check_dataset_batches(dataset):
    """Raise a `ValueError` when the replicas cannot split a `tf.data.Dataset`'s fixed batch size.

    Datasets without a fixed batch size pass, because their batch sizes are
    known only when they are read.
    """
    replicas = num_replicas()
    if replicas == 1:
        return
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
        return
    first_spec = tf.nest.flatten(dataset.element_spec)[0]
    batch_size = first_spec.shape[0] if first_spec.shape.rank else None
    if batch_size is not None:
        check_batch_size(batch_size, replicas)


def check_strategy_scope(gan):
    """Raise a `ValueError` when `gan` or its optimizers were made outside the current strategy.

    Variables made outside `strategy.scope()` live on one device, so the
    replicas could not update them. This check does nothing on JAX and
    PyTorch.
    """
    if keras.config.backend() != "tensorflow":
        return
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync == 1:
        return
    made_outside = []
    if getattr(gan, "_distribute_strategy", None) is not strategy:
        made_outside.append(f"LogoGAN {gan.name!r}")
    for optimizer in (gan.generator_optimizer, gan.discriminator_optimizer):
        if getattr(optimizer, "_distribution_strategy", strategy) is not strategy:
            made_outside.append(f"optimizer {optimizer.name!r}")
    if made_outside:
        raise ValueError(
            f"These were created outside the current {type(strategy).__name__} "
            f"scope: {', '.join(made_outside)}. Create the LogoGAN and its "
            "optimizers inside `with strategy.scope():` (or "
            "`with keras_logogan.data_parallel():`), then compile and fit there."
        )
