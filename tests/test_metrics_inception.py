"""FID and KID: closed-form results on Gaussian features, and offline InceptionV3 weights handling."""

import os

import keras
import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import InceptionWeightsError
from keras_logogan.metrics import fid
from keras_logogan.metrics import frechet_distance
from keras_logogan.metrics import inception_feature_extractor
from keras_logogan.metrics import kernel_inception_distance
from keras_logogan.metrics import kid
from keras_logogan.metrics.inception import INCEPTION_WEIGHTS_FILE
from keras_logogan.metrics.inception import resize_for_inception


def gaussian_with_exact_moments(mean, covariance, count, seed):
    """Return `count` rows whose sample mean and covariance (ddof=1) equal `mean` and `covariance`."""
    rng = np.random.default_rng(seed)
    samples = rng.standard_normal((count, len(mean)))
    samples -= samples.mean(axis=0)
    # Whiten the sample, then colour it with the Cholesky factor.
    sample_covariance = np.cov(samples, rowvar=False)
    samples = samples @ np.linalg.inv(np.linalg.cholesky(sample_covariance)).T
    return samples @ np.linalg.cholesky(covariance).T + mean


def mean_colors(images):
    """Return each image's mean colour: a 3-feature extractor for image-level tests."""
    return images.reshape(len(images), -1, images.shape[-1]).mean(axis=1)


@pytest.fixture(scope="module")
def logos():
    return load_icons(image_size=32)


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    """Point the Keras cache at an empty folder, and fail any attempt to download a file."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def refuse_download(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(keras.utils, "get_file", refuse_download)
    # `keras.applications` calls this module's function directly (Keras 3.15).
    monkeypatch.setattr("keras.src.utils.file_utils.get_file", refuse_download)
    return tmp_path / "keras_home"


def test_frechet_identical_features_is_zero():
    features = np.random.default_rng(0).standard_normal((3000, 6))

    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-9)


def test_frechet_diagonal_gaussians_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    variances_a, variances_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    features_a = gaussian_with_exact_moments(mean_a, np.diag(variances_a), 500, seed=1)
    features_b = gaussian_with_exact_moments(mean_b, np.diag(variances_b), 700, seed=2)
    # For commuting covariances tr((S_a S_b)^(1/2)) = sum sqrt(s_a s_b).
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum(
        variances_a + variances_b - 2 * np.sqrt(variances_a * variances_b)
    )

    assert frechet_distance(features_a, features_b) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(5.0 + 4.0 + 1.0)


def test_frechet_full_covariances_match_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(3)
    factor_a, factor_b = rng.normal(size=(2, 4, 4))
    covariance_a, covariance_b = factor_a @ factor_a.T + np.eye(4), factor_b @ factor_b.T
    mean_a, mean_b = rng.normal(size=(2, 4))
    features_a = gaussian_with_exact_moments(mean_a, covariance_a, 400, seed=4)
    features_b = gaussian_with_exact_moments(mean_b, covariance_b, 400, seed=5)
    root = linalg.sqrtm(covariance_a @ covariance_b).real
    expected = np.sum((mean_a - mean_b) ** 2) + np.trace(covariance_a + covariance_b - 2 * root)

    assert frechet_distance(features_a, features_b) == pytest.approx(expected, rel=1e-8)


def test_frechet_is_symmetric():
    rng = np.random.default_rng(6)
    features_a, features_b = rng.normal(size=(300, 5)), rng.normal(1.0, 2.0, size=(400, 5))

    assert frechet_distance(features_a, features_b) == pytest.approx(frechet_distance(features_b, features_a))


def test_frechet_warns_when_rows_do_not_exceed_features():
    features = np.random.default_rng(7).normal(size=(8, 8))

    with pytest.warns(UserWarning, match="singular"):
        frechet_distance(features, features)


def test_frechet_rejects_nan_features():
    features = np.ones((10, 2))
    features[3, 1] = np.nan

    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(features, np.ones((10, 2)))


def test_kid_same_distribution_near_zero_shifted_positive():
    rng = np.random.default_rng(8)
    features_a, features_b = rng.normal(size=(2, 1000, 16))

    same = kernel_inception_distance(features_a, features_b, num_subsets=10, subset_size=300)
    shifted = kernel_inception_distance(features_a, features_b + 0.5, num_subsets=10, subset_size=300)

    assert abs(same.mean) < 3 * same.std + 1e-3
    assert shifted.mean > 10 * same.std
    assert shifted.mean > 0.05


def test_kid_identical_features_near_zero():
    features = np.random.default_rng(9).normal(size=(400, 8))

    result = kernel_inception_distance(features, features, num_subsets=10, subset_size=100)

    assert abs(result.mean) < 0.05


def test_kid_clips_subset_size_and_repeats_per_seed():
    rng = np.random.default_rng(10)
    features_a, features_b = rng.normal(size=(50, 4)), rng.normal(size=(80, 4))

    first = kernel_inception_distance(features_a, features_b, num_subsets=5, seed=1)
    again = kernel_inception_distance(features_a, features_b, num_subsets=5, seed=1)

    assert first.subset_size == 50
    assert first == again


def test_fid_with_feature_extractor(logos):
    noise = np.random.default_rng(0).integers(0, 256, (2048, 32, 32, 3), dtype=np.uint8)

    assert fid(logos[:2048], logos[:2048], feature_extractor=mean_colors) == pytest.approx(0.0, abs=1e-6)
    assert fid(logos[:2048], noise, feature_extractor=mean_colors) > 100


def test_fid_warns_below_2048_images(logos):
    with pytest.warns(UserWarning, match="2048"):
        fid(logos[:500], logos[500:1000], feature_extractor=mean_colors)


def test_kid_with_feature_extractor(logos):
    result = kid(logos[:300], logos[300:600], feature_extractor=mean_colors, num_subsets=5, subset_size=100)
    collapsed = kid(
        logos[:300],
        np.repeat(logos[:1], 300, axis=0),
        feature_extractor=mean_colors,
        num_subsets=5,
        subset_size=100,
    )

    assert collapsed.mean > 10 * abs(result.mean)


def test_fid_rejects_extractor_with_wrong_row_count(logos):
    with pytest.raises(ValueError, match="one row per image"):
        fid(logos[:3000], logos[:3000], feature_extractor=lambda images: np.ones((5, 2)))


def test_missing_weights_error_names_what_to_pass(empty_keras_home):
    with pytest.raises(InceptionWeightsError) as raised:
        inception_feature_extractor()

    message = str(raised.value)
    assert "weights_path=" in message
    assert "feature_extractor=" in message
    assert INCEPTION_WEIGHTS_FILE in message
    assert str(empty_keras_home) in message
    assert "never downloads" in message


def test_fid_without_extractor_raises_missing_weights(logos, empty_keras_home):
    with pytest.raises(InceptionWeightsError, match="weights_path="):
        fid(logos[:2048], logos[:2048])


def test_weights_path_not_found_names_path(tmp_path):
    missing = tmp_path / "inception.h5"

    with pytest.raises(InceptionWeightsError, match="was not found") as raised:
        inception_feature_extractor(weights_path=missing)
    assert repr(str(missing)) in str(raised.value)


def test_resize_for_inception_shapes_and_flat_images():
    flat = np.full((2, 16, 16, 1), 90, dtype=np.uint8)

    resized = resize_for_inception(flat)

    assert resized.shape == (2, 299, 299, 3)
    assert resized.dtype == np.float32
    np.testing.assert_allclose(resized, 90.0, atol=1e-3)


def test_resize_for_inception_stays_in_range(logos):
    resized = resize_for_inception(logos[:2])

    assert resized.min() >= 0.0
    assert resized.max() <= 255.0


# NOTE: building InceptionV3 on JAX compiles about 190 weight initialisers,
# which took about 28 s on a 2-core CPU, so this test skips JAX. The
# extractor has no backend-specific code.
@pytest.mark.slow
@pytest.mark.skipif(keras.config.backend() == "jax", reason="building InceptionV3 takes about 30 s on JAX")
def test_extractor_loads_local_weights_file(tmp_path, empty_keras_home):
    network = keras.applications.InceptionV3(
        include_top=False, weights=None, pooling="avg", input_shape=(299, 299, 3)
    )
    weights_path = tmp_path / "random_inception.weights.h5"
    network.save_weights(weights_path)
    images = load_icons(image_size=32)[:3]

    extract = inception_feature_extractor(weights_path=weights_path, batch_size=2)
    features = extract(images)

    assert features.shape == (3, 2048)
    assert features.dtype == np.float64
    assert np.all(np.isfinite(features))
    np.testing.assert_allclose(extract(images[:1]), features[:1], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(keras.config.backend() == "jax", reason="building InceptionV3 takes about 30 s on JAX")
def test_extractor_rejects_invalid_weights_file(tmp_path, empty_keras_home):
    weights_path = tmp_path / "not_weights.h5"
    weights_path.write_text("not an HDF5 file")

    with pytest.raises(InceptionWeightsError, match="could not be loaded") as raised:
        inception_feature_extractor(weights_path=weights_path)
    assert repr(os.fspath(weights_path)) in str(raised.value)
