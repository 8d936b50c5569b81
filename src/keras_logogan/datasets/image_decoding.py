"""Decode one image file into a square uint8 array.

Every colour mode becomes RGB (or 8-bit grayscale), with transparency
composited on a background colour, EXIF orientation applied, and the
aspect ratio kept when resizing. Failures raise `ImageDecodeError` with a
short reason, so that folder loaders can skip and report the file.
"""

import dataclasses
import io
import numbers
import warnings

import numpy as np
from PIL import Image
from PIL import ImageOps
from PIL import UnidentifiedImageError

# `Image.open(..., formats=...)` raises KeyError for a format whose plugin is
# not registered yet (Pillow 13), so the plugins are imported here.
from PIL import BmpImagePlugin  # noqa: F401
from PIL import GifImagePlugin  # noqa: F401
from PIL import IcoImagePlugin  # noqa: F401
from PIL import JpegImagePlugin  # noqa: F401
from PIL import PngImagePlugin  # noqa: F401
from PIL import WebPImagePlugin  # noqa: F401

# Pillow format names that are decoded. Other formats Pillow can read are
# rejected: some, such as EPS, run external programs when loaded. The JPEG
# reader returns format "MPO" for camera files that store several pictures.
SUPPORTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "ICO")
SUPPORTED_FORMATS_TEXT = "PNG, JPEG, GIF, BMP, WebP or ICO"

# 4096 x 4096. Logos are far smaller, and one RGBA image of this size takes
# 64 MiB to decode. Pillow itself raises `DecompressionBombError` above
# 2 * Image.MAX_IMAGE_PIXELS (about 179 million pixels), whatever this is.
DEFAULT_MAX_PIXELS = 4096 * 4096
FIT_MODES = ("pad", "crop")

# Skip reasons, as they appear in load reports.
EMPTY_FILE = "empty file"
NOT_AN_IMAGE = "not a supported image"
CORRUPT = "truncated or corrupt"
TOO_MANY_PIXELS = "over the pixel limit"
UNREADABLE = "unreadable"
TOO_LARGE_FILE = "file too large"

# Modes whose pixels hold more than 8 bits per sample. Pillow's own
# conversion to "L" clips them at 255, so they are rescaled here instead.
_HIGH_DEPTH_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class ImageDecodeError(ValueError):
    """An image file that cannot be used, with a short `reason` and a `detail` message."""

    def __init__(self, reason, detail=""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """Validated settings that decide how every file is decoded and resized."""

    image_size: int
    grayscale: bool
    background: tuple
    fit: str
    max_pixels: int

    @property
    def channels(self):
        return 1 if self.grayscale else 3

    def as_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DecodedImage:
    """A decoded image and what the file contained before conversion."""

    array: np.ndarray
    format: str
    mode: str
    size: tuple


def make_decode_options(
    image_size=32,
    grayscale=False,
    background=(255, 255, 255),
    fit="pad",
    max_pixels=DEFAULT_MAX_PIXELS,
):
    """Validate the decoding arguments and return them as `DecodeOptions`.

    Raises:
        ValueError: If an argument is out of range. The message names it
            and quotes the value received.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size < 1:
        raise ValueError(f"Invalid image_size: expected a positive integer. Received: image_size={image_size!r}")
    if fit not in FIT_MODES:
        raise ValueError(f"Invalid fit: expected one of {FIT_MODES}. Received: fit={fit!r}")
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, numbers.Integral) or max_pixels < 1:
        raise ValueError(f"Invalid max_pixels: expected a positive integer. Received: max_pixels={max_pixels!r}")
    return DecodeOptions(
        image_size=int(image_size),
        grayscale=bool(grayscale),
        background=_check_background(background),
        fit=fit,
        max_pixels=int(max_pixels),
    )


def _check_background(background):
    if isinstance(background, numbers.Integral) and not isinstance(background, bool):
        background = (background,) * 3
    try:
        values = tuple(int(value) for value in background)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 3 or not all(0 <= value <= 255 for value in values):
        raise ValueError(
            "Invalid background: expected an (R, G, B) tuple of integers from 0 to 255, "
            f"or one such integer for gray. Received: background={background!r}"
        )
    return values


def decode_image(data, options):
    """Decode the bytes of one image file into a `DecodedImage`.

    Args:
        data: bytes of a PNG, JPEG, GIF, BMP, WebP or ICO file. GIF and
            WebP animations give their first frame, and ICO files their
            largest picture.
        options: `DecodeOptions`, e.g. from `make_decode_options`.

    Returns:
        A `DecodedImage` whose `array` is uint8 with shape
        `(image_size, image_size, 3)`, or `(image_size, image_size, 1)` when
        `options.grayscale` is set.

    Raises:
        ImageDecodeError: If the file is empty, not in a supported format,
            truncated or corrupt, or has more pixels than `options.max_pixels`.
    """
    if not data:
        raise ImageDecodeError(EMPTY_FILE)
    image = open_image(data, options.max_pixels)
    source_format, source_mode, source_size = image.format, image.mode, image.size
    array = image_to_array(image, options)
    return DecodedImage(array=array, format=source_format, mode=source_mode, size=source_size)


def open_image(data, max_pixels=DEFAULT_MAX_PIXELS):
    """Open and fully load an image from bytes, or raise `ImageDecodeError`."""
    try:
        with warnings.catch_warnings():
            # The pixel limit is enforced below, so Pillow's warning between
            # its own two limits would only repeat it.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageDecodeError(
            NOT_AN_IMAGE, f"not a {SUPPORTED_FORMATS_TEXT} file"
        ) from None
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(TOO_MANY_PIXELS, str(error)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageDecodeError(CORRUPT, _describe(error)) from None

    if image.format == "ICO":
        _select_largest_icon(image)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageDecodeError(
            TOO_MANY_PIXELS,
            f"{width}x{height} is {width * height} pixels, above max_pixels={max_pixels}",
        )
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(TOO_MANY_PIXELS, str(error)) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageDecodeError(CORRUPT, _describe(error)) from None
    return image


def _select_largest_icon(image):
    # An ICO file stores one picture per size. Setting `size` picks the
    # picture that `load` decodes.
    sizes = image.info.get("sizes") or {image.size}
    image.size = max(sizes, key=lambda size: (size[0] * size[1], size))


def _describe(error):
    return str(error) or type(error).__name__


def image_to_array(image, options):
    """Orient, convert and resize a loaded Pillow image into a uint8 `(S, S, C)` array."""
    image = _apply_exif_orientation(image)
    try:
        rgb = to_rgb(image, options.background)
    except ValueError as error:
        raise ImageDecodeError(CORRUPT, f"cannot convert mode {image.mode}: {error}") from None
    square = fit_square(rgb, options.image_size, options.fit, options.background)
    if options.grayscale:
        return np.asarray(square.convert("L"), dtype=np.uint8)[..., np.newaxis]
    return np.asarray(square, dtype=np.uint8)


def _apply_exif_orientation(image):
    try:
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        # NOTE: an unparsable EXIF block keeps the image as stored rather
        # than dropping an otherwise good file.
        return image


def to_rgb(image, background=(255, 255, 255)):
    """Convert a Pillow image of any mode to RGB, compositing transparency on `background`.

    Palette images with a transparent index and RGB or L images with a
    transparent colour key count as transparent. 16-bit and 32-bit integer
    images are scaled from [0, 65535] to [0, 255].
    """
    if image.mode in _HIGH_DEPTH_MODES:
        image = _high_depth_to_l(image)
    elif image.mode == "1":
        image = image.convert("L")

    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*background, 255))
    return Image.alpha_composite(canvas, rgba).convert("RGB")


def _high_depth_to_l(image):
    values = np.asarray(image)
    if image.mode == "F":
        # NOTE: float images have no standard range. Values are taken as
        # 0-255 and clipped, which fits 8-bit data stored as floats.
        scaled = values
    else:
        # 16-bit files (PNG, for one) open as "I;16" or "I" with values up to
        # 65535, and 65535 / 257 = 255.
        scaled = values.astype(np.float64) / 257.0
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")


def fit_square(image, size, fit="pad", background=(255, 255, 255)):
    """Resize an RGB or L Pillow image to `size` x `size`, keeping its aspect ratio.

    `fit="pad"` scales the longer side to `size` and centres the image on
    `background`. `fit="crop"` scales the shorter side to `size` and cuts
    the centre. Resizing uses Lanczos filtering, which Pillow widens when
    downscaling so that the result is antialiased.
    """
    width, height = image.size
    if fit == "pad":
        scale = size / max(width, height)
    else:
        scale = size / min(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new_size != image.size:
        image = image.resize(new_size, Image.Resampling.LANCZOS)

    new_width, new_height = new_size
    if fit == "crop":
        left = (new_width - size) // 2
        top = (new_height - size) // 2
        return image.crop((left, top, left + size, top + size))

    if new_size == (size, size):
        return image
    fill = background
    if image.mode != "RGB":
        fill = Image.new("RGB", (1, 1), background).convert(image.mode).getpixel((0, 0))
    canvas = Image.new(image.mode, (size, size), fill)
    canvas.paste(image, ((size - new_width) // 2, (size - new_height) // 2))
    return canvas


def rgb_array_to_square(array, options):
    """Resize one uint8 RGB `(H, W, 3)` array like a decoded file: fit, then grayscale."""
    image = Image.fromarray(array, mode="RGB")
    square = fit_square(image, options.image_size, options.fit, options.background)
    if options.grayscale:
        return np.asarray(square.convert("L"), dtype=np.uint8)[..., np.newaxis]
    return np.asarray(square, dtype=np.uint8)
