"""`write_report`: turn a run folder into PNG plots and an HTML page."""

import dataclasses
import os

from keras_logogan.atomic_files import atomic_path
from keras_logogan.report.html_page import render_page
from keras_logogan.report.plots import write_plots
from keras_logogan.report.run_folder import read_run_folder
from keras_logogan.report.run_folder import select_grids

REPORT_FOLDER = "report"
HTML_FILE = "report.html"
# Epoch grids shown on the page, at most. With more saved epochs an evenly
# spaced selection is shown, so the page stays short at 100 or more epochs.
MAX_EPOCH_GRIDS = 12


@dataclasses.dataclass
class ReportPaths:
    """Paths of the files `write_report` wrote: `html`, and `plots` in page order.

    Examples:
        >>> import pathlib, tempfile
        >>> run = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (run / "metrics.csv").write_text("epoch,d_loss,g_loss\\n0,1.2,0.9\\n")
        >>> paths = write_report(run, output_dir=run / "pages")
        >>> paths.html == str(run / "pages" / "report.html")
        True
        >>> [os.path.basename(path) for path in paths.plots]
        ['losses.png']
    """

    html: str
    plots: list

    def all(self):
        """Return every written path, the plots first and the page last."""
        return [*self.plots, self.html]


def write_report(run_dir, output_dir=None):
    """Write plots of a run's metrics and an HTML page that shows them with its sample grids.

    The run may still be in progress: the report shows the epochs that
    `metrics.csv` has so far, and can be written again later. Plots of the
    callback columns (`r_t`, `diversity_ratio`, ...) are drawn only when
    the CSV has values for them. Each file is written atomically, so a
    browser never shows a half-written one. The page links the plots and
    `samples/*.png` by relative paths, so keep the report folder and the run
    folder in the same places relative to each other.

    Args:
        run_dir: str or path-like. Folder written by `logogan train`.
        output_dir: str or path-like, default None. Folder of the report,
            created if missing. None means `<run_dir>/report`.

    Returns:
        A `ReportPaths` with the absolute paths of the written files.

    Raises:
        ReportError: if `run_dir` is not a run folder or its `metrics.csv` or
            `run_config.json` cannot be read.
        OSError: if `output_dir` cannot be written.

    Examples:
        >>> import pathlib, tempfile
        >>> run = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (run / "metrics.csv").write_text("epoch,d_loss,g_loss\\n0,1.2,0.9\\n1,1.0,1.1\\n")
        >>> paths = write_report(run)
        >>> [os.path.basename(path) for path in paths.all()]
        ['losses.png', 'report.html']
    """
    run = read_run_folder(run_dir)
    if output_dir is None:
        output_dir = os.path.join(run.path, REPORT_FOLDER)
    output_dir = os.path.abspath(os.fspath(output_dir))
    os.makedirs(output_dir, exist_ok=True)

    plots = write_plots(run.metrics, output_dir) if len(run.metrics) else []
    grids = select_grids(run.epoch_grids, MAX_EPOCH_GRIDS)
    if run.final_grid is not None:
        grids.append(run.final_grid)
    if run.best_grid is not None:
        grids.append(run.best_grid)

    html_path = os.path.join(output_dir, HTML_FILE)
    page = render_page(run, plots, grids, output_dir)
    with atomic_path(html_path, suffix=".html") as temporary:
        with open(temporary, "w", encoding="utf-8") as stream:
            stream.write(page)
    return ReportPaths(html=html_path, plots=[path for _, path in plots])
