"""Tests of `keras_logogan.augmentation` on the active Keras backend, with numpy references."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_logogan import augmentation
from keras_logogan.augmentation import DiffAugment

BACKEND = keras.backend.backend()
SIZE = 32


@pytest.fixture(scope="module")
def real_images():
    """The first 64 shipped logos at 32 px as float32 in [-1, 1]."""
    from keras_logogan.datasets import load_icons

    return load_icons(image_size=SIZE)[:64].astype("float32") / 127.5 - 1.0


def pattern_images(batch_size, size=SIZE, channels=3):
    """Return float32 images whose pixels all differ, none equal to 0, 1 or -1."""
    count = batch_size * size * size * channels
    values = np.linspace(-0.95, 0.95, count, dtype="float32").reshape(
        batch_size, size, size, channels
    )
    assert not np.any(values == 0.0)
    return values


def to_numpy(draws):
    return {name: ops.convert_to_numpy(value) for name, value in draws.items()}


def draw_numpy(augment, batch_size, seed=0, size=SIZE):
    return to_numpy(augment.draw(batch_size, size, seed=keras.random.SeedGenerator(seed)))


def apply_numpy(augment, images, draws, probability=1.0, compile_jax=True):
    """Run `augment.apply` on numpy inputs, jitted on JAX unless `compile_jax` is False.

    Op-by-op dispatch under JAX compiles every new op and shape, which made
    this file run more than twice as long as with one compiled function.
    """
    tensors = {name: ops.convert_to_tensor(value) for name, value in draws.items()}
    apply = augment.apply
    if BACKEND == "jax" and compile_jax:
        import jax

        apply = jax.jit(augment.apply)
    return ops.convert_to_numpy(apply(ops.convert_to_tensor(images), tensors, probability))


def gradient_wrt_images(loss_fn, images):
    """Return d loss_fn(images) / d images as numpy, with the backend's own autodiff."""
    images = np.asarray(images, dtype="float32")
    if BACKEND == "tensorflow":
        import tensorflow as tf

        inputs = tf.constant(images)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = loss_fn(inputs)
        return tape.gradient(loss, inputs).numpy()
    if BACKEND == "jax":
        import jax

        return np.asarray(jax.grad(loss_fn)(jax.numpy.asarray(images)))
    if BACKEND == "torch":
        import torch

        inputs = torch.tensor(images, requires_grad=True)
        loss_fn(inputs).backward()
        return inputs.grad.detach().cpu().numpy()
    raise NotImplementedError(f"No gradient helper for backend {BACKEND!r}")


def translate_reference(images, shift_y, shift_x, fill_value):
    """Shift each image by slicing: output row y is input row y - shift_y."""
    output = np.full_like(images, fill_value)
    height, width = images.shape[1:3]
    for i, (dy, dx) in enumerate(zip(shift_y, shift_x)):
        output[i, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = images[
            i, max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
        ]
    return output


def cutout_mask_reference(batch_size, top, left, size, image_size=SIZE):
    mask = np.zeros((batch_size, image_size, image_size), dtype=bool)
    for i, (y0, x0) in enumerate(zip(top, left)):
        mask[i, max(y0, 0) : max(y0 + size, 0), max(x0, 0) : max(x0 + size, 0)] = True
    return mask


def color_reference(images, brightness, saturation, contrast):
    x = images.astype("float64") + brightness[:, None, None, None]
    pixel_mean = x.mean(axis=-1, keepdims=True)
    x = (x - pixel_mean) * saturation[:, None, None, None] + pixel_mean
    image_mean = x.mean(axis=(1, 2, 3), keepdims=True)
    return (x - image_mean) * contrast[:, None, None, None] + image_mean


ALL_TRANSFORMS = dict(translation=0.125, cutout=0.5, color=True, flip=True)
COLOR_TRANSFORMS = ("brightness", "saturation", "contrast")


# Probability and identity.


def test_probability_zero_is_identity(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = draw_numpy(augment, len(real_images))
    output = apply_numpy(augment, real_images, draws, probability=0.0)
    np.testing.assert_array_equal(output, real_images)


def test_probability_zero_tensor_is_identity(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = draw_numpy(augment, len(real_images))
    strength = keras.Variable(0.0, trainable=False)
    # A Variable cannot be an argument of `jax.jit`, so this runs eagerly.
    output = apply_numpy(augment, real_images, draws, probability=strength, compile_jax=False)
    np.testing.assert_array_equal(output, real_images)


def test_disabled_transforms_draw_nothing(real_images):
    augment = DiffAugment(translation=None, cutout=0)
    assert augment.draw(4, SIZE, seed=0) == {}
    output = apply_numpy(augment, real_images, {})
    np.testing.assert_array_equal(output, real_images)


def test_probability_one_changes_every_sample(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = draw_numpy(augment, len(real_images))
    output = apply_numpy(augment, real_images, draws, probability=1.0)
    changed = np.any(output != real_images, axis=(1, 2, 3))
    assert changed.all()


@pytest.mark.parametrize("transform", ["flip", "translation", "cutout", *COLOR_TRANSFORMS])
def test_per_sample_probability_fraction(transform):
    if transform in COLOR_TRANSFORMS:
        augment = DiffAugment(translation=0, cutout=0, color=True)
    else:
        augment = DiffAugment(
            translation=0.125 if transform == "translation" else 0,
            cutout=0.5 if transform == "cutout" else 0,
            flip=transform == "flip",
        )
    batch_size = 4000
    probability = 0.3
    images = np.repeat(pattern_images(1, size=8), batch_size, axis=0)
    draws = draw_numpy(augment, batch_size, seed=5, size=8)
    # Gates at 1 never pass `gate < probability`, which isolates one colour transform.
    for other in COLOR_TRANSFORMS:
        if transform in COLOR_TRANSFORMS and other != transform:
            draws[f"{other}_gate"] = np.ones(batch_size, dtype="float32")
    output = apply_numpy(augment, images, draws, probability=probability)

    changed = np.any(output != images, axis=(1, 2, 3))
    selected = draws[f"{transform}_gate"] < probability
    # Standard deviation of the fraction is about 0.007 at this batch size.
    assert abs(selected.mean() - probability) < 0.03
    if transform == "translation":
        # A drawn shift of (0, 0) leaves a selected sample unchanged.
        no_shift = (draws["translation_y"] == 0) & (draws["translation_x"] == 0)
        np.testing.assert_array_equal(changed, selected & ~no_shift)
    else:
        np.testing.assert_array_equal(changed, selected)


def test_color_probability_per_part():
    augment = DiffAugment(translation=0, cutout=0, color=True)
    batch_size = 4000
    probability = 0.3
    images = np.repeat(pattern_images(1, size=8), batch_size, axis=0)
    draws = draw_numpy(augment, batch_size, seed=6, size=8)
    output = apply_numpy(augment, images, draws, probability=probability)
    changed = np.any(output != images, axis=(1, 2, 3))
    # Brightness, saturation and contrast each pass their own gate.
    expected_fraction = 1.0 - (1.0 - probability) ** 3
    assert abs(changed.mean() - expected_fraction) < 0.03


def test_probability_out_of_range_raises(real_images):
    augment = DiffAugment()
    draws = augment.draw(len(real_images), SIZE, seed=0)
    with pytest.raises(ValueError, match="probability"):
        augment.apply(real_images, draws, probability=1.5)


def test_missing_draws_raise(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = DiffAugment(cutout=0).draw(len(real_images), SIZE, seed=0)
    with pytest.raises(ValueError, match="cutout_gate"):
        augment.apply(real_images, draws)


# Translation.


def test_translation_shift_range():
    augment = DiffAugment(translation=0.125, cutout=0)
    draws = draw_numpy(augment, 2000)
    max_shift = 4  # 0.125 * 32
    for name in ("translation_y", "translation_x"):
        assert draws[name].dtype == np.int32
        assert set(np.unique(draws[name])) == set(range(-max_shift, max_shift + 1))


@pytest.mark.parametrize("fill_value", [1.0, 0.0, -1.0])
def test_translation_matches_numpy(real_images, fill_value):
    augment = DiffAugment(translation=0.125, cutout=0, fill_value=fill_value)
    draws = draw_numpy(augment, len(real_images), seed=3)
    output = apply_numpy(augment, real_images, draws)
    expected = translate_reference(
        real_images, draws["translation_y"], draws["translation_x"], fill_value
    )
    np.testing.assert_array_equal(output, expected)


def test_translation_moves_single_pixel():
    augment = DiffAugment(translation=0.125, cutout=0, fill_value=1.0)
    images = -np.ones((16, SIZE, SIZE, 3), dtype="float32")
    images[:, 10, 20, :] = 0.5
    draws = draw_numpy(augment, 16, seed=7)
    output = apply_numpy(augment, images, draws)

    for i in range(16):
        dy = draws["translation_y"][i]
        dx = draws["translation_x"][i]
        assert output[i, 10 + dy, 20 + dx, 0] == 0.5
        assert np.sum(output[i] == 0.5) == 3
        # Exactly the rows and columns vacated by the shift hold the fill value.
        filled = np.all(output[i] == 1.0, axis=-1)
        assert filled.sum() == SIZE * SIZE - (SIZE - abs(dy)) * (SIZE - abs(dx))


def test_translation_default_fill_is_white():
    assert DiffAugment().fill_value == 1.0


def test_non_square_images():
    augment = DiffAugment(translation=0.25, cutout=0.5)
    images = pattern_images(32, size=16)[:, :, :8, :]
    draws = draw_numpy(augment, 32, size=(16, 8))
    assert draws["translation_y"].min() >= -4
    assert draws["translation_y"].max() <= 4
    assert draws["translation_x"].min() >= -2
    assert draws["translation_x"].max() <= 2
    output = apply_numpy(augment, images, draws)
    assert output.shape == images.shape


# Cutout.


def test_cutout_zeroes_exactly_drawn_square(real_images):
    augment = DiffAugment(translation=0, cutout=0.5)
    images = np.concatenate([real_images, pattern_images(64)])
    draws = draw_numpy(augment, len(images), seed=11)
    output = apply_numpy(augment, images, draws)

    mask = cutout_mask_reference(len(images), draws["cutout_top"], draws["cutout_left"], 16)
    np.testing.assert_array_equal(output[mask], 0.0)
    np.testing.assert_array_equal(output[~mask], images[~mask])
    # The inputs contain no exact zeros, so the zeros are the square and nothing else.
    np.testing.assert_array_equal(np.all(output == 0.0, axis=-1), mask)


def test_cutout_position_range():
    augment = DiffAugment(translation=0, cutout=0.5)
    draws = draw_numpy(augment, 2000)
    # A 16 px square centred on rows 0 to 32 starts on rows -8 to 24.
    for name in ("cutout_top", "cutout_left"):
        assert draws[name].dtype == np.int32
        assert set(np.unique(draws[name])) == set(range(-8, 25))


def test_cutout_covers_at_least_quarter_square():
    augment = DiffAugment(translation=0, cutout=0.5)
    images = pattern_images(1)
    images = np.repeat(images, 500, axis=0)
    output = apply_numpy(augment, images, draw_numpy(augment, 500))
    zeroed = np.all(output == 0.0, axis=-1).sum(axis=(1, 2))
    assert zeroed.min() >= 8 * 8
    assert zeroed.max() == 16 * 16


# Colour and flip.


def test_color_matches_numpy(real_images):
    augment = DiffAugment(translation=0, cutout=0, color=True)
    draws = draw_numpy(augment, len(real_images), seed=2)
    output = apply_numpy(augment, real_images, draws)
    expected = color_reference(
        real_images, draws["brightness"], draws["saturation"], draws["contrast"]
    )
    np.testing.assert_allclose(output, expected, atol=1e-5)


def test_color_parameter_ranges():
    augment = DiffAugment(translation=0, cutout=0, color=True)
    draws = draw_numpy(augment, 2000)
    assert draws["brightness"].min() >= -0.5
    assert draws["brightness"].max() < 0.5
    assert draws["saturation"].min() >= 0.0
    assert draws["saturation"].max() < 2.0
    assert draws["contrast"].min() >= 0.5
    assert draws["contrast"].max() < 1.5


def draw_one_color_transform(transform, batch_size, seed):
    """Return colour draws in which only `transform` passes its gate."""
    augment = DiffAugment(translation=0, cutout=0, color=True)
    draws = draw_numpy(augment, batch_size, seed=seed)
    # Gates at 1 never pass `gate < probability`, which switches the other two off.
    for other in COLOR_TRANSFORMS:
        if other != transform:
            draws[f"{other}_gate"] = np.ones(batch_size, dtype="float32")
    return augment, draws


def test_color_output_finite(real_images):
    augment = DiffAugment(translation=0, cutout=0, color=True)
    output = apply_numpy(augment, real_images, draw_numpy(augment, len(real_images), seed=4))
    assert np.all(np.isfinite(output))


def test_brightness_only_shifts_pixels(real_images):
    augment, draws = draw_one_color_transform("brightness", len(real_images), seed=9)
    output = apply_numpy(augment, real_images, draws)
    expected = real_images + draws["brightness"][:, None, None, None]
    np.testing.assert_allclose(output, expected, atol=1e-6)
    assert output.min() >= -1.5
    assert output.max() <= 1.5


def test_saturation_keeps_pixel_mean(real_images):
    augment, draws = draw_one_color_transform("saturation", len(real_images), seed=9)
    output = apply_numpy(augment, real_images, draws)
    np.testing.assert_allclose(output.mean(axis=-1), real_images.mean(axis=-1), atol=1e-5)
    # With channels in [-1, 1], a pixel is at most 4/3 from its channel mean,
    # and the factor is below 2.
    assert np.abs(output).max() < 1.0 + 2.0 * 4.0 / 3.0


def test_contrast_keeps_image_mean(real_images):
    augment, draws = draw_one_color_transform("contrast", len(real_images), seed=9)
    output = apply_numpy(augment, real_images, draws)
    np.testing.assert_allclose(
        output.mean(axis=(1, 2, 3)), real_images.mean(axis=(1, 2, 3)), atol=1e-5
    )
    # A pixel is at most 2 from the image mean, and the factor is below 1.5.
    assert np.abs(output).max() < 1.0 + 1.5 * 2.0


def test_flip_reverses_columns(real_images):
    augment = DiffAugment(translation=0, cutout=0, flip=True)
    draws = draw_numpy(augment, len(real_images))
    output = apply_numpy(augment, real_images, draws)
    np.testing.assert_array_equal(output, real_images[:, :, ::-1, :])


# Gradients and compilation.


def test_gradient_nonzero_and_finite(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = augment.draw(len(real_images), SIZE, seed=keras.random.SeedGenerator(1))
    weights = np.random.default_rng(0).normal(size=real_images.shape).astype("float32")
    weight_tensor = ops.convert_to_tensor(weights)

    def loss_fn(images):
        return ops.sum(augment.apply(images, draws, probability=0.7) * weight_tensor)

    gradient = gradient_wrt_images(loss_fn, real_images)
    assert np.all(np.isfinite(gradient))
    assert np.any(gradient != 0.0)
    # Every sample gets some gradient, since cutout never hides a whole image.
    assert np.all(np.any(gradient != 0.0, axis=(1, 2, 3)))


def test_translation_gradient_matches_numpy(real_images):
    augment = DiffAugment(translation=0.125, cutout=0)
    draws = augment.draw(len(real_images), SIZE, seed=keras.random.SeedGenerator(6))
    weights = np.random.default_rng(1).normal(size=real_images.shape).astype("float32")
    weight_tensor = ops.convert_to_tensor(weights)

    def loss_fn(images):
        return ops.sum(augment.apply(images, draws) * weight_tensor)

    gradient = gradient_wrt_images(loss_fn, real_images)
    # Input pixel (y, x) lands on output pixel (y + dy, x + dx), so its
    # gradient is the weight there, or 0 if that pixel falls off the image.
    draws = to_numpy(draws)
    expected = translate_reference(weights, -draws["translation_y"], -draws["translation_x"], 0.0)
    np.testing.assert_allclose(gradient, expected, rtol=1e-6)


def test_probability_zero_gradient_is_identity(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = augment.draw(len(real_images), SIZE, seed=keras.random.SeedGenerator(1))
    weights = np.random.default_rng(2).normal(size=real_images.shape).astype("float32")
    weight_tensor = ops.convert_to_tensor(weights)

    def loss_fn(images):
        return ops.sum(augment.apply(images, draws, probability=0.0) * weight_tensor)

    np.testing.assert_array_equal(gradient_wrt_images(loss_fn, real_images), weights)


@pytest.mark.skipif(BACKEND != "jax", reason="jax.jit runs only on the JAX backend")
def test_apply_under_jax_jit(real_images):
    import jax

    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = augment.draw(len(real_images), SIZE, seed=keras.random.SeedGenerator(1))
    jitted = jax.jit(augment.apply)
    for probability in (0.0, 0.5, 1.0):
        compiled = np.asarray(jitted(real_images, draws, probability))
        eager = apply_numpy(augment, real_images, to_numpy(draws), probability, compile_jax=False)
        np.testing.assert_allclose(compiled, eager, atol=1e-6)


@pytest.mark.skipif(BACKEND != "jax", reason="jax.jit runs only on the JAX backend")
def test_draw_in_stateless_scope_under_jax_jit(real_images):
    import jax

    augment = DiffAugment(**ALL_TRANSFORMS)
    seed_generator = keras.random.SeedGenerator(8)

    # The training steps draw this way: the seed state goes in as a value,
    # and its advanced value comes out.
    @jax.jit
    def augment_step(seed_state, images, probability):
        with keras.StatelessScope(state_mapping=[(seed_generator.state, seed_state)]) as scope:
            draws = augment.draw(images.shape[0], SIZE, seed=seed_generator)
        new_state = scope.get_current_value(seed_generator.state)
        return augment.apply(images, draws, probability), new_state

    state = seed_generator.state.value
    first, state_after_first = augment_step(state, real_images, 1.0)
    again, _ = augment_step(state, real_images, 1.0)
    second, _ = augment_step(state_after_first, real_images, 1.0)
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    assert np.any(np.asarray(first) != np.asarray(second))


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.function runs only on TensorFlow")
def test_apply_inside_tf_function(real_images):
    import tensorflow as tf

    augment = DiffAugment(**ALL_TRANSFORMS)
    draws = augment.draw(len(real_images), SIZE, seed=keras.random.SeedGenerator(1))
    # An unknown batch size checks that `apply` needs only height, width and channels.
    signature = tf.TensorSpec((None, SIZE, SIZE, 3), tf.float32)

    @tf.function(input_signature=[signature], reduce_retracing=True)
    def augment_graph(images):
        return augment.apply(images, draws, probability=tf.constant(0.5))

    compiled = augment_graph(tf.constant(real_images)).numpy()
    eager = apply_numpy(augment, real_images, to_numpy(draws), 0.5)
    np.testing.assert_allclose(compiled, eager, atol=1e-6)


def test_dtype_and_shape_preserved(real_images):
    augment = DiffAugment(**ALL_TRANSFORMS)
    images = ops.convert_to_tensor(real_images)
    output = augment.apply(images, augment.draw(len(real_images), SIZE, seed=0))
    assert tuple(output.shape) == real_images.shape
    assert keras.backend.standardize_dtype(output.dtype) == "float32"


# Seeds and configuration.


def test_same_seed_same_draws():
    augment = DiffAugment(**ALL_TRANSFORMS)
    first = draw_numpy(augment, 32, seed=42)
    second = draw_numpy(augment, 32, seed=42)
    other = draw_numpy(augment, 32, seed=43)
    assert sorted(first) == sorted(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    assert any(np.any(first[name] != other[name]) for name in first)


def test_seed_generator_advances():
    augment = DiffAugment(**ALL_TRANSFORMS)
    seed_generator = keras.random.SeedGenerator(42)
    first = to_numpy(augment.draw(32, SIZE, seed=seed_generator))
    second = to_numpy(augment.draw(32, SIZE, seed=seed_generator))
    assert np.any(first["translation_gate"] != second["translation_gate"])


def test_get_config_round_trip():
    augment = DiffAugment(translation=0.25, cutout=None, color=True, flip=True, fill_value=-1.0)
    config = augment.get_config()
    assert config == {
        "translation": 0.25,
        "cutout": 0.0,
        "color": True,
        "flip": True,
        "fill_value": -1.0,
    }
    assert DiffAugment.from_config(config).get_config() == config

    serialized = keras.saving.serialize_keras_object(augment)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(restored, DiffAugment)
    assert restored.get_config() == config


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(translation=1.0), "translation"),
        (dict(translation=-0.1), "translation"),
        (dict(cutout=1.5), "cutout"),
        (dict(cutout="half"), "cutout"),
        (dict(color="yes"), "color"),
        (dict(flip=1), "flip"),
        (dict(fill_value=None), "fill_value"),
    ],
)
def test_invalid_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DiffAugment(**kwargs)


# augmentation.get


def test_get_none():
    assert augmentation.get(None) is None
    assert augmentation.get("none") is None
    assert augmentation.get(" None ") is None


def test_get_policy_strings():
    augment = augmentation.get("translation,cutout")
    assert augment.get_config() == DiffAugment().get_config()

    augment = augmentation.get("translation, cutout, color")
    assert (augment.translation, augment.cutout, augment.color, augment.flip) == (
        0.125,
        0.5,
        True,
        False,
    )

    augment = augmentation.get("color")
    assert (augment.translation, augment.cutout, augment.color) == (0.0, 0.0, True)

    augment = augmentation.get("flip,translation")
    assert (augment.translation, augment.cutout, augment.flip) == (0.125, 0.0, True)


def test_get_instance_and_dicts():
    augment = DiffAugment(translation=0.25)
    assert augmentation.get(augment) is augment
    assert augmentation.get(augment.get_config()).get_config() == augment.get_config()
    serialized = keras.saving.serialize_keras_object(augment)
    assert augmentation.get(serialized).get_config() == augment.get_config()


@pytest.mark.parametrize(
    "identifier, match",
    [
        ("translation,rotate", "rotate"),
        ("", "translation"),
        ("none,color", "none"),
        (42, "Invalid augmentation"),
        ({"translation": 0.1, "strength": 2}, "strength"),
        ({"class_name": "Rotate", "module": "keras_logogan.augmentation", "config": {}}, "Rotate"),
    ],
)
def test_get_invalid_raises(identifier, match):
    with pytest.raises(ValueError, match=match):
        augmentation.get(identifier)


def test_get_other_serialized_class_raises():
    from keras_logogan.losses import HingeLoss

    serialized = keras.saving.serialize_keras_object(HingeLoss())
    with pytest.raises(ValueError, match="HingeLoss"):
        augmentation.get(serialized)


def test_get_error_names_valid_choices():
    with pytest.raises(ValueError) as error:
        augmentation.get("rotate")
    for name in augmentation.POLICY_NAMES:
        assert name in str(error.value)
    assert "'none'" in str(error.value)
