"""Batched inference-mode calls of a network, without gradient tracking."""

import contextlib

import keras
import numpy as np

DEFAULT_BATCH_SIZE = 256


def _no_grad():
    if keras.config.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


def predict(network, inputs, batch_size=DEFAULT_BATCH_SIZE):
    """Call `network` in inference mode on `inputs` in batches and return a numpy array.

    Unlike `Model.predict`, this compiles nothing, so it is cheap to call
    once per epoch from a callback on every backend.
    """
    outputs = []
    with _no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = network(inputs[start : start + batch_size], training=False)
            outputs.append(np.asarray(keras.ops.convert_to_numpy(batch), dtype=np.float32))
    return np.concatenate(outputs, axis=0)
