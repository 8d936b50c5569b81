"""The `logogan` command: real tiny training runs, sampling, input errors and help.

Every run uses the backend this test process was started with (KERAS_BACKEND).
Only the `--backend` test starts a child process with another backend.
"""

import contextlib
import csv
import io
import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from keras_logogan import LogoGAN
from keras_logogan.architectures import ARCHITECTURES
from keras_logogan.training_configs import TRAINING_CONFIGS
from keras_logogan.cli import train as train_command
from keras_logogan.cli.main import build_parsers
from keras_logogan.cli.main import main
from keras_logogan.losses import LOSSES
from keras_logogan.version import __version__

TINY_TRAIN_OPTIONS = [
    "--image-size", "16",
    "--width", "8",
    "--limit", "64",
    "--epochs", "2",
    "--batch-size", "32",
    # A 64-image run checks and saves grids every 79 epochs by default.
    "--check-every", "1",
    "--grid-every", "1",
]  # fmt: skip
TILE = 16
PADDING = 2  # save_grid's default padding, in pixels
GRID_SCALE = 2  # the scale `logogan train` saves its grids with
METRICS_COLUMNS = [
    "epoch",
    "d_loss",
    "g_loss",
    "real_accuracy",
    "fake_accuracy",
    "seconds",
    "images_per_second",
]
# Written by the checks that `logogan train` turns on; 64 images are too few to
# hold any out, so the held-out and memorisation values are absent.
CHECK_COLUMNS = [
    "d_real_accuracy",
    "d_fake_accuracy",
    "r_t",
    "d_held_out_accuracy",
    "overfit_gap",
    "diversity_ratio",
    "feature_diversity_ratio",
    "duplicate_rate",
]
HELD_OUT_COLUMNS = ("d_held_out_accuracy", "overfit_gap")
TRAIN_OPTIONS = [
    "--data", "--image-size", "--grayscale", "--limit", "--epochs", "--batch-size",
    "--loss", "--architecture", "--width", "--latent-dim", "--discriminator-steps",
    "--learning-rate", "--beta-1", "--output", "--seed", "--num-samples",
    "--grid-every", "--backend", "--quiet", "--held-out", "--check-every", "--no-checks",
    "--config", "--kimg", "--discriminator-normalization", "--ema-decay",
    "--discriminator-learning-rate", "--augment", "--ada-target", "--r1-weight",
    "--dtype-policy", "--steps-per-execution", "--keep-best",
]  # fmt: skip
SAMPLE_OPTIONS = [
    "--model", "--num-images", "--seed", "--output", "--columns", "--scale", "--backend",
]  # fmt: skip


def grid_side(tiles, scale):
    """Return the pixel length of a grid side of `tiles` 16 px tiles."""
    return (tiles * (TILE + PADDING) + PADDING) * scale


def run_main(argv):
    """Run `main(argv)` and return `(status, stdout)`, leaving stderr to pytest."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    return status, stdout.getvalue()


def read_metrics(run_folder):
    with open(run_folder / "metrics.csv", newline="") as stream:
        reader = csv.DictReader(stream)
        return reader.fieldnames, list(reader)


def save_sequential_model(path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One tiny `logogan train` run on the shipped icons, with the progress bar."""
    folder = tmp_path_factory.mktemp("cli") / "run"
    status, output = run_main(["train", *TINY_TRAIN_OPTIONS, "--output", str(folder)])
    return {"folder": folder, "status": status, "output": output}


# train on the shipped icons


def test_train_exits_zero(trained_run):
    assert trained_run["status"] == 0


def test_train_saves_loadable_model(trained_run):
    model = keras.saving.load_model(trained_run["folder"] / "model.keras")

    assert isinstance(model, LogoGAN)
    assert model.image_size == TILE
    assert model.generate(2, seed=0).shape == (2, TILE, TILE, 3)


def test_train_leaves_no_temporary_files(trained_run):
    names = sorted(os.listdir(trained_run["folder"]))

    assert names == ["metrics.csv", "model.keras", "report", "run_config.json", "samples"]


def test_train_metrics_csv_columns_and_rows(trained_run):
    columns, rows = read_metrics(trained_run["folder"])

    assert columns == METRICS_COLUMNS + CHECK_COLUMNS
    assert [row["epoch"] for row in rows] == ["0", "1"]
    for row in rows:
        for column in METRICS_COLUMNS[1:] + CHECK_COLUMNS:
            if column in HELD_OUT_COLUMNS:
                assert row[column] == "NA", (column, row)
            else:
                assert math.isfinite(float(row[column])), (column, row)
        assert float(row["seconds"]) > 0
        assert float(row["images_per_second"]) > 0


def test_train_sample_grids_are_pngs(trained_run):
    samples = trained_run["folder"] / "samples"
    side = grid_side(8, GRID_SCALE)  # 64 samples by default, 8 per row

    for name in ("epoch_0001.png", "epoch_0002.png", "final.png"):
        with Image.open(samples / name) as picture:
            assert picture.format == "PNG", name
            assert picture.size == (side, side), name
            assert picture.mode == "RGB", name
            picture.verify()


def test_train_run_config_records_options(trained_run):
    config = json.loads((trained_run["folder"] / "run_config.json").read_text())
    options = config["options"]

    assert options["image_size"] == 16
    assert options["width"] == 8
    assert options["limit"] == 64
    assert options["epochs"] == 2
    assert options["batch_size"] == 32
    assert options["loss"] == "non_saturating"
    assert options["architecture"] == "dcgan"
    assert options["latent_dim"] == 128
    assert options["data"] == "icons"
    assert options["output"] == str(trained_run["folder"])
    assert config["backend"] == keras.config.backend()
    assert config["versions"]["keras"] == keras.__version__
    assert config["versions"]["keras_logogan"] == __version__
    assert config["data"] == {"num_images": 64, "image_shape": [16, 16, 3], "num_held_out": 0}
    assert config["started_at"].endswith("+00:00")


def test_train_prints_progress_and_next_command(trained_run):
    output = trained_run["output"]
    model_path = trained_run["folder"] / "model.keras"

    assert "Epoch 2/2" in output
    assert f"logogan sample --model {model_path}" in output


def test_train_rejects_existing_run_folder(trained_run, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--output", str(trained_run["folder"])])

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "--output" in error
    assert str(trained_run["folder"]) in error
    assert "already contains a run" in error


# sample


def test_sample_grid_has_requested_tiles(trained_run, tmp_path):
    output = tmp_path / "grid.png"
    status, printed = run_main([
        "sample", "--model", str(trained_run["folder"] / "model.keras"),
        "--num-images", "6", "--columns", "3", "--scale", "1", "--output", str(output),
    ])  # fmt: skip

    assert status == 0
    assert str(output) in printed
    with Image.open(output) as picture:
        assert picture.size == (grid_side(3, 1), grid_side(2, 1))


def test_sample_default_columns_are_square(trained_run, tmp_path):
    output = tmp_path / "grid.png"
    status, _ = run_main([
        "sample", "--model", str(trained_run["folder"] / "model.keras"),
        "--num-images", "9", "--output", str(output),
    ])  # fmt: skip

    assert status == 0
    with Image.open(output) as picture:
        assert picture.size == (grid_side(3, 2), grid_side(3, 2))


def test_sample_seed_repeats_images(trained_run, tmp_path):
    model = str(trained_run["folder"] / "model.keras")
    grids = {}
    for name, seed in (("first", "1"), ("again", "1"), ("other", "2")):
        path = tmp_path / f"{name}.png"
        run_main(["sample", "--model", model, "--num-images", "4", "--seed", seed, "--output", str(path)])
        with Image.open(path) as picture:
            grids[name] = np.asarray(picture)

    np.testing.assert_array_equal(grids["first"], grids["again"])
    assert not np.array_equal(grids["first"], grids["other"])


# train on array files


def test_train_npy_file_grayscale_wasserstein(tmp_path):
    # One run covers .npy input, --grayscale conversion, --quiet, --backend
    # naming the current backend, and the layer-normalized discriminator that
    # wasserstein_gp gets. Each extra run costs seconds of tracing on JAX.
    images = np.random.default_rng(0).integers(0, 256, (32, 16, 16, 3), dtype=np.uint8)
    np.save(tmp_path / "logos.npy", images)
    folder = tmp_path / "run"

    status, output = run_main([
        "train", "--data", str(tmp_path / "logos.npy"), "--grayscale", "--image-size", "16",
        "--width", "8", "--epochs", "1", "--batch-size", "16", "--num-samples", "4",
        "--loss", "wasserstein_gp", "--discriminator-steps", "2", "--grid-every", "1",
        "--backend", keras.config.backend(), "--quiet", "--output", str(folder),
    ])  # fmt: skip

    assert status == 0
    assert "Epoch 1/1" not in output  # --quiet hides the progress bar
    assert "logogan sample --model" in output
    config = json.loads((folder / "run_config.json").read_text())
    assert config["options"]["data"] == str(tmp_path / "logos.npy")
    assert config["options"]["loss"] == "wasserstein_gp"
    assert config["data"] == {"num_images": 32, "image_shape": [16, 16, 1], "num_held_out": 0}
    assert config["discriminator_normalization"] == "layer"

    model = keras.saving.load_model(folder / "model.keras")
    assert model.channels == 1
    layer_types = {type(layer) for layer in model.discriminator.layers}
    assert keras.layers.LayerNormalization in layer_types
    assert keras.layers.BatchNormalization not in layer_types

    _, rows = read_metrics(folder)
    assert len(rows) == 1
    assert math.isfinite(float(rows[0]["d_loss"]))
    with Image.open(folder / "samples" / "final.png") as picture:
        assert picture.mode == "L"
    assert (folder / "samples" / "epoch_0001.png").is_file()


def test_rgb_to_grayscale_uses_bt601_luma():
    pixels = np.array([[[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]]], np.uint8)

    gray = train_command.rgb_to_grayscale(pixels)

    assert gray.shape == (1, 1, 4, 1)
    assert gray[0, 0, :, 0].tolist() == [76, 150, 29, 255]


# input errors


def _float_npy(tmp_path):
    path = tmp_path / "float.npy"
    np.save(path, np.zeros((4, 16, 16, 3), np.float32))
    return ["train", "--data", str(path), "--image-size", "16"], ["--data", repr(str(path)), "float32", "uint8"]


def _wrong_size_npy(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.zeros((4, 32, 32, 3), np.uint8))
    return ["train", "--data", str(path), "--image-size", "16"], ["--data", repr(str(path)), "32x32", "--image-size 32"]


def _wrong_rank_npy(tmp_path):
    path = tmp_path / "flat.npy"
    np.save(path, np.zeros((4, 16, 16), np.uint8))
    return ["train", "--data", str(path), "--image-size", "16"], ["--data", "(4, 16, 16)"]


def _object_npy(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return ["train", "--data", str(path)], ["--data", repr(str(path)), "pickle"]


def _npz_named_images_wrong_size(tmp_path):
    # The size error shows that the array named "images" was read, not "labels".
    path = tmp_path / "named.npz"
    np.savez(path, images=np.zeros((4, 32, 32, 3), np.uint8), labels=np.arange(4))
    return ["train", "--data", str(path), "--image-size", "16"], ["--data", "32x32", "--image-size 32"]


def _npz_single_float_array(tmp_path):
    # The dtype error shows that the only array was read, whatever its name.
    path = tmp_path / "single.npz"
    np.savez(path, pixels=np.zeros((4, 16, 16, 3), np.float64))
    return ["train", "--data", str(path), "--image-size", "16"], ["--data", "float64"]


def _npz_without_images(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, first=np.zeros(2), second=np.zeros(2))
    return ["train", "--data", str(path)], ["--data", "'first'", "'images'"]


def _missing_data(tmp_path):
    path = str(tmp_path / "missing.npy")
    return ["train", "--data", path], ["--data", repr(path), "not found", "'icons'"]


def _folder_data(tmp_path):
    return ["train", "--data", str(tmp_path)], ["--data", repr(str(tmp_path)), "No usable image in the folder", "logogan data inspect"]


def _png_data(tmp_path):
    path = tmp_path / "logo.png"
    Image.new("RGB", (16, 16)).save(path)
    return ["train", "--data", str(path)], ["--data", repr(str(path)), ".npy or .npz"]


def _missing_model(tmp_path):
    path = str(tmp_path / "missing.keras")
    return ["sample", "--model", path], ["--model", repr(path), "not found"]


def _text_model(tmp_path):
    path = tmp_path / "notes.keras"
    path.write_text("not a model")
    return ["sample", "--model", str(path)], ["--model", repr(str(path)), "not a .keras model file"]


def _sequential_model(tmp_path):
    path = str(save_sequential_model(tmp_path / "dense.keras"))
    return ["sample", "--model", path], ["--model", repr(path), "Sequential", "not a LogoGAN"]


def _jpeg_output(tmp_path):
    path = str(save_sequential_model(tmp_path / "dense.keras"))
    return ["sample", "--model", path, "--output", "grid.jpg"], ["--output", "'grid.jpg'", ".png"]


BAD_INPUTS = {
    "bad_loss": lambda _: (["train", "--loss", "bogus"], ["--loss", "'bogus'", "non_saturating"]),
    "bad_architecture": lambda _: (["train", "--architecture", "gan"], ["--architecture", "'gan'", "dcgan"]),
    "zero_epochs": lambda _: (["train", "--epochs", "0"], ["--epochs", "'0'", "1 or more"]),
    "text_epochs": lambda _: (["train", "--epochs", "ten"], ["--epochs", "'ten'", "whole number"]),
    "zero_batch_size": lambda _: (["train", "--batch-size", "0"], ["--batch-size", "'0'"]),
    "odd_image_size": lambda _: (["train", "--image-size", "12"], ["--image-size", "'12'", "power of two"]),
    "tiny_image_size": lambda _: (["train", "--image-size", "4"], ["--image-size", "'4'"]),
    "hobby_at_16px": lambda _: (
        ["train", "--architecture", "hobby", "--image-size", "16"],
        ["--image-size", "16", "--image-size 32"],
    ),
    "negative_learning_rate": lambda _: (["train", "--learning-rate", "-1"], ["--learning-rate", "'-1'"]),
    "beta_1_of_one": lambda _: (["train", "--beta-1", "1"], ["--beta-1", "'1'", "[0, 1)"]),
    "unknown_backend": lambda _: (["train", "--backend", "numpy"], ["--backend", "'numpy'", "jax"]),
    "held_out_too_large": lambda _: (
        ["train", "--limit", "10", "--held-out", "9"],
        ["--held-out", "9", "fewer than 2"],
    ),
    "float_npy": _float_npy,
    "wrong_size_npy": _wrong_size_npy,
    "wrong_rank_npy": _wrong_rank_npy,
    "object_npy": _object_npy,
    "npz_named_images_wrong_size": _npz_named_images_wrong_size,
    "npz_single_float_array": _npz_single_float_array,
    "npz_without_images": _npz_without_images,
    "missing_data": _missing_data,
    "folder_data": _folder_data,
    "png_data": _png_data,
    "missing_model": _missing_model,
    "text_model": _text_model,
    "sequential_model": _sequential_model,
    "jpeg_output": _jpeg_output,
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_naming_flag(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a run that wrongly starts writes only here
    argv, expected_fragments = BAD_INPUTS[case](tmp_path)

    with pytest.raises(SystemExit) as raised:
        main(argv)

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.startswith(f"logogan {argv[0]}: error: argument --")
    for fragment in expected_fragments:
        assert fragment in error
    # Command-line errors name flags and commands, not Python arguments.
    assert "report_path" not in error
    assert not (tmp_path / "runs").exists()


# help, version and entry points


def _help_text(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        main([*argv, "--help"])
    assert raised.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "command, options", [("train", TRAIN_OPTIONS), ("sample", SAMPLE_OPTIONS)]
)
def test_help_mentions_every_option(command, options, capsys):
    text = _help_text([command], capsys)

    for option in options:
        assert option in text
    assert "example:" in text


@pytest.mark.parametrize("command", ["train", "sample"])
def test_help_states_every_default(command):
    _, command_parsers = build_parsers()

    # argparse has no public list of a parser's actions, so this reads _actions.
    for action in command_parsers[command]._actions:
        if action.dest != "help":
            assert "default" in action.help or "required" in action.help, action.dest


def test_help_lists_loss_and_architecture_names(capsys):
    text = _help_text(["train"], capsys)

    assert set(train_command.LOSS_NAMES) == set(LOSSES)
    assert set(train_command.ARCHITECTURE_NAMES) == set(ARCHITECTURES)
    assert set(train_command.CONFIG_NAMES) == set(TRAINING_CONFIGS)
    for name in (*LOSSES, *ARCHITECTURES):
        assert name in text


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["--version"])

    assert raised.value.code == 0
    assert capsys.readouterr().out.strip() == f"logogan {__version__}"


def test_no_command_exits_2_with_help(capsys):
    with pytest.raises(SystemExit) as raised:
        main([])

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "usage: logogan" in error
    assert "train" in error
    assert "sample" in error


def test_console_script_help():
    script = os.path.join(os.path.dirname(sys.executable), "logogan")

    completed = subprocess.run(
        [script, "train", "--help"], capture_output=True, text=True, timeout=120, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert "usage: logogan train" in completed.stdout
    assert "--batch-size" in completed.stdout


def test_backend_flag_runs_other_backend(tmp_path, capfd, monkeypatch):
    current = keras.config.backend()
    other = "jax" if current != "jax" else "tensorflow"
    monkeypatch.setenv("KERAS_BACKEND", current)
    model = str(save_sequential_model(tmp_path / "dense.keras"))

    # Keras is already imported here, so the command reruns itself in a child
    # process whose KERAS_BACKEND is `other`. The child loads the model and
    # rejects it, which shows that it ran.
    status = main(["sample", "--model", model, "--backend", other])

    assert status == 2
    error = capfd.readouterr().err
    assert f"--backend {other} overrides KERAS_BACKEND={current}" in error
    assert "not a LogoGAN" in error
    assert keras.config.backend() == current


def test_train_holds_out_images_for_memorization_check(tmp_path):
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--limit", "240", "--epochs", "1", "--quiet"]

    status, _ = run_main(["train", *options, "--output", str(folder)])

    assert status == 0
    columns, rows = read_metrics(folder)
    for column in ("near_copy_share", "exact_copy_rate", "d_held_out_accuracy", "overfit_gap"):
        assert column in columns
        assert math.isfinite(float(rows[0][column])), column
    config = json.loads((folder / "run_config.json").read_text())
    assert config["data"]["num_held_out"] == 12
    assert config["data"]["num_images"] == 240


def test_train_no_checks_keeps_base_columns(tmp_path):
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--epochs", "1", "--quiet", "--no-checks"]

    status, _ = run_main(["train", *options, "--output", str(folder)])

    assert status == 0
    columns, _ = read_metrics(folder)
    assert columns == METRICS_COLUMNS


def test_train_no_checks_holds_nothing_out(tmp_path):
    # 240 images hold 12 out by default, but without checks nothing uses them.
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--limit", "240", "--epochs", "1", "--quiet", "--no-checks"]

    status, _ = run_main(["train", *options, "--output", str(folder)])

    assert status == 0
    config = json.loads((folder / "run_config.json").read_text())
    assert config["data"]["num_held_out"] == 0


def test_steps_per_execution_rejected_on_torch(capsys):
    import keras

    if keras.config.backend() != "torch":
        pytest.skip("only Keras' torch trainer refuses steps_per_execution above 1")

    with pytest.raises(SystemExit) as exit_info:
        run_main(["train", *TINY_TRAIN_OPTIONS, "--steps-per-execution", "2"])

    assert exit_info.value.code == 2
    assert "--steps-per-execution 2" in capsys.readouterr().err


def test_train_speed_options_reach_model(tmp_path):
    import keras

    if keras.config.backend() == "torch":
        pytest.skip("Keras' torch trainer runs one step per call, so steps_per_execution must be 1")
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--quiet", "--no-checks", "--steps-per-execution", "2"]

    try:
        status, _ = run_main(
            ["train", *options, "--dtype-policy", "mixed_bfloat16", "--output", str(folder)]
        )
        model = keras.saving.load_model(folder / "model.keras")
    finally:
        keras.config.set_dtype_policy("float32")

    assert status == 0
    assert model.generator.get_layer("up1").compute_dtype == "bfloat16"
    recorded = json.loads((folder / "run_config.json").read_text())["options"]
    assert recorded["steps_per_execution"] == 2
    assert recorded["dtype_policy"] == "mixed_bfloat16"


def test_steps_per_execution_must_divide_epoch(capsys, tmp_path):
    import keras

    if keras.config.backend() == "torch":
        pytest.skip("Keras' torch trainer runs one step per call, so steps_per_execution must be 1")

    folder = tmp_path / "run"
    # 64 images in batches of 32 make 2 steps per epoch.
    with pytest.raises(SystemExit) as exit_info:
        run_main(
            ["train", *TINY_TRAIN_OPTIONS, "--quiet", "--steps-per-execution", "3", "--output", str(folder)]
        )

    assert exit_info.value.code == 2
    assert "does not divide the 2 steps" in capsys.readouterr().err
    # Nothing was written, so the corrected command can use the same folder.
    assert not folder.exists() or not any(folder.iterdir())


def test_steps_per_execution_rejects_words(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_main(["train", *TINY_TRAIN_OPTIONS, "--steps-per-execution", "zero"])

    assert exit_info.value.code == 2
    assert "'zero' is neither auto nor a whole number" in capsys.readouterr().err


def test_auto_steps_per_execution_divides_epoch():
    resolve = train_command.resolve_steps_per_execution

    assert resolve("auto", 2, "tensorflow", data_parallel=False) == 2
    assert resolve("auto", 12, "tensorflow", data_parallel=False) == 6
    assert resolve("auto", 16, "tensorflow", data_parallel=False) == 8
    assert resolve("auto", 7, "tensorflow", data_parallel=False) == 7
    assert resolve("auto", 11, "tensorflow", data_parallel=False) == 1
    assert resolve("auto", 12, "jax", data_parallel=False) == 1
    assert resolve("auto", 12, "torch", data_parallel=False) == 1
    assert resolve("auto", 12, "tensorflow", data_parallel=True) == 1
    assert resolve(3, 12, "jax", data_parallel=False) == 3


def test_auto_steps_per_execution_recorded(tmp_path, monkeypatch):
    import keras

    built = []
    build_gan = train_command._build_gan

    def recording_build_gan(args, channels):
        built.append(build_gan(args, channels))
        return built[-1]

    monkeypatch.setattr(train_command, "_build_gan", recording_build_gan)
    folder = tmp_path / "run"
    status, _ = run_main(["train", *TINY_TRAIN_OPTIONS, "--quiet", "--no-checks", "--output", str(folder)])

    assert status == 0
    recorded = json.loads((folder / "run_config.json").read_text())["options"]
    assert recorded["steps_per_execution"] == "auto"
    # 64 images in batches of 32 make 2 steps per epoch.
    expected = 2 if keras.config.backend() == "tensorflow" else 1
    assert recorded["resolved_steps_per_execution"] == expected
    assert built[0].steps_per_execution == expected


# checks and grids on small data


def test_small_set_suggests_held_out_for_copy_check(tmp_path):
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--epochs", "1", "--output", str(folder)]

    status, output = run_main(["train", *options])

    assert status == 0
    assert "(0 held out for the checks)" in output
    assert "Pass --held-out 10" in output
    header, _ = read_metrics(folder)
    assert "near_copy_share" not in header


def test_held_out_images_turn_on_copy_check(tmp_path):
    folder = tmp_path / "run"
    options = [*TINY_TRAIN_OPTIONS, "--epochs", "1", "--held-out", "10", "--output", str(folder)]

    status, output = run_main(["train", *options])

    assert status == 0
    assert "Pass --held-out 10" not in output
    header, rows = read_metrics(folder)
    assert "near_copy_share" in header
    assert 0.0 <= float(rows[0]["near_copy_share"]) <= 1.0


def test_check_spacing_scales_with_epoch_size():
    assert train_command.epochs_between(None, 64) == 79
    assert train_command.epochs_between(None, 5484) == 1
    assert train_command.epochs_between(3, 64) == 3


def test_collapse_grace_counts_images(logo_images):
    _, parsers = build_parsers()
    args = parsers["train"].parse_args([])

    monitors, _ = train_command._monitoring_callbacks(args, logo_images, None)

    (detector,) = [monitor for monitor in monitors if hasattr(monitor, "start_from_epoch")]
    assert detector.start_from_epoch == 157  # 10,000 images of 64 per epoch
    assert detector.every_epochs == 79


def test_collapse_stop_exits_with_status_3(tmp_path, monkeypatch, capsys):
    import keras_logogan.callbacks

    class StrictDetector(keras_logogan.callbacks.ModeCollapseDetector):
        """The real detector, with a threshold that any generator falls below."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, diversity_ratio_threshold=10.0, **kwargs)

    monkeypatch.setattr(keras_logogan.callbacks, "ModeCollapseDetector", StrictDetector)
    monkeypatch.setattr(train_command, "COLLAPSE_GRACE_IMAGES", 0)
    monkeypatch.setattr(train_command, "COLLAPSE_GRACE_MIN_EPOCHS", 0)
    folder = tmp_path / "run"

    status, _ = run_main(["train", *TINY_TRAIN_OPTIONS, "--quiet", "--output", str(folder)])

    assert status == train_command.STOPPED_EARLY_STATUS == 3
    stderr = capsys.readouterr().err
    assert "stopped after epoch 1 of 2 because the collapse check flagged" in stderr
    assert f"logogan train --resume {folder}" in stderr
    _, rows = read_metrics(folder)
    assert [row["epoch"] for row in rows] == ["0"]
    assert (folder / "model.keras").is_file()
    assert (folder / "samples" / "final.png").is_file()
    assert (folder / "checkpoint").is_dir()
    config = json.loads((folder / "run_config.json").read_text())
    assert config["stopped_early"] == {
        "after_epoch": 1,
        "epochs": 2,
        "reason": "the collapse check flagged mode collapse at epoch 1",
    }
    report = (folder / "report" / "report.html").read_text()
    assert "stopped early with 1 of 2 epochs finished, because the collapse check" in report
    assert "model.keras contains the weights of epoch 1" in report


def test_small_run_defaults_skip_checks_and_grids(tmp_path):
    folder = tmp_path / "run"
    # TINY_TRAIN_OPTIONS ends with the two spacing options; leave them out.
    options = TINY_TRAIN_OPTIONS[:-4]
    assert TINY_TRAIN_OPTIONS[-4:] == ["--check-every", "1", "--grid-every", "1"]

    status, _ = run_main(["train", *options, "--quiet", "--output", str(folder)])

    assert status == 0
    _, rows = read_metrics(folder)
    assert [row["diversity_ratio"] for row in rows] == ["NA", "NA"]
    assert sorted(os.listdir(folder / "samples")) == ["final.png", "latents.npy"]


# Ctrl+C


def test_interrupted_run_prints_resume_and_continues(tmp_path, monkeypatch, capsys):
    from keras_logogan.cli import training_callbacks

    folder = tmp_path / "run"
    original_epoch_begin = training_callbacks.EpochTimer.on_epoch_begin

    def interrupt_second_epoch(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        original_epoch_begin(self, epoch, logs)

    monkeypatch.setattr(training_callbacks.EpochTimer, "on_epoch_begin", interrupt_second_epoch)
    status, _ = run_main(["train", *TINY_TRAIN_OPTIONS, "--quiet", "--output", str(folder)])

    assert status == 130
    error = capsys.readouterr().err
    assert "logogan train: interrupted." in error
    assert f"logogan train --resume {folder}" in error
    assert (folder / "checkpoint").is_dir()
    assert not (folder / "model.keras").exists()

    monkeypatch.undo()
    status, _ = run_main(["train", "--resume", str(folder), "--quiet"])

    assert status == 0
    _, rows = read_metrics(folder)
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert (folder / "model.keras").is_file()


@pytest.mark.parametrize(
    "initial_epoch, epochs, every, expected",
    [(0, 30, 84, 1), (0, 30, 1, 30), (0, 30, 10, 3), (0, 7, 3, 3), (20, 30, 84, 1), (29, 30, 1, 1)],
)
def test_keep_best_counts_checks(initial_epoch, epochs, every, expected):
    from keras_logogan.cli.keep_best import count_checks

    assert count_checks(initial_epoch, epochs, every) == expected


def test_keep_best_hint_suggests_spacing():
    from keras_logogan.cli.keep_best import few_checks_hint

    assert "--check-every 10 or less" in few_checks_hint(0, 30, 84)
    assert "--check-every 1 to score every epoch" in few_checks_hint(0, 4, 50)
    assert few_checks_hint(0, 30, 10) is None
    # Two epochs left cannot give three checks, so there is nothing to suggest.
    assert few_checks_hint(28, 30, 84) is None
