"""The bookkeeping of `benchmarks/quality.py`: per-check copy measurements and the verdicts.

The study itself trains for tens of minutes, so these tests feed its
functions the records that a run produces.
"""

from benchmark_modules import import_benchmark


def test_copy_measurements_only_on_checked_epochs():
    quality = import_benchmark("quality")
    logs = {"d_loss": 0.5, "near_copy_share": 0.123456, "exact_copy_rate": 0.0}
    logs["nearest_distance_ratio"] = 0.8

    assert quality.copy_measurements(3, {"d_loss": 0.5}) == []
    assert quality.copy_measurements(3, None) == []
    assert quality.copy_measurements(3, logs) == [
        {"epoch": 4, "near_copy_share": 0.1235, "exact_copy_rate": 0.0, "nearest_distance_ratio": 0.8}
    ]


def test_merge_checks_matches_by_epoch():
    quality = import_benchmark("quality")
    swd_checks = [{"epoch": 2, "swd": 30.0}, {"epoch": 4, "swd": 20.0}]
    copy_checks = [{"epoch": 4, "near_copy_share": 0.5}]

    merged = quality.merge_checks(swd_checks, copy_checks)

    assert merged == [{"epoch": 2, "swd": 30.0}, {"epoch": 4, "swd": 20.0, "near_copy_share": 0.5}]


def _entry(setup, swd, best_share, last_shares, images_per_check=5000):
    checks = [
        {"epoch": i + 1, "images_shown": (i + 1) * images_per_check, "near_copy_share": share}
        for i, share in enumerate(last_shares)
    ]
    return {
        "case": "subset_100",
        "setup": setup,
        "swd": swd,
        "near_copy_share": best_share,
        "checks": checks,
    }


def test_verdicts_compare_last_checks():
    quality = import_benchmark("quality")
    hobby = _entry("hobby", swd=170.0, best_share=0.0, last_shares=[0.0, 0.6])
    small = _entry("small_data", swd=30.0, best_share=0.02, last_shares=[0.0, 0.2])

    verdicts = quality.check_criteria([hobby, small])

    assert verdicts["subset_near_copies_at_most_half"] is False
    assert verdicts["subset_swd_no_worse"] is True
    assert verdicts["subset_last_check_images_shown"] == 10000
    assert verdicts["subset_last_check_near_copy_share"] == {"hobby": 0.6, "small_data": 0.2}
    assert verdicts["subset_last_check_near_copies_at_most_half"] is True


def test_last_check_needs_same_images():
    quality = import_benchmark("quality")
    hobby = _entry("hobby", swd=170.0, best_share=0.0, last_shares=[0.0, 0.6], images_per_check=5000)
    small = _entry("small_data", swd=30.0, best_share=0.0, last_shares=[0.0], images_per_check=5000)

    verdicts = quality.check_criteria([hobby, small])

    assert "subset_last_check_near_copies_at_most_half" not in verdicts
    assert verdicts["subset_near_copies_at_most_half"] is True
