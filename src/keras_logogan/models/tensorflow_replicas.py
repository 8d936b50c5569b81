"""Make a TensorFlow step on N replicas compute what one step on the global batch computes.

Under a `tf.distribute` strategy such as `MirroredStrategy`, Keras runs
`train_step` once per replica on that replica's share of the global batch,
and the optimizers sum the replicas' gradients before applying them. Left
alone, that differs from one device in four ways, which these helpers fix:

- Gradients: each replica's loss is a mean over its own images, so the
  summed gradients would be N times too large. `replica_share` scales it by
  `local_size / global_size`, which is `1 / N` for an even split (as Keras'
  `scale_loss_for_distribution` does) and also right for an uneven last batch.
- Noise: every replica has the same seed state, so it would draw the same
  latents and augmentation parameters. Each replica instead draws the noise
  of the whole global batch and keeps its own rows (`local_rows`), so the
  replicas' noise together equals the noise one device would draw.
- BatchNormalization: by default each replica normalises with its own
  batch's statistics. `global_batch_norm` turns on Keras' `synchronized`
  option for the step, so the statistics are all-reduced over the global
  batch, and the moving averages stay equal on every replica.
- Metrics and the ADA signal: `global_mean` averages a per-replica mean over
  the global batch, so every replica logs and adapts to the same value.

With one replica every helper does nothing, so single-device training builds
the same graph as before.
"""

import contextlib

import keras
import tensorflow as tf


class ReplicaBatch:
    """The position of this replica's images in the global batch.

    Attributes:
        num_replicas: int, replicas in sync.
        local_size: scalar int tensor, images on this replica.
        global_size: scalar int tensor, images on all replicas.
        offset: scalar int tensor, index of this replica's first image in the
            global batch. Replica `i` gets the `i`-th contiguous slice, as
            `tf.distribute` splits a batch.
        fraction: scalar float32 tensor, `local_size / global_size`, or None
            with one replica.
    """

    def __init__(self, local_size):
        context = tf.distribute.get_replica_context()
        self.num_replicas = 1 if context is None else context.num_replicas_in_sync
        self.local_size = local_size
        self.global_size = local_size
        self.offset = 0
        self.fraction = None
        if self.num_replicas == 1:
            return

        # Each replica writes its size at its own index and the sum collects
        # all sizes, which only needs `all_reduce`. float32 counts are exact
        # below 2**24 images.
        local = tf.cast(local_size, tf.float32)
        own_index = tf.one_hot(context.replica_id_in_sync_group, self.num_replicas)
        sizes = context.all_reduce(tf.distribute.ReduceOp.SUM, own_index * local)
        preceding = tf.range(self.num_replicas) < context.replica_id_in_sync_group
        self.offset = tf.cast(tf.reduce_sum(tf.where(preceding, sizes, 0.0)), tf.int32)
        total = tf.reduce_sum(sizes)
        self.global_size = tf.cast(total, tf.int32)
        self.fraction = local / total

    @property
    def distributed(self):
        """True when the batch is split across more than one replica."""
        return self.num_replicas > 1


def replica_share(loss, batch):
    """Return this replica's share of the global mean `loss`: `loss * local_size / global_size`.

    The optimizers sum the replicas' gradients, so the sum of the shares'
    gradients is the gradient of the mean over the global batch. A replica
    without images contributes 0 instead of NaN, although TensorFlow's
    convolutions may reject its empty batch first. `LogoGAN.fit` avoids such
    batches for arrays (see `keras_logogan.distribution.check_array_batches`).
    """
    if not batch.distributed:
        return loss
    return tf.math.multiply_no_nan(loss, tf.cast(batch.fraction, loss.dtype))


def global_mean(values, batch):
    """Average per-replica means (a tensor or a dict of tensors) over the global batch.

    Each replica passes the mean over its own images, and every replica gets
    the mean over all images.
    """
    if not batch.distributed:
        return values
    context = tf.distribute.get_replica_context()
    return keras.tree.map_structure(
        lambda value: context.all_reduce(
            tf.distribute.ReduceOp.SUM,
            tf.math.multiply_no_nan(value, tf.cast(batch.fraction, value.dtype)),
        ),
        values,
    )


def global_sum(value, batch):
    """Return the sum of a per-replica tensor over all replicas."""
    if not batch.distributed:
        return value
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, value)


def local_rows(noise, batch):
    """Return this replica's rows of noise drawn for the whole global batch.

    `noise` is a tensor, or a nest of tensors and None, whose first axis has
    `batch.global_size` rows.
    """
    if not batch.distributed:
        return noise
    end = batch.offset + batch.local_size
    return keras.tree.map_structure(
        lambda value: None if value is None else value[batch.offset : end], noise
    )


@contextlib.contextmanager
def global_batch_norm(gan, batch):
    """Compute the BatchNormalization statistics of `gan`'s networks over the global batch.

    Inside the context, every BatchNormalization layer of the generator and
    the discriminator runs with `synchronized=True`, which all-reduces the
    mean and variance across replicas. The option is restored on exit, so a
    model saved under a strategy still loads on JAX and PyTorch, whose
    BatchNormalization rejects `synchronized=True`.
    """
    layers = []
    if batch.distributed:
        for network in (gan.generator, gan.discriminator):
            for layer in network._flatten_layers():
                if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
                    layers.append(layer)
    for layer in layers:
        layer.synchronized = True
    try:
        yield
    finally:
        for layer in layers:
            layer.synchronized = False
