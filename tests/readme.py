"""README.md's fenced blocks, for the tests that run them as written.

Each fenced block of README.md follows a marker comment (invisible on GitHub):

- `<!-- snippet: ID -->` before a command, program, config or data file: a test runs or
  reads it through `snippet("ID")` (its text) or `commands("ID")` (its shell commands);
- `<!-- output: ID -->` before what a command prints: a test compares it, through
  `snippet("ID")`, with what the command printed in that test (`is_excerpt`, where the
  block leaves lines out);
- `<!-- output -->` before figures or text that no test produces (measurements, a layout).

tests/test_readme.py fails when a block has no marker, or when no test asks for an ID.

A test runs a block exactly as written, except for the text that SUBSTITUTIONS names
(what must differ in a test, and why) and for how a test runs a command:

- in a copy of the clone (tests/e2e/harness.py: `copy_clone`), or in a test project,
  which holds the program but not `scripts/`: there `scripts/...` is the repository's
  (`PulumiProject.run_readme`);
- where pulumi would ask on a terminal, PULUMI_SKIP_CONFIRMATIONS answers yes (a test has
  no terminal); where `scripts/deploy` or `ccprovider promote` asks, a test answers on a
  terminal of its own (`on_a_terminal`);
- `.venv/bin/ccprovider ARGS` as `ccprovider.cli.main(ARGS)`, which that command runs,
  in the test's process (`cli_args`);
- a benchmark, which takes minutes to hours, with `--help` added (tests/test_readme.py).
"""

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

SUBSTITUTIONS: Mapping[str, str] = {
    "--port 8080": "a server of a test binds a free port (`--port 0`) and names it",
    "http://127.0.0.1:8080": "the URL of that server, on the port it got",
    "/var/tmp/": "the test's own temporary directory, not a directory that tests share",
    "url state": "a database of the test's own (`url NAME`) on the tests' PostgreSQL cluster",
    "url backend": "a database of the test's own (`url NAME`) on the tests' PostgreSQL cluster",
}
"""The only text a test may change in a block, each with the reason."""

_MARKER = re.compile(r"^\s*<!-- (snippet|output)(?:: ([a-z0-9-]+))? -->\s*$")
_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced block of README.md: its marker (kind and id; None when unmarked), its
    language (empty for plain text), its text, and the line its fence opens on."""

    kind: str | None
    id: str | None
    language: str
    text: str
    line: int


@cache
def blocks() -> tuple[Block, ...]:
    """Every fenced block of README.md, in order."""
    lines = README.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, language = fence.groups()
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        text = "".join(f"{line.removeprefix(indent)}\n" for line in lines[index + 1 : end])
        marker = _MARKER.match(lines[index - 1]) if index else None
        kind, id_ = marker.groups() if marker else (None, None)
        found.append(Block(kind, id_, language, text, index + 1))
        index = end + 1
    return tuple(found)


def snippet(id_: str, substitutions: Mapping[str, str] | None = None) -> str:
    """The text of the block marked `id_`, with `substitutions` (keys of SUBSTITUTIONS,
    each of which must occur in the block) replaced by their values."""
    marked = [b.text for b in blocks() if b.id == id_]
    if len(marked) != 1:
        raise KeyError(f"README.md has {len(marked)} blocks marked {id_!r}, not one")
    [text] = marked
    for old, new in (substitutions or {}).items():
        if old not in SUBSTITUTIONS:
            raise KeyError(f"{old!r} is not one of the substitutions tests/readme.py documents")
        if old not in text:
            raise KeyError(f"{old!r} does not occur in README block {id_!r}")
        text = text.replace(old, new)
    return text


def commands(id_: str, substitutions: Mapping[str, str] | None = None) -> list[list[str]]:
    """The shell commands of the block marked `id_` (see `snippet`), one per line (a
    line ending in a backslash goes on), each as its words, without comments."""
    joined = snippet(id_, substitutions).replace("\\\n", " ")
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def cli_args(command: list[str]) -> list[str]:
    """The arguments of a README command of the `ccprovider` tool (`.venv/bin/ccprovider
    ARGS`), for `ccprovider.cli.main`, which that console script runs."""
    program, *args = command
    assert program == ".venv/bin/ccprovider", command
    return args


def _comparable(text: str) -> list[str]:
    """The lines of `text` without their indentation, nor the alignment before a colon."""
    return [re.sub(r"\s+:", ":", line.strip()) for line in text.splitlines()]


def is_excerpt(shown: str, output: str) -> bool:
    """Whether the lines of an output block, `shown`, are lines of `output` in the same
    order and next to each other, but where a line `...` of the block leaves out any
    number of lines; indentation and the alignment before a colon do not count."""
    pattern = "".join(
        r"(?:.*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in _comparable(shown)
    )
    return re.search(f"^{pattern}", "\n".join(_comparable(output)) + "\n", re.M) is not None
