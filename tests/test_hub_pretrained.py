"""`save_pretrained` and `from_pretrained` on local folders: layout, round trips and errors."""

import json
import os

import keras
import numpy as np
import pytest

from keras_logogan import LogoGAN
from keras_logogan.hub import IncompatibleConfigError
from keras_logogan.hub import PretrainedNotFoundError
from keras_logogan.hub import WeightsFileError
from keras_logogan.hub import WeightsMismatchError
from keras_logogan.hub import files
from keras_logogan.hub import presets as presets_lib

TINY = dict(image_size=16, width=8)


@pytest.fixture
def saved(tmp_path):
    """A tiny GAN and the folder it was saved to."""
    gan = LogoGAN(seed=5, **TINY)
    return gan, gan.save_pretrained(tmp_path / "gan")


def _read_json(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as stream:
        return json.load(stream)


def _write_json(folder, name, data):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as stream:
        json.dump(data, stream)


def test_save_writes_preset_layout(saved):
    _, folder = saved

    assert sorted(os.listdir(folder)) == sorted(
        [
            files.CONFIG_FILE,
            files.METADATA_FILE,
            files.GENERATOR_WEIGHTS_FILE,
            files.MODEL_CARD_FILE,
            files.SAMPLE_GRID_FILE,
        ]
    )


def test_config_records_model_and_versions(saved):
    gan, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)

    assert config["format_version"] == files.FORMAT_VERSION
    assert config["registered_name"] == "keras_logogan>LogoGAN"
    assert (config["image_size"], config["channels"], config["latent_dim"]) == (16, 3, 128)
    assert config["keras_version"] == keras.__version__
    assert "keras_logogan_version" in config
    assert "generator" in config["config"]
    assert "discriminator" not in config["config"]
    assert list(config["weights"]) == ["generator"]


def test_metadata_records_parameter_count(saved):
    gan, folder = saved
    metadata = _read_json(folder, files.METADATA_FILE)

    assert metadata["parameter_counts"] == {"generator": gan.generator.count_params()}
    assert metadata["backend"] == keras.config.backend()


def test_model_card_has_hub_metadata(saved):
    _, folder = saved
    card = open(os.path.join(folder, files.MODEL_CARD_FILE), encoding="utf-8").read()
    front_matter = card.split("---")[1]

    assert card.startswith("---\n")
    assert "library_name: keras" in front_matter
    assert "license: apache-2.0" in front_matter
    assert "pipeline_tag: unconditional-image-generation" in front_matter
    assert "- keras-logogan" in front_matter
    assert f"]({files.SAMPLE_GRID_FILE})" in card


def test_model_card_lists_training_and_metrics(make_gan, logo_images, tmp_path):
    gan = make_gan()
    gan.fit(logo_images[:32], batch_size=16, epochs=1, verbose=0)

    folder = gan.save_pretrained(tmp_path / "trained", training={"data": "icons"})
    card = open(os.path.join(folder, files.MODEL_CARD_FILE), encoding="utf-8").read()

    assert "| loss | NonSaturatingLoss |" in card
    assert "| epochs | 1 |" in card
    assert "| data | icons |" in card
    assert "| d_loss |" in card
    assert "| ema_decay | 0.999 |" in card
    assert "augmentation" not in card


def test_model_card_lists_small_data_regularizers(tmp_path):
    from keras_logogan import training_configs

    gan = training_configs.get("small_data").build(image_size=16, seed=0)

    folder = gan.save_pretrained(tmp_path / "small_data")
    card = open(os.path.join(folder, files.MODEL_CARD_FILE), encoding="utf-8").read()

    assert "| augmentation | DiffAugment (translation 0.125, cutout 0.5) |" in card
    assert "| ada_target | 0.6 |" in card
    assert "| ada_kimg | 100 |" in card
    assert "| ema_decay | 0.999 |" in card
    assert "r1_weight" not in card


def test_round_trip_gives_identical_images(saved):
    gan, folder = saved

    loaded = LogoGAN.from_pretrained(folder)

    np.testing.assert_array_equal(loaded.generate(8, seed=3), gan.generate(8, seed=3))
    assert loaded.latent_dim == gan.latent_dim


def test_round_trip_with_discriminator(tmp_path):
    gan = LogoGAN(seed=6, **TINY)
    folder = gan.save_pretrained(tmp_path / "full", include_discriminator=True)
    images = gan.generate(4, seed=0, dtype="float32")

    loaded = LogoGAN.from_pretrained(folder, load_discriminator=True)

    assert os.path.exists(os.path.join(folder, files.DISCRIMINATOR_WEIGHTS_FILE))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.discriminator(images)),
        keras.ops.convert_to_numpy(gan.discriminator(images)),
        rtol=1e-6,
        atol=1e-6,
    )


def test_resave_without_discriminator_removes_its_file(tmp_path):
    gan = LogoGAN(**TINY)
    gan.save_pretrained(tmp_path, include_discriminator=True)

    gan.save_pretrained(tmp_path)

    assert not os.path.exists(tmp_path / files.DISCRIMINATOR_WEIGHTS_FILE)


def test_load_discriminator_missing_raises(saved):
    _, folder = saved

    with pytest.raises(IncompatibleConfigError, match="include_discriminator=True"):
        LogoGAN.from_pretrained(folder, load_discriminator=True)


def test_unknown_name_lists_accepted_forms():
    with pytest.raises(PretrainedNotFoundError) as caught:
        LogoGAN.from_pretrained("not a model")

    message = str(caught.value)
    assert "'not a model'" in message
    assert "save_pretrained" in message
    assert "hf://namespace/name" in message


def test_missing_weights_file_raises(saved):
    _, folder = saved
    os.remove(os.path.join(folder, files.GENERATOR_WEIGHTS_FILE))

    with pytest.raises(PretrainedNotFoundError, match=files.GENERATOR_WEIGHTS_FILE):
        LogoGAN.from_pretrained(folder)


def test_newer_format_version_raises(saved):
    _, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)
    config["format_version"] = files.FORMAT_VERSION + 1
    _write_json(folder, files.CONFIG_FILE, config)

    with pytest.raises(IncompatibleConfigError, match="'format_version' is 2") as caught:
        LogoGAN.from_pretrained(folder)
    assert str(caught.value).startswith(files.CONFIG_FILE)


def test_invalid_json_raises(saved):
    _, folder = saved
    with open(os.path.join(folder, files.CONFIG_FILE), "w") as stream:
        stream.write("{not json")

    with pytest.raises(IncompatibleConfigError, match="not valid JSON") as caught:
        LogoGAN.from_pretrained(folder)
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    "entry",
    [
        {"module": "os", "class_name": "system", "registered_name": None},
        {"module": "keras.layers", "class_name": "Lambda", "registered_name": None},
        {"module": "keras_logogan.layers", "class_name": "X", "registered_name": "keras_logogan>X"},
    ],
    ids=["foreign-module", "lambda-layer", "unregistered-package-name"],
)
def test_forbidden_class_raises(saved, entry):
    _, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)
    config["config"]["generator"]["config"]["layers"][2].update(entry)
    _write_json(folder, files.CONFIG_FILE, config)

    with pytest.raises(IncompatibleConfigError) as caught:
        LogoGAN.from_pretrained(folder)

    assert "config.generator.config.layers[2]" in str(caught.value)
    assert repr(entry["class_name"]) in str(caught.value)


def test_wrong_registered_name_raises(saved):
    _, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)
    config["registered_name"] = "other>Model"
    _write_json(folder, files.CONFIG_FILE, config)

    with pytest.raises(IncompatibleConfigError, match="'other>Model'"):
        LogoGAN.from_pretrained(folder)


def test_weights_file_name_outside_fixed_names_raises(saved):
    _, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)
    config["weights"]["generator"]["file"] = "../../secret.h5"
    _write_json(folder, files.CONFIG_FILE, config)

    with pytest.raises(IncompatibleConfigError, match="weights.generator.file"):
        LogoGAN.from_pretrained(folder)


def test_truncated_weights_raise(saved):
    _, folder = saved
    path = os.path.join(folder, files.GENERATOR_WEIGHTS_FILE)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])

    with pytest.raises(WeightsFileError, match="truncated or corrupt"):
        LogoGAN.from_pretrained(folder)


def test_truncated_weights_without_checksum_raise(saved):
    _, folder = saved
    config = _read_json(folder, files.CONFIG_FILE)
    del config["weights"]["generator"]["sha256"]
    _write_json(folder, files.CONFIG_FILE, config)
    path = os.path.join(folder, files.GENERATOR_WEIGHTS_FILE)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])

    with pytest.raises(WeightsFileError, match="not a readable HDF5") as caught:
        LogoGAN.from_pretrained(folder)
    assert isinstance(caught.value.__cause__, OSError)


def test_mismatched_shapes_raise(saved, tmp_path):
    _, folder = saved
    wide = LogoGAN(image_size=16, width=16).save_pretrained(tmp_path / "wide")
    os.replace(
        os.path.join(wide, files.GENERATOR_WEIGHTS_FILE),
        os.path.join(folder, files.GENERATOR_WEIGHTS_FILE),
    )
    config = _read_json(folder, files.CONFIG_FILE)
    del config["weights"]["generator"]["sha256"]
    _write_json(folder, files.CONFIG_FILE, config)

    with pytest.raises(WeightsMismatchError, match=r"\(128, 512\)") as caught:
        LogoGAN.from_pretrained(folder)
    assert str(caught.value).startswith(files.GENERATOR_WEIGHTS_FILE)


def test_empty_preset_registry_lists_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(presets_lib, "PRESETS_FOLDER", str(tmp_path / "missing"))

    assert dict(LogoGAN.presets) == {}
    with pytest.raises(PretrainedNotFoundError, match="none are installed"):
        LogoGAN.from_pretrained("icons32")


def test_preset_name_loads_shipped_folder(saved, tmp_path, monkeypatch):
    gan, folder = saved
    presets_folder = tmp_path / "presets"
    os.makedirs(presets_folder)
    os.replace(folder, presets_folder / "tiny16")
    monkeypatch.setattr(presets_lib, "PRESETS_FOLDER", str(presets_folder))

    listed = dict(LogoGAN.presets)
    loaded = LogoGAN.from_pretrained("tiny16")

    assert list(listed) == ["tiny16"]
    assert listed["tiny16"] == "16x16 RGB logos from 128-d latents."
    assert presets_lib.list_presets()["tiny16"]["image_size"] == 16
    np.testing.assert_array_equal(loaded.generate(2, seed=0), gan.generate(2, seed=0))


def test_keras_file_saving_ignores_presets(tmp_path):
    gan = LogoGAN(**TINY)
    gan.save(tmp_path / "gan.keras")

    loaded = keras.saving.load_model(tmp_path / "gan.keras")

    np.testing.assert_array_equal(loaded.generate(2, seed=0), gan.generate(2, seed=0))
