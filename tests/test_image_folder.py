"""`image_folder`: real files in every supported format and mode, bad files, the report and the cache."""

import csv
import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from keras_logogan.datasets import image_decoding
from keras_logogan.datasets import image_folders as image_folder_module
from keras_logogan.datasets.image_folders import NoUsableImagesError
from keras_logogan.datasets.image_folders import image_folder

RED = (255, 0, 0)
WHITE = (255, 255, 255)


def load(folder, size=16, **kwargs):
    kwargs.setdefault("cache_dir", False)
    return image_folder(folder, size, return_report=True, **kwargs)


def save_red_square(path, image_format=None, **save_options):
    Image.new("RGB", (20, 20), RED).save(path, image_format, **save_options)


# colour modes and formats


def _rgba_on_transparent():
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (5, 5, 15, 15))
    return image


def _palette_with_transparency():
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (5, 5, 15, 15))
    image.info["transparency"] = 0
    return image


def _gray_alpha():
    image = Image.new("LA", (20, 20), (0, 0))
    image.paste((0, 255), (5, 5, 15, 15))
    return image


def test_rgba_logo_red_on_white(tmp_path):
    _rgba_on_transparent().save(tmp_path / "logo.png")

    images, report = load(tmp_path, 20)

    assert images.shape == (1, 20, 20, 3)
    assert images.dtype == np.uint8
    assert images[0, 10, 10].tolist() == list(RED)
    assert images[0, 1, 1].tolist() == list(WHITE)
    assert report.paths == ["logo.png"]


def test_background_colour_option(tmp_path):
    _rgba_on_transparent().save(tmp_path / "logo.png")

    images, _ = load(tmp_path, 20, background=(0, 0, 255))

    assert images[0, 1, 1].tolist() == [0, 0, 255]
    assert images[0, 10, 10].tolist() == list(RED)


@pytest.mark.parametrize(
    "name, make_image, center, corner",
    [
        ("palette_transparent.png", _palette_with_transparency, RED, WHITE),
        ("palette_transparent.gif", _palette_with_transparency, RED, WHITE),
        ("gray_alpha.png", _gray_alpha, (0, 0, 0), WHITE),
        ("cmyk.jpg", lambda: Image.new("CMYK", (20, 20), (0, 255, 255, 0)), RED, RED),
        ("gray.png", lambda: Image.new("L", (20, 20), 128), (128, 128, 128), (128, 128, 128)),
        ("bilevel.png", lambda: Image.new("1", (20, 20), 1), WHITE, WHITE),
        ("rgb.bmp", lambda: Image.new("RGB", (20, 20), RED), RED, RED),
        ("rgba.webp", _rgba_on_transparent, RED, WHITE),
    ],
)
def test_colour_modes_to_rgb(tmp_path, name, make_image, center, corner):
    image = make_image()
    options = {"lossless": True} if name.endswith(".webp") else {}
    image.save(tmp_path / name, **options)

    images, report = load(tmp_path, 20)

    assert report.skipped == []
    # JPEG is lossy, so its colours are compared with a tolerance.
    tolerance = 8 if name.endswith(".jpg") else 0
    assert np.abs(images[0, 10, 10].astype(int) - center).max() <= tolerance
    assert np.abs(images[0, 1, 1].astype(int) - corner).max() <= tolerance


def test_sixteen_bit_gray_png_scaled(tmp_path):
    values = np.full((20, 20), 65535, np.uint16)
    values[:, :10] = 32896  # 128 * 257
    Image.fromarray(values).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as reopened:
        assert reopened.mode.startswith("I")

    images, _ = load(tmp_path, 20)

    assert images[0, 10, 15].tolist() == [255, 255, 255]
    assert images[0, 10, 2].tolist() == [128, 128, 128]


def test_ico_uses_largest_picture(tmp_path):
    small = Image.new("RGB", (16, 16), (0, 0, 255))
    large = Image.new("RGB", (48, 48), RED)
    large.save(tmp_path / "favicon.ico", sizes=[(16, 16), (48, 48)], append_images=[small])

    images, report = load(tmp_path, 32)

    assert report.skipped == []
    assert images[0, 16, 16].tolist() == list(RED)


def test_animated_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 20), RED), Image.new("RGB", (20, 20), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])

    images, _ = load(tmp_path, 20)

    assert images[0, 10, 10].tolist() == list(RED)


def test_exif_rotated_jpeg_upright(tmp_path):
    # Stored sideways: red on the left half. Orientation 6 means "rotate 90
    # degrees clockwise to display", which puts red on the top half.
    stored = Image.new("RGB", (40, 40), WHITE)
    stored.paste(RED, (0, 0, 20, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "photo.jpg", exif=exif.tobytes(), quality=95)

    images, _ = load(tmp_path, 40)

    top, bottom = images[0, 5, 20].astype(int), images[0, 35, 20].astype(int)
    assert np.abs(top - RED).max() <= 8
    assert np.abs(bottom - WHITE).max() <= 8


def test_grayscale_output(tmp_path):
    save_red_square(tmp_path / "red.png")

    images, _ = load(tmp_path, 8, grayscale=True)

    assert images.shape == (1, 8, 8, 1)
    assert images[0, 4, 4, 0] == 76  # round(0.299 * 255)


def test_pad_keeps_aspect_ratio(tmp_path):
    Image.new("RGB", (40, 20), RED).save(tmp_path / "wide.png")

    images, _ = load(tmp_path, 16)

    column = images[0, :, 8]
    assert column[:4].tolist() == [list(WHITE)] * 4
    assert column[4:12].tolist() == [list(RED)] * 8
    assert column[12:].tolist() == [list(WHITE)] * 4


def test_crop_fills_square(tmp_path):
    wide = Image.new("RGB", (60, 20), (0, 0, 255))
    # The crop keeps columns 20 to 40. Red reaches 6 columns past them on
    # each side, beyond the reach of the Lanczos filter at this scale.
    wide.paste(RED, (14, 0, 46, 20))
    wide.save(tmp_path / "wide.png")

    images, _ = load(tmp_path, 16, fit="crop")

    assert images.shape == (1, 16, 16, 3)
    assert np.all(images[0] == RED)


def test_downscale_is_antialiased(tmp_path):
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, ::2] = 255
    Image.fromarray(stripes).save(tmp_path / "stripes.png")

    images, _ = load(tmp_path, 8)

    # Averaging one-pixel stripes gives mid-gray, where point sampling would
    # give pure black or white.
    assert np.all(np.abs(images[0].astype(int) - 128) <= 16)


def test_recursive_sorted_hidden_ignored(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    save_red_square(tmp_path / "b" / "deep" / "two.png")
    save_red_square(tmp_path / "a.png")
    save_red_square(tmp_path / ".hidden" / "three.png")
    save_red_square(tmp_path / ".dotfile.png")
    save_red_square(tmp_path / "no_extension", "PNG")

    images, report = load(tmp_path)

    assert report.paths == ["a.png", os.path.join("b", "deep", "two.png"), "no_extension"]
    assert len(images) == 3


# bad files


def _write_bad_files(folder):
    """Write one file of each bad kind next to one good file; return the expected reasons."""
    save_red_square(folder / "good.png")
    (folder / "empty.png").write_bytes(b"")
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(buffer, "PNG")
    (folder / "truncated.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "notes.png").write_text("this is text, not a PNG")
    Image.new("L", (300, 300)).save(folder / "huge.png")
    Image.new("RGB", (8, 8)).save(folder / "picture.tiff")
    os.symlink(folder / "missing-target.png", folder / "broken-link.png")
    return {
        "empty.png": image_decoding.EMPTY_FILE,
        "truncated.png": image_decoding.CORRUPT,
        "notes.png": image_decoding.NOT_AN_IMAGE,
        "huge.png": image_decoding.TOO_MANY_PIXELS,
        "picture.tiff": image_decoding.NOT_AN_IMAGE,
        "broken-link.png": image_decoding.UNREADABLE,
    }


def test_bad_files_skipped_with_reasons(tmp_path):
    expected = _write_bad_files(tmp_path)

    images, report = load(tmp_path, max_pixels=256 * 256)

    assert len(images) == 1
    assert report.paths == ["good.png"]
    assert report.found == 7
    assert {item.path: item.reason for item in report.skipped} == expected
    assert report.reason_counts()[image_decoding.NOT_AN_IMAGE] == 2
    assert "used 1 of 7 files" in report.summary()


def test_skip_report_csv_and_json(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    expected = _write_bad_files(folder)

    load(folder, max_pixels=256 * 256, report_path=tmp_path / "skipped.csv")
    load(folder, max_pixels=256 * 256, report_path=tmp_path / "report.json")

    with open(tmp_path / "skipped.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {row["path"]: row["reason"] for row in rows} == expected
    assert all(row["detail"] for row in rows if row["reason"] != image_decoding.EMPTY_FILE)
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["used"] == 1
    assert document["found"] == 7
    assert {item["path"]: item["reason"] for item in document["skipped"]} == expected


def test_unreadable_file_skipped(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    save_red_square(tmp_path / "good.png")
    save_red_square(tmp_path / "locked.png")
    os.chmod(tmp_path / "locked.png", 0)

    _, report = load(tmp_path)

    assert [(item.path, item.reason) for item in report.skipped] == [("locked.png", image_decoding.UNREADABLE)]


def test_fifo_skipped_without_blocking(tmp_path):
    save_red_square(tmp_path / "good.png")
    os.mkfifo(tmp_path / "pipe.png")

    _, report = load(tmp_path)

    assert [(item.path, item.reason) for item in report.skipped] == [("pipe.png", image_folder_module.NOT_A_FILE)]


def test_symlink_loop_terminates(tmp_path):
    (tmp_path / "sub").mkdir()
    save_red_square(tmp_path / "sub" / "logo.png")
    os.symlink(tmp_path, tmp_path / "sub" / "back-to-top")
    os.symlink(tmp_path / "sub", tmp_path / "sub" / "self")

    images, report = load(tmp_path)

    assert report.paths == [os.path.join("sub", "logo.png")]
    assert len(images) == 1


def test_no_usable_image_error_names_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")

    with pytest.raises(NoUsableImagesError) as raised:
        load(tmp_path)

    message = str(raised.value)
    assert repr(str(tmp_path)) in message
    assert "all 2 files were skipped" in message
    assert "1 empty file" in message
    assert "1 not a supported image" in message
    assert raised.value.report.found == 2


def test_empty_folder_error(tmp_path):
    with pytest.raises(NoUsableImagesError, match="contains no files"):
        load(tmp_path)


def test_missing_path_and_plain_file(tmp_path):
    save_red_square(tmp_path / "logo.png")

    with pytest.raises(FileNotFoundError, match="missing"):
        load(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a .zip archive"):
        load(tmp_path / "logo.png")


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"fit": "stretch"}, "fit='stretch'"),
        ({"background": (300, 0, 0)}, "background=(300, 0, 0)"),
        ({"max_pixels": 0}, "max_pixels=0"),
    ],
)
def test_invalid_options_rejected(tmp_path, options, fragment):
    with pytest.raises(ValueError) as raised:
        load(tmp_path, **options)
    assert fragment in str(raised.value)


# zip archives


def test_zip_of_pngs_read_in_memory(tmp_path):
    buffer = io.BytesIO()
    _rgba_on_transparent().save(buffer, "PNG")
    archive_path = tmp_path / "LLD-icon_sample.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("icons/0001.png", buffer.getvalue())
        archive.writestr("../escape.png", buffer.getvalue())
        archive.writestr("__MACOSX/icons/._0001.png", b"resource fork")
        archive.writestr("icons/broken.png", buffer.getvalue()[:60])
    before = set(os.listdir(tmp_path))

    images, report = load(archive_path, 20)

    assert report.paths == ["../escape.png", "icons/0001.png"]
    assert [(item.path, item.reason) for item in report.skipped] == [("icons/broken.png", image_decoding.CORRUPT)]
    assert images[1, 10, 10].tolist() == list(RED)
    assert set(os.listdir(tmp_path)) == before
    assert not (tmp_path.parent / "escape.png").exists()


# cache


class DecodeCounter:
    def __init__(self):
        self.calls = 0

    def __call__(self, data, options):
        self.calls += 1
        return image_decoding.decode_image(data, options)


@pytest.fixture
def counted_decoder(monkeypatch):
    counter = DecodeCounter()
    monkeypatch.setattr(image_folder_module, "decode_image", counter)
    return counter


def test_cache_hit_skips_decoding(tmp_path, counted_decoder):
    folder, cache_dir = tmp_path / "data", tmp_path / "cache"
    folder.mkdir()
    save_red_square(folder / "one.png")
    save_red_square(folder / "two.png")
    (folder / "empty.png").write_bytes(b"")

    first, first_report = image_folder(folder, 8, cache_dir=cache_dir, return_report=True)
    assert counted_decoder.calls == 3
    second, second_report = image_folder(folder, 8, cache_dir=cache_dir, return_report=True)

    assert counted_decoder.calls == 3
    assert second_report.from_cache
    assert not first_report.from_cache
    np.testing.assert_array_equal(first, second)
    assert second_report.paths == first_report.paths
    assert second_report.skipped == first_report.skipped
    assert len(list((cache_dir / "decoded").glob("*.npz"))) == 1


def test_cache_invalidated_by_change(tmp_path, counted_decoder):
    folder, cache_dir = tmp_path / "data", tmp_path / "cache"
    folder.mkdir()
    save_red_square(folder / "one.png")
    image_folder(folder, 8, cache_dir=cache_dir)

    stamp = os.stat(folder / "one.png").st_mtime_ns + 5_000_000_000
    os.utime(folder / "one.png", ns=(stamp, stamp))
    image_folder(folder, 8, cache_dir=cache_dir)
    assert counted_decoder.calls == 2

    image_folder(folder, 16, cache_dir=cache_dir)
    assert counted_decoder.calls == 3

    Image.new("RGB", (20, 20), (0, 0, 255)).save(folder / "one.png")
    images = image_folder(folder, 16, cache_dir=cache_dir)
    assert counted_decoder.calls == 4
    assert images[0, 8, 8].tolist() == [0, 0, 255]
    # Each new entry replaces the older ones of the same folder.
    assert len(list((cache_dir / "decoded").glob("*.npz"))) == 1


def test_cache_dir_from_environment(tmp_path, monkeypatch, counted_decoder):
    save_red_square(tmp_path / "one.png")
    monkeypatch.setenv("KERAS_LOGOGAN_CACHE_DIR", str(tmp_path / "env-cache"))

    image_folder(tmp_path, 8)
    image_folder(tmp_path, 8)

    assert counted_decoder.calls == 1
    assert len(list((tmp_path / "env-cache" / "decoded").glob("*.npz"))) == 1


def test_corrupt_cache_file_rebuilt(tmp_path, counted_decoder):
    folder, cache_dir = tmp_path / "data", tmp_path / "cache"
    folder.mkdir()
    save_red_square(folder / "one.png")
    _, report = image_folder(folder, 8, cache_dir=cache_dir, return_report=True)
    with open(report.cache_file, "wb") as stream:
        stream.write(b"not an npz file")

    images = image_folder(folder, 8, cache_dir=cache_dir)

    assert counted_decoder.calls == 2
    assert images[0, 4, 4].tolist() == list(RED)


def test_cache_disabled(tmp_path, counted_decoder):
    save_red_square(tmp_path / "one.png")

    image_folder(tmp_path, 8, cache_dir=False)
    image_folder(tmp_path, 8, cache_dir=False)

    assert counted_decoder.calls == 2
