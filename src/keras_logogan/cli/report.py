"""`logogan report`: write plots and an HTML page for a run folder.

The report needs neither Keras nor a backend, so this command imports
neither, and it imports matplotlib only when it runs.
"""

from keras_logogan.cli import common

DESCRIPTION = """\
Write PNG plots of a run's metrics.csv and a report.html page that shows
them with the run's settings, its final metrics and its sample grids. The
plots show the losses, the discriminator accuracy and the training speed,
and, when metrics.csv has them, the columns of the DiscriminatorAccuracy,
ModeCollapseDetector and MemorizationMonitor callbacks. The run may still
be training: run the command again to update the report.
"""

EPILOG = """\
example:
  logogan report runs/first
  logogan report runs/first --output /tmp/first-report
"""


def add_parser(subparsers):
    """Add the `report` subcommand to `subparsers` and return its parser."""
    parser = subparsers.add_parser(
        "report",
        help="write plots and an HTML page of a training run",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=common.HelpFormatter,
    )
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        help="run folder written by `logogan train`",
    )
    parser.add_argument(
        "--output",
        default=None,
        metavar="FOLDER",
        help="folder of the plots and report.html, created if missing. The page "
        "links the sample grids by relative paths (default: RUN_DIR/report)",
    )
    return parser


def run(args, parser, argv):
    """Run `logogan report` with parsed `args`, and return the exit status."""
    from keras_logogan.report import ReportError
    from keras_logogan.report import write_report

    try:
        paths = write_report(args.run_dir, output_dir=args.output)
    except ReportError as error:
        parser.error(f"argument RUN_DIR: {error}")
    except OSError as error:
        parser.error(f"argument --output: the report could not be written: {error}")
    for path in paths.all():
        print(path)
    return 0
