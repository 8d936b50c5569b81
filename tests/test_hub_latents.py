"""Truncation trick, spherical interpolation, and the `sample --truncation` and `interpolate` commands."""

import numpy as np
import pytest
from PIL import Image

from keras_logogan import LogoGAN
from keras_logogan import latents as latents_lib
from keras_logogan.cli.main import main

TINY = dict(image_size=16, width=8)


@pytest.fixture(scope="module")
def gan():
    return LogoGAN(seed=0, **TINY)


@pytest.fixture(scope="module")
def pretrained_folder(gan, tmp_path_factory):
    return gan.save_pretrained(tmp_path_factory.mktemp("pretrained"))


def test_truncated_latents_stay_in_bound():
    latents = latents_lib.truncated_normal_latents(64, 32, 0.5, seed=1)

    assert latents.dtype == np.float32
    assert latents.shape == (64, 32)
    assert np.abs(latents).max() <= 0.5


def test_truncation_keeps_components_in_bound(gan):
    plain = gan.sample_latents(16, seed=2)
    truncated = latents_lib.truncated_normal_latents(16, gan.latent_dim, 1.0, seed=2)
    inside = np.abs(plain) <= 1.0

    np.testing.assert_array_equal(truncated[inside], plain[inside])
    assert not np.array_equal(truncated[~inside], plain[~inside])


def test_generate_with_truncation_uses_truncated_latents(gan):
    expected_latents = latents_lib.truncated_normal_latents(4, gan.latent_dim, 0.7, seed=3)

    images = gan.generate(4, seed=3, truncation=0.7)

    np.testing.assert_array_equal(images, gan.generate(latents=expected_latents))
    assert not np.array_equal(images, gan.generate(4, seed=3))


def test_generate_truncation_with_latents_raises(gan):
    with pytest.raises(ValueError, match="truncation"):
        gan.generate(latents=gan.sample_latents(2, seed=0), truncation=0.5)


@pytest.mark.parametrize("truncation", [0, -1.0, float("nan"), "high"])
def test_invalid_truncation_raises(gan, truncation):
    with pytest.raises(ValueError, match="positive number"):
        gan.generate(2, seed=0, truncation=truncation)


def test_slerp_keeps_norm_between_unit_vectors():
    rng = np.random.default_rng(0)
    start, end = rng.standard_normal((2, 64))
    start /= np.linalg.norm(start)
    end /= np.linalg.norm(end)

    path = latents_lib.slerp(start, end, 9)

    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(path[0], start, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(path[-1], end, rtol=1e-6, atol=1e-6)


def test_slerp_parallel_latents_interpolate_linearly():
    path = latents_lib.slerp(np.ones(4), 2 * np.ones(4), 3)

    np.testing.assert_allclose(path[1], 1.5 * np.ones(4))


def test_interpolate_ends_match_seeds(gan):
    images = gan.interpolate(4, 9, steps=5)

    assert images.shape == (5, 16, 16, 3)
    np.testing.assert_array_equal(images[0], gan.generate(1, seed=4)[0])
    np.testing.assert_array_equal(images[-1], gan.generate(1, seed=9)[0])


def test_interpolate_ends_match_truncated_seeds(gan):
    images = gan.interpolate(4, 9, steps=3, truncation=0.6)

    np.testing.assert_array_equal(images[0], gan.generate(1, seed=4, truncation=0.6)[0])


@pytest.mark.parametrize("steps", [1, 0, 2.5])
def test_interpolate_invalid_steps_raise(gan, steps):
    with pytest.raises(ValueError, match="steps"):
        gan.interpolate(0, 1, steps=steps)


def test_sample_command_truncation_with_folder(pretrained_folder, tmp_path, capsys):
    output = tmp_path / "grid.png"

    status = main(
        ["sample", "--model", pretrained_folder, "--num-images", "4", "--truncation", "0.7",
         "--scale", "1", "--output", str(output)]
    )

    assert status == 0
    assert output.exists()
    assert "Saved 4 logos" in capsys.readouterr().out


def test_sample_command_rejects_bad_truncation(pretrained_folder, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["sample", "--model", pretrained_folder, "--truncation", "-1"])

    assert caught.value.code == 2
    assert "--truncation" in capsys.readouterr().err


def test_sample_command_unknown_model_name(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["sample", "--model", "no such model"])

    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "--model" in error
    assert "'no such model'" in error


def test_interpolate_command_writes_strip(pretrained_folder, tmp_path):
    output = tmp_path / "strip.png"

    status = main(
        ["interpolate", "--model", pretrained_folder, "--start-seed", "1", "--end-seed", "2",
         "--steps", "5", "--scale", "1", "--output", str(output)]
    )

    strip = Image.open(output)
    # 5 tiles of 16 px with 2 px of padding between and around them.
    assert status == 0
    assert strip.size == (5 * 18 + 2, 20)


def test_interpolate_command_rejects_one_step(pretrained_folder, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["interpolate", "--model", pretrained_folder, "--steps", "1"])

    assert caught.value.code == 2
    assert "--steps" in capsys.readouterr().err
