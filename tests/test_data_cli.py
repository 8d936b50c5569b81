"""`logogan data inspect` and `logogan train --data` with folders, archives and LLD files."""

import contextlib
import csv
import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest
from PIL import Image

from keras_logogan.cli.main import main

RED = (255, 0, 0)


def run_main(argv):
    """Run `main(argv)` and return `(status, stdout)`."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    return status, stdout.getvalue()


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_LOGOGAN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def logo_folder(tmp_path):
    folder = tmp_path / "logos"
    (folder / "sub").mkdir(parents=True)
    Image.new("RGBA", (20, 10), (255, 0, 0, 255)).save(folder / "red.png")
    Image.new("RGBA", (20, 10), (255, 0, 0, 255)).save(folder / "sub" / "red-copy.png")
    Image.new("RGB", (16, 16), (0, 0, 255)).save(folder / "blue.jpg")
    (folder / "empty.png").write_bytes(b"")
    (folder / "readme.txt").write_text("not an image")
    return folder


def test_inspect_folder_summary(logo_folder, tmp_path):
    report_path = tmp_path / "skipped.csv"

    status, output = run_main(["data", "inspect", str(logo_folder), "--image-size", "16", "--report", str(report_path)])

    assert status == 0
    assert "Images: 5 found, 3 used, 2 skipped" in output
    assert "skipped, empty file: 1" in output
    assert "skipped, not a supported image: 1" in output
    assert "readme.txt: not a supported image" in output
    assert "20x10: 2" in output
    assert "16x16: 1" in output
    assert "PNG RGBA: 2" in output
    assert "JPEG RGB: 1" in output
    assert "Duplicate files (same bytes as an earlier file): 1" in output
    assert "Duplicate images (same pixels at 16x16 as an earlier image): 1" in output
    with open(report_path, newline="") as stream:
        rows = {row["path"]: row["reason"] for row in csv.DictReader(stream)}
    assert rows == {"empty.png": "empty file", "readme.txt": "not a supported image"}


def test_inspect_writes_contact_sheet(logo_folder, tmp_path):
    sheet = tmp_path / "sheets" / "contact.png"

    status, output = run_main(["data", "inspect", str(logo_folder), "--image-size", "8", "--sheet", str(sheet)])

    assert status == 0
    assert "3 random images" in output
    with Image.open(sheet) as picture:
        # Two columns of 8 px tiles with 2 px padding, scaled by 2.
        assert picture.size == ((2 * 10 + 2) * 2, (2 * 10 + 2) * 2)


def test_inspect_lld_hdf5(tmp_path):
    path = tmp_path / "LLD-icon.hdf5"
    icons = np.zeros((4, 3, 32, 32), np.uint8)
    icons[1] = 200
    with h5py.File(path, "w") as file:
        file["data"] = icons

    status, output = run_main(["data", "inspect", str(path)])

    assert status == 0
    assert "Images: 4 found, 4 used, 0 skipped" in output
    assert "32x32: 4" in output
    assert "Duplicate images (same pixels at 32x32 as an earlier image): 2" in output
    assert "Duplicate files" not in output


def test_inspect_missing_path_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["data", "inspect", str(tmp_path / "missing")])

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "not found" in error
    assert "Traceback" not in error


def test_inspect_sheet_must_be_png(logo_folder, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["data", "inspect", str(logo_folder), "--sheet", "contact.jpg"])

    assert raised.value.code == 2
    assert "--sheet" in capsys.readouterr().err


def test_data_cli_does_not_import_keras(logo_folder):
    code = (
        "import sys\n"
        "from keras_logogan.cli.main import main\n"
        f"status = main(['data', 'inspect', {str(logo_folder)!r}])\n"
        "assert 'keras' not in sys.modules, 'keras was imported'\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "3 used" in result.stdout


# logogan train --data


TINY_TRAIN = ["--image-size", "8", "--width", "4", "--epochs", "1", "--batch-size", "4", "--num-samples", "4", "--quiet"]


def _train(tmp_path, data, *options):
    output = tmp_path / "run"
    status, _ = run_main(["train", "--data", str(data), *TINY_TRAIN, *options, "--output", str(output)])
    return status, json.loads((output / "run_config.json").read_text())


def test_train_on_folder(logo_folder, tmp_path, capsys, caplog):
    status, config = _train(tmp_path, logo_folder)

    assert status == 0
    assert config["data"] == {"num_images": 3, "image_shape": [8, 8, 3], "num_held_out": 0}
    assert config["options"]["data"] == str(logo_folder)
    assert "used 3 of 5 files, skipped 1 empty file, 1 not a supported image" in caplog.text
    error = capsys.readouterr().err
    assert f"run `logogan data inspect {logo_folder}` to list the 2 skipped files" in error
    assert "used 3 of 5 files" not in error


def test_train_on_zip_and_lld_files(tmp_path):
    archive_path = tmp_path / "icons.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for index in range(3):
            buffer = io.BytesIO()
            Image.new("RGB", (32, 32), (index * 80, 0, 0)).save(buffer, "PNG")
            archive.writestr(f"{index}.png", buffer.getvalue())
    hdf5_path = tmp_path / "LLD-icon.hdf5"
    with h5py.File(hdf5_path, "w") as file:
        file["data"] = np.zeros((5, 3, 32, 32), np.uint8)
    pickle_path = tmp_path / "LLD-icon_data_0.pkl"
    pickle_path.write_bytes(pickle.dumps(np.zeros((6, 32, 32, 3), np.uint8), protocol=2))

    for data, count in [(archive_path, 3), (hdf5_path, 5), (pickle_path, 6)]:
        run_folder = tmp_path / data.stem
        run_folder.mkdir()
        status, config = _train(run_folder, data)
        assert status == 0
        assert config["data"]["num_images"] == count


def test_train_rejects_malicious_pickle(tmp_path, capsys):
    class CreatesMarker:
        def __reduce__(self):
            return (os.makedirs, (str(tmp_path / "marker"),))

    path = tmp_path / "LLD-icon_data_0.pkl"
    path.write_bytes(pickle.dumps(CreatesMarker(), protocol=2))

    with pytest.raises(SystemExit) as raised:
        main(["train", "--data", str(path), "--output", str(tmp_path / "run")])

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("logogan train: error: argument --data")
    assert "'os.makedirs'" in error
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / "run").exists()


def test_train_rejects_single_usable_image(tmp_path, capsys):
    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("RGB", (16, 16), (0, 0, 255)).save(folder / "blue.png")
    (folder / "broken.png").write_text("not an image")

    with pytest.raises(SystemExit) as raised:
        main(["train", "--data", str(folder), *TINY_TRAIN, "--output", str(tmp_path / "run")])

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "gives 1 training image, and the checks need at least 2" in error
    assert "--no-checks" in error
    assert not (tmp_path / "run" / "model.keras").exists()


def test_train_single_image_without_checks(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("RGB", (16, 16), (0, 0, 255)).save(folder / "blue.png")

    status, config = _train(tmp_path, folder, "--no-checks")

    assert status == 0
    assert config["data"]["num_images"] == 1
