"""Tests of the packaged logo images and the tf.data input pipeline."""

import csv
import importlib.resources
import re

import keras
import numpy as np
import pytest
from PIL import Image

from keras_logogan.datasets import load_icons
from keras_logogan.datasets import make_dataset
from keras_logogan.datasets.pipeline import epoch_steps
from keras_logogan.datasets.pipeline import make_epoch_dataset

# Licences allowed in an Apache-2.0 package, as chosen in
# scripts/build_logo_dataset.py. Kept here as an independent expectation.
ALLOWED_LICENSES = {
    "CC0-1.0",
    "Unlicense",
    "MIT",
    "ISC",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "OFL-1.1",
}
MIN_LOGO_COUNT = 5000
DATA_DIR = importlib.resources.files("keras_logogan.datasets") / "data"


@pytest.fixture(scope="module")
def icons_32():
    return load_icons(32, return_names=True)


@pytest.fixture(scope="module")
def icons_64():
    return load_icons(64, return_names=True)


@pytest.fixture(scope="module")
def manifest_rows():
    with (DATA_DIR / "icons_manifest.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def collect_batches(dataset):
    return [batch.numpy() for batch in dataset]


# load_icons


@pytest.mark.parametrize("size", [32, 64])
def test_load_icons_native_shape_dtype(size):
    images = load_icons(size)

    assert images.dtype == np.uint8
    assert images.ndim == 4
    assert images.shape[1:] == (size, size, 3)
    assert len(images) >= MIN_LOGO_COUNT


@pytest.mark.parametrize("size", [32, 64])
def test_load_icons_white_background(size):
    images = load_icons(size)

    # The build leaves a margin of size // 16 pixels, so the border is white.
    assert np.all(images[:, 0, :, :] == 255)
    assert np.all(images[:, -1, :, :] == 255)
    assert np.all(images[:, :, 0, :] == 255)
    assert np.all(images[:, :, -1, :] == 255)
    assert images.min() == 0
    assert images.mean() < 250


def test_load_icons_logos_are_coloured():
    images = load_icons(32).astype(np.int16)
    channel_spread = images.max(axis=-1) - images.min(axis=-1)
    coloured_fraction = np.mean(channel_spread.max(axis=(1, 2)) > 64)

    assert coloured_fraction > 0.5


def test_load_icons_sizes_share_order(icons_32, icons_64):
    images_32, names_32 = icons_32
    images_64, names_64 = icons_64

    assert len(images_32) == len(images_64)
    np.testing.assert_array_equal(names_32, names_64)

    # Both sizes are rendered from the same crop, so a box-downscaled 64 px
    # image is closer to the 32 px image at its own index than to its
    # neighbour's. Rounding of the logo's size can shift edges by half a
    # pixel, so the match is not exact.
    def downscale(index):
        image = Image.fromarray(images_64[index]).resize((32, 32), Image.Resampling.BOX)
        return np.asarray(image, dtype=np.int16)

    def mean_difference(image, index):
        return np.abs(image - images_32[index].astype(np.int16)).mean()

    matched = []
    for index in range(0, len(images_64) - 1, 97):
        downscaled = downscale(index)
        matched.append(mean_difference(downscaled, index))
        neighbour = mean_difference(downscaled, index + 1)
        assert matched[-1] < neighbour, f"index {index}: {names_32[index]}"
    assert np.mean(matched) < 5


def test_load_icons_names_unique(icons_32):
    _, names = icons_32

    assert names.dtype.kind == "U"
    assert len(set(names.tolist())) == len(names)
    assert "simple-icons:python" in set(names.tolist())


def test_load_icons_grayscale(icons_32):
    images, _ = icons_32
    gray = load_icons(32, grayscale=True)

    assert gray.shape == images.shape[:3] + (1,)
    assert gray.dtype == np.uint8

    # PIL's "L" mode uses the same ITU-R 601 weights with integer rounding.
    for index in range(0, len(images), 499):
        expected = np.asarray(Image.fromarray(images[index]).convert("L"))
        difference = np.abs(gray[index, ..., 0].astype(np.int16) - expected)
        assert difference.max() <= 1


def test_load_icons_resized_16(icons_32):
    images_32, names_32 = icons_32
    images, names = load_icons(16, return_names=True)

    assert images.shape == (len(images_32), 16, 16, 3)
    assert images.dtype == np.uint8
    np.testing.assert_array_equal(names, names_32)

    expected = Image.fromarray(images_32[0]).resize((16, 16), Image.Resampling.BOX)
    np.testing.assert_array_equal(images[0], np.asarray(expected))


def test_load_icons_resized_48_from_64(icons_64):
    images_64, _ = icons_64
    images = load_icons(48)

    assert images.shape == (len(images_64), 48, 48, 3)
    expected = Image.fromarray(images_64[5]).resize((48, 48), Image.Resampling.BOX)
    np.testing.assert_array_equal(images[5], np.asarray(expected))


@pytest.mark.parametrize("size", [0, 7, 129, 256, -32, 31.5, "32", None, True])
def test_load_icons_invalid_size(size):
    with pytest.raises(ValueError) as error_info:
        load_icons(size)

    message = str(error_info.value)
    assert repr(size) in message
    assert "8 to 128" in message


# make_dataset


def test_make_dataset_range_and_dtype(icons_32):
    images = icons_32[0][:100]
    batches = collect_batches(make_dataset(images, batch_size=32, seed=0))
    values = np.concatenate(batches)

    assert values.dtype == np.float32
    assert values.min() == -1.0
    assert values.max() == 1.0


def test_make_dataset_batch_shapes(icons_32):
    images = icons_32[0][:100]
    batches = collect_batches(make_dataset(images, batch_size=32, seed=0))

    assert [batch.shape for batch in batches] == [
        (32, 32, 32, 3),
        (32, 32, 32, 3),
        (32, 32, 32, 3),
        (4, 32, 32, 3),
    ]


def test_make_dataset_drop_remainder(icons_32):
    images = icons_32[0][:100]
    batches = collect_batches(make_dataset(images, batch_size=32, drop_remainder=True))

    assert [len(batch) for batch in batches] == [32, 32, 32]


def test_make_dataset_partial_batch_when_small(icons_32):
    images = icons_32[0][:5]
    batches = collect_batches(make_dataset(images, batch_size=64))

    assert len(batches) == 1
    assert batches[0].shape == (5, 32, 32, 3)


def test_make_dataset_single_image(icons_32):
    batches = collect_batches(make_dataset(icons_32[0][:1], batch_size=64))

    assert len(batches) == 1
    assert batches[0].shape == (1, 32, 32, 3)


def test_make_dataset_unshuffled_values(icons_32):
    images = icons_32[0][:10]
    batches = collect_batches(make_dataset(images, batch_size=4, shuffle=False))
    expected = images.astype(np.float32) / 127.5 - 1.0

    np.testing.assert_allclose(np.concatenate(batches), expected, atol=1e-6)


def test_make_dataset_seed_repeats_order(icons_32):
    images = icons_32[0][:200]
    first = make_dataset(images, batch_size=50, seed=7)
    second = make_dataset(images, batch_size=50, seed=7)
    other = make_dataset(images, batch_size=50, seed=8)

    first_epoch = np.concatenate(collect_batches(first))
    np.testing.assert_array_equal(first_epoch, np.concatenate(collect_batches(second)))
    assert not np.array_equal(first_epoch, np.concatenate(collect_batches(other)))

    # Each epoch is a permutation of the same images.
    expected = np.sort(images.astype(np.float32).reshape(len(images), -1) / 127.5 - 1, axis=0)
    shuffled = np.sort(first_epoch.reshape(len(images), -1), axis=0)
    np.testing.assert_allclose(shuffled, expected, atol=1e-6)


def test_make_dataset_reshuffles_each_epoch(icons_32):
    images = icons_32[0][:200]
    dataset = make_dataset(images, batch_size=200, seed=7)

    first_epoch = collect_batches(dataset)[0]
    second_epoch = collect_batches(dataset)[0]

    assert not np.array_equal(first_epoch, second_epoch)


def test_make_dataset_repeat(icons_32):
    images = icons_32[0][:10]
    dataset = make_dataset(images, batch_size=4, repeat=True, seed=0)
    batches = collect_batches(dataset.take(6))

    assert [len(batch) for batch in batches] == [4, 4, 4, 4, 4, 4]


def test_make_dataset_without_cache(icons_32):
    images = icons_32[0][:10]
    batches = collect_batches(make_dataset(images, batch_size=4, cache=False))

    assert [len(batch) for batch in batches] == [4, 4, 2]


def test_make_dataset_grayscale():
    images = load_icons(16, grayscale=True)[:8]
    batches = collect_batches(make_dataset(images, batch_size=8))

    assert batches[0].shape == (8, 16, 16, 1)


def test_make_dataset_rejects_float(icons_32):
    images = icons_32[0][:8].astype("float32") / 255.0

    with pytest.raises(ValueError) as error_info:
        make_dataset(images)

    message = str(error_info.value)
    assert "float32" in message
    assert "uint8" in message
    assert '(x * 255).astype("uint8")' in message


@pytest.mark.parametrize(
    "shape, expected_text",
    [
        ((8, 32, 32), "shape=(8, 32, 32)"),
        ((8, 32, 32, 4), "shape=(8, 32, 32, 4)"),
        ((0, 32, 32, 3), "shape=(0, 32, 32, 3)"),
    ],
)
def test_make_dataset_rejects_shape(shape, expected_text):
    with pytest.raises(ValueError, match=re.escape(expected_text)):
        make_dataset(np.zeros(shape, dtype=np.uint8))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, None])
def test_make_dataset_rejects_batch_size(icons_32, batch_size):
    with pytest.raises(ValueError, match=re.escape(repr(batch_size))):
        make_dataset(icons_32[0][:4], batch_size=batch_size)


class ReconstructionModel(keras.Model):
    """Small model whose loss compares its output with its unlabeled input."""

    def __init__(self):
        super().__init__()
        self.convolution = keras.layers.Conv2D(3, 3, padding="same", activation="tanh")

    def call(self, inputs):
        return self.convolution(inputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return keras.ops.mean(keras.ops.square(y_pred - x))


def test_make_dataset_feeds_model_fit():
    images = load_icons(16)[:40]
    dataset = make_dataset(images, batch_size=16, seed=0)
    model = ReconstructionModel()
    model.compile(optimizer="adam")

    # shuffle=False because the dataset shuffles itself, and Keras warns that
    # it ignores shuffle=True for a tf.data.Dataset.
    history = model.fit(dataset, epochs=2, shuffle=False, verbose=0)

    assert len(history.history["loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))


def test_make_dataset_repeat_feeds_model_fit():
    images = load_icons(16)[:40]
    dataset = make_dataset(images, batch_size=16, repeat=True, seed=0)
    model = ReconstructionModel()
    model.compile(optimizer="adam")

    history = model.fit(dataset, epochs=1, steps_per_epoch=5, shuffle=False, verbose=0)

    assert np.isfinite(history.history["loss"][0])


# make_epoch_dataset


def numbered_images(count):
    """Return `count` 1 px uint8 images whose value is the image's index."""
    return np.arange(count, dtype=np.uint8).reshape(count, 1, 1, 1)


def take_indices(dataset, count):
    """Return the image indices of the first `count` batches of `numbered_images`."""
    return [
        np.rint((batch.numpy().ravel() + 1.0) * 127.5).astype(int).tolist()
        for batch in dataset.take(count)
    ]


def test_make_epoch_dataset_batches_each_epoch():
    dataset = make_epoch_dataset(numbered_images(10), batch_size=4, seed=0)
    batches = take_indices(dataset, 6)

    assert [len(batch) for batch in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(sum(batches[:3], [])) == list(range(10))
    assert sorted(sum(batches[3:], [])) == list(range(10))
    assert sum(batches[:3], []) != sum(batches[3:], [])


def test_make_epoch_dataset_values(icons_32):
    images = icons_32[0][:10]
    dataset = make_epoch_dataset(images, batch_size=10, shuffle=False)
    batch = next(iter(dataset)).numpy()

    assert batch.dtype == np.float32
    np.testing.assert_allclose(batch, images.astype(np.float32) / 127.5 - 1.0, atol=1e-6)


def test_make_epoch_dataset_without_shuffle():
    dataset = make_epoch_dataset(numbered_images(5), batch_size=2, shuffle=False, initial_epoch=3)

    assert take_indices(dataset, 6) == [[0, 1], [2, 3], [4], [0, 1], [2, 3], [4]]


def test_make_epoch_dataset_seed_repeats_order():
    first = take_indices(make_epoch_dataset(numbered_images(50), batch_size=50, seed=7), 2)
    second = take_indices(make_epoch_dataset(numbered_images(50), batch_size=50, seed=7), 2)
    other = take_indices(make_epoch_dataset(numbered_images(50), batch_size=50, seed=8), 2)

    assert first == second
    assert first != other


def test_make_epoch_dataset_initial_epoch():
    from_start = take_indices(make_epoch_dataset(numbered_images(9), batch_size=3, seed=1), 9)
    resumed = make_epoch_dataset(numbered_images(9), batch_size=3, seed=1, initial_epoch=2)

    assert take_indices(resumed, 3) == from_start[6:]


def test_make_epoch_dataset_drop_remainder():
    dataset = make_epoch_dataset(numbered_images(10), batch_size=4, seed=0, drop_remainder=True)
    batches = take_indices(dataset, 4)

    assert [len(batch) for batch in batches] == [4, 4, 4, 4]
    assert len(set(sum(batches[:2], []))) == 8
    assert len(set(sum(batches[2:], []))) == 8


def test_make_epoch_dataset_turns_autotune_off():
    # With autotuning on, freeing the iterator at the end of `fit` blocked
    # TensorFlow for seconds.
    dataset = make_epoch_dataset(numbered_images(5), batch_size=2)

    assert dataset.options().autotune.enabled is False


def test_make_epoch_dataset_rejects_empty_epochs():
    with pytest.raises(ValueError, match="5 images make no full batch of batch_size=8"):
        make_epoch_dataset(numbered_images(5), batch_size=8, drop_remainder=True)


def test_make_epoch_dataset_rejects_negative_initial_epoch():
    with pytest.raises(ValueError, match="initial_epoch: -1"):
        make_epoch_dataset(numbered_images(5), batch_size=2, initial_epoch=-1)


@pytest.mark.parametrize(
    ("num_images", "batch_size", "drop_remainder", "expected"),
    [(10, 4, False, 3), (10, 4, True, 2), (8, 4, False, 2), (8, 4, True, 2), (3, 4, False, 1)],
)
def test_epoch_steps(num_images, batch_size, drop_remainder, expected):
    assert epoch_steps(num_images, batch_size, drop_remainder) == expected


# Packaged credits and manifest


def test_manifest_matches_images(icons_32, manifest_rows):
    _, names = icons_32

    assert len(manifest_rows) == len(names)
    assert [int(row["index"]) for row in manifest_rows] == list(range(len(names)))
    manifest_names = [f"{row['source']}:{row['name']}" for row in manifest_rows]
    assert manifest_names == names.tolist()


def test_manifest_licences_allowed(manifest_rows):
    licences = {row["license"] for row in manifest_rows}

    assert licences <= ALLOWED_LICENSES, licences - ALLOWED_LICENSES


def test_manifest_attribution_for_non_public_domain(manifest_rows):
    for row in manifest_rows:
        if row["license"] not in {"CC0-1.0", "Unlicense"}:
            assert row["attribution_url"].startswith("http"), row


def test_manifest_sources_pinned(manifest_rows):
    versions = {(row["source"], row["version"]) for row in manifest_rows}

    assert {source for source, _ in versions} == {
        "simple-icons",
        "@iconify-json/logos",
        "devicon",
    }
    assert len(versions) == 3


def test_credits_counts_match_images(icons_32, manifest_rows):
    credits = (DATA_DIR / "CREDITS.md").read_text()
    kept_match = re.search(r"^- kept: (\d+)$", credits, flags=re.MULTILINE)

    assert kept_match is not None
    assert int(kept_match.group(1)) == len(icons_32[0])

    for source in ("simple-icons", "@iconify-json/logos", "devicon"):
        row_count = sum(row["source"] == source for row in manifest_rows)
        table_row = re.search(
            rf"^\| {re.escape(source)} \| [^|]+ \| [^|]+ \| (\d+) \|$",
            credits,
            flags=re.MULTILINE,
        )
        assert table_row is not None, source
        assert int(table_row.group(1)) == row_count, source
