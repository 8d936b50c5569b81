"""Grids: layout, PNG output and atomic writes."""

import os

import numpy as np
import pytest
from PIL import Image

from keras_logogan import make_grid
from keras_logogan import save_grid
from keras_logogan.images import to_uint8


def test_to_uint8_maps_the_tanh_range():
    values = to_uint8(np.array([-1.0, 0.0, 1.0, 2.0]))

    np.testing.assert_array_equal(values, [0, 128, 255, 255])


def test_grid_places_each_image():
    images = np.stack([np.full((4, 4, 3), value, np.uint8) for value in (10, 20, 30)])

    grid = make_grid(images, columns=2, padding=1, background=0)

    assert grid.shape == (11, 11, 3)
    assert grid[1, 1, 0] == 10
    assert grid[1, 6, 0] == 20
    assert grid[6, 1, 0] == 30
    assert grid[6, 6, 0] == 0


def test_save_grid_writes_a_png(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (9, 8, 8, 1), dtype=np.uint8)

    path = save_grid(images, tmp_path / "sub" / "grid.png", scale=2)

    with Image.open(path) as picture:
        assert picture.format == "PNG"
        assert picture.size == (2 * 32, 2 * 32)
        assert picture.mode == "L"


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    def broken_save(self, stream, *args, **kwargs):
        stream.write(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    target = tmp_path / "grid.png"

    with pytest.raises(OSError, match="disk full"):
        save_grid(np.zeros((2, 4, 4, 3), np.uint8), target)

    assert os.listdir(tmp_path) == []


def test_grid_rejects_non_image_arrays():
    with pytest.raises(ValueError, match="shape=\\(4, 4\\)"):
        make_grid(np.zeros((4, 4), np.uint8))


def test_saved_grid_has_umask_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        path = save_grid(np.zeros((1, 4, 4, 3), np.uint8), tmp_path / "grid.png")
    finally:
        os.umask(previous)

    assert os.stat(path).st_mode & 0o777 == 0o644
