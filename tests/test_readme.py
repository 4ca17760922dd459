"""README.md runs as written: every fenced block is marked, every command, program, config
or data file among them is run or read by a test, and every output a test produces is
compared with what that test printed (tests/readme.py)."""

import ast
import re
import shlex
import subprocess
from pathlib import Path

from tests.readme import Block, blocks, commands, snippet

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _where(block: Block) -> str:
    return f"README.md:{block.line} ({block.language or 'plain'})"


def test_every_block_is_marked_as_a_snippet_or_an_output() -> None:
    unmarked = [_where(b) for b in blocks() if b.kind is None]

    assert unmarked == [], "put <!-- snippet: ID --> or <!-- output --> on the line above"


def test_commands_programs_configs_and_data_are_snippets_not_outputs() -> None:
    """Only plain text may go unrun: a block in a language is something to run or read."""
    assert [_where(b) for b in blocks() if b.language and b.kind != "snippet"] == []
    assert [_where(b) for b in blocks() if b.kind == "snippet" and b.id is None] == []


def test_every_marked_block_is_used_by_a_test() -> None:
    ids = [b.id for b in blocks() if b.id is not None]
    sources = "\n".join(
        path.read_text() for path in TESTS.rglob("*.py") if path != TESTS / "readme.py"
    )
    used = set(re.findall(r"\b(?:snippet|commands)\(\s*\"([a-z0-9-]+)\"", sources))

    assert len(ids) == len(set(ids)), "each block's id is its own"
    assert sorted(set(ids) - used) == [], "no test runs, reads or compares these blocks"


def test_no_shell_block_writes_an_option_in_brackets() -> None:
    """`[--json]` does not run: a shell block writes each form as a command of its own."""
    bracketed = [
        f"{_where(b)}: {line.strip()}"
        for b in blocks()
        if b.language == "sh"
        for line in b.text.splitlines()
        if re.search(r"\[-", line.split("#", 1)[0])
    ]

    assert bracketed == []


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """`scripts/test` cannot run inside the suite it runs: CI's entry point is the check."""
    [_, test_command] = commands("the-two-commands")
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line.strip()]

    assert shlex.split(ci[-1]) == ["exec", *test_command]


def test_the_benchmark_commands_take_the_options_they_give() -> None:
    """A benchmark takes minutes to hours: its command runs with `--help` added, which
    imports the script and parses every option given (a wrong one exits 2), but measures
    nothing. Leading variable assignments (PATH for the CLI) matter only to a measurement."""
    benchmarks = (
        commands("engine-scale-bench"),
        commands("license-throughput-bench"),
        commands("billing-month-bench"),
        commands("directory-scale-bench"),
    )
    for [command] in benchmarks:
        program = next(i for i, word in enumerate(command) if not re.match(r"^[A-Z_]+=", word))
        helped = subprocess.run(
            [*command[program:], "--help"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith("usage: "), helped.stdout


def test_the_example_program_is_the_readme_program() -> None:
    """The README shows the example's program whole, and its end-to-end test runs the
    example ("own-program-run"): the example holds its docstring and that program alone."""
    program = snippet("own-program")
    example = (REPO / "examples" / "contact_centers" / "__main__.py").read_text()

    assert example.endswith(program)
    [docstring] = ast.parse(example.removesuffix(program)).body
    assert isinstance(docstring, ast.Expr)
    assert isinstance(docstring.value, ast.Constant)
