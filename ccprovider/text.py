"""Values shown in one-line messages: cut to a readable length, however long they are."""

SHOWN = 120
"""How much of a value a message shows."""


def shortened(text: str, shown: int = SHOWN) -> str:
    """`text` cut to `shown` characters for a one-line message, saying how long it was."""
    if len(text) <= shown:
        return text
    return f"{text[:shown]}… ({len(text):,} characters)"
