"""`SampleGridSaver`: render a fixed bank of latents to a PNG grid during training."""

import importlib.util
import os

import keras
import numpy as np

from keras_logogan.atomic_files import atomic_path
from keras_logogan.images import make_grid
from keras_logogan.images import save_grid


class SampleGridSaver(keras.callbacks.Callback):
    """Save a grid of generated logos every `every_epochs` epochs.

    The same latents are used at every save, drawn once from `seed`, so the
    grids show how the same logos evolve. They are saved beside the grids as
    `latents.npy`, so a resumed run can render the same bank. Each PNG is
    written atomically.

    Args:
        output_dir: str. Folder for `epoch_0001.png`, ... and `latents.npy`.
        num_images: int, default 64.
        seed: int, default 0. Seed of the latent bank.
        every_epochs: int, default 1.
        scale: int, default 2. Nearest-neighbour upscaling of the grid.
        filename: str, default "epoch_{epoch:04d}.png". Formatted with the
            1-based epoch number.
        tensorboard_dir: optional str. When set, each grid is also written
            there as a TensorBoard image summary named "samples", at the
            1-based epoch as its step. It uses `tf.summary`, so it works on
            every Keras backend, and needs the `tensorboard` package
            (`pip install "keras-logogan[tensorboard]"`).

    Examples:
        >>> import tempfile
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.callbacks import SampleGridSaver
        >>> gan = LogoGAN(image_size=16, width=8)
        >>> gan.compile()
        >>> folder = tempfile.mkdtemp()
        >>> images = np.zeros((16, 16, 16, 3), np.uint8)
        >>> _ = gan.fit(images, epochs=1, verbose=0,
        ...             callbacks=[SampleGridSaver(folder, num_images=4)])
        >>> sorted(os.listdir(folder))
        ['epoch_0001.png', 'latents.npy']
    """

    def __init__(
        self,
        output_dir,
        num_images=64,
        seed=0,
        every_epochs=1,
        scale=2,
        filename="epoch_{epoch:04d}.png",
        tensorboard_dir=None,
    ):
        super().__init__()
        if every_epochs < 1:
            raise ValueError(f"`every_epochs` must be >= 1. Received: every_epochs={every_epochs}")
        if num_images < 1:
            raise ValueError(f"`num_images` must be >= 1. Received: num_images={num_images}")
        self.output_dir = os.fspath(output_dir)
        self.num_images = num_images
        self.seed = seed
        self.every_epochs = every_epochs
        self.scale = scale
        self.filename = filename
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        if self.tensorboard_dir is not None and importlib.util.find_spec("tensorboard") is None:
            raise ImportError(
                "`tensorboard_dir` needs the tensorboard package, which is not "
                'installed. Install it with `pip install "keras-logogan[tensorboard]"`, '
                "or pass tensorboard_dir=None."
            )
        self._summary_writer = None
        self.latents = None
        self.saved_paths = []

    def on_train_begin(self, logs=None):
        os.makedirs(self.output_dir, exist_ok=True)
        self.saved_paths = []
        self.latents = self._load_or_draw_latents()

    def _load_or_draw_latents(self):
        path = os.path.join(self.output_dir, "latents.npy")
        if os.path.exists(path):
            latents = np.load(path, allow_pickle=False)
            if latents.shape == (self.num_images, self.model.latent_dim):
                return latents
        latents = self.model.sample_latents(self.num_images, self.seed)
        with atomic_path(path, suffix=".npy") as temporary:
            np.save(temporary, latents, allow_pickle=False)
        return latents

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs:
            return
        images = self.model.generate(latents=self.latents)
        path = os.path.join(self.output_dir, self.filename.format(epoch=epoch + 1))
        self.saved_paths.append(save_grid(images, path, scale=self.scale))
        if self.tensorboard_dir is not None:
            self._write_summary(images, epoch + 1)

    def _write_summary(self, images, step):
        import tensorflow as tf

        if self._summary_writer is None:
            self._summary_writer = tf.summary.create_file_writer(self.tensorboard_dir)
        grid = make_grid(images)
        with self._summary_writer.as_default():
            tf.summary.image("samples", grid[np.newaxis], step=step)
        self._summary_writer.flush()

    def on_train_end(self, logs=None):
        if self._summary_writer is not None:
            self._summary_writer.close()
            self._summary_writer = None
