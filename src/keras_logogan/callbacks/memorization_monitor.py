"""`MemorizationMonitor`: detect a generator that reproduces its training images."""

import keras
import numpy as np

from keras_logogan.callbacks import _checks
from keras_logogan.callbacks._inference import predict
from keras_logogan.callbacks.nearest_neighbors import DEFAULT_CHUNK_SIZE
from keras_logogan.callbacks.nearest_neighbors import nearest_neighbors
from keras_logogan.callbacks.nearest_neighbors import to_unit_vectors
from keras_logogan.log import logger

# A generated image is an exact copy when no pixel differs from its nearest
# training image by more than one uint8 level (pixels in [0, 1]).
EXACT_COPY_TOLERANCE = 1.0 / 255.0


class MemorizationMonitor(keras.callbacks.Callback):
    """Compare generated images' distances to the training set with those of held-out images.

    A generator that generalises draws images about as far from the training
    set as real images it never saw. One that memorises draws images much
    closer. At each check the generator renders fixed latents in inference
    mode, and each image's nearest training image is found by L2 distance
    with pixels in [0, 1], in chunks to bound memory. The callback adds to
    the epoch logs, and so to `history.history`:

    - `near_copy_share`: share of generated images closer to the training set
      than the `near_copy_percentile`-th percentile (default 5th) of the
      held-out images' nearest-neighbour distances, plus exact copies. Held-out
      images score the percentile itself (0.05) by construction.
    - `exact_copy_rate`: share of generated images within one uint8 level,
      in every pixel, of their nearest training image.
    - `nearest_distance_ratio`: median generated nearest-neighbour distance
      divided by the median held-out one. Below 1 means closer to the
      training images than new real images are.

    This is the nearest-neighbour memorisation test as used for GANs; the
    C_T test of Meehan et al. (2020, "A Non-Parametric Test to Detect
    Data-Copying in Generative Models") is its statistical version.

    When `near_copy_share` reaches `near_copy_share_threshold`, the callback
    logs one warning per `fit()` call through the "keras_logogan" logger and,
    if `stop_training`, stops training.

    Args:
        train_images: uint8 array `(N, H, W, C)` of the training images, or
            float in [-1, 1]. Every image is searched, so pass the whole
            training set.
        held_out_images: array like `train_images` of real images that the
            GAN does not train on. Genuine duplicates of training images
            among them lower the near-copy distance, so deduplicate first
            when you can.
        num_images: int, default 256. Generated images per check.
        seed: int, default 0. Seed of the latents.
        every_epochs: int, default 1. Check every this many epochs.
        near_copy_percentile: float, default 5. Percentile of held-out
            distances below which a generated image is a near copy.
        near_copy_share_threshold: float, default 0.25. Five times the share
            that held-out real images score, so a generator has to be much
            closer to the training set than new real images before the
            warning. Blurry early generators score 0.
        stop_training: bool, default False. Stop `fit()` when the threshold
            is reached.
        chunk_size: int, default 256. Generated images compared with the
            training set at once. Memory is about `chunk_size * len(train_images)`
            float32 values.

    Attributes:
        near_copy_distance: the distance threshold, set when training begins.
        memorized_epoch: 1-based epoch at which the threshold was first
            reached, or None.

    Examples:
        >>> from keras_logogan import LogoGAN
        >>> from keras_logogan.callbacks import MemorizationMonitor
        >>> from keras_logogan.datasets import load_icons
        >>> images = load_icons(16)
        >>> gan = LogoGAN(image_size=16, width=8)
        >>> gan.compile()
        >>> monitor = MemorizationMonitor(images[:64], images[-64:], num_images=64)
        >>> history = gan.fit(images[:64], epochs=1, verbose=0, callbacks=[monitor])
        >>> history.history["near_copy_share"]
        [0.0]
    """

    def __init__(
        self,
        train_images,
        held_out_images,
        num_images=256,
        seed=0,
        every_epochs=1,
        near_copy_percentile=5.0,
        near_copy_share_threshold=0.25,
        stop_training=False,
        chunk_size=DEFAULT_CHUNK_SIZE,
    ):
        super().__init__()
        self.train_images = _checks.check_images("train_images", train_images)
        self.held_out_images = _checks.check_images("held_out_images", held_out_images)
        if self.train_images.shape[1:] != self.held_out_images.shape[1:]:
            raise ValueError(
                "`train_images` and `held_out_images` must have the same image shape. "
                f"Received: {self.train_images.shape[1:]} and {self.held_out_images.shape[1:]}."
            )
        _checks.check_positive_int("num_images", num_images)
        _checks.check_positive_int("every_epochs", every_epochs)
        _checks.check_positive_int("chunk_size", chunk_size)
        _checks.check_fraction("near_copy_share_threshold", near_copy_share_threshold)
        if not isinstance(near_copy_percentile, (int, float)) or not 0 < near_copy_percentile < 100:
            raise ValueError(
                "`near_copy_percentile` must be a number in (0, 100). "
                f"Received: near_copy_percentile={near_copy_percentile!r}"
            )
        self.num_images = num_images
        self.seed = seed
        self.every_epochs = every_epochs
        self.near_copy_percentile = near_copy_percentile
        self.near_copy_share_threshold = near_copy_share_threshold
        self.stop_training = stop_training
        self.chunk_size = chunk_size
        self.near_copy_distance = None
        self.memorized_epoch = None
        self._train_vectors = None
        self._held_out_median = None
        self._latents = None

    def on_train_begin(self, logs=None):
        model = self.model
        _checks.check_images_fit_model("train_images", self.train_images, model)
        self.memorized_epoch = None
        self._train_vectors = to_unit_vectors(self.train_images)
        held_out_distances, _ = nearest_neighbors(
            to_unit_vectors(self.held_out_images), self._train_vectors, self.chunk_size
        )
        self.near_copy_distance = float(
            np.percentile(held_out_distances, self.near_copy_percentile)
        )
        self._held_out_median = float(np.median(held_out_distances))
        self._latents = model.sample_latents(self.num_images, self.seed)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_epochs:
            return
        model = self.model
        measurements = self.measure(model)
        if logs is not None:
            logs.update(measurements)
        if measurements["near_copy_share"] < self.near_copy_share_threshold:
            return
        if self.memorized_epoch is not None:
            return

        self.memorized_epoch = epoch + 1
        if self.stop_training:
            model.stop_training = True
        logger.warning(
            "Epoch %d: the generator reproduces training images: %.1f%% of %d "
            "samples are closer to a training image than %.0f%% of held-out "
            "real images are (near_copy_share %.3f >= %.3f, distance %.4f), "
            "and %.1f%% are exact copies. %s. Try more training images, "
            "augmentation, or an earlier checkpoint.",
            epoch + 1,
            100.0 * measurements["near_copy_share"],
            len(self._latents),
            self.near_copy_percentile,
            measurements["near_copy_share"],
            self.near_copy_share_threshold,
            self.near_copy_distance,
            100.0 * measurements["exact_copy_rate"],
            "Stopping training" if self.stop_training else "Training continues",
        )

    def measure(self, model):
        """Return this check's `near_copy_share`, `exact_copy_rate` and `nearest_distance_ratio`."""
        generated = to_unit_vectors(predict(model.generator, self._latents))
        distances, indices = nearest_neighbors(generated, self._train_vectors, self.chunk_size)
        differences = np.abs(generated - self._train_vectors[indices])
        exact = np.max(differences, axis=1) <= EXACT_COPY_TOLERANCE + 1e-6
        near = (distances < self.near_copy_distance) | exact
        return {
            "near_copy_share": float(np.mean(near)),
            "exact_copy_rate": float(np.mean(exact)),
            "nearest_distance_ratio": float(np.median(distances))
            / max(self._held_out_median, 1e-12),
        }
