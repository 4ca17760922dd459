"""Values shown in one-line messages: cut to a readable length, however long they are, and
a number out of its bounds said with the bound to use."""

from typing import Any

SHOWN = 120
"""How much of a value a message shows."""


def shortened(text: str, shown: int = SHOWN) -> str:
    """`text` cut to `shown` characters for a one-line message, saying how long it was."""
    if len(text) <= shown:
        return text
    return f"{text[:shown]}… ({len(text):,} characters)"


def out_of_bounds(kind: str, value: Any, bounds: dict[str, Any]) -> str | None:
    """What is wrong with `value` and the bound to use, for a pydantic error of `kind` with
    context `bounds` ("-3 is negative: use 0 or more."); None for other kinds of error."""
    if kind == "greater_than_equal":
        below = "is negative" if bounds["ge"] == 0 else f"is less than {bounds['ge']}"
        return f"{value} {below}: use {bounds['ge']} or more."
    if kind == "less_than_equal":
        return f"{value} is more than {bounds['le']}: use at most {bounds['le']}."
    return None
