"""`logogan evaluate`: tiny saved models measured against real shipped logos at 16 px."""

import argparse
import contextlib
import io
import json
import os

import numpy as np
import pytest

from keras_logogan import LogoGAN
from keras_logogan.cli import evaluate as evaluate_command
from keras_logogan.cli import train as train_command
from keras_logogan.cli.main import build_parsers
from keras_logogan.cli.main import main
from keras_logogan.datasets import load_icons

SIZE = 16
EVALUATE_OPTIONS = [
    "--data", "--num-samples", "--held-out-fraction", "--seed", "--output", "--truncation",
    "--backend",
]  # fmt: skip


def run_main(argv):
    """Run `main(argv)` and return `(status, stdout)`, leaving stderr to pytest."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    return status, stdout.getvalue()


@pytest.fixture(scope="module")
def tiny_gan():
    gan = LogoGAN(image_size=SIZE, width=8, seed=0)
    gan.compile()
    return gan


@pytest.fixture(scope="module")
def pretrained_folder(tiny_gan, tmp_path_factory):
    return tiny_gan.save_pretrained(tmp_path_factory.mktemp("pretrained") / "tiny")


@pytest.fixture(scope="module")
def logos_file(tmp_path_factory):
    """The first 600 shipped logos at 16 px as a .npy file."""
    path = tmp_path_factory.mktemp("data") / "logos16.npy"
    np.save(path, load_icons(image_size=SIZE)[:600])
    return path


@pytest.fixture(scope="module")
def folder_run(pretrained_folder, logos_file, tmp_path_factory):
    output = tmp_path_factory.mktemp("evaluate") / "results" / "metrics.json"
    argv = [
        "evaluate", str(pretrained_folder), "--data", str(logos_file),
        "--num-samples", "200", "--held-out-fraction", "0.1", "--output", str(output),
    ]  # fmt: skip
    status, printed = run_main(argv)
    return {"status": status, "printed": printed, "output": output}


def test_evaluate_pretrained_folder_exits_zero(folder_run):
    assert folder_run["status"] == 0


def test_evaluate_writes_json_report(folder_run, pretrained_folder):
    report = json.loads(folder_run["output"].read_text())

    assert report["command"] == "evaluate"
    assert report["model"] == str(pretrained_folder)
    assert report["num_samples"] == 200
    assert report["held_out_fraction"] == 0.1
    metrics = report["metrics"]
    assert metrics["num_generated"] == 200
    assert metrics["num_held_out"] == 60
    assert metrics["num_train"] == 540
    for key in ("swd", "swd_floor", "swd_16", "ms_ssim", "ms_ssim_real", "ndb", "ndb_js",
                "near_copy_share", "exact_copy_rate", "color_histogram", "color_histogram_floor"):
        assert np.isfinite(metrics[key]), key


def test_evaluate_untrained_model_scores_far_from_real(folder_run):
    metrics = json.loads(folder_run["output"].read_text())["metrics"]

    # The generator is untrained, so its images look nothing like logos.
    assert metrics["swd"] > 3 * metrics["swd_floor"]
    assert metrics["exact_copy_rate"] == 0.0


def test_evaluate_leaves_only_the_json_file(folder_run):
    assert os.listdir(folder_run["output"].parent) == ["metrics.json"]


def test_evaluate_prints_aligned_table(folder_run):
    lines = folder_run["printed"].splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    swd_line = next(line for line in lines if line.startswith("swd "))

    assert "real-vs-real" in header
    assert header.index("meaning") == swd_line.index("sliced Wasserstein")
    assert "Saved the metrics to" in lines[-1]


def test_evaluate_keras_file_matches_pretrained_folder(tiny_gan, folder_run, logos_file, tmp_path):
    model_path = tmp_path / "model.keras"
    tiny_gan.save(model_path)
    output = tmp_path / "metrics.json"

    status, _ = run_main([
        "evaluate", str(model_path), "--data", str(logos_file), "--num-samples", "200",
        "--held-out-fraction", "0.1", "--output", str(output),
    ])  # fmt: skip

    assert status == 0
    metrics = json.loads(output.read_text())["metrics"]
    assert metrics == json.loads(folder_run["output"].read_text())["metrics"]


def test_evaluate_shipped_icons_by_default(pretrained_folder, tmp_path):
    output = tmp_path / "metrics.json"

    status, printed = run_main([
        "evaluate", str(pretrained_folder), "--num-samples", "100", "--truncation", "0.7",
        "--output", str(output),
    ])  # fmt: skip

    assert status == 0
    report = json.loads(output.read_text())
    assert report["data"] == "icons"
    assert report["truncation"] == 0.7
    assert report["metrics"]["num_held_out"] == len(load_icons(image_size=SIZE)) // 20
    assert "274 held-out" in printed


def test_split_matches_train_command_held_out_split():
    images = load_icons(image_size=8)
    parser = argparse.ArgumentParser()

    train, held_out = evaluate_command.split_real_images(images, 0.05, 3, parser)
    expected_train, expected_held_out = train_command.split_held_out(images, None, 3, parser)

    np.testing.assert_array_equal(held_out, expected_held_out)
    np.testing.assert_array_equal(train, expected_train)


def _missing_model(tmp_path, logos_file):
    path = str(tmp_path / "missing.keras")
    return ["evaluate", path], ["argument MODEL:", repr(path), "not found"]


def _folder_without_config(tmp_path, logos_file):
    return ["evaluate", str(tmp_path)], ["argument MODEL:", "config.json"]


def _fraction_above_one(tmp_path, logos_file):
    return ["evaluate", "x.keras", "--held-out-fraction", "1.5"], ["--held-out-fraction", "'1.5'"]


def _one_sample(tmp_path, logos_file):
    return ["evaluate", "dcgan_icons_32", "--num-samples", "1"], ["--num-samples", "2 or more"]


def _output_folder(tmp_path, logos_file):
    return ["evaluate", "dcgan_icons_32", "--output", str(tmp_path)], ["--output", "is a folder"]


def _missing_data(tmp_path, logos_file):
    path = str(tmp_path / "missing.npy")
    return ["evaluate", "dcgan_icons_32", "--data", path], ["--data", repr(path), "not found"]


def _data_of_other_size(tmp_path, logos_file):
    path = tmp_path / "logos8.npy"
    np.save(path, load_icons(image_size=8)[:50])
    return ["evaluate", "--data", str(path)], ["--data", "8x8", "16x16"]


def _float_data(tmp_path, logos_file):
    path = tmp_path / "floats.npy"
    np.save(path, np.zeros((50, SIZE, SIZE, 3), dtype=np.float32))
    return ["evaluate", "--data", str(path)], ["--data", "float32", "uint8"]


def _too_few_images_to_hold_out(tmp_path, logos_file):
    path = tmp_path / "ten.npy"
    np.save(path, np.load(logos_file)[:10])
    return ["evaluate", "--data", str(path)], ["--held-out-fraction", "holds out 0"]


BAD_INPUTS = {
    "missing_model": _missing_model,
    "folder_without_config": _folder_without_config,
    "fraction_above_one": _fraction_above_one,
    "one_sample": _one_sample,
    "output_folder": _output_folder,
    "missing_data": _missing_data,
    "data_of_other_size": _data_of_other_size,
    "float_data": _float_data,
    "too_few_images_to_hold_out": _too_few_images_to_hold_out,
}
# These cases need a loadable model, which goes right after "evaluate".
NEEDS_MODEL = {"data_of_other_size", "float_data", "too_few_images_to_hold_out"}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_naming_argument(case, tmp_path, capsys, monkeypatch, pretrained_folder, logos_file):
    monkeypatch.chdir(tmp_path)
    argv, expected_fragments = BAD_INPUTS[case](tmp_path, logos_file)
    if case in NEEDS_MODEL:
        argv.insert(1, str(pretrained_folder))

    with pytest.raises(SystemExit) as raised:
        main(argv)

    assert raised.value.code == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    assert error.startswith("logogan evaluate: error: argument ")
    for fragment in expected_fragments:
        assert fragment in error
    assert not (tmp_path / "metrics.json").exists()


def test_help_mentions_every_option(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["evaluate", "--help"])

    assert raised.value.code == 0
    text = capsys.readouterr().out
    for option in EVALUATE_OPTIONS:
        assert option in text
    assert "MODEL" in text
    assert "example:" in text


def test_help_states_every_default():
    _, command_parsers = build_parsers()

    # argparse has no public list of a parser's actions, so this reads _actions.
    for action in command_parsers["evaluate"]._actions:
        if action.dest != "help":
            assert "default" in action.help or "required" in action.help, action.dest
