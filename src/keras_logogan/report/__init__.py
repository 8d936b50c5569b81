"""Reports of training runs: PNG plots of `metrics.csv` and an HTML page with the sample grids.

Nothing here imports Keras, so a report can be written while another process
trains, or on a machine without a backend.
"""

from keras_logogan.report.errors import ReportError
from keras_logogan.report.writer import ReportPaths
from keras_logogan.report.writer import write_report

__all__ = ["ReportError", "ReportPaths", "write_report"]
