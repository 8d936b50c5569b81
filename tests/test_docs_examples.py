"""The docs pages' code examples run as written, shrunk by the directives in `docs_examples.py`.

Each page runs in its own temporary folder, which contains the files the guides
name: `my_logos/` (48 real PNG logos) and `LLD-icon.hdf5` (96 logos in the
Large Logo Dataset's layout, with cluster labels).
"""

import os
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
from PIL import Image

import docs_examples
from hub_server import LoopbackHub

PAGES = [page for page in docs_examples.pages() if docs_examples.examples(page)]


@pytest.fixture
def page_folder(tmp_path, monkeypatch):
    """Return a temporary working folder containing the example data the guides use."""
    from keras_logogan.datasets import load_icons

    icons = load_icons(32)
    logos = tmp_path / "my_logos"
    logos.mkdir()
    for index, icon in enumerate(icons[:48]):
        Image.fromarray(icon).save(logos / f"logo_{index:03d}.png")

    with h5py.File(tmp_path / "LLD-icon.hdf5", "w") as file:
        file["data"] = np.ascontiguousarray(icons[:96].transpose(0, 3, 1, 2))
        file["labels/resnet/rc_16"] = np.arange(96) % 16

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # A page may set a global dtype policy (the mixed-precision example does).
    policy = keras.config.dtype_policy()
    yield tmp_path
    keras.config.set_dtype_policy(policy)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, page_folder):
    namespace = {"__name__": "__docs_example__"}
    ran = 0
    for example in docs_examples.examples(page):
        if example.skip_reason or keras.config.backend() in example.skip_backends:
            continue
        if example.hub:
            _run_against_hub(example, page_folder)
        elif example.language == "python":
            exec(compile(example.code, example.where, "exec"), namespace)
        else:
            _run_logogan_commands(example)
        ran += 1

    if ran == 0:
        pytest.skip(f"every example on {page} is marked skip")


def test_directives_parse_on_every_page():
    for page in docs_examples.pages():
        for example in docs_examples.examples(page):
            if example.language == "bash" and not example.skip_reason:
                docs_examples.bash_commands(example)


def test_replace_directive_must_match(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text('<!-- example: replace "epochs=30" "epochs=1" -->\n```python\nx = 1\n```\n')
    monkeypatch.setattr(docs_examples, "DOCS", tmp_path)

    with pytest.raises(ValueError, match="epochs=30"):
        docs_examples.examples("page.md")


def test_exits_directive_sets_expected_status(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("<!-- example: exits 3 -->\n```bash\nlogogan train\n```\n")
    monkeypatch.setattr(docs_examples, "DOCS", tmp_path)

    (example,) = docs_examples.examples("page.md")

    assert example.exit_status == 3


def test_exits_directive_needs_a_number(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("<!-- example: exits three -->\n```bash\nlogogan train\n```\n")
    monkeypatch.setattr(docs_examples, "DOCS", tmp_path)

    with pytest.raises(ValueError, match="status number"):
        docs_examples.examples("page.md")


def test_shell_block_with_other_commands_needs_skip(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("```bash\npip install keras-logogan\n```\n")
    monkeypatch.setattr(docs_examples, "DOCS", tmp_path)
    (example,) = docs_examples.examples("page.md")

    with pytest.raises(ValueError, match="skip REASON"):
        docs_examples.bash_commands(example)


def _run_logogan_commands(example):
    from keras_logogan.cli.main import main

    for argv in docs_examples.bash_commands(example):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code
        status = 0 if status is None else status
        assert status == example.exit_status, (
            f"{example.where}: `logogan {' '.join(argv)}` exited {status}, "
            f"expected {example.exit_status}"
        )


def _run_against_hub(example, folder):
    repo_id, served = example.hub
    hub = LoopbackHub().start()
    try:
        files = {path.name: path.read_bytes() for path in (folder / served).iterdir() if path.is_file()}
        hub.repository(repo_id).add_commit(files)
        script = folder / "hub_example.py"
        script.write_text(example.code)
        environment = dict(
            os.environ,
            HF_ENDPOINT=hub.url,
            HF_HOME=str(folder / "hf_home"),
            HF_HUB_DISABLE_TELEMETRY="1",
        )
        environment.pop("HF_HUB_OFFLINE", None)
        result = subprocess.run(
            [sys.executable, str(script)], cwd=folder, env=environment, capture_output=True, text=True
        )
    finally:
        hub.stop()
    assert result.returncode == 0, f"{example.where} failed:\n{result.stderr[-3000:]}"
