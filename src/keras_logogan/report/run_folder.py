"""Find and read the files of a `logogan train` run folder."""

import dataclasses
import json
import os
import re

import numpy as np

from keras_logogan.report.errors import ReportError
from keras_logogan.report.metrics_csv import read_metrics_csv

METRICS_FILE = "metrics.csv"
CONFIG_FILE = "run_config.json"
MODEL_FILE = "model.keras"
SAMPLES_FOLDER = "samples"
FINAL_GRID_FILE = "final.png"
BEST_GRID_FILE = "best.png"
BEST_STATE_FILE = "best.json"
EPOCH_GRID_PATTERN = re.compile(r"epoch_(\d+)\.png")


@dataclasses.dataclass
class SampleGrid:
    """A sample grid PNG. `epoch` is its 1-based epoch, or None for `final.png` and `best.png`.

    `caption` names a grid that is not an epoch's, such as the best check.
    """

    path: str
    epoch: int = None
    caption: str = None


@dataclasses.dataclass
class RunFolder:
    """The readable contents of a run folder.

    Attributes:
        path: absolute path of the folder.
        metrics: `MetricsTable` read from `metrics.csv`.
        config: dict read from `run_config.json`, or None if that file is
            missing.
        epoch_grids: `SampleGrid`s of `samples/epoch_NNNN.png`, by epoch.
        final_grid: `SampleGrid` of `samples/final.png`, or None.
        has_model: whether `model.keras` exists, which `logogan train` saves
            only after the last epoch.
        best_check: dict with the `epoch` and `swd` of the best check that
            `logogan train --keep-best` recorded in `best.json`, or None.
        best_grid: `SampleGrid` of `samples/best.png`, or None.
    """

    path: str
    metrics: object
    config: dict
    epoch_grids: list
    final_grid: SampleGrid
    has_model: bool
    best_check: dict = None
    best_grid: SampleGrid = None


def read_run_folder(run_dir):
    """Read the metrics, settings and sample grid paths of the run folder `run_dir`.

    Only `metrics.csv` is required, so the folder of a run still in progress
    can be read.

    Raises:
        ReportError: if `run_dir` is not a folder, has no `metrics.csv`, or
            contains a `metrics.csv` or `run_config.json` that cannot be read.
    """
    path = os.path.abspath(os.fspath(run_dir))
    if not os.path.isdir(path):
        problem = "is a file" if os.path.exists(path) else "was not found"
        raise ReportError(
            f"Run folder {str(run_dir)!r} {problem}. Pass the folder that "
            "`logogan train --output` created, e.g. runs/<run>."
        )
    metrics_path = os.path.join(path, METRICS_FILE)
    if not os.path.isfile(metrics_path):
        raise ReportError(
            f"{str(run_dir)!r} is not a `logogan train` run folder: it contains no "
            f"{METRICS_FILE}. Pass the folder that `logogan train --output` created, "
            "e.g. runs/<run>."
        )

    try:
        metrics = read_metrics_csv(metrics_path)
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(f"{metrics_path!r} could not be read: {error}") from error
    best_check = _read_best_check(os.path.join(path, BEST_STATE_FILE))
    return RunFolder(
        path=path,
        metrics=metrics,
        config=_read_config(os.path.join(path, CONFIG_FILE)),
        epoch_grids=_find_epoch_grids(os.path.join(path, SAMPLES_FOLDER)),
        final_grid=_find_final_grid(os.path.join(path, SAMPLES_FOLDER)),
        has_model=os.path.isfile(os.path.join(path, MODEL_FILE)),
        best_check=best_check,
        best_grid=_find_best_grid(os.path.join(path, SAMPLES_FOLDER), best_check),
    )


def select_grids(grids, max_grids):
    """Return all of `grids` if there are at most `max_grids`, else `max_grids` evenly spaced ones.

    The selection always contains the first and the last grid.
    """
    if len(grids) <= max_grids:
        return list(grids)
    indices = np.unique(np.round(np.linspace(0, len(grids) - 1, max_grids)).astype(int))
    return [grids[index] for index in indices]


def _read_config(path):
    return _read_json_object(
        path, "Restore it, or delete it to make the report without the run's settings."
    )


def _read_json_object(path, fix):
    """Return the JSON object in `path`, or None if there is no such file.

    Raises:
        ReportError: naming `path` and ending with `fix`, if the file is not
            valid JSON or contains another JSON type.
    """
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            value = json.load(stream)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(f"{path!r} could not be read as JSON: {error}. {fix}") from error
    if not isinstance(value, dict):
        raise ReportError(
            f"{path!r} contains a JSON {type(value).__name__}, but `logogan train` "
            f"writes an object. {fix}"
        )
    return value


def _find_epoch_grids(samples_folder):
    if not os.path.isdir(samples_folder):
        return []
    grids = []
    for name in os.listdir(samples_folder):
        match = EPOCH_GRID_PATTERN.fullmatch(name)
        if match:
            grids.append(SampleGrid(os.path.join(samples_folder, name), int(match.group(1))))
    return sorted(grids, key=lambda grid: grid.epoch)


def _find_final_grid(samples_folder):
    path = os.path.join(samples_folder, FINAL_GRID_FILE)
    return SampleGrid(path) if os.path.isfile(path) else None


def _read_best_check(path):
    """Return the best check's epoch and SWD from `best.json`, or None without one."""
    state = _read_json_object(path, "Delete it to make the report without the best check.")
    if state is None or state.get("best_epoch") is None:
        return None
    return {"epoch": state["best_epoch"], "swd": state.get("best_value")}


def _find_best_grid(samples_folder, best_check):
    path = os.path.join(samples_folder, BEST_GRID_FILE)
    if not os.path.isfile(path):
        return None
    caption = "best check" if best_check is None else f"best check, epoch {best_check['epoch']}"
    return SampleGrid(path, caption=caption)
