"""`TrainingCheckpoint`: save the full training state at each epoch end, atomically.

`logogan train` uses this callback, not `keras.callbacks.BackupAndRestore`,
although BackupAndRestore restores a `LogoGAN` on TensorFlow, JAX and PyTorch
(checked with Keras 3.15.1: the weights, BatchNorm statistics and both Adam
optimizers' state come back, and training continues at the right epoch).
Its saving does not fit a run folder that may be killed at any moment:

- It writes `latest.weights.h5` in place and then `training_metadata.json`.
  A kill during the first write leaves a truncated weights file, and a kill
  between the two writes pairs new weights with the old epoch number, so one
  epoch is trained twice.
- It saves at every epoch end, also after a NaN loss, so the last finite
  weights are overwritten, and it deletes its folder when `fit()` returns,
  also when a callback stopped training early.
- It saves through `save_weights`, which in Keras 3.15.1 leaves out the
  state of `keras.random.SeedGenerator`s. `LogoGAN` adds its latent seed's
  state itself; this callback also keeps those of any other layer, such as
  dropout.

This callback writes a new weights file per epoch and then a small JSON file
that names it, each through a temporary file and a rename. The JSON file is
the commit point, so a kill at any moment leaves the previous complete
checkpoint. It skips epochs whose weights, optimizer state or losses are not
finite, and stores the seed generator states in the JSON file.

The run's `metrics.csv` is kept consistent by `logogan train --resume`,
which drops the rows of epochs after the checkpoint before training again.
"""

import dataclasses
import datetime
import json
import math
import os
import shutil

import keras
import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.log import logger

CHECKPOINT_FILE = "checkpoint.json"
WEIGHTS_SUFFIX = ".weights.h5"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint folder whose files are missing, invalid or do not fit the model."""


@dataclasses.dataclass(frozen=True)
class CheckpointInfo:
    """A saved checkpoint.

    Attributes:
        epoch: number of completed epochs whose state it contains; 0 for the
            state before training.
        weights_path: absolute path of its `.weights.h5` file.
        seed_states: list of `(variable path, list of ints)` pairs, one per
            `keras.random.SeedGenerator` state of the model.
        saved_at: UTC time of the save, ISO 8601.
    """

    epoch: int
    weights_path: str
    seed_states: list
    saved_at: str


def save_checkpoint(model, folder, epoch):
    """Save `model`'s weights, optimizer state and seed states as the checkpoint of `epoch`.

    The weights file `epoch_NNNN.weights.h5` is written first, then
    `checkpoint.json`, which names it; older weights files are deleted last.

    Returns:
        The `CheckpointInfo` of the new checkpoint.
    """
    folder = os.path.abspath(os.fspath(folder))
    os.makedirs(folder, exist_ok=True)
    weights_name = f"epoch_{epoch:04d}{WEIGHTS_SUFFIX}"
    weights_path = os.path.join(folder, weights_name)
    with atomic_path(weights_path, suffix=WEIGHTS_SUFFIX) as temporary:
        model.save_weights(temporary, overwrite=True)

    saved_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    seed_states = [
        (variable.path, np.asarray(keras.ops.convert_to_numpy(variable)).tolist())
        for variable in _seed_generator_states(model)
    ]
    record = {
        "format_version": FORMAT_VERSION,
        "epoch": epoch,
        "weights": weights_name,
        "seed_generator_states": [{"path": path, "value": value} for path, value in seed_states],
        "saved_at": saved_at,
    }
    with atomic_path(os.path.join(folder, CHECKPOINT_FILE)) as temporary:
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(record, stream, indent=2)
            stream.write("\n")

    for name in os.listdir(folder):
        if name.endswith(WEIGHTS_SUFFIX) and not name.startswith(".") and name != weights_name:
            os.remove(os.path.join(folder, name))
    return CheckpointInfo(epoch, weights_path, seed_states, saved_at)


def read_checkpoint(folder):
    """Return the `CheckpointInfo` in `folder`, or None when it contains no checkpoint.

    Raises:
        CheckpointError: if `checkpoint.json` is invalid or its weights file
            is missing.
    """
    folder = os.path.abspath(os.fspath(folder))
    record_path = os.path.join(folder, CHECKPOINT_FILE)
    if not os.path.isfile(record_path):
        return None
    try:
        with open(record_path, encoding="utf-8") as stream:
            record = json.load(stream)
        epoch = record["epoch"]
        weights_name = record["weights"]
        seed_states = [(item["path"], item["value"]) for item in record["seed_generator_states"]]
        saved_at = record.get("saved_at", "")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{record_path!r} could not be read: {error}") from error
    if record.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{record_path!r} has format_version {record.get('format_version')!r}, but this "
            f"version of keras-logogan reads version {FORMAT_VERSION}. Resume the run "
            "with the keras-logogan version that started it."
        )
    if not isinstance(epoch, int) or epoch < 0:
        raise CheckpointError(f"{record_path!r} has an invalid epoch: {epoch!r}.")

    weights_path = os.path.join(folder, os.path.basename(weights_name))
    if not os.path.isfile(weights_path):
        raise CheckpointError(
            f"{record_path!r} names the weights file {weights_name!r}, which was not found."
        )
    return CheckpointInfo(epoch, weights_path, seed_states, saved_at)


def load_checkpoint(model, folder):
    """Load the checkpoint in `folder` into the compiled `model`, and return its `CheckpointInfo`.

    The optimizer must be built, as `compile` does for `LogoGAN`, or Keras
    skips its variables. The optimizers' learning rates are part of their
    state, so they come back as saved; assign new ones after loading.

    Returns:
        The `CheckpointInfo`, or None when `folder` contains no checkpoint.

    Raises:
        CheckpointError: if the checkpoint is invalid or does not fit `model`.
    """
    info = read_checkpoint(folder)
    if info is None:
        return None
    try:
        model.load_weights(info.weights_path)
    except (OSError, ValueError) as error:
        raise CheckpointError(
            f"{info.weights_path!r} could not be loaded into the model: {error}"
        ) from error
    restore_seed_states(model, info.seed_states)
    return info


def restore_seed_states(model, seed_states):
    """Assign saved `(path, value)` seed generator states to `model`'s, matched by path.

    A state missing on either side is logged as a warning and skipped, so
    its training latents start from its seed again.
    """
    saved = dict(seed_states)
    for variable in _seed_generator_states(model):
        if variable.path not in saved:
            logger.warning(
                "The checkpoint has no state for seed generator %r; it starts from its seed.",
                variable.path,
            )
            continue
        variable.assign(np.asarray(saved.pop(variable.path), dtype=variable.dtype))
    for path in saved:
        logger.warning("The checkpoint's seed generator state %r matches no variable; skipped.", path)


def delete_checkpoint(folder):
    """Delete the checkpoint folder, `checkpoint.json` first, so a kill midway leaves no half checkpoint."""
    folder = os.fspath(folder)
    record_path = os.path.join(folder, CHECKPOINT_FILE)
    if os.path.exists(record_path):
        os.remove(record_path)
    shutil.rmtree(folder, ignore_errors=True)


def first_non_finite_variable(model):
    """Return the path of the first float variable of `model` or its optimizer that contains NaN or inf, or None."""
    variables = list(model.variables)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    for variable in variables:
        if not keras.backend.is_float_dtype(variable.dtype):
            continue
        if not np.all(np.isfinite(keras.ops.convert_to_numpy(variable))):
            return variable.path
    return None


def _seed_generator_states(model):
    # `Layer.variables` lists the weights plus the `SeedGenerator` states,
    # and `Layer.weights` only the weights, so the difference is the seed
    # states, including those of Dropout layers in the networks.
    weight_ids = {id(variable) for variable in model.weights}
    return [variable for variable in model.variables if id(variable) not in weight_ids]


class TrainingCheckpoint(keras.callbacks.Callback):
    """Save a resumable checkpoint of the model into `folder` at each epoch end.

    A checkpoint contains everything `save_weights` saves (weights, BatchNorm
    statistics, other non-trainable variables, and the state of the
    compiled optimizer, which for `LogoGAN` contains both networks' Adam
    state) plus the `keras.random.SeedGenerator` states. The files are
    `epoch_NNNN.weights.h5` and `checkpoint.json`, which records the epoch
    count; see the module docstring for why each write is atomic. Load one
    with `load_checkpoint(model, folder)` and continue with
    `fit(..., initial_epoch=info.epoch)`.

    An epoch whose logged losses, weights or optimizer variables are not
    finite is not saved: the previous checkpoint stays, and a warning names
    the first bad value.

    For plain Python training, `keras.callbacks.BackupAndRestore` is the
    Keras-native route and works with `LogoGAN` on all three backends. It
    restores the weights, both optimizers and `LogoGAN`'s latent seed state
    when `fit()` starts again with the same callback folder. It loses the
    state of other layers' seed generators, such as dropout, and an
    interrupted save can leave a corrupt backup (see the module docstring).

    Args:
        folder: str or path-like. Folder of the checkpoint, created if
            missing. Use it for nothing else, because saving deletes the
            older weights files in it.

    Attributes:
        last_saved_epoch: epoch count of the last checkpoint this callback
            saved, or None.
        skipped_epoch: 1-based epoch whose state was not saved because it
            was not finite, or None.

    Examples:
        Example of `keras.callbacks.BackupAndRestore`, interrupted after the
        first epoch and run again:

        >>> import tempfile
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.datasets import load_icons
        >>> images = load_icons(16)[:32]
        >>> backup = keras.callbacks.BackupAndRestore(tempfile.mkdtemp())
        >>> class Interrupt(keras.callbacks.Callback):
        ...     def on_epoch_begin(self, epoch, logs=None):
        ...         if epoch == 1:
        ...             raise RuntimeError("interrupted")
        >>> gan = LogoGAN(image_size=16, width=8, seed=0)
        >>> gan.compile()
        >>> try:
        ...     _ = gan.fit(images, batch_size=16, epochs=3, verbose=0,
        ...                 callbacks=[backup, Interrupt()])
        ... except RuntimeError:
        ...     pass
        >>> gan = LogoGAN(image_size=16, width=8, seed=0)  # e.g. in a new process
        >>> gan.compile()
        >>> history = gan.fit(images, batch_size=16, epochs=3, verbose=0, callbacks=[backup])
        >>> len(history.history["d_loss"])  # epochs 2 and 3
        2
        >>> int(keras.ops.convert_to_numpy(gan.generator_optimizer.iterations))
        6

        Example of this callback:

        >>> folder = tempfile.mkdtemp()
        >>> gan = LogoGAN(image_size=16, width=8, seed=0)
        >>> gan.compile()
        >>> _ = gan.fit(images, batch_size=16, epochs=2, verbose=0,
        ...             callbacks=[TrainingCheckpoint(folder)])
        >>> resumed = LogoGAN(image_size=16, width=8, seed=0)
        >>> resumed.compile()
        >>> load_checkpoint(resumed, folder).epoch
        2
        >>> int(keras.ops.convert_to_numpy(resumed.discriminator_optimizer.iterations))
        4
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = os.path.abspath(os.fspath(folder))
        self.last_saved_epoch = None
        self.skipped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        problem = _non_finite_loss(logs) or _describe_variable(first_non_finite_variable(self.model))
        if problem is not None:
            self.skipped_epoch = epoch + 1
            previous = read_checkpoint(self.folder)
            logger.warning(
                "Not saving the checkpoint of epoch %d because %s is not finite. %s",
                epoch + 1,
                problem,
                f"The checkpoint of epoch {previous.epoch} in {self.folder} is kept."
                if previous is not None
                else f"{self.folder} contains no earlier checkpoint.",
            )
            return
        save_checkpoint(self.model, self.folder, epoch + 1)
        self.last_saved_epoch = epoch + 1


def _non_finite_loss(logs):
    for key, value in (logs or {}).items():
        if not key.endswith("loss"):
            continue
        number = float(np.asarray(keras.ops.convert_to_numpy(value)))
        if not math.isfinite(number):
            return f"the logged {key}"
    return None


def _describe_variable(path):
    return None if path is None else f"variable {path!r}"
