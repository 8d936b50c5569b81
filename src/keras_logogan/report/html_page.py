"""Render the self-contained HTML page of a run report.

The page links its images by relative paths and has inline CSS only, with
no scripts, fonts or other files from the network, so it opens offline.
"""

import html
import json
import os
import pathlib
import shlex
import urllib.parse

import numpy as np
from PIL import Image

from keras_logogan.version import __version__

# Descriptions of the metrics columns, for the final-metrics table. Columns
# not listed here are still shown, without a description.
METRIC_DESCRIPTIONS = {
    "d_loss": "discriminator loss, mean over the epoch's training steps",
    "g_loss": "generator loss, mean over the epoch's training steps",
    "real_accuracy": "share of real images the discriminator calls real, training steps",
    "fake_accuracy": "share of generated images the discriminator calls generated, training steps",
    "seconds": "duration of the epoch in seconds",
    "images_per_second": "training images processed per second",
    "d_real_accuracy": "share of a fixed real sample the discriminator calls real",
    "d_fake_accuracy": "share of fixed generated images the discriminator calls generated",
    "d_held_out_accuracy": "share of held-out real images the discriminator calls real",
    "r_t": "mean sign of the discriminator's real logits (ADA's overfitting heuristic)",
    "overfit_gap": "d_real_accuracy minus d_held_out_accuracy",
    "diversity_ratio": "mean pairwise pixel distance of generated images over that of real ones",
    "feature_diversity_ratio": "the same ratio in the discriminator's feature space",
    "duplicate_rate": "share of generated images with a near-identical generated twin",
    "near_copy_share": (
        "share of generated images nearer to the training set than the 5th percentile "
        "(by default) of held-out images' distances"
    ),
    "exact_copy_rate": "share of generated images within one uint8 level of a training image",
    "nearest_distance_ratio": "median nearest-training-image distance, generated over held-out",
    "swd": (
        "sliced Wasserstein distance x1e3 between 1,000 samples and the training images "
        "(--keep-best); lower is better"
    ),
}

STYLE = """\
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.95em; }
figure { margin: 0 0 1.5em 0; }
figcaption { font-size: 0.95em; color: #444; margin-top: 0.3em; }
img { max-width: 100%; height: auto; }
h3 { font-size: 1.1em; }
.grids { display: flex; flex-wrap: wrap; gap: 1em; }
.grids figure { width: 360px; }
.grids img { border: 1px solid #ccc; }
"""


def render_page(run, plots, grids, output_dir):
    """Return the report page of `run` as an HTML string.

    Args:
        run: `RunFolder`.
        plots: list of `(PlotSpec, path)` pairs of the written plots.
        grids: list of `SampleGrid`s to show, in page order.
        output_dir: str. Folder the page is saved in. Image links are
            relative to it.
    """
    name = os.path.basename(run.path)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Run report: {_text(name)}</title>",
        f"<style>\n{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Run report: {_text(name)}</h1>",
        _render_summary(run),
        "<h2>Final metrics</h2>",
        _render_final_metrics(run.metrics),
        "<h2>Plots</h2>",
        _render_plots(plots, output_dir),
        "<h2>Sample grids</h2>",
        _render_grids(grids, run, output_dir),
        "<h2>Settings</h2>",
        _render_settings(run.config),
        f"<p><small>Written by keras-logogan {_text(__version__)}.</small></p>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def relative_link(path, output_dir):
    """Return a URL for `path` relative to `output_dir`, or a file URL across drives."""
    try:
        relative = os.path.relpath(path, output_dir)
    except ValueError:
        # On Windows there is no relative path between two drives.
        return pathlib.Path(path).resolve().as_uri()
    return urllib.parse.quote(pathlib.PurePath(relative).as_posix())


def _text(value):
    return html.escape(str(value), quote=True)


def _render_summary(run):
    metrics = run.metrics
    rows = [("Run folder", f"<code>{_text(run.path)}</code>")]

    planned_epochs = ((run.config or {}).get("options") or {}).get("epochs")
    finished = f"{metrics.epochs[-1]}" if len(metrics) else "0"
    if isinstance(planned_epochs, int):
        finished += f" of {planned_epochs}"
    rows.append(("Epochs finished", _text(finished)))

    seconds = metrics.columns.get("seconds")
    if seconds is not None and np.isfinite(seconds).any():
        total = float(seconds[np.isfinite(seconds)].sum())
        duration = f"{_format_duration(total)}, the sum of the seconds column"
        rows.append(("Training time", _text(duration)))
    rows.append(("Status", _text(_run_status(run))))
    if run.best_check is not None:
        best = f"epoch {run.best_check['epoch']}"
        if isinstance(run.best_check["swd"], (int, float)):
            best += f", SWD {run.best_check['swd']:.2f}"
        if os.path.isfile(os.path.join(run.path, "best.keras")):
            best += ", saved as best.keras"
        rows.append(("Best check (--keep-best)", _text(best)))
    return _render_table(rows, header=None)


def _run_status(run):
    """Describe whether the run finished, stopped early (and why) or is still running."""
    stop = (run.config or {}).get("stopped_early")
    if run.has_model and isinstance(stop, dict):
        after_epoch = stop.get("after_epoch")
        if after_epoch == 0:
            weights = "the weights before training"
        else:
            weights = f"the weights of epoch {after_epoch}"
        return (
            f"stopped early with {after_epoch} of {stop.get('epochs')} epochs finished, "
            f"because {stop.get('reason')}. model.keras contains {weights}, and "
            "logogan train --resume continues the run"
        )
    if run.has_model:
        return "finished: model.keras saved"
    return "model.keras not written yet: training is still running, or stopped early"


def _render_final_metrics(metrics):
    if len(metrics) == 0:
        return "<p>No epoch has finished yet, so metrics.csv has no rows.</p>"
    last_epoch = int(metrics.epochs[-1])
    rows = []
    for name in metrics.columns:
        last = metrics.last_value(name)
        if last is None:
            value, epoch = "no value", ""
        else:
            epoch_number, number = last
            value = f"{number:.4g}"
            epoch = str(epoch_number)
        description = METRIC_DESCRIPTIONS.get(name, "")
        rows.append((f"<code>{_text(name)}</code>", _text(value), _text(epoch), _text(description)))
    intro = (
        f"<p>Last value of each column of metrics.csv. Epoch {last_epoch} is the last "
        "one logged; a column that a callback measures every few epochs shows the "
        "epoch of its last measurement.</p>"
    )
    table = _render_table(
        rows, header=("Metric", "Value", "Epoch", "Meaning"), number_columns=(1, 2)
    )
    return intro + "\n" + table


def _render_plots(plots, output_dir):
    if not plots:
        return "<p>No plots: metrics.csv has no values to draw yet.</p>"
    figures = []
    for spec, path in plots:
        link = _text(relative_link(path, output_dir))
        size = _size_attributes(path)
        figures.append(
            f'<figure><img src="{link}" alt="{_text(spec.title)}"{size}>'
            f"<figcaption>{_text(spec.title)} ({_text(spec.filename)})</figcaption></figure>"
        )
    return "\n".join(figures)


def _render_grids(grids, run, output_dir):
    if not grids:
        return "<p>No sample grids in samples/ yet.</p>"
    total = len(run.epoch_grids)
    shown_epoch_grids = sum(grid.epoch is not None for grid in grids)
    if total == 0:
        intro = "<p>No grids were saved during training, only the final model's.</p>"
    elif shown_epoch_grids < total:
        intro = (
            f"<p>The same latents rendered after {shown_epoch_grids} of the {total} saved epochs, "
            "evenly spaced and including the last.</p>"
        )
    else:
        intro = "<p>The same latents rendered after each saved epoch.</p>"
    figures = []
    for grid in grids:
        if grid.caption is not None:
            caption = grid.caption
        elif grid.epoch is None:
            caption = "final model"
        else:
            caption = f"epoch {grid.epoch}"
        link = _text(relative_link(grid.path, output_dir))
        size = _size_attributes(grid.path)
        # The grids are shown at most 360 px wide, and a click opens one at full size.
        image = f'<img src="{link}" alt="sample grid, {_text(caption)}"{size}>'
        figures.append(
            f'<figure><a href="{link}">{image}</a>'
            f"<figcaption>{_text(caption)} ({_text(os.path.basename(grid.path))})</figcaption>"
            "</figure>"
        )
    return intro + '\n<div class="grids">\n' + "\n".join(figures) + "\n</div>"


def _render_settings(config):
    if config is None:
        return "<p>This run folder has no run_config.json.</p>"
    config = dict(config)
    # The command line below shows the subcommand, so its separate key is left out.
    config.pop("command", None)
    argv = config.pop("argv", None)
    options = config.pop("options", None)

    parts = []
    if isinstance(argv, list):
        command = shlex.join(["logogan", *map(str, argv)])
        parts.append(f"<p>Command: <code>{_text(command)}</code></p>")
    if isinstance(options, dict):
        rows = [(_text(key), _text(_format_setting(value))) for key, value in options.items()]
        parts.append("<h3>Options, with defaults filled in</h3>")
        parts.append(_render_table(rows, header=("Option", "Value")))
    rows = [(_text(key), _text(_format_setting(value))) for key, value in _flatten(config)]
    if rows:
        parts.append("<h3>Data and versions</h3>")
        parts.append(_render_table(rows, header=("Field of run_config.json", "Value")))
    return "\n".join(parts)


def _flatten(config, prefix=""):
    """Yield `(dotted key, value)` pairs of nested dicts, in their order."""
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, prefix=f"{name}.")
        else:
            yield name, value


def _format_setting(value):
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _format_duration(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {seconds:02d} s"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def _size_attributes(path):
    """Return ` width=".." height=".."` for a PNG, so the layout does not jump while it loads."""
    try:
        with Image.open(path) as image:
            width, height = image.size
    except OSError:
        return ""
    return f' width="{width}" height="{height}"'


def _render_table(rows, header, number_columns=()):
    lines = ["<table>"]
    if header:
        lines.append("<tr>" + "".join(f"<th>{_text(cell)}</th>" for cell in header) + "</tr>")
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            if header is None and index == 0:
                cells.append(f"<th>{cell}</th>")
            elif index in number_columns:
                cells.append(f'<td class="number">{cell}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)
