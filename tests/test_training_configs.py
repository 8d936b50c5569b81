"""Named training configurations: building them, and `logogan train --config` and `--kimg`."""

import contextlib
import io
import json

import keras
import numpy as np
import pytest

from keras_logogan import losses
from keras_logogan import training_configs
from keras_logogan.cli.main import main
from keras_logogan.cli.train import epochs_for_budget
from keras_logogan.layers import SpectralConv2D


def run_main(argv):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    return status, stdout.getvalue()


@pytest.mark.parametrize("name", sorted(training_configs.TRAINING_CONFIGS))
def test_config_builds_compiled_gan(name):
    config = training_configs.get(name)
    width = {} if config.architecture == "hobby" else {"width": 8}
    image_size = 32 if config.architecture == "hobby" else 16

    gan = config.replace(**width).build(image_size=image_size, seed=0)

    assert gan.compiled
    assert type(gan.loss) is type(losses.get(config.loss))
    assert gan.ada_target == config.ada_target
    assert gan.r1_weight == config.r1_weight
    assert (gan.averaged_generator is None) == (config.ema_decay is None)
    lr = keras.ops.convert_to_numpy(gan.discriminator_optimizer.learning_rate)
    assert float(lr) == pytest.approx(config.discriminator_learning_rate)


def test_small_data_config_adds_adaptive_augmentation():
    gan = training_configs.get("small_data").replace(width=8).build(image_size=16)

    assert gan.augmentation is not None
    assert gan.ada_target == 0.6
    assert gan.averaged_generator is not None


def test_spectral_override_builds_spectral_discriminator():
    config = training_configs.get("small_data").replace(
        width=8, discriminator_normalization="spectral", loss="hinge"
    )

    gan = config.build(image_size=16)

    layer_types = {type(layer) for layer in gan.discriminator.layers}
    assert SpectralConv2D in layer_types
    assert keras.layers.BatchNormalization not in layer_types


def test_config_round_trips_through_dict():
    config = training_configs.get("hobby")

    assert training_configs.TrainingConfig.from_config(config.get_config()) == config


def test_unknown_config_lists_known_names():
    with pytest.raises(ValueError, match="small_data"):
        training_configs.get("large_data")


@pytest.mark.parametrize(
    "kimg, num_images, epochs", [(None, 100, 30), (1.0, 100, 10), (1.05, 100, 11), (0.01, 500, 1)]
)
def test_epochs_for_budget_rounds_up(kimg, num_images, epochs):
    assert epochs_for_budget(kimg, num_images) == epochs


def test_train_config_and_kimg_resolve_options(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (48, 16, 16, 3), dtype=np.uint8)
    np.save(tmp_path / "logos.npy", images)
    folder = tmp_path / "run"

    status, _ = run_main([
        "train", "--data", str(tmp_path / "logos.npy"), "--image-size", "16", "--width", "8",
        "--config", "small_data", "--kimg", "0.1", "--batch-size", "16", "--r1-weight", "0.5",
        "--discriminator-normalization", "spectral", "--loss", "hinge",
        "--num-samples", "4", "--quiet", "--output", str(folder),
    ])  # fmt: skip

    assert status == 0
    options = json.loads((folder / "run_config.json").read_text())["options"]
    assert options["config"] == "small_data"
    assert options["epochs"] == 3  # 100 images at 48 per epoch
    assert options["loss"] == "hinge"
    assert options["augment"] == "translation,cutout"
    assert options["ada_target"] == 0.6
    assert options["r1_weight"] == 0.5
    assert options["batch_size"] == 16
    assert options["discriminator_normalization"] == "spectral"
    model = keras.saving.load_model(folder / "model.keras")
    assert model.r1_weight == 0.5
    assert model.ada_target == pytest.approx(0.6)
    header = (folder / "metrics.csv").read_text().splitlines()[0].split(",")
    assert header[-1] == "augment_probability"


def test_train_rejects_epochs_with_kimg(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["train", "--epochs", "2", "--kimg", "5"])

    assert raised.value.code == 2
    assert "--kimg" in capsys.readouterr().err
