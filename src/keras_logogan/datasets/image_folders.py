"""Load a folder, or a `.zip` archive, of image files as one uint8 array.

Files that cannot be used are skipped and listed with the reason in an
`ImageLoadReport`, so one bad file never stops a load.
"""

import collections
import csv
import dataclasses
import hashlib
import json
import os
import stat
import zipfile

import numpy as np
import PIL

from keras_logogan.atomic_files import atomic_path
from keras_logogan.datasets import cache
from keras_logogan.datasets.image_decoding import CORRUPT
from keras_logogan.datasets.image_decoding import DEFAULT_MAX_PIXELS
from keras_logogan.datasets.image_decoding import SUPPORTED_FORMATS_TEXT
from keras_logogan.datasets.image_decoding import TOO_LARGE_FILE
from keras_logogan.datasets.image_decoding import UNREADABLE
from keras_logogan.datasets.image_decoding import ImageDecodeError
from keras_logogan.datasets.image_decoding import decode_image
from keras_logogan.datasets.image_decoding import make_decode_options
from keras_logogan.log import logger

# Files are read whole before decoding. A logo file above this size is
# almost certainly not a logo, and the limit bounds the memory of one read.
MAX_FILE_BYTES = 64 * 1024 * 1024
NOT_A_FILE = "not a regular file"


@dataclasses.dataclass(frozen=True)
class SkippedFile:
    """A file that was not loaded: its path, a short reason and the error message."""

    path: str
    reason: str
    detail: str = ""


@dataclasses.dataclass
class ImageLoadReport:
    """Result of a load: the files used, in image order, and the files skipped.

    Paths are relative to the folder or archive in `source`.

    Examples:
        >>> import pathlib, tempfile
        >>> from PIL import Image
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> Image.new("RGB", (8, 8), (0, 0, 255)).save(folder / "blue.png")
        >>> (folder / "empty.png").write_bytes(b"")
        0
        >>> _, report = image_folder(folder, 8, cache_dir=False, return_report=True)
        >>> report.found, report.used, report.paths
        (2, 1, ['blue.png'])
        >>> [(item.path, item.reason) for item in report.skipped]
        [('empty.png', 'empty file')]
    """

    source: str
    found: int
    paths: list
    skipped: list
    cache_file: str = None
    from_cache: bool = False

    @property
    def used(self):
        return len(self.paths)

    def reason_counts(self):
        """Return a dict from each skip reason to its number of files, most frequent first."""
        return dict(collections.Counter(item.reason for item in self.skipped).most_common())

    def summary(self):
        """Return one line such as "used 8 of 10 files, skipped 1 empty file, 1 truncated or corrupt"."""
        text = f"used {self.used} of {self.found} files"
        if self.skipped:
            reasons = ", ".join(f"{count} {reason}" for reason, count in self.reason_counts().items())
            text += f", skipped {reasons}"
        return text

    def to_dict(self):
        return {
            "source": self.source,
            "found": self.found,
            "used": self.used,
            "skipped": [dataclasses.asdict(item) for item in self.skipped],
            "skipped_by_reason": self.reason_counts(),
            "cache_file": self.cache_file,
            "from_cache": self.from_cache,
        }

    def write(self, path):
        """Write the skipped files to `path` atomically: CSV (path, reason, detail) or, for `.json`, the whole report."""
        path = os.fspath(path)
        with atomic_path(path) as temporary:
            with open(temporary, "w", encoding="utf-8", newline="") as stream:
                if path.lower().endswith(".json"):
                    json.dump(self.to_dict(), stream, indent=2)
                    stream.write("\n")
                else:
                    writer = csv.writer(stream)
                    writer.writerow(["path", "reason", "detail"])
                    for item in self.skipped:
                        writer.writerow([item.path, item.reason, item.detail])
        return path


class NoUsableImagesError(ValueError):
    """A folder or archive without one usable image. `report` lists what was found.

    Examples:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> (folder / "logo.png").write_text("not a PNG")
        9
        >>> try:
        ...     image_folder(folder, cache_dir=False)
        ... except NoUsableImagesError as error:
        ...     print(error.report.summary())
        used 0 of 1 files, skipped 1 not a supported image
    """

    def __init__(self, message, report, problem=None):
        super().__init__(message)
        self.report = report
        # The message without its Python next step, for callers such as the
        # command line that suggest their own.
        self.problem = message if problem is None else problem


@dataclasses.dataclass(frozen=True)
class _Source:
    """One file to decode, from a folder or an archive. `read` returns its bytes."""

    name: str
    size: int
    stamp: int
    read: object
    problem: SkippedFile = None


def image_folder(
    path,
    image_size=32,
    *,
    grayscale=False,
    background=(255, 255, 255),
    fit="pad",
    max_pixels=DEFAULT_MAX_PIXELS,
    cache_dir=None,
    report_path=None,
    return_report=False,
):
    """Load every image under a folder, or inside a `.zip` archive, as a uint8 array.

    Folders are searched recursively, following symbolic links once each,
    in sorted path order. Names starting with "." (hidden files and
    folders, and `__MACOSX` in archives) are ignored. PNG, JPEG, GIF, BMP,
    WebP and ICO files are decoded whatever their name. Each image is
    rotated by its EXIF orientation, converted to RGB with transparency
    composited on `background`, and resized with antialiasing to
    `image_size` pixels square, keeping its aspect ratio.

    Files that are empty, truncated, not images, unreadable, larger than
    64 MiB or above `max_pixels` are skipped and listed in the report.
    Archive members are read in memory and never extracted.

    The result is cached as a `.npz` file keyed on the file names, sizes
    and modification times (CRCs for archive members) and on the options,
    so a second call with the same files decodes nothing.

    Args:
        path: str or path-like. A folder, or a `.zip` file.
        image_size: int, default 32. Height and width of the output.
        grayscale: bool, default False. If True, output one luma channel
            (ITU-R BT.601, as Pillow's "L" mode).
        background: `(R, G, B)` tuple or int, default `(255, 255, 255)`.
            Colour under transparent pixels and around padded images.
        fit: `"pad"` (default) to fit the whole image and fill the rest
            with `background`, or `"crop"` to fill the square and cut the
            centre.
        max_pixels: int, default 16,777,216 (4096 x 4096). Files with more
            pixels are skipped without being decoded.
        cache_dir: folder of the cache, `False` for no cache, or None
            (default) for `$KERAS_LOGOGAN_CACHE_DIR`, else
            `~/.cache/keras_logogan`.
        report_path: optional path. If set, the skipped files are written
            there as CSV, or as JSON when the name ends with `.json`.
        return_report: bool, default False. If True, also return the
            `ImageLoadReport`.

    Returns:
        A uint8 array of shape `(N, image_size, image_size, 3)`, or
        `(N, image_size, image_size, 1)` with `grayscale=True`. With
        `return_report=True`, a tuple `(images, report)`.

    Raises:
        FileNotFoundError: If `path` does not exist.
        ValueError: If `path` is a file other than a `.zip` archive, or an
            option is invalid.
        NoUsableImagesError: If no file could be used. Its message names
            the folder and counts the files skipped for each reason.

    Examples:
        >>> import pathlib, tempfile
        >>> from PIL import Image
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> Image.new("RGBA", (40, 20), (255, 0, 0, 255)).save(folder / "red.png")
        >>> (folder / "notes.txt").write_text("not an image")
        12
        >>> images, report = image_folder(folder, 16, cache_dir=False, return_report=True)
        >>> images.shape, images[0, 8, 8].tolist(), images[0, 0, 0].tolist()
        ((1, 16, 16, 3), [255, 0, 0], [255, 255, 255])
        >>> report.summary()
        'used 1 of 2 files, skipped 1 not a supported image'
    """
    options = make_decode_options(image_size, grayscale, background, fit, max_pixels)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Image folder not found: {path!r}")

    cache_folder = cache.resolve_cache_dir(cache_dir)
    if os.path.isdir(path):
        sources, fingerprint = _folder_sources(path, skip_folder=cache_folder)
        kind = "folder"
    elif zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        sources, fingerprint = _archive_sources(path, archive)
        kind = "archive"
    else:
        raise ValueError(
            f"Invalid path: {path!r} is a file but not a .zip archive. Pass a "
            "folder of image files or a .zip file of them."
        )

    try:
        images, report = _load_or_decode(path, sources, fingerprint, options, cache_folder)
    finally:
        if kind == "archive":
            archive.close()

    if report.skipped:
        logger.warning("Image %s %s: %s.", kind, path, report.summary())
    if report_path is not None:
        report.write(report_path)
    if not report.paths:
        problem = _no_images_problem(kind, path, report)
        raise NoUsableImagesError(
            f"{problem} Add {SUPPORTED_FORMATS_TEXT} files, or pass report_path to list "
            "every skipped file with its error.",
            report,
            problem=problem,
        )
    if return_report:
        return images, report
    return images


def _load_or_decode(path, sources, fingerprint, options, cache_folder):
    entry_path = None
    if cache_folder is not None:
        key = {"files": fingerprint, "options": options.as_dict(), "pillow": PIL.__version__}
        entry_path = cache.cache_entry_path(cache_folder, path, key)
        stored = cache.read_entry(entry_path)
        if stored is not None:
            logger.info("Loaded %d decoded images of %s from the cache file %s", len(stored["images"]), path, entry_path)
            return stored["images"], _report_from_arrays(path, stored, entry_path)

    images, names, skipped = decode_sources(sources, options)
    report = ImageLoadReport(source=path, found=len(sources), paths=names, skipped=skipped, cache_file=entry_path)
    if entry_path is not None and names:
        cache.write_entry(entry_path, _report_to_arrays(images, report))
    return images, report


def decode_sources(sources, options, *, on_decoded=None):
    """Decode `sources` and return `(images, used_names, skipped_files)`.

    `on_decoded(source, decoded_image, file_bytes)`, when given, is called
    for every image that decodes.
    """
    arrays, names, skipped = [], [], []
    for source in sources:
        if source.problem is not None:
            skipped.append(source.problem)
            continue
        try:
            data = source.read()
            decoded = decode_image(data, options)
        except ImageDecodeError as error:
            skipped.append(SkippedFile(source.name, error.reason, error.detail))
            logger.debug("Skipped %s: %s", source.name, error)
            continue
        except OSError as error:
            skipped.append(SkippedFile(source.name, UNREADABLE, str(error)))
            logger.debug("Skipped %s: %s", source.name, error)
            continue
        if on_decoded is not None:
            on_decoded(source, decoded, data)
        arrays.append(decoded.array)
        names.append(source.name)

    shape = (0, options.image_size, options.image_size, options.channels)
    images = np.stack(arrays) if arrays else np.zeros(shape, np.uint8)
    return images, names, skipped


def _report_to_arrays(images, report):
    return {
        "images": images,
        "paths": np.array(report.paths, dtype=str),
        "found": np.array(report.found),
        "skipped_paths": np.array([item.path for item in report.skipped], dtype=str),
        "skipped_reasons": np.array([item.reason for item in report.skipped], dtype=str),
        "skipped_details": np.array([item.detail for item in report.skipped], dtype=str),
    }


def _report_from_arrays(path, stored, entry_path):
    skipped = [
        SkippedFile(str(name), str(reason), str(detail))
        for name, reason, detail in zip(stored["skipped_paths"], stored["skipped_reasons"], stored["skipped_details"])
    ]
    return ImageLoadReport(
        source=path,
        found=int(stored["found"]),
        paths=[str(name) for name in stored["paths"]],
        skipped=skipped,
        cache_file=entry_path,
        from_cache=True,
    )


def _no_images_problem(kind, path, report):
    if report.found == 0:
        found = "it contains no files (names starting with '.' are ignored)"
    else:
        found = f"all {report.found} files were skipped: " + ", ".join(
            f"{count} {reason}" for reason, count in report.reason_counts().items()
        )
    return f"No usable image in the {kind} {path!r}: {found}."


def _folder_sources(root, skip_folder=None):
    """List the files under `root` as sources, and return them with the cache fingerprint.

    `skip_folder`, the cache folder, is left out when it lies under `root`,
    because its files change on every write.
    """
    sources = []
    for file_path in _walk_files(root, sources, skip_folder):
        name = os.path.relpath(file_path, root)
        try:
            info = os.stat(file_path)
        except OSError as error:
            sources.append(_Source(name, -1, -1, None, SkippedFile(name, UNREADABLE, str(error))))
            continue
        problem = None
        if not stat.S_ISREG(info.st_mode):
            # Reading a FIFO or a device could block forever.
            problem = SkippedFile(name, NOT_A_FILE)
        elif info.st_size > MAX_FILE_BYTES:
            problem = SkippedFile(name, TOO_LARGE_FILE, f"{info.st_size} bytes, above {MAX_FILE_BYTES}")
        sources.append(_Source(name, info.st_size, info.st_mtime_ns, _file_reader(file_path), problem))

    sources.sort(key=lambda source: source.name)
    fingerprint = [[source.name, source.size, source.stamp] for source in sources]
    return sources, fingerprint


def _walk_files(root, sources, skip_folder=None):
    """Yield the non-hidden file paths under `root`, visiting each real folder once.

    Folders that cannot be listed are added to `sources` as unreadable.
    """
    visited = set()
    if skip_folder is not None and os.path.isdir(skip_folder):
        skip_info = os.stat(skip_folder)
        visited.add((skip_info.st_dev, skip_info.st_ino))

    def record_error(error):
        name = os.path.relpath(error.filename or root, root)
        sources.append(_Source(name, -1, -1, None, SkippedFile(name, UNREADABLE, error.strerror or str(error))))

    for folder, subfolders, files in os.walk(root, followlinks=True, onerror=record_error):
        # A symbolic link back to a parent folder would otherwise repeat
        # the walk without end.
        folder_info = os.stat(folder)
        folder_id = (folder_info.st_dev, folder_info.st_ino)
        if folder_id in visited:
            subfolders[:] = []
            continue
        visited.add(folder_id)
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(folder, name)


def _file_reader(file_path):
    def read():
        with open(file_path, "rb") as stream:
            return stream.read(MAX_FILE_BYTES + 1)

    return read


def _archive_sources(path, archive):
    """List the members of a zip archive as sources, and return them with the cache fingerprint."""
    sources = []
    for info in archive.infolist():
        parts = info.filename.replace("\\", "/").split("/")
        hidden = any(part.startswith(".") and part not in (".", "..") for part in parts)
        if info.is_dir() or hidden or "__MACOSX" in parts:
            continue
        problem = None
        if info.file_size > MAX_FILE_BYTES:
            problem = SkippedFile(info.filename, TOO_LARGE_FILE, f"{info.file_size} bytes, above {MAX_FILE_BYTES}")
        sources.append(_Source(info.filename, info.file_size, info.CRC, _member_reader(archive, info), problem))

    sources.sort(key=lambda source: source.name)
    archive_info = os.stat(path)
    fingerprint = {
        "archive": [archive_info.st_size, archive_info.st_mtime_ns],
        "members": [[source.name, source.size, source.stamp] for source in sources],
    }
    return sources, fingerprint


def _member_reader(archive, info):
    def read():
        try:
            # zipfile stops at the size in the member's header, which was
            # checked against MAX_FILE_BYTES, and raises on a CRC mismatch.
            return archive.read(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError) as error:
            raise ImageDecodeError(CORRUPT, f"archive member: {error}") from None

    return read


def file_digest(data):
    """Return the SHA-256 hex digest of file bytes, used to find exact duplicates."""
    return hashlib.sha256(data).hexdigest()
