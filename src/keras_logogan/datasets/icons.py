"""Logo images shipped inside the package, loaded as uint8 arrays."""

import importlib.resources
import operator

import numpy as np
from PIL import Image

# Sizes stored in `data/icons_{size}.npz`. Other sizes are resized from them.
NATIVE_SIZES = (32, 64)
MIN_IMAGE_SIZE = 8
MAX_IMAGE_SIZE = 128

# ITU-R BT.601 luma weights for R, G and B, as used by PIL's "L" mode.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def load_icons(image_size=32, *, grayscale=False, return_names=False):
    """Load the packaged logo images.

    The images are about 5,500 brand and software logos rendered from the
    openly licensed npm packages simple-icons, @iconify-json/logos and
    devicon, centred on a white background with their aspect ratio kept.
    `datasets/data/CREDITS.md` lists the sources and licences, and row `i` of
    `datasets/data/icons_manifest.csv` describes image `i`.

    Sizes 32 and 64 are stored. Any other size from 8 to 128 is resized
    from the smallest stored size that is at least as large, or from 64 for
    sizes above 64. Downscaling uses box filtering and upscaling uses Lanczos.
    The order of the images is the same for every size.

    NOTE: sizes above 64, such as 128, are upsampled from the 64 px images,
    so they are blurrier than a native rendering at that size.

    Args:
        image_size: int, default 32. Height and width of the returned images,
            from 8 to 128.
        grayscale: bool, default False. If True, convert the images to one
            channel with ITU-R 601 luma (`0.299 R + 0.587 G + 0.114 B`).
        return_names: bool, default False. If True, also return the image
            names as `"source:icon"` strings, e.g. `"simple-icons:python"`.

    Returns:
        A uint8 numpy array of shape `(N, image_size, image_size, 3)`, or
        `(N, image_size, image_size, 1)` when `grayscale=True`, with values
        in [0, 255]. With `return_names=True`, a tuple `(images, names)`
        where `names` is a string array of shape `(N,)`.

    Raises:
        ValueError: If `image_size` is not an integer from 8 to 128.

    Examples:
        >>> from keras_logogan.datasets import load_icons
        >>> images = load_icons(image_size=32)
        >>> images.shape[1:], images.dtype
        ((32, 32, 3), dtype('uint8'))
        >>> gray, names = load_icons(16, grayscale=True, return_names=True)
        >>> gray.shape[1:], len(names) == len(gray)
        ((16, 16, 1), True)
    """
    image_size = _validate_image_size(image_size)
    source_size = _choose_source_size(image_size)
    images, names = _read_icon_arrays(source_size)

    if image_size != source_size:
        images = _resize_images(images, image_size)
    if grayscale:
        images = _to_grayscale(images)

    if return_names:
        return images, names
    return images


def _validate_image_size(image_size):
    """Return `image_size` as an int, or raise ValueError if it is not allowed."""
    error = ValueError(
        f"Invalid image_size: {image_size!r}. Expected an integer from "
        f"{MIN_IMAGE_SIZE} to {MAX_IMAGE_SIZE}. Sizes {NATIVE_SIZES[0]} and "
        f"{NATIVE_SIZES[1]} are stored, and other sizes are resized from them."
    )
    if isinstance(image_size, bool):
        raise error
    try:
        size = operator.index(image_size)
    except TypeError:
        raise error from None
    if not MIN_IMAGE_SIZE <= size <= MAX_IMAGE_SIZE:
        raise error
    return size


def _choose_source_size(image_size):
    """Return the stored size to resize from: the smallest one not below `image_size`."""
    for size in NATIVE_SIZES:
        if size >= image_size:
            return size
    return NATIVE_SIZES[-1]


def _read_icon_arrays(size):
    """Read `images` and `names` from the packaged `icons_{size}.npz`."""
    _check_lzma_available()
    resource = importlib.resources.files(__package__) / "data" / f"icons_{size}.npz"
    with resource.open("rb") as file, np.load(file, allow_pickle=False) as archive:
        return archive["images"], archive["names"]


def _check_lzma_available():
    """Raise RuntimeError if this Python lacks the `lzma` module.

    The packaged `.npz` files are LZMA-compressed zip archives, which
    `numpy.load` reads through the standard-library `zipfile` and `lzma`.
    """
    try:
        import lzma  # noqa: F401
    except ImportError as error:
        raise RuntimeError(
            "Cannot read the packaged logo images because this Python was built "
            "without the `lzma` module. Install the liblzma development files "
            "(e.g. `liblzma-dev` on Debian) and rebuild Python, or use a Python "
            "distribution that includes `lzma`."
        ) from error


def _resize_images(images, image_size):
    """Resize uint8 images `(N, H, W, C)` to `image_size` x `image_size` with PIL."""
    if image_size < images.shape[1]:
        resample = Image.Resampling.BOX
    else:
        resample = Image.Resampling.LANCZOS

    resized = np.empty(
        (len(images), image_size, image_size, images.shape[-1]), dtype=np.uint8
    )
    for index, image in enumerate(images):
        pil_image = Image.fromarray(image).resize((image_size, image_size), resample)
        resized[index] = np.asarray(pil_image)
    return resized


def _to_grayscale(images):
    """Convert uint8 RGB images `(N, H, W, 3)` to luma images `(N, H, W, 1)`."""
    luma = images.astype(np.float32) @ LUMA_WEIGHTS
    luma = np.clip(np.rint(luma), 0, 255).astype(np.uint8)
    return luma[..., np.newaxis]
