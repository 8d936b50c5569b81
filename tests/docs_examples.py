"""Read the code examples out of the docs pages, with the directives that shrink or skip them.

A page's ```python and ```bash blocks run in order, in one temporary folder,
and the Python blocks share one namespace, as if a reader pasted them into
one session. A bash block runs when each of its commands is a `logogan`
command; any other block must carry a `skip` directive.

Directives are HTML comments on the lines just above a block's fence, so the
built site does not show them:

    <!-- example: skip needs a GPU -->
    <!-- example: replace "epochs=30" "epochs=1" -->
    <!-- example: hub you/icon-logos my-logos -->
    <!-- example: skip-on torch data_parallel() is not available on torch -->
    <!-- example: exits 3 -->

- `skip REASON`: the block does not run; the reason is required.
- `replace OLD NEW`: the test runs the block with OLD replaced by NEW, to
  keep a training run small. OLD must occur in the block.
- `skip-on BACKEND REASON`: the block does not run under that Keras
  backend; later blocks on the page still run.
- `exits STATUS`: every `logogan` command of the bash block must exit
  with STATUS instead of 0, for an example of a run that stops early.
- `hub REPO_ID FOLDER`: the block runs in a child Python process against a
  Hub stand-in on 127.0.0.1 that serves FOLDER (written by an earlier block)
  as the repository REPO_ID, with a fresh Hugging Face cache.
"""

import dataclasses
import pathlib
import re
import shlex

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^```(\w+)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*example:\s*(.*?)\s*-->\s*$")
_LANGUAGES = ("python", "bash")


@dataclasses.dataclass
class Example:
    """One fenced block of a page, with its directives applied to `code`."""

    page: str
    line: int
    language: str
    code: str
    skip_reason: str = None
    skip_backends: dict = dataclasses.field(default_factory=dict)
    hub: tuple = None
    exit_status: int = 0

    @property
    def where(self):
        return f"{self.page}:{self.line}"


def pages():
    """Return the docs pages' paths relative to `docs/`, sorted."""
    return sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def examples(page):
    """Return the page's python and bash blocks as `Example`s, in page order."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        end = _closing_fence(lines, index, page)
        language = match.group(1)
        if language in _LANGUAGES:
            code = "\n".join(lines[index + 1 : end]) + "\n"
            example = Example(page, index + 1, language, code)
            _apply_directives(example, _directives_above(lines, index))
            found.append(example)
        index = end + 1
    return found


def bash_commands(example):
    """Return the block's commands as argument lists, joining backslash-continued lines.

    Raises:
        ValueError: If a command is not a `logogan` command.
    """
    text = example.code.replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line, comments=True)
        if words[0] != "logogan":
            raise ValueError(
                f"{example.where}: only `logogan` commands run in tests; found {line!r}. "
                "Add a `<!-- example: skip REASON -->` line above the block."
            )
        commands.append(words[1:])
    return commands


def _closing_fence(lines, start, page):
    for index in range(start + 1, len(lines)):
        if lines[index].strip() == "```":
            return index
    raise ValueError(f"{page}:{start + 1}: code block has no closing fence")


def _directives_above(lines, fence_index):
    directives = []
    index = fence_index - 1
    while index >= 0:
        match = _DIRECTIVE.match(lines[index].strip())
        if not match:
            break
        directives.insert(0, match.group(1))
        index -= 1
    return directives


def _apply_directives(example, directives):
    for directive in directives:
        name, _, rest = directive.partition(" ")
        if name == "skip":
            if not rest.strip():
                raise ValueError(f"{example.where}: `skip` needs a reason")
            example.skip_reason = rest.strip()
        elif name == "skip-on":
            backend, _, reason = rest.strip().partition(" ")
            if not reason.strip():
                raise ValueError(f"{example.where}: `skip-on {backend}` needs a reason")
            example.skip_backends[backend] = reason.strip()
        elif name == "replace":
            old, new = shlex.split(rest)
            if old not in example.code:
                raise ValueError(f"{example.where}: `replace` text {old!r} is not in the block")
            example.code = example.code.replace(old, new)
        elif name == "exits":
            if not rest.strip().isdigit():
                raise ValueError(f"{example.where}: `exits` needs a status number, got {rest!r}")
            example.exit_status = int(rest)
        elif name == "hub":
            repo_id, folder = shlex.split(rest)
            example.hub = (repo_id, folder)
        else:
            raise ValueError(f"{example.where}: unknown example directive {name!r}")
