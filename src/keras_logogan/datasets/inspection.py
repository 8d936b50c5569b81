"""Summarize an image source before training: counts, skips, sizes, modes and duplicates."""

import collections
import dataclasses
import hashlib
import os
import zipfile

import numpy as np

from keras_logogan.datasets import image_folders
from keras_logogan.datasets.image_decoding import DEFAULT_MAX_PIXELS
from keras_logogan.datasets.image_decoding import make_decode_options
from keras_logogan.datasets.lld import HDF5_SUFFIXES
from keras_logogan.datasets.lld import PICKLE_SUFFIXES
from keras_logogan.datasets.lld import load_lld


@dataclasses.dataclass
class DataInspection:
    """The result of `inspect_images`.

    `sizes` counts source images by `"WIDTHxHEIGHT"` and `modes` by Pillow
    format and mode (e.g. `"PNG RGBA"`). `duplicate_files` counts files whose
    bytes equal an earlier file's (None where the source has no files), and
    `duplicate_images` counts decoded images equal to an earlier one.
    """

    source: str
    kind: str
    found: int
    skipped: list
    sizes: collections.Counter
    modes: collections.Counter
    duplicate_files: int
    duplicate_images: int
    images: np.ndarray

    @property
    def used(self):
        return len(self.images)

    def reason_counts(self):
        return dict(collections.Counter(item.reason for item in self.skipped).most_common())


def inspect_images(path, image_size=32, *, max_pixels=DEFAULT_MAX_PIXELS):
    """Decode every image of a folder, `.zip` archive or LLD file and summarize it.

    Nothing is read from or written to the cache, so every file is decoded.

    Args:
        path: str or path-like. A folder, a `.zip` file, or an LLD `.hdf5`
            or `.pkl` file.
        image_size: int, default 32. Size the images are decoded at, which
            decides which images count as identical.
        max_pixels: int, default 16,777,216. Files with more pixels are skipped.

    Returns:
        A `DataInspection`.

    Raises:
        FileNotFoundError: If `path` does not exist.
        ValueError: If `path` is of another kind.

    Examples:
        >>> import pathlib, tempfile
        >>> from PIL import Image
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> Image.new("RGBA", (20, 10), (255, 0, 0, 255)).save(folder / "a.png")
        >>> Image.new("RGBA", (20, 10), (255, 0, 0, 255)).save(folder / "b.png")
        >>> (folder / "notes.txt").write_text("not an image")
        12
        >>> inspection = inspect_images(folder, image_size=8)
        >>> inspection.found, inspection.used, inspection.reason_counts()
        (3, 2, {'not a supported image': 1})
        >>> dict(inspection.sizes), dict(inspection.modes)
        ({'20x10': 2}, {'PNG RGBA': 2})
        >>> inspection.duplicate_files, inspection.duplicate_images
        (1, 1)
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Image source not found: {path!r}")
    lowered = path.lower()
    if os.path.isdir(path) or lowered.endswith(".zip"):
        return _inspect_files(path, image_size, max_pixels)
    if lowered.endswith(HDF5_SUFFIXES + PICKLE_SUFFIXES):
        return _inspect_lld(path, image_size)
    raise ValueError(
        f"Invalid path: {path!r} is not a folder, a .zip file or an LLD .hdf5 or .pkl file."
    )


def _inspect_files(path, image_size, max_pixels):
    options = make_decode_options(image_size, max_pixels=max_pixels)
    sizes, modes = collections.Counter(), collections.Counter()
    digests = set()
    duplicate_files = 0

    def record(source, decoded, data):
        nonlocal duplicate_files
        sizes[f"{decoded.size[0]}x{decoded.size[1]}"] += 1
        modes[f"{decoded.format} {decoded.mode}"] += 1
        digest = hashlib.sha256(data).digest()
        duplicate_files += digest in digests
        digests.add(digest)

    if os.path.isdir(path):
        kind = "folder"
        sources, _ = image_folders._folder_sources(path)
        images, _, skipped = image_folders.decode_sources(sources, options, on_decoded=record)
    else:
        kind = "archive"
        if not zipfile.is_zipfile(path):
            raise ValueError(f"Invalid path: {path!r} is not a valid .zip archive.")
        with zipfile.ZipFile(path) as archive:
            sources, _ = image_folders._archive_sources(path, archive)
            images, _, skipped = image_folders.decode_sources(sources, options, on_decoded=record)

    return DataInspection(
        source=path,
        kind=kind,
        found=len(sources),
        skipped=skipped,
        sizes=sizes,
        modes=modes,
        duplicate_files=duplicate_files,
        duplicate_images=count_duplicates(images),
        images=images,
    )


def _inspect_lld(path, image_size):
    images = load_lld(path, image_size)
    sizes = collections.Counter()
    if path.lower().endswith(HDF5_SUFFIXES):
        import h5py

        with h5py.File(path, "r") as file:
            if "shapes" in file:
                for _, rows, columns in np.asarray(file["shapes"][: len(images)]):
                    sizes[f"{columns}x{rows}"] += 1
            else:
                height, width = _native_size(file["data"].shape)
                sizes[f"{width}x{height}"] = len(images)
    else:
        sizes[f"{images.shape[2]}x{images.shape[1]}"] = len(images)
        # NOTE: pickles are resized on load, so their size shows the output size.
    return DataInspection(
        source=path,
        kind="LLD file",
        found=len(images),
        skipped=[],
        sizes=sizes,
        modes=collections.Counter({"RGB": len(images)}),
        duplicate_files=None,
        duplicate_images=count_duplicates(images),
        images=images,
    )


def _native_size(shape):
    return (shape[2], shape[3]) if shape[1] == 3 and shape[-1] != 3 else (shape[1], shape[2])


def count_duplicates(images):
    """Return how many images are pixel-identical to an earlier image in `images`."""
    seen = set()
    duplicates = 0
    for image in images:
        digest = hashlib.sha256(np.ascontiguousarray(image).tobytes()).digest()
        duplicates += digest in seen
        seen.add(digest)
    return duplicates
