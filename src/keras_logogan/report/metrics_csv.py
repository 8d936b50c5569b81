"""Read the `metrics.csv` file that `logogan train` writes, one row per finished epoch."""

import csv
import dataclasses
import math

import numpy as np

from keras_logogan.report.errors import ReportError

EPOCH_COLUMN = "epoch"


@dataclasses.dataclass
class MetricsTable:
    """Per-epoch metrics of a run, with missing values as NaN.

    Attributes:
        epochs: int array of 1-based epoch numbers, ascending and unique, as
            in the sample grid names `epoch_0001.png`, ....
        columns: dict from column name to a float array aligned with
            `epochs`, in the file's column order. A value that is missing,
            "NA" (Keras' `CSVLogger` writes that for a key absent from an
            epoch's logs) or not a number is NaN.
    """

    epochs: np.ndarray
    columns: dict

    def __len__(self):
        return len(self.epochs)

    def has_values(self, name):
        """Return whether column `name` exists and has at least one finite value."""
        values = self.columns.get(name)
        return values is not None and bool(np.isfinite(values).any())

    def last_value(self, name):
        """Return `(epoch, value)` of the last finite value of column `name`, or None."""
        values = self.columns.get(name)
        if values is None:
            return None
        finite = np.flatnonzero(np.isfinite(values))
        if len(finite) == 0:
            return None
        index = finite[-1]
        return int(self.epochs[index]), float(values[index])


def read_metrics_csv(path):
    """Read a `metrics.csv` file written by Keras' `CSVLogger` during `logogan train`.

    The file may belong to a run still in progress. An empty file or a header
    without rows gives an empty table, and a last line without a line break,
    which the logger may still be writing, is ignored. The 0-based `epoch`
    column becomes 1-based. When an epoch appears more than once, as after
    a run resumed into the same file, its last row is kept.

    Args:
        path: str or path-like. The `metrics.csv` file.

    Returns:
        A `MetricsTable`.

    Raises:
        ReportError: if the header has no `epoch` column or an epoch value is
            not a whole number of 0 or more.
    """
    with open(path, newline="", encoding="utf-8") as stream:
        text = stream.read()
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()

    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return MetricsTable(epochs=np.zeros(0, np.int64), columns={})
    if EPOCH_COLUMN not in header:
        raise ReportError(
            f"{str(path)!r} has no {EPOCH_COLUMN!r} column (its columns are {header}). "
            "Pass the metrics.csv file that `logogan train` writes."
        )
    epoch_index = header.index(EPOCH_COLUMN)
    names = [name for name in header if name != EPOCH_COLUMN]

    rows_by_epoch = {}
    for row in reader:
        if not row:
            continue
        values = dict(zip(header, row))
        epoch = _parse_epoch(row[epoch_index] if epoch_index < len(row) else "", path, reader)
        rows_by_epoch[epoch] = [_parse_value(values.get(name, "")) for name in names]

    epochs = np.array(sorted(rows_by_epoch), np.int64)
    matrix = np.array([rows_by_epoch[epoch] for epoch in epochs], np.float64)
    matrix = matrix.reshape(len(epochs), len(names))
    columns = {name: matrix[:, index] for index, name in enumerate(names)}
    return MetricsTable(epochs=epochs + 1, columns=columns)


def _parse_epoch(text, path, reader):
    try:
        epoch = int(text)
    except ValueError:
        epoch = -1
    if epoch < 0:
        raise ReportError(
            f"{str(path)!r} line {reader.line_num}: the epoch {text!r} is not a whole "
            "number of 0 or more. Fix or delete that line."
        )
    return epoch


def _parse_value(text):
    try:
        return float(text)
    except ValueError:
        return math.nan
