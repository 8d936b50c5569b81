"""Line plots of a run's per-epoch metrics, drawn with matplotlib's Agg renderer.

The figures are built with the object-oriented `matplotlib.figure.Figure` API
on an Agg canvas, so drawing them neither imports `matplotlib.pyplot` nor
changes the process-wide matplotlib backend or rcParams.
"""

import dataclasses
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.ticker import PercentFormatter

from keras_logogan.atomic_files import atomic_path

# Every plot is saved at this size, in pixels, so the page can lay them out
# at 100% zoom. Font sizes are in points, at DPI / 72 pixels per point.
WIDTH_PIXELS = 960
HEIGHT_PIXELS = 540
DPI = 100
TITLE_FONT_SIZE = 15
LABEL_FONT_SIZE = 12
TICK_FONT_SIZE = 11
LEGEND_FONT_SIZE = 10.5

# Series with at most this many values get a marker on each value, so that
# a single epoch, or a check run every few epochs, still shows up.
MAX_POINTS_WITH_MARKERS = 40

EPOCH_LABEL = "epoch (1-based, as in samples/epoch_NNNN.png)"

# Colours of the matplotlib "tab10" palette. A quantity measured on real
# images is blue and one on generated images orange in every plot.
BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, GRAY = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#7f7f7f",
)


@dataclasses.dataclass(frozen=True)
class Series:
    """One metrics column drawn as a line, labelled with its column name and `label`.

    `dashed` marks a measurement that a callback takes on fixed samples in
    inference mode, as opposed to an average over the epoch's training steps.
    """

    column: str
    label: str
    color: str
    dashed: bool = False


@dataclasses.dataclass(frozen=True)
class ReferenceLine:
    """A horizontal line at a value that gives the series meaning, e.g. a target."""

    value: float
    label: str


@dataclasses.dataclass(frozen=True)
class Panel:
    """One set of axes.

    `percent` shows fractions in [0, 1] as 0–100%. `y_limits`, a
    `(bottom, top)` pair, fixes the y range so that runs can be compared
    by eye. Without it the range fits the values, but stays within
    `value_range`, the `(min, max)` the values can take, plus a 2% margin,
    so that shares that are all 0 do not get negative ticks.
    """

    y_label: str
    series: tuple
    percent: bool = False
    reference: ReferenceLine = None
    y_limits: tuple = None
    value_range: tuple = None


@dataclasses.dataclass(frozen=True)
class PlotSpec:
    """A PNG file of one or more panels stacked over a shared epoch axis.

    Panels whose columns have no values are left out, and the plot is not
    drawn when no panel remains.
    """

    name: str
    title: str
    panels: tuple

    @property
    def filename(self):
        return f"{self.name}.png"


PLOTS = (
    PlotSpec(
        name="losses",
        title="Generator and discriminator losses",
        panels=(
            Panel(
                y_label="loss (mean over the epoch's steps)",
                series=(
                    Series("d_loss", "discriminator", BLUE),
                    Series("g_loss", "generator", ORANGE),
                ),
            ),
        ),
    ),
    PlotSpec(
        name="discriminator_accuracy",
        title="Discriminator accuracy on real and generated images",
        panels=(
            Panel(
                y_label="accuracy (%)",
                percent=True,
                y_limits=(-0.02, 1.02),
                reference=ReferenceLine(0.5, "chance, 50%"),
                series=(
                    Series("real_accuracy", "real, training steps", BLUE),
                    Series("fake_accuracy", "generated, training steps", ORANGE),
                    Series("d_real_accuracy", "real, fixed sample", BLUE, dashed=True),
                    Series("d_fake_accuracy", "generated, fixed sample", ORANGE, dashed=True),
                    Series(
                        "d_held_out_accuracy", "held-out real, fixed sample", GREEN, dashed=True
                    ),
                ),
            ),
        ),
    ),
    PlotSpec(
        name="overfitting",
        title="Discriminator overfitting",
        panels=(
            Panel(
                y_label="r_t (unitless)",
                value_range=(-1.0, 1.0),
                series=(Series("r_t", "mean sign of real logits", PURPLE, dashed=True),),
                reference=ReferenceLine(0.6, "ADA target, 0.6"),
            ),
            Panel(
                y_label="accuracy gap (points)",
                percent=True,
                value_range=(-1.0, 1.0),
                series=(Series("overfit_gap", "training minus held-out", RED, dashed=True),),
                reference=ReferenceLine(0.0, "no gap"),
            ),
        ),
    ),
    PlotSpec(
        name="diversity",
        title="Diversity of generated images",
        panels=(
            Panel(
                y_label="ratio to real images",
                series=(
                    Series("diversity_ratio", "pixel distances", GREEN, dashed=True),
                    Series(
                        "feature_diversity_ratio",
                        "discriminator feature distances",
                        PURPLE,
                        dashed=True,
                    ),
                ),
                reference=ReferenceLine(1.0, "as diverse as real"),
            ),
            Panel(
                y_label="generated images (%)",
                percent=True,
                value_range=(0.0, 1.0),
                series=(Series("duplicate_rate", "near-duplicates", RED, dashed=True),),
            ),
        ),
    ),
    PlotSpec(
        name="memorization",
        title="Copies of training images among generated images",
        panels=(
            Panel(
                y_label="generated images (%)",
                percent=True,
                value_range=(0.0, 1.0),
                series=(
                    Series("near_copy_share", "near copies", RED, dashed=True),
                    Series("exact_copy_rate", "exact copies", BROWN, dashed=True),
                ),
            ),
            Panel(
                y_label="ratio to held-out",
                series=(
                    Series(
                        "nearest_distance_ratio",
                        "median distance to the\nnearest training image",
                        GRAY,
                        dashed=True,
                    ),
                ),
                reference=ReferenceLine(1.0, "as far as held-out\nreal images"),
            ),
        ),
    ),
    PlotSpec(
        name="sample_quality",
        title="Distance of generated images from the training images",
        panels=(
            Panel(
                y_label="SWD x1e3 (lower is better)",
                series=(Series("swd", "sliced Wasserstein distance", BLUE, dashed=True),),
            ),
        ),
    ),
    PlotSpec(
        name="throughput",
        title="Training speed",
        panels=(
            Panel(
                y_label="images/s",
                series=(Series("images_per_second", "training images per second", BLUE),),
            ),
            Panel(
                y_label="epoch duration (s)",
                series=(
                    Series("seconds", "the first epoch includes\ntracing or compilation", ORANGE),
                ),
            ),
        ),
    ),
)


def write_plots(metrics, output_dir):
    """Draw each plot of `PLOTS` that has data in `metrics`, and save it as PNG.

    Args:
        metrics: `MetricsTable`.
        output_dir: str. Folder of the PNG files, created if missing.

    Returns:
        A list of `(PlotSpec, path)` pairs for the files written, in the
        order of `PLOTS`.
    """
    written = []
    for spec in PLOTS:
        panels = [panel for panel in spec.panels if _panel_has_values(panel, metrics)]
        if not panels:
            continue
        path = os.path.join(output_dir, spec.filename)
        figure = draw_plot(spec.title, panels, metrics)
        with atomic_path(path, suffix=".png") as temporary:
            figure.savefig(temporary, format="png", dpi=DPI)
        written.append((spec, path))
    return written


def draw_plot(title, panels, metrics):
    """Return a `Figure` of `panels` stacked over a shared epoch axis."""
    size_inches = (WIDTH_PIXELS / DPI, HEIGHT_PIXELS / DPI)
    figure = Figure(figsize=size_inches, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    figure.suptitle(title, fontsize=TITLE_FONT_SIZE, fontweight="bold")

    for axes, panel in zip(axes_list, panels):
        _draw_panel(axes, panel, metrics)

    figure.align_ylabels(axes_list)
    last_axes = axes_list[-1]
    last_axes.set_xlabel(EPOCH_LABEL, fontsize=LABEL_FONT_SIZE)
    # Whole epochs only. min_n_ticks=1 keeps a one-epoch axis from getting
    # fractional ticks such as 0.8 and 1.2.
    epoch_ticks = MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1)
    last_axes.xaxis.set_major_locator(epoch_ticks)
    first_epoch, last_epoch = int(metrics.epochs[0]), int(metrics.epochs[-1])
    margin = max(0.5, 0.02 * (last_epoch - first_epoch))
    last_axes.set_xlim(first_epoch - margin, last_epoch + margin)
    return figure


def _panel_has_values(panel, metrics):
    return any(metrics.has_values(series.column) for series in panel.series)


def _draw_panel(axes, panel, metrics):
    for series in panel.series:
        if not metrics.has_values(series.column):
            continue
        values = metrics.columns[series.column]
        # Connect the measured epochs across the NaN rows of a callback that
        # checks every few epochs, instead of leaving isolated points.
        finite = np.isfinite(values)
        epochs, values = metrics.epochs[finite], values[finite]
        axes.plot(
            epochs,
            values,
            label=f"{series.column}\n{series.label}",
            color=series.color,
            linestyle="--" if series.dashed else "-",
            linewidth=2,
            marker="o" if len(values) <= MAX_POINTS_WITH_MARKERS else None,
            # A lone value has no line through it, so its marker is larger.
            markersize=4 if len(values) > 1 else 9,
        )

    if panel.reference is not None:
        axes.axhline(
            panel.reference.value,
            color=GRAY,
            linestyle=":",
            linewidth=1.5,
            label=panel.reference.label,
        )
    if panel.percent:
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    axes.set_ylim(*(panel.y_limits or _fitted_y_limits(panel, metrics)))
    axes.set_ylabel(panel.y_label, fontsize=LABEL_FONT_SIZE)
    axes.tick_params(labelsize=TICK_FONT_SIZE)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    # Outside the axes, on the right, the legend never hides a line.
    axes.legend(
        fontsize=LEGEND_FONT_SIZE,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        labelspacing=0.8,
    )


def _fitted_y_limits(panel, metrics):
    """Return y limits around the panel's values and reference line, with 8% margins.

    The limits stay within `panel.value_range`, if set, plus 2% of it.
    """
    columns = [series.column for series in panel.series if metrics.has_values(series.column)]
    values = np.concatenate([metrics.columns[column] for column in columns])
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    if panel.reference is not None:
        low = min(low, panel.reference.value)
        high = max(high, panel.reference.value)
    margin = 0.08 * (high - low) if high > low else max(0.1 * abs(high), 0.1)
    bottom, top = low - margin, high + margin
    if panel.value_range is not None:
        range_min, range_max = panel.value_range
        range_margin = 0.02 * (range_max - range_min)
        bottom = max(bottom, range_min - range_margin)
        top = min(top, range_max + range_margin)
    return bottom, top
