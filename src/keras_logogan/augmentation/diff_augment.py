"""Differentiable augmentation (DiffAugment) with a per-sample application probability.

DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
GAN Training", arXiv:2006.10738) applies the same kind of random,
differentiable transforms to real and generated images before the
discriminator sees them. The generator learns through the transforms, so they
must pass gradients. Adaptive discriminator augmentation (ADA, Karras et al.
2020, arXiv:2006.06676) applies each transform to each sample only with a
probability `p` and tunes `p` during training. `DiffAugment.apply` takes that
probability.
"""

import numbers

import keras
from keras import ops

from keras_logogan.augmentation import transforms

_PACKAGE = "keras_logogan"

# Colour parameter ranges of DiffAugment's reference code, which works on
# images in [-1, 1] like this package, so they need no rescaling. For images
# in [0, 1] the brightness range would halve to (-0.25, 0.25).
BRIGHTNESS_RANGE = (-0.5, 0.5)
SATURATION_RANGE = (0.0, 2.0)
CONTRAST_RANGE = (0.5, 1.5)


def _side_lengths(image_size):
    """Return `(height, width)` from an int side or a `(height, width)` pair."""
    if isinstance(image_size, numbers.Integral):
        return int(image_size), int(image_size)
    height, width = image_size
    return int(height), int(width)


def _scaled_pixels(fraction, side):
    """Return `fraction * side` rounded half up to whole pixels, as DiffAugment does."""
    return int(side * fraction + 0.5)


def _uniform_integers(uniform, low, count):
    """Map uniform numbers in [0, 1) to int32 integers in `[low, low + count - 1]`."""
    index = ops.floor(uniform * count)
    # `uniform * count` can round up to `count` in float32 for `uniform` just below 1.
    index = ops.minimum(index, count - 1)
    return ops.cast(index, "int32") + low


def _scale_uniform(uniform, value_range):
    low, high = value_range
    return low + uniform * (high - low)


def _check_fraction(name, value, upper, upper_included):
    """Return `value` as a float, with 0 for None, or raise a ValueError if out of range."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a number or None. Received: {name}={value!r}")
    value = float(value)
    in_range = 0.0 <= value <= upper if upper_included else 0.0 <= value < upper
    if not in_range:
        interval = f"[0, {upper:g}]" if upper_included else f"[0, {upper:g})"
        raise ValueError(
            f"`{name}` must be in {interval}, with 0 or None to disable it. "
            f"Received: {name}={value!r}"
        )
    return value


@keras.saving.register_keras_serializable(package=_PACKAGE)
class DiffAugment:
    """Random differentiable augmentation of image batches in [-1, 1].

    The work is split in two so that a training step can draw every random
    number up front and then run pure functions. `draw` makes all random
    numbers for one batch from a seed, and `apply` transforms the images with
    them using only `keras.ops`. `apply` is deterministic, keeps static
    shapes, has no Python branches on tensor values and passes gradients to
    the images, so it runs under `jax.jit`, inside `tf.function` and with
    torch autograd.

    `apply` runs the enabled transforms in this order:

    1. `flip`: mirror the image left to right.
    2. `translation`: shift by whole pixels, independently in y and x, by up
       to `translation * side` pixels (rounded half up), filling the vacated
       pixels with `fill_value`.
    3. `color`: add a brightness offset in [-0.5, 0.5), scale the saturation
       by a factor in [0, 2), then scale the contrast by a factor in
       [0.5, 1.5). These are DiffAugment's ranges for images in [-1, 1].
    4. `cutout`: set a square of `cutout * side` pixels (rounded half up) to 0,
       centred at a uniformly random position, so it may reach past the
       border.

    Translation comes before colour, unlike in DiffAugment's default policy,
    so that the fill pixels get the same colour change as the white
    background around them and do not stand out.

    With `probability` below 1, every transform (brightness, saturation and
    contrast count as three) is applied to every sample independently with
    that probability, as in ADA. Samples that a transform skips keep their
    values exactly (a -0.0 may come back as 0.0), so `probability=0` returns
    the input unchanged.

    Translation fill: DiffAugment pads with zeros, which is mid-gray in
    [-1, 1]. Logos in this package sit on a white background, so the default
    `fill_value=1.0` (white) makes a shifted logo look like a real logo that
    is slightly off centre, instead of adding gray bars that no real image
    has. NOTE: a white border hides how far an image was shifted, which a
    gray bar shows, so the discriminator sees less of where logos sit. At
    high `probability` this may let generated logos drift off centre
    (augmentation leaking, as described for ADA). Pass `fill_value=0.0` for
    DiffAugment's gray fill if that happens.

    NOTE: colour changes are not clipped, as in DiffAugment, so the outputs
    can leave [-1, 1]. Brightness alone gives [-1.5, 1.5], and saturation and
    contrast can widen that further.

    Args:
        translation: float in [0, 1), default 0.125 (DiffAugment's 1/8).
            Maximum shift as a fraction of the image side. 0 or None disables
            translation.
        cutout: float in [0, 1], default 0.5. Side of the cutout square as a
            fraction of the image side. 0 or None disables cutout.
        color: bool, default False. Random brightness, saturation and
            contrast. Off by default because a logo's colours identify it.
        flip: bool, default False. Random horizontal flip. Off by default
            because many logos contain text.
        fill_value: float, default 1.0 (white). Value of the pixels that a
            translation vacates.

    Examples:
        >>> import keras
        >>> augment = DiffAugment(translation=0.125, cutout=0.5)
        >>> images = keras.random.uniform((8, 32, 32, 3), -1.0, 1.0, seed=0)
        >>> draws = augment.draw(8, 32, seed=keras.random.SeedGenerator(1))
        >>> sorted(draws)
        ['cutout_gate', 'cutout_left', 'cutout_top', 'translation_gate', 'translation_x', 'translation_y']
        >>> tuple(augment.apply(images, draws).shape)
        (8, 32, 32, 3)
        >>> unchanged = augment.apply(images, draws, probability=0.0)
        >>> bool(keras.ops.all(unchanged == images))
        True
    """

    def __init__(self, translation=0.125, cutout=0.5, color=False, flip=False, fill_value=1.0):
        self.translation = _check_fraction("translation", translation, 1.0, upper_included=False)
        self.cutout = _check_fraction("cutout", cutout, 1.0, upper_included=True)
        for name, value in (("color", color), ("flip", flip)):
            if not isinstance(value, bool):
                raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.color = color
        self.flip = flip
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise ValueError(f"`fill_value` must be a number. Received: fill_value={fill_value!r}")
        self.fill_value = float(fill_value)

    def _draw_names(self):
        """Return the keys of `draw`'s dict, in the order of the uniform columns."""
        names = []
        if self.flip:
            names += ["flip_gate"]
        if self.translation > 0:
            names += ["translation_gate", "translation_y", "translation_x"]
        if self.color:
            names += [
                "brightness_gate",
                "brightness",
                "saturation_gate",
                "saturation",
                "contrast_gate",
                "contrast",
            ]
        if self.cutout > 0:
            names += ["cutout_gate", "cutout_top", "cutout_left"]
        return names

    def draw(self, batch_size, image_size, seed):
        """Draw the random parameters of one batch.

        All numbers come from a single `keras.random.uniform` call of shape
        `(batch_size, number_of_parameters)`. So `seed` may be anything that
        `keras.random` accepts: a `keras.random.SeedGenerator`, which advances
        once (inside a `keras.StatelessScope` under JAX), an int, or a seed
        tensor.

        Args:
            batch_size: int, number of images. A scalar tensor also works on
                TensorFlow, but JAX needs a static int.
            image_size: int side of square images, or a `(height, width)`
                pair. It must match the images later passed to `apply`.
            seed: a `keras.random.SeedGenerator`, an int or a seed tensor.

        Returns:
            A dict of tensors of shape `(batch_size,)`, with keys only for the
            enabled transforms:

            - `<transform>_gate`: float32 uniform in [0, 1). `apply` runs the
              transform on a sample when its gate is below `probability`.
              Transforms are `flip`, `translation`, `brightness`,
              `saturation`, `contrast` and `cutout`.
            - `translation_y`, `translation_x`: int32 shifts in pixels, down
              and right, from `-max_shift` to `max_shift`.
            - `brightness`: float32 offset, `saturation` and `contrast`:
              float32 factors, in the ranges listed in the class docstring.
            - `cutout_top`, `cutout_left`: int32 first row and column of the
              cutout square. They may be negative, or place the square partly
              below or right of the image.
        """
        names = self._draw_names()
        if not names:
            return {}
        height, width = _side_lengths(image_size)
        uniform = keras.random.uniform((batch_size, len(names)), seed=seed, dtype="float32")
        columns = dict(zip(names, ops.unstack(uniform, num=len(names), axis=1)))

        draws = {name: columns[name] for name in names if name.endswith("_gate")}
        if self.translation > 0:
            max_shift_y = _scaled_pixels(self.translation, height)
            max_shift_x = _scaled_pixels(self.translation, width)
            draws["translation_y"] = _uniform_integers(
                columns["translation_y"], -max_shift_y, 2 * max_shift_y + 1
            )
            draws["translation_x"] = _uniform_integers(
                columns["translation_x"], -max_shift_x, 2 * max_shift_x + 1
            )
        if self.color:
            draws["brightness"] = _scale_uniform(columns["brightness"], BRIGHTNESS_RANGE)
            draws["saturation"] = _scale_uniform(columns["saturation"], SATURATION_RANGE)
            draws["contrast"] = _scale_uniform(columns["contrast"], CONTRAST_RANGE)
        if self.cutout > 0:
            size_y = _scaled_pixels(self.cutout, height)
            size_x = _scaled_pixels(self.cutout, width)
            # The square's centre is uniform over the rows 0 to height - 1,
            # plus one more row for even sizes, so that the square reaches
            # equally far past the top and the bottom border.
            draws["cutout_top"] = _uniform_integers(
                columns["cutout_top"], -(size_y // 2), height + 1 - size_y % 2
            )
            draws["cutout_left"] = _uniform_integers(
                columns["cutout_left"], -(size_x // 2), width + 1 - size_x % 2
            )
        return draws

    def apply(self, images, draws, probability=1.0):
        """Augment a batch with parameters from `draw`.

        Args:
            images: float tensor `(batch, height, width, channels)` in
                [-1, 1], where `batch`, `height` and `width` match the
                `draw` call.
            draws: dict returned by `draw` for this object.
            probability: float in [0, 1] or a scalar float tensor, default 1.
                Chance that each transform is applied to each sample. 1 is
                plain DiffAugment and 0 returns `images` unchanged. A tensor,
                such as ADA's strength held in a variable, is not range
                checked.

        Returns:
            The augmented images, with the shape and dtype of `images`.

        Raises:
            ValueError: if `draws` lacks a key that this object needs, or if
                a Python `probability` is outside [0, 1].
        """
        missing = [name for name in self._draw_names() if name not in draws]
        if missing:
            raise ValueError(
                f"`draws` is missing the keys {missing}. Pass the dict that "
                "`draw` of this same DiffAugment returned."
            )
        if isinstance(probability, numbers.Real) and not 0.0 <= probability <= 1.0:
            raise ValueError(
                f"`probability` must be in [0, 1]. Received: probability={probability!r}"
            )
        if not isinstance(probability, numbers.Real):
            probability = ops.cast(probability, "float32")

        def applies(transform):
            return ops.less(draws[f"{transform}_gate"], probability)

        if self.flip or self.translation > 0:
            images = self._flip_and_translate(images, draws, applies)
        if self.color:
            images = transforms.select_per_sample(
                applies("brightness"),
                transforms.adjust_brightness(images, draws["brightness"]),
                images,
            )
            images = transforms.select_per_sample(
                applies("saturation"),
                transforms.adjust_saturation(images, draws["saturation"]),
                images,
            )
            images = transforms.select_per_sample(
                applies("contrast"),
                transforms.adjust_contrast(images, draws["contrast"]),
                images,
            )
        if self.cutout > 0:
            _, height, width, _ = ops.shape(images)
            # The gate goes into the cutout mask, so skipped samples cost no
            # extra pass over the images.
            size_y = _scaled_pixels(self.cutout, height)
            size_x = _scaled_pixels(self.cutout, width)
            images = transforms.cutout(
                images,
                draws["cutout_top"],
                draws["cutout_left"],
                size_y,
                size_x,
                enabled=applies("cutout"),
            )
        return images

    def _flip_and_translate(self, images, draws, applies):
        """Run flip and translation as one gather, gating them through their parameters."""
        flip = applies("flip") if self.flip else None
        if self.translation > 0:
            # A sample that skips translation is shifted by 0 pixels.
            selected = applies("translation")
            no_shift = ops.zeros_like(draws["translation_y"])
            shift_y = ops.where(selected, draws["translation_y"], no_shift)
            shift_x = ops.where(selected, draws["translation_x"], no_shift)
        else:
            shift_y = shift_x = ops.zeros_like(draws["flip_gate"], dtype="int32")
        return transforms.flip_and_translate(images, flip, shift_y, shift_x, self.fill_value)

    def get_config(self):
        return {
            "translation": self.translation,
            "cutout": self.cutout,
            "color": self.color,
            "flip": self.flip,
            "fill_value": self.fill_value,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"DiffAugment({settings})"
