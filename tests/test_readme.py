"""README.md runs as written: every fenced block is marked, every command, program, config
or data file among them is run or read by a test, and every output a test produces is
compared with what that test printed (tests/readme.py)."""

import ast
from pathlib import Path

from tests.readme import snippet

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def test_the_example_program_is_the_readme_program() -> None:
    """The README shows the example's program whole, and its end-to-end test runs the
    example ("own-program-run"): the example holds its docstring and that program alone."""
    program = snippet("own-program")
    example = (REPO / "examples" / "contact_centers" / "__main__.py").read_text()

    assert example.endswith(program)
    [docstring] = ast.parse(example.removesuffix(program)).body
    assert isinstance(docstring, ast.Expr)
    assert isinstance(docstring.value, ast.Constant)
