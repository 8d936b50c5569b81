"""The README's Python examples run as written (the training one on a small slice)."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_pretrained_three_lines_write_a_grid(tmp_path, monkeypatch):
    (block,) = [code for code in _python_blocks() if "from_pretrained" in code]
    assert len(block.strip().splitlines()) == 3
    monkeypatch.chdir(tmp_path)

    exec(compile(block, "README.md", "exec"), {})

    assert (tmp_path / "logos.png").stat().st_size > 0


def test_training_example_runs_on_a_slice(tmp_path, monkeypatch):
    (block,) = [code for code in _python_blocks() if "gan.fit(" in code]
    small = block.replace("load_icons(32)", "load_icons(32)[:64]").replace("epochs=30", "epochs=1")
    assert small != block
    monkeypatch.chdir(tmp_path)

    exec(compile(small, "README.md", "exec"), {})

    assert (tmp_path / "logos.png").stat().st_size > 0
