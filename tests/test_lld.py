"""`load_lld` on generated files in each LLD layout, and the restricted unpickler."""

import io
import logging
import pickle
import struct
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest
from PIL import Image

from keras_logogan.datasets.lld import load_lld
from keras_logogan.datasets.lld import lld_label_keys
from keras_logogan.datasets.safe_pickle import UnsafePickleError
from keras_logogan.datasets.safe_pickle import load_numpy_pickle


def asymmetric_icons(count, size=32):
    """Channels-last uint8 icons whose pixels all differ by row, column, channel and index."""
    rows = np.arange(size)[:, None, None]
    columns = np.arange(size)[None, :, None]
    channels = np.array([0, 1, 2])[None, None, :]
    base = (rows * 7 + columns * 2 + channels * 60) % 256
    return np.stack([(base + index) % 256 for index in range(count)]).astype(np.uint8)


def write_icon_file(path, icons, labels):
    with h5py.File(path, "w") as file:
        file["data"] = icons.transpose(0, 3, 1, 2)
        for key, values in labels.items():
            file[key] = values


# LLD-icon HDF5


def test_icon_hdf5_channels_first_not_transposed(tmp_path):
    icons = asymmetric_icons(5)
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, icons, {})

    images = load_lld(path)

    assert images.shape == (5, 32, 32, 3)
    assert images.dtype == np.uint8
    np.testing.assert_array_equal(images, icons)


def test_icon_hdf5_small_chunks_same_result(tmp_path):
    icons = asymmetric_icons(7)
    path = tmp_path / "LLD-icon-sharp.hdf5"
    write_icon_file(path, icons, {})

    np.testing.assert_array_equal(load_lld(path, chunk_size=3), icons)


def test_icon_hdf5_resized_and_grayscale(tmp_path):
    icons = np.zeros((2, 32, 32, 3), np.uint8)
    icons[:, :, :, 0] = 255
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, icons, {})

    images = load_lld(path, 16, grayscale=True)

    assert images.shape == (2, 16, 16, 1)
    assert np.all(images == 76)  # round(0.299 * 255)


def test_label_keys_discovered(tmp_path):
    path = tmp_path / "LLD-icon.hdf5"
    labels = {
        "labels/ae_grayscale": np.arange(4),
        "labels/resnet/rc_16": np.arange(4) % 2,
        "labels/resnet/rc_128": np.arange(4) + 10,
    }
    write_icon_file(path, asymmetric_icons(4), labels)

    assert lld_label_keys(path) == sorted(labels)
    _, every = load_lld(path, labels=True)
    assert sorted(every) == sorted(labels)
    for key, values in labels.items():
        np.testing.assert_array_equal(every[key], values)


@pytest.mark.parametrize("requested", ["rc_128", "resnet/rc_128", "labels/resnet/rc_128", "resnet1/rc_128"])
def test_label_key_other_spelling(tmp_path, requested):
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, asymmetric_icons(4), {"labels/resnet1/rc_128": np.array([5, 6, 7, 8])})

    images, labels = load_lld(path, labels=requested)

    assert labels.tolist() == [5, 6, 7, 8]
    assert len(images) == 4


def test_short_labels_truncate_with_warning(tmp_path, caplog):
    icons = asymmetric_icons(6)
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, icons, {"labels/resnet/rc_64": np.arange(4).reshape(4, 1)})

    with caplog.at_level(logging.WARNING, logger="keras_logogan"):
        images, labels = load_lld(path, labels="rc_64")

    assert images.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(images, icons[:4])
    assert labels.tolist() == [0, 1, 2, 3]
    assert "have 4 entries but 'data' has 6 images" in caplog.text


def test_missing_label_key_lists_keys(tmp_path):
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, asymmetric_icons(2), {"labels/ae_grayscale": np.arange(2)})

    with pytest.raises(KeyError) as raised:
        load_lld(path, labels="rc_32")

    assert "labels/ae_grayscale" in str(raised.value)
    assert "'rc_32'" in str(raised.value)


def test_ambiguous_label_key_rejected(tmp_path):
    path = tmp_path / "LLD-icon.hdf5"
    labels = {"labels/resnet/rc_32": np.arange(2), "labels/resnet1/rc_32": np.arange(2)}
    write_icon_file(path, asymmetric_icons(2), labels)

    with pytest.raises(KeyError, match="ambiguous"):
        load_lld(path, labels="rc_32")


def test_limit_reads_first_images(tmp_path):
    icons = asymmetric_icons(6)
    path = tmp_path / "LLD-icon.hdf5"
    write_icon_file(path, icons, {"labels/resnet/rc_16": np.arange(6)})

    images, labels = load_lld(path, labels="rc_16", limit=2)

    np.testing.assert_array_equal(images, icons[:2])
    assert labels.tolist() == [0, 1]


def test_hdf5_without_data_rejected(tmp_path):
    path = tmp_path / "other.hdf5"
    with h5py.File(path, "w") as file:
        file["pixels"] = np.zeros((2, 3, 32, 32), np.uint8)

    with pytest.raises(ValueError, match="no dataset named 'data'.*'pixels'"):
        load_lld(path)


# LLD-logo HDF5


def write_logo_file(path, logos, canvas=400):
    """Write logos zero-padded to `canvas`, with LLD-logo's (channels, rows, columns) shapes."""
    with h5py.File(path, "w") as file:
        data = file.create_dataset("data", (len(logos), 3, canvas, canvas), np.uint8, chunks=(1, 3, canvas, canvas))
        shapes = file.create_dataset("shapes", (len(logos), 3), np.int64)
        for index, logo in enumerate(logos):
            rows, columns = logo.shape[:2]
            padded = np.zeros((3, canvas, canvas), np.uint8)
            padded[:, :rows, :columns] = logo.transpose(2, 0, 1)
            data[index] = padded
            shapes[index] = (3, rows, columns)


def test_logo_hdf5_cropped_by_shape(tmp_path):
    wide = np.full((100, 200, 3), (255, 0, 0), np.uint8)
    tall = np.full((160, 80, 3), (0, 0, 255), np.uint8)
    path = tmp_path / "LLD-logo.hdf5"
    write_logo_file(path, [wide, tall])

    images = load_lld(path, 16)

    assert images.shape == (2, 16, 16, 3)
    # Padding is the white background, never the zero padding of the file.
    assert images[0, 8, 8].tolist() == [255, 0, 0]
    assert images[0, 1, 8].tolist() == [255, 255, 255]
    assert images[1, 8, 8].tolist() == [0, 0, 255]
    assert images[1, 8, 1].tolist() == [255, 255, 255]
    assert not np.any(np.all(images == 0, axis=-1))


def test_logo_hdf5_streams_in_chunks(tmp_path):
    count = 24
    logos = [np.full((400, 400, 3), index * 10, np.uint8) for index in range(count)]
    path = tmp_path / "LLD-logo.hdf5"
    write_logo_file(path, logos)
    whole_file_bytes = count * 3 * 400 * 400

    tracemalloc.start()
    try:
        images = load_lld(path, 8, chunk_size=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [int(image[4, 4, 0]) for image in images] == [index * 10 for index in range(count)]
    # Two canvases are 0.96 MB; reading the whole file would take 11.5 MB.
    assert peak < whole_file_bytes / 4


# pickles


class _Python2Pickler(pickle._Pickler):
    """Write bytes as Python 2 `str` (BINSTRING), as the LLD pickles store array data."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_python2_str(self, data):
        self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(data)

    dispatch[bytes] = save_python2_str


def python2_pickle(array):
    stream = io.BytesIO()
    _Python2Pickler(stream, protocol=2).dump(array)
    # numpy 1 and Python 2 name the array reconstructor's module numpy.core.
    return stream.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def test_python2_pickle_loaded(tmp_path):
    icons = asymmetric_icons(3)
    path = tmp_path / "LLD-icon_data_0.pkl"
    data = python2_pickle(icons)
    assert b"_codecs" not in data
    assert b"numpy.core.multiarray" in data
    path.write_bytes(data)

    np.testing.assert_array_equal(load_lld(path), icons)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python3_pickles_loaded(tmp_path, protocol):
    icons = asymmetric_icons(2)
    path = tmp_path / "icons.pkl"
    path.write_bytes(pickle.dumps(icons, protocol=protocol))

    np.testing.assert_array_equal(load_lld(path), icons)
    assert load_lld(path, 16).shape == (2, 16, 16, 3)


class _CreatesMarker:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_malicious_pickle_rejected_without_running(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "LLD-icon_data_1.pkl"
    path.write_bytes(pickle.dumps([np.zeros(2, np.uint8), _CreatesMarker(marker)], protocol=2))

    with pytest.raises(UnsafePickleError) as raised:
        load_lld(path)

    message = str(raised.value)
    assert repr(str(path)) in message
    assert "'io.open'" in message  # open's module is io
    assert not marker.exists()
    # The payload is live: the standard unpickler does create the marker.
    pickle.loads(path.read_bytes()).pop().close()
    assert marker.exists()


def test_object_array_pickle_rejected(tmp_path):
    path = tmp_path / "objects.pkl"
    path.write_bytes(pickle.dumps(np.array([1, "two"], dtype=object), protocol=2))

    with pytest.raises(UnsafePickleError, match="object array"):
        load_numpy_pickle(path)


def test_non_array_pickle_rejected(tmp_path):
    path = tmp_path / "list.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=2))

    with pytest.raises(UnsafePickleError, match="contains a list"):
        load_numpy_pickle(path)


def test_truncated_pickle_rejected(tmp_path):
    path = tmp_path / "cut.pkl"
    path.write_bytes(pickle.dumps(asymmetric_icons(2), protocol=2)[:40])

    with pytest.raises(pickle.UnpicklingError, match="Invalid pickle file"):
        load_numpy_pickle(path)


def test_pickle_labels_rejected(tmp_path):
    path = tmp_path / "icons.pkl"
    path.write_bytes(pickle.dumps(asymmetric_icons(1), protocol=2))

    with pytest.raises(ValueError, match="only the LLD HDF5 files"):
        load_lld(path, labels="rc_16")


# PNG folders and zip archives


def test_png_folder_and_zip(tmp_path):
    icons = asymmetric_icons(3)
    folder = tmp_path / "LLD-icon_PNG"
    folder.mkdir()
    archive_path = tmp_path / "LLD-icon_sample.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for index, icon in enumerate(icons):
            Image.fromarray(icon).save(folder / f"{index:04d}.png")
            buffer = io.BytesIO()
            Image.fromarray(icon).save(buffer, "PNG")
            archive.writestr(f"{index:04d}.png", buffer.getvalue())

    np.testing.assert_array_equal(load_lld(folder, cache_dir=False), icons)
    np.testing.assert_array_equal(load_lld(archive_path, cache_dir=False), icons)
    assert len(load_lld(folder, cache_dir=False, limit=2)) == 2


def test_unknown_file_type_rejected(tmp_path):
    path = tmp_path / "icons.csv"
    path.write_text("0,1,2\n")

    with pytest.raises(ValueError, match="not an LLD file"):
        load_lld(path)
    with pytest.raises(FileNotFoundError):
        load_lld(tmp_path / "missing.hdf5")
