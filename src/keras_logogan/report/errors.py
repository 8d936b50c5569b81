"""The error raised when a run folder cannot be turned into a report."""


class ReportError(ValueError):
    """A run folder, or a file in it, that `write_report` cannot read.

    The message names the folder or file and what to pass instead.

    Examples:
        >>> import tempfile
        >>> from keras_logogan.report import write_report
        >>> try:
        ...     write_report(tempfile.mkdtemp())
        ... except ReportError as error:
        ...     print("contains no metrics.csv" in str(error))
        True
    """
