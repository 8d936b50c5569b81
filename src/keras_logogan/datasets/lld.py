"""Load the Large Logo Dataset (LLD) files: HDF5, pickles, PNG folders and zip archives.

LLD (Sage et al., "Logo Synthesis and Manipulation with Clustered
Generative Adversarial Networks", CVPR 2018) ships in these layouts:

- `LLD-icon.hdf5` and `LLD-icon-sharp.hdf5`: dataset `data` of uint8
  channels-first icons `(N, 3, 32, 32)`, and cluster labels under `labels/`
  (e.g. `labels/ae_grayscale`, `labels/resnet/rc_64`). Some label arrays are
  shorter than `data`, and some copies spell the groups differently.
- `LLD-logo.hdf5`: dataset `data` of zero-padded channels-first logos
  `(N, 3, 400, 400)`, and `shapes` with one `(channels, rows, columns)` row
  per logo. The logo is the top-left `rows x columns` block, as the LLD
  sample loader crops it.
- `LLD-icon_data_0.pkl` ... `_5.pkl`: Python 2 pickles of uint8
  channels-last arrays `(n, 32, 32, 3)`.
- PNG folders and `LLD-icon_sample.zip`, read by `image_folder`.
"""

import os

import numpy as np

from keras_logogan.datasets.image_decoding import DEFAULT_MAX_PIXELS
from keras_logogan.datasets.image_decoding import make_decode_options
from keras_logogan.datasets.image_decoding import rgb_array_to_square
from keras_logogan.datasets.image_folders import image_folder
from keras_logogan.datasets.safe_pickle import load_numpy_pickle
from keras_logogan.log import logger

HDF5_SUFFIXES = (".hdf5", ".h5")
PICKLE_SUFFIXES = (".pkl", ".pickle")
LABELS_GROUP = "labels"
# Images read from an HDF5 file at once. At 400 x 400 x 3 bytes per
# LLD-logo canvas this is about 30 MiB, whatever the file's length.
DEFAULT_CHUNK_SIZE = 64


def load_lld(
    path,
    image_size=32,
    *,
    labels=None,
    grayscale=False,
    background=(255, 255, 255),
    fit="pad",
    limit=None,
    chunk_size=DEFAULT_CHUNK_SIZE,
    max_pixels=DEFAULT_MAX_PIXELS,
    cache_dir=None,
):
    """Load LLD images from an HDF5 file, a pickle, a PNG folder or a `.zip` of PNGs.

    The layout is chosen from the path: `.hdf5`/`.h5` files (LLD-logo when
    they contain `shapes`, else LLD-icon), `.pkl`/`.pickle` files, folders
    and `.zip` archives. HDF5 files are read `chunk_size` images at a time,
    so peak memory is one chunk plus the output. Pickles are read with an
    unpickler that only rebuilds numpy arrays (see `load_numpy_pickle`).
    Images that are not `image_size` square are resized with antialiasing,
    keeping their aspect ratio as set by `fit` and `background`.

    Args:
        path: str or path-like of the file or folder.
        image_size: int, default 32. Height and width of the output.
        labels: None (default) for images only; a label key such as
            `"resnet/rc_64"`, `"labels/resnet/rc_64"` or `"rc_64"` for that
            array; or True for every label array in a dict. Only HDF5 files
            have labels. A key found under another group spelling (e.g.
            `labels/resnet1/rc_64`) is used when its last part is unique.
            When labels are shorter than the images, the images are cut to
            the labels' length and a warning is logged.
        grayscale: bool, default False. If True, output one luma channel.
        background: `(R, G, B)`, default white. Colour of the padding.
        fit: `"pad"` (default) or `"crop"`, as in `image_folder`.
        limit: int or None, default None. Read only the first `limit` images.
        chunk_size: int, default 64. Images read from an HDF5 file at once.
        max_pixels: int, passed to `image_folder` for folders and archives.
        cache_dir: passed to `image_folder` for folders and archives.

    Returns:
        A uint8 array `(N, image_size, image_size, 3)`, or with 1 channel
        when `grayscale=True`. With `labels`, a tuple `(images, labels)`
        where `labels` is an array, or a dict of arrays when `labels=True`.

    Raises:
        FileNotFoundError: If `path` does not exist.
        KeyError: If a requested label key is not in the file. The message
            lists the keys the file contains.
        ValueError: If the file has another layout, or `labels` is given
            for a file without labels.
        UnsafePickleError: If a pickle refers to anything other than numpy
            array reconstruction.

    Examples:
        >>> import os, tempfile, h5py
        >>> path = os.path.join(tempfile.mkdtemp(), "LLD-icon.hdf5")
        >>> with h5py.File(path, "w") as file:
        ...     file["data"] = np.zeros((5, 3, 32, 32), np.uint8)
        ...     file["labels/resnet/rc_16"] = np.arange(4)
        >>> images, clusters = load_lld(path, labels="rc_16")
        >>> images.shape, clusters.tolist()
        ((4, 32, 32, 3), [0, 1, 2, 3])
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"LLD file not found: {path!r}")
    options = make_decode_options(image_size, grayscale, background, fit, max_pixels)
    limit = _check_limit(limit)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"Invalid chunk_size: expected a positive integer. Received: chunk_size={chunk_size!r}")
    lowered = path.lower()

    if lowered.endswith(HDF5_SUFFIXES):
        return _load_hdf5(path, options, labels, limit, chunk_size)

    if labels is not None:
        raise ValueError(
            f"Invalid labels: {path!r} has no label arrays, because only the LLD "
            f"HDF5 files contain them. Received: labels={labels!r}. Pass labels=None."
        )
    if lowered.endswith(PICKLE_SUFFIXES):
        images = _icons_from_pickle(path, options)
    elif os.path.isdir(path) or lowered.endswith(".zip"):
        images = image_folder(
            path,
            options.image_size,
            grayscale=options.grayscale,
            background=options.background,
            fit=options.fit,
            max_pixels=options.max_pixels,
            cache_dir=cache_dir,
        )
    else:
        raise ValueError(
            f"Invalid path: {path!r} is not an LLD file. Pass an LLD .hdf5 or .pkl "
            "file, a folder of PNG files or a .zip of PNG files."
        )
    return images[:limit] if limit is not None else images


def lld_label_keys(path):
    """Return the label keys of an LLD HDF5 file, e.g. `["labels/ae_grayscale", "labels/resnet/rc_16"]`.

    Examples:
        >>> import os, tempfile, h5py
        >>> path = os.path.join(tempfile.mkdtemp(), "LLD-icon.hdf5")
        >>> with h5py.File(path, "w") as file:
        ...     file["data"] = np.zeros((3, 3, 32, 32), np.uint8)
        ...     file["labels/resnet/rc_64"] = np.arange(3)
        ...     file["labels/ae_grayscale"] = np.arange(3)
        >>> lld_label_keys(path)
        ['labels/ae_grayscale', 'labels/resnet/rc_64']
    """
    import h5py

    with h5py.File(os.fspath(path), "r") as file:
        return [f"{LABELS_GROUP}/{name}" for name in sorted(_label_datasets(file))]


def _check_limit(limit):
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"Invalid limit: expected a positive integer or None. Received: limit={limit!r}")
    return limit


def _load_hdf5(path, options, labels, limit, chunk_size):
    import h5py

    with h5py.File(path, "r") as file:
        if "data" not in file or not isinstance(file["data"], h5py.Dataset):
            raise ValueError(
                f"Invalid LLD file {path!r}: it has no dataset named 'data'. Its "
                f"top-level keys are {sorted(file.keys())}."
            )
        data = file["data"]
        count = len(data)
        label_arrays = _read_labels(file, path, labels)
        if label_arrays:
            count = _common_length(path, count, label_arrays)
        if limit is not None:
            count = min(count, limit)

        if "shapes" in file:
            images = _read_logos(path, data, file["shapes"], count, options, chunk_size)
        else:
            images = _read_icons(path, data, count, options, chunk_size)

    if labels is None:
        return images
    label_arrays = {key: values[:count] for key, values in label_arrays.items()}
    if labels is True:
        return images, label_arrays
    return images, next(iter(label_arrays.values()))


def _label_datasets(file):
    import h5py

    found = {}

    def collect(name, item):
        # Returning anything but None would stop `visititems`.
        if isinstance(item, h5py.Dataset):
            found[name] = item

    group = file.get(LABELS_GROUP)
    if isinstance(group, h5py.Group):
        group.visititems(collect)
    return found


def _read_labels(file, path, labels):
    if labels is None:
        return {}
    available = _label_datasets(file)
    if labels is True:
        if not available:
            raise KeyError(f"{path!r} has no label arrays under '{LABELS_GROUP}/'.")
        keys = sorted(available)
    else:
        keys = [_resolve_label_key(path, labels, available)]

    arrays = {}
    for key in keys:
        values = np.asarray(available[key][()])
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        arrays[f"{LABELS_GROUP}/{key}"] = values
    return arrays


def _resolve_label_key(path, requested, available):
    """Return the key, relative to `labels/`, that `requested` names in `available`."""
    if not isinstance(requested, str):
        raise ValueError(
            f"Invalid labels: expected None, True or a label key string. Received: labels={requested!r}"
        )
    wanted = requested.strip("/")
    if wanted.startswith(LABELS_GROUP + "/"):
        wanted = wanted[len(LABELS_GROUP) + 1 :]
    if wanted in available:
        return wanted

    matches = [key for key in available if key.endswith("/" + wanted)]
    if not matches:
        last_part = wanted.rsplit("/", 1)[-1]
        matches = [key for key in available if key.rsplit("/", 1)[-1] == last_part]
    listed = ", ".join(f"{LABELS_GROUP}/{key}" for key in sorted(available)) or "none"
    if len(matches) > 1:
        raise KeyError(
            f"Label key {requested!r} is ambiguous in {path!r}: it matches "
            f"{sorted(matches)}. Pass the full key. Keys in the file: {listed}."
        )
    if not matches:
        raise KeyError(f"Label key {requested!r} was not found in {path!r}. Keys in the file: {listed}.")
    if not matches[0].endswith(wanted):
        logger.warning(
            "Label key %r is not in %s. Using %s/%s, which has the same last part.",
            requested, path, LABELS_GROUP, matches[0],
        )  # fmt: skip
    return matches[0]


def _common_length(path, count, label_arrays):
    shortest = min(len(values) for values in label_arrays.values())
    if shortest < count:
        logger.warning(
            "%s: the labels (%s) have %d entries but 'data' has %d images. Using the first %d images.",
            path, ", ".join(label_arrays), shortest, count, shortest,
        )  # fmt: skip
    return min(count, shortest)


def _read_icons(path, data, count, options, chunk_size):
    to_channels_last = _channels_first(path, data.shape)
    size, channels = options.image_size, options.channels
    images = np.empty((count, size, size, channels), np.uint8)
    for start in range(0, count, chunk_size):
        stop = min(start + chunk_size, count)
        block = np.asarray(data[start:stop], dtype=np.uint8)
        if to_channels_last:
            block = block.transpose(0, 2, 3, 1)
        images[start:stop] = _fit_block(block, options)
        del block  # Free this chunk before the next one is read.
    return images


def _channels_first(path, shape):
    """Return True for `(N, 3, H, W)` arrays and False for `(N, H, W, 3)`, else raise ValueError."""
    if len(shape) == 4 and shape[1] == 3 and shape[-1] != 3:
        return True
    if len(shape) == 4 and shape[-1] == 3:
        return False
    raise ValueError(
        f"Invalid LLD file {path!r}: the images have shape {tuple(shape)}, but "
        "(N, 3, height, width) or (N, height, width, 3) is required."
    )


def _fit_block(block, options):
    """Resize and convert a uint8 `(n, H, W, 3)` block unless it is already in the output form."""
    height, width = block.shape[1:3]
    if (height, width) == (options.image_size, options.image_size) and not options.grayscale:
        return block
    if len(block) == 0:
        return block
    return np.stack([rgb_array_to_square(image, options) for image in block])


def _read_logos(path, data, shapes, count, options, chunk_size):
    if len(data.shape) != 4 or data.shape[1] != 3:
        raise ValueError(
            f"Invalid LLD-logo file {path!r}: 'data' has shape {tuple(data.shape)}, but "
            "zero-padded channels-first logos (N, 3, height, width) are required."
        )
    if len(shapes) < count or len(shapes.shape) != 2 or shapes.shape[1] != 3:
        raise ValueError(
            f"Invalid LLD-logo file {path!r}: 'shapes' has shape {tuple(shapes.shape)}, but "
            f"one (channels, rows, columns) row per image, at least {count}, is required."
        )
    size, channels = options.image_size, options.channels
    images = np.empty((count, size, size, channels), np.uint8)
    for start in range(0, count, chunk_size):
        stop = min(start + chunk_size, count)
        block = np.asarray(data[start:stop], dtype=np.uint8)
        block_shapes = np.asarray(shapes[start:stop])
        for offset, (canvas, (_, rows, columns)) in enumerate(zip(block, block_shapes)):
            rows = int(min(max(rows, 1), canvas.shape[1]))
            columns = int(min(max(columns, 1), canvas.shape[2]))
            logo = np.ascontiguousarray(canvas[:, :rows, :columns].transpose(1, 2, 0))
            images[start + offset] = rgb_array_to_square(logo, options)
        del block, block_shapes  # Free this chunk before the next one is read.
    return images


def _icons_from_pickle(path, options):
    array = load_numpy_pickle(path)
    if array.dtype != np.uint8:
        raise ValueError(
            f"Invalid LLD pickle {path!r}: it contains {array.dtype} values, but uint8 is required."
        )
    if _channels_first(path, array.shape):
        array = array.transpose(0, 2, 3, 1)
    return _fit_block(array, options)
