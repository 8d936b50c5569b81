"""`evaluate_generated`: keys, floors and known results for copies, noise and collapse."""

import json

import numpy as np
import pytest

from keras_logogan.datasets import load_icons
from keras_logogan.metrics import evaluate_generated
from keras_logogan.metrics.evaluate import METRIC_MEANINGS
from keras_logogan.metrics.evaluate import summary_rows

# Small settings keep each evaluation near a second.
FAST = {"ndb_bins": 10, "ms_ssim_pairs": 100}
REQUIRED_KEYS = {
    "swd", "swd_floor", "near_copy_share", "exact_copy_rate", "ms_ssim", "ms_ssim_real",
    "ndb", "ndb_js", "color_histogram", "color_histogram_floor", "ndb_floor", "ndb_js_floor",
    "near_copy_share_floor", "exact_copy_rate_floor", "generated_median_distance",
    "held_out_median_distance", "swd_num_images", "num_generated", "num_train", "num_held_out",
}  # fmt: skip


@pytest.fixture(scope="module")
def split_logos():
    """Training and held-out logos at 32 px, drawn at random so both cover every source."""
    logos = load_icons(image_size=32)
    order = np.random.default_rng(0).permutation(len(logos))
    return logos[order[:800]], logos[order[800:900]]


@pytest.fixture(scope="module")
def copied(split_logos):
    train, held_out = split_logos
    return evaluate_generated(train[:200], train, held_out, **FAST)


@pytest.fixture(scope="module")
def noise(split_logos):
    train, held_out = split_logos
    images = np.random.default_rng(0).integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    return evaluate_generated(images, train, held_out, **FAST)


def test_evaluate_returns_every_key(copied):
    assert REQUIRED_KEYS <= set(copied)
    assert {"swd_32", "swd_16", "swd_floor_32", "swd_floor_16"} <= set(copied)


def test_evaluate_results_are_plain_json_numbers(copied):
    for key, value in copied.items():
        assert type(value) in (int, float), key
    assert json.loads(json.dumps(copied)) == copied


def test_evaluate_copied_set(copied):
    assert copied["near_copy_share"] == 1.0
    assert copied["exact_copy_rate"] == 1.0
    assert copied["generated_median_distance"] == 0.0
    assert copied["swd"] < 2 * copied["swd_floor"]
    assert copied["ndb"] <= 0.3


def test_evaluate_noise(noise):
    assert noise["swd"] > 3 * noise["swd_floor"]
    assert noise["color_histogram"] > 5 * noise["color_histogram_floor"]
    assert noise["ndb"] >= 0.5
    assert noise["ndb_js"] > 5 * noise["ndb_js_floor"]
    assert noise["near_copy_share"] == 0.0
    assert noise["exact_copy_rate"] == 0.0


def test_evaluate_collapsed_set(split_logos):
    train, held_out = split_logos

    results = evaluate_generated(np.repeat(train[:1], 200, axis=0), train, held_out, **FAST)

    assert results["ms_ssim"] == 1.0
    assert results["ms_ssim_real"] < 0.5
    assert results["swd"] > 3 * results["swd_floor"]
    assert results["ndb"] >= 0.5


def test_evaluate_floors_use_equal_sample_sizes(copied):
    assert copied["swd_num_images"] == 200
    assert copied["ndb_floor"] <= 0.3
    assert copied["near_copy_share_floor"] == pytest.approx(0.05, abs=0.03)


def test_evaluate_is_deterministic_per_seed(split_logos):
    train, held_out = split_logos
    generated = train[300:400]

    first = evaluate_generated(generated, train, held_out, seed=5, **FAST)
    again = evaluate_generated(generated, train, held_out, seed=5, **FAST)

    assert first == again


@pytest.mark.parametrize("size, levels", [(16, ["swd_16"]), (8, ["swd_8"])])
def test_evaluate_small_images(size, levels):
    logos = load_icons(image_size=size)

    results = evaluate_generated(logos[:100], logos[100:400], logos[400:450], **FAST)

    assert [key for key in results if key.startswith("swd_") and key[4:].isdigit()] == levels


def test_evaluate_grayscale_images():
    gray = load_icons(image_size=16, grayscale=True)

    results = evaluate_generated(gray[:100], gray[100:400], gray[400:450], **FAST)

    assert np.isfinite(results["swd"])


def test_evaluate_rejects_mismatched_held_out(split_logos):
    train, _ = split_logos

    with pytest.raises(ValueError, match="held_out"):
        evaluate_generated(train[:10], train, load_icons(image_size=16)[:10], **FAST)


def test_summary_rows_pair_metrics_with_floors(copied):
    rows = summary_rows(copied)
    names = [row[0] for row in rows]

    assert names[:3] == ["swd", "swd_32", "swd_16"]
    assert set(METRIC_MEANINGS) <= set(names)
    for name, value, floor, meaning in rows:
        assert value == copied[name]
        assert floor is not None
        assert meaning
