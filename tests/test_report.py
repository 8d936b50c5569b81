"""`write_report` and `logogan report` on real run folders: a tiny training run and hand-written CSVs.

The plots and pages are checked as files: each PNG opens, has the plot size
and contains coloured lines, and each link of the page points to a file.
"""

import contextlib
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from keras_logogan import save_grid
from keras_logogan.cli.main import main
from keras_logogan.report import ReportError
from keras_logogan.report import write_report
from keras_logogan.report.metrics_csv import read_metrics_csv
from keras_logogan.report.plots import HEIGHT_PIXELS
from keras_logogan.report.plots import WIDTH_PIXELS
from keras_logogan.report.writer import MAX_EPOCH_GRIDS

TINY_TRAIN_OPTIONS = [
    "--image-size", "16",
    "--width", "8",
    "--limit", "64",
    "--epochs", "2",
    "--batch-size", "32",
    # A 64-image run checks and saves grids every 79 epochs by default.
    "--check-every", "1",
    "--grid-every", "1",
    "--quiet",
]  # fmt: skip
BASE_COLUMNS = ["epoch", "d_loss", "g_loss", "real_accuracy", "fake_accuracy", "seconds", "images_per_second"]
CALLBACK_COLUMNS = [
    "d_real_accuracy", "d_fake_accuracy", "d_held_out_accuracy", "r_t", "overfit_gap",
    "diversity_ratio", "feature_diversity_ratio", "duplicate_rate",
    "near_copy_share", "exact_copy_rate", "nearest_distance_ratio", "swd",
]  # fmt: skip
BASE_PLOTS = ["losses.png", "discriminator_accuracy.png", "throughput.png"]
# The plots drawn only when metrics.csv has values in one of their columns.
OPTIONAL_PLOT_COLUMNS = {
    "overfitting.png": ("r_t", "overfit_gap"),
    "diversity.png": ("diversity_ratio", "feature_diversity_ratio", "duplicate_rate"),
    "memorization.png": ("near_copy_share", "exact_copy_rate", "nearest_distance_ratio"),
    "sample_quality.png": ("swd",),
}
ALL_PLOTS = [
    "losses.png",
    "discriminator_accuracy.png",
    "overfitting.png",
    "diversity.png",
    "memorization.png",
    "sample_quality.png",
    "throughput.png",
]
# A plot counts as not blank when its grey levels vary (text, axes) and the
# left part of the image, which holds only the axes because the legend sits
# on the right, has coloured pixels of drawn data. Grid and reference lines
# are grey. Measured: 0 coloured pixels with an empty axes and a legend,
# 200 to 300 for one-epoch plots (one marker per series), and grey-level
# variances above 1000 for the plots of a 30-epoch run.
MIN_GRAY_VARIANCE = 300
MIN_COLOURED_DATA_PIXELS = 80
DATA_REGION_WIDTH = 0.65


class PageParser(html.parser.HTMLParser):
    """Collect the image sources, link targets, tag names and text of a page."""

    def __init__(self):
        super().__init__()
        self.image_sources = []
        self.link_targets = []
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "img":
            self.image_sources.append(attributes["src"])
        if "href" in attributes:
            self.link_targets.append(attributes["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path):
    parser = PageParser()
    with open(path, encoding="utf-8") as stream:
        parser.feed(stream.read())
    parser.close()
    return parser


def page_text(path):
    """Return the text of the page at `path`, with each run of whitespace as one space."""
    return " ".join(" ".join(parse_page(path).text).split())


def linked_files(page_path):
    """Return the absolute paths of the images that the page at `page_path` shows."""
    page = parse_page(page_path)
    folder = os.path.dirname(page_path)
    return [
        os.path.normpath(os.path.join(folder, urllib.parse.unquote(source)))
        for source in page.image_sources
    ]


def check_plot(path):
    assert os.path.isfile(path), path
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (WIDTH_PIXELS, HEIGHT_PIXELS)
        pixels = np.asarray(image.convert("RGB"), np.int32)
    gray = pixels.mean(axis=-1)
    assert gray.var() > MIN_GRAY_VARIANCE, f"{path} looks blank"
    data_region = pixels[:, : int(DATA_REGION_WIDTH * WIDTH_PIXELS)]
    coloured = (data_region.max(axis=-1) - data_region.min(axis=-1)) > 60
    assert coloured.sum() > MIN_COLOURED_DATA_PIXELS, f"{path} shows no data"


def write_metrics(folder, columns, rows):
    """Write `metrics.csv` with `columns` and `rows` as Keras' CSVLogger does, with \\r\\n line ends."""
    os.makedirs(folder, exist_ok=True)
    lines = [",".join(columns)] + [",".join(str(value) for value in row) for row in rows]
    with open(os.path.join(folder, "metrics.csv"), "w", newline="") as stream:
        stream.write("\r\n".join(lines) + "\r\n")


def write_grids(folder, epochs, final=True):
    """Save real 2x2 grids of 8 px tiles as samples/epoch_NNNN.png, and samples/final.png."""
    rng = np.random.default_rng(0)
    samples = os.path.join(folder, "samples")
    paths = []
    for epoch in epochs:
        images = rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
        paths.append(save_grid(images, os.path.join(samples, f"epoch_{epoch:04d}.png")))
    if final:
        images = rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
        paths.append(save_grid(images, os.path.join(samples, "final.png")))
    return paths


def base_rows(num_epochs, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(num_epochs):
        d_loss, g_loss = 0.5 + rng.random(), 2.0 + rng.random()
        real_accuracy, fake_accuracy = rng.uniform(0.6, 1.0, 2)
        seconds = rng.uniform(5.0, 10.0)
        rows.append([epoch, d_loss, g_loss, real_accuracy, fake_accuracy, seconds, 5000 / seconds])
    return rows


def expected_plots(run_folder):
    """Return the plot names that the run's metrics.csv calls for, in page order.

    `logogan train` logs the columns of its measuring callbacks unless they
    are turned off, so this test reads which ones the run has.
    """
    metrics = read_metrics_csv(os.path.join(run_folder, "metrics.csv"))
    optional = {
        name
        for name, columns in OPTIONAL_PLOT_COLUMNS.items()
        if any(metrics.has_values(column) for column in columns)
    }
    return [name for name in ALL_PLOTS if name in BASE_PLOTS or name in optional]


def run_main(argv):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(argv)
    return status, stdout.getvalue()


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A run folder written by a 2-epoch `logogan train` on 16 px logos."""
    folder = tmp_path_factory.mktemp("report") / "run"
    status, _ = run_main(["train", *TINY_TRAIN_OPTIONS, "--output", str(folder)])
    assert status == 0
    return str(folder)


@pytest.fixture(scope="module")
def trained_report(trained_run):
    return write_report(trained_run)


def test_trained_run_plots(trained_run, trained_report):
    assert [os.path.basename(path) for path in trained_report.plots] == expected_plots(trained_run)
    for path in trained_report.plots:
        assert os.path.dirname(path) == os.path.join(trained_run, "report")
        check_plot(path)


def test_trained_run_page_links(trained_run, trained_report):
    page = parse_page(trained_report.html)
    samples = os.path.join(trained_run, "samples")
    expected = [
        *trained_report.plots,
        os.path.join(samples, "epoch_0001.png"),
        os.path.join(samples, "epoch_0002.png"),
        os.path.join(samples, "final.png"),
    ]

    assert linked_files(trained_report.html) == expected
    for path in expected:
        assert os.path.isfile(path)
    for source in page.image_sources:
        assert not os.path.isabs(source)
        assert "://" not in source
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert page.link_targets == page.image_sources[len(trained_report.plots) :]


def test_trained_run_page_content(trained_report):
    text = page_text(trained_report.html)

    assert "Command: logogan train --image-size 16 --width 8" in text
    assert "2 of 2" in text
    assert "finished: model.keras saved" in text
    for column in BASE_COLUMNS[1:]:
        assert column in text
    assert "epoch 1" in text
    assert "epoch 2" in text
    assert "final model" in text


def test_callback_columns_plots(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for row in base_rows(6):
        # The callbacks check every second epoch; Keras' CSVLogger writes NA
        # for the other epochs.
        if row[0] % 2:
            row += list(rng.uniform(0.0, 1.0, len(CALLBACK_COLUMNS)))
        else:
            row += ["NA"] * len(CALLBACK_COLUMNS)
        rows.append(row)
    write_metrics(tmp_path, BASE_COLUMNS + CALLBACK_COLUMNS, rows)

    paths = write_report(tmp_path)

    assert [os.path.basename(path) for path in paths.plots] == ALL_PLOTS
    for path in paths.plots:
        check_plot(path)
    assert linked_files(paths.html) == paths.plots


def test_only_loss_columns(tmp_path):
    write_metrics(tmp_path, ["epoch", "d_loss", "g_loss"], [[0, 1.3, 0.8], [1, 1.1, 1.0], [2, 0.9, 1.4]])

    paths = write_report(tmp_path)

    assert [os.path.basename(path) for path in paths.plots] == ["losses.png"]
    check_plot(paths.plots[0])
    assert sorted(os.listdir(tmp_path / "report")) == ["losses.png", "report.html"]
    text = page_text(paths.html)
    assert "no run_config.json" in text
    assert "No sample grids" in text


def test_single_epoch_plots(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(1))

    paths = write_report(tmp_path)

    assert [os.path.basename(path) for path in paths.plots] == BASE_PLOTS
    for path in paths.plots:
        check_plot(path)


def test_na_rows_and_empty_columns(tmp_path):
    rows = [row + ["NA"] for row in base_rows(4)]
    rows[1][1:3] = ["NA", "NA"]
    rows[3][1] = "nan"
    write_metrics(tmp_path, BASE_COLUMNS + ["r_t"], rows)

    paths = write_report(tmp_path)
    metrics = read_metrics_csv(tmp_path / "metrics.csv")

    assert [os.path.basename(path) for path in paths.plots] == BASE_PLOTS
    for path in paths.plots:
        check_plot(path)
    assert metrics.last_value("d_loss") == (3, pytest.approx(rows[2][1]))
    assert metrics.last_value("g_loss") == (4, pytest.approx(rows[3][2]))
    assert metrics.last_value("r_t") is None
    assert "no value" in page_text(paths.html)


def test_unknown_and_text_columns(tmp_path):
    rows = [row + [0.1 * row[0], "warming up"] for row in base_rows(3)]
    write_metrics(tmp_path, BASE_COLUMNS + ["custom_metric", "note"], rows)

    paths = write_report(tmp_path)
    metrics = read_metrics_csv(tmp_path / "metrics.csv")

    assert [os.path.basename(path) for path in paths.plots] == BASE_PLOTS
    assert metrics.last_value("custom_metric") == (3, pytest.approx(0.2))
    assert metrics.last_value("note") is None
    assert "custom_metric" in page_text(paths.html)


def test_run_in_progress_partial_line(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(3))
    with open(tmp_path / "metrics.csv", "a", newline="") as stream:
        stream.write("3,0.71,2.")

    metrics = read_metrics_csv(tmp_path / "metrics.csv")
    paths = write_report(tmp_path)

    assert metrics.epochs.tolist() == [1, 2, 3]
    assert [os.path.basename(path) for path in paths.plots] == BASE_PLOTS
    assert "model.keras not written yet" in page_text(paths.html)


@pytest.mark.parametrize("content", ["", "epoch,d_loss,g_loss\r\n"], ids=["empty", "header_only"])
def test_run_before_first_epoch(tmp_path, content):
    (tmp_path / "metrics.csv").write_text(content)
    write_grids(tmp_path, epochs=[], final=False)

    paths = write_report(tmp_path)

    assert paths.plots == []
    assert parse_page(paths.html).image_sources == []
    assert "No epoch has finished yet" in page_text(paths.html)


def test_repeated_epoch_keeps_last_row(tmp_path):
    rows = [[0, 1.0, 2.0], [1, 1.1, 2.1], [1, 0.5, 3.0], [2, 0.4, 3.2]]
    write_metrics(tmp_path, ["epoch", "d_loss", "g_loss"], rows)

    metrics = read_metrics_csv(tmp_path / "metrics.csv")

    assert metrics.epochs.tolist() == [1, 2, 3]
    assert metrics.columns["d_loss"].tolist() == [1.0, 0.5, 0.4]


def test_few_grids_all_shown(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(5))
    grids = write_grids(tmp_path, epochs=[1, 2, 3, 4, 5])

    paths = write_report(tmp_path)
    text = page_text(paths.html)

    assert linked_files(paths.html) == paths.plots + grids
    for epoch in range(1, 6):
        assert f"epoch {epoch} (epoch_{epoch:04d}.png)" in text


def test_many_grids_evenly_selected(tmp_path):
    num_epochs = 30
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(num_epochs))
    write_grids(tmp_path, epochs=range(1, num_epochs + 1))

    paths = write_report(tmp_path)
    grids = [path for path in linked_files(paths.html) if path not in paths.plots]
    names = [os.path.basename(path) for path in grids]
    epochs = [int(name[len("epoch_") : -len(".png")]) for name in names[:-1]]

    assert len(grids) == MAX_EPOCH_GRIDS + 1
    assert names[-1] == "final.png"
    assert epochs[0] == 1
    assert epochs[-1] == num_epochs
    assert epochs == sorted(set(epochs))
    gaps = np.diff(epochs)
    assert gaps.max() - gaps.min() <= 1


def test_best_check_shown(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(3))
    grids = write_grids(tmp_path, epochs=[1, 2, 3])
    rng = np.random.default_rng(1)
    best_grid = save_grid(
        rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8), tmp_path / "samples" / "best.png"
    )
    state = {"best_epoch": 2, "best_value": 31.456, "history": []}
    (tmp_path / "best.json").write_text(json.dumps(state))

    paths = write_report(tmp_path)
    text = page_text(paths.html)

    assert linked_files(paths.html) == paths.plots + grids + [str(best_grid)]
    assert "Best check (--keep-best) epoch 2, SWD 31.46" in text
    assert "best check, epoch 2 (best.png)" in text


def test_invalid_best_state_error(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(1))
    (tmp_path / "best.json").write_text("{not json")

    with pytest.raises(ReportError, match="best.json"):
        write_report(tmp_path)


def test_settings_from_run_config(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(2))
    config = {
        "argv": ["train", "--output", "runs/a b"],
        "options": {"epochs": 30, "loss": "hinge", "limit": None},
        "data": {"num_images": 5484, "image_shape": [32, 32, 3]},
        "versions": {"keras": "3.15.1"},
    }
    (tmp_path / "run_config.json").write_text(json.dumps(config))

    text = page_text(write_report(tmp_path).html)

    assert "Command: logogan train --output 'runs/a b'" in text
    assert "2 of 30" in text
    assert "hinge" in text
    assert "data.num_images" in text
    assert "versions.keras" in text
    assert "[32, 32, 3]" in text


@pytest.mark.parametrize(
    "after_epoch, weights",
    [(0, "the weights before training"), (3, "the weights of epoch 3")],
)
def test_early_stop_in_status(tmp_path, after_epoch, weights):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(max(after_epoch, 1)))
    (tmp_path / "model.keras").write_bytes(b"")
    stop = {"after_epoch": after_epoch, "epochs": 30, "reason": "g_loss was not finite at epoch 4"}
    (tmp_path / "run_config.json").write_text(json.dumps({"stopped_early": stop}))

    text = page_text(write_report(tmp_path).html)

    assert f"stopped early with {after_epoch} of 30 epochs finished" in text
    assert "because g_loss was not finite at epoch 4" in text
    assert f"model.keras contains {weights}" in text
    assert "finished: model.keras saved" not in text


def test_special_characters_escaped(tmp_path):
    run = tmp_path / "run & <b>"
    write_metrics(run, BASE_COLUMNS, base_rows(2))
    grids = write_grids(run, epochs=[1, 2])

    paths = write_report(run, output_dir=tmp_path / "report #1")
    page = parse_page(paths.html)

    assert "b" not in page.tags
    assert "Run report: run & <b>" in page_text(paths.html)
    assert linked_files(paths.html) == paths.plots + grids
    for source in page.image_sources:
        assert " " not in source
        assert "#" not in source


def test_rewrite_leaves_no_temporary_files(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(2))
    write_report(tmp_path)
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(3))

    paths = write_report(tmp_path)

    assert sorted(os.listdir(tmp_path / "report")) == sorted(BASE_PLOTS + ["report.html"])
    assert "Epochs finished 3" in page_text(paths.html)


def test_missing_metrics_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run")

    with pytest.raises(ReportError) as error:
        write_report(tmp_path)

    assert str(tmp_path) in str(error.value)
    assert "is not a `logogan train` run folder" in str(error.value)
    assert "metrics.csv" in str(error.value)
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_run_folder_not_a_folder_error(tmp_path, kind):
    path = tmp_path / "run"
    if kind == "file":
        path.write_text("")

    with pytest.raises(ReportError, match="was not found" if kind == "missing" else "is a file"):
        write_report(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("d_loss,g_loss\r\n1.0,2.0\r\n", "has no 'epoch' column"),
        ("epoch,d_loss\r\n0,1.0\r\nlast,2.0\r\n", "line 3: the epoch 'last'"),
        ("epoch,d_loss\r\n-1,1.0\r\n", "line 2: the epoch '-1'"),
    ],
    ids=["no_epoch_column", "text_epoch", "negative_epoch"],
)
def test_invalid_metrics_error(tmp_path, content, message):
    (tmp_path / "metrics.csv").write_text(content)

    with pytest.raises(ReportError, match=message):
        write_report(tmp_path)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"], ids=["syntax", "list"])
def test_invalid_run_config_error(tmp_path, content):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(1))
    (tmp_path / "run_config.json").write_text(content)

    with pytest.raises(ReportError, match="run_config.json"):
        write_report(tmp_path)


def test_cli_prints_written_paths(trained_run, tmp_path):
    output = tmp_path / "elsewhere"

    status, stdout = run_main(["report", trained_run, "--output", str(output)])
    printed = stdout.splitlines()

    assert status == 0
    expected = expected_plots(trained_run) + ["report.html"]
    assert printed == [str(output / name) for name in expected]
    for path in printed:
        assert os.path.isfile(path)
    for path in linked_files(printed[-1]):
        assert os.path.isfile(path)


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert exit_info.value.code == 0
    assert "RUN_DIR" in text
    assert "--output" in text
    assert "default: RUN_DIR/report" in text
    assert "example:" in text


def test_cli_missing_metrics_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path)])

    stderr = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "logogan report: error: argument RUN_DIR:" in stderr
    assert "is not a `logogan train` run folder" in stderr


def test_cli_unwritable_output_exits_2(tmp_path, capsys):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(1))
    (tmp_path / "taken").write_text("a file where the output folder should go")

    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path), "--output", str(tmp_path / "taken")])

    assert exit_info.value.code == 2
    assert "argument --output: the report could not be written" in capsys.readouterr().err


def test_cli_imports_no_keras(tmp_path):
    write_metrics(tmp_path, BASE_COLUMNS, base_rows(2))
    write_grids(tmp_path, epochs=[1, 2])
    script = (
        "import sys\n"
        "from keras_logogan.cli.main import main\n"
        f"status = main(['report', {str(tmp_path)!r}])\n"
        "loaded = [name for name in ('keras', 'tensorflow', 'jax', 'torch', 'matplotlib.pyplot')"
        " if name in sys.modules]\n"
        "print('status', status, 'loaded', loaded)\n"
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "status 0 loaded []"


# The example report in the docs

DOCS_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
EXAMPLE_REPORT_PAGE = os.path.join(DOCS_FOLDER, "example-report.md")
# The smallest pictures on the page are the sample grids: 8 x 8 tiles of 32 px.
MIN_DOCS_IMAGE_SIDE = 128
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def example_report_images():
    """Return the targets of the Markdown image links `![text](target)` on the example page."""
    with open(EXAMPLE_REPORT_PAGE, encoding="utf-8") as stream:
        return MARKDOWN_IMAGE.findall(stream.read())


def test_example_report_shows_every_plot():
    names = {os.path.basename(target) for target in example_report_images()}

    assert set(ALL_PLOTS) <= names


@pytest.mark.parametrize("target", example_report_images())
def test_example_report_image_opens(target):
    path = os.path.normpath(os.path.join(DOCS_FOLDER, urllib.parse.unquote(target)))
    assert os.path.isfile(path), f"{target} is not in {DOCS_FOLDER}"

    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) >= MIN_DOCS_IMAGE_SIDE, f"{target} is {image.size}"
        pixels = np.asarray(image.convert("RGB"), np.float32)
    assert pixels.std() > 10, f"{target} looks blank"
