"""The billing and usage report of one tenant for one month, as a table or as JSON, and the
loading of usage records from a CSV file."""

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from rich import box
from rich.console import Console
from rich.table import Table

from ccprovider.contract import BillingSummary
from ccprovider.domain import UsageRecord, UsageType

CSV_COLUMNS = ("day", "usage_type", "quantity", "email")
_TABLE_WIDTH = 200
"""Columns a table may use: wide enough that no cell wraps."""


class UsageFileError(Exception):
    """The usage CSV has a bad line; the message names it."""


def read_usage_csv(path: Path) -> list[UsageRecord]:
    """Usage records from a CSV file with the columns day, usage_type, quantity and (for
    per-user usage) email; one line per day, usage type and user."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(CSV_COLUMNS[:3]) - set(reader.fieldnames or [])
        if missing:
            raise UsageFileError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        records = []
        lines: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            try:
                record = UsageRecord.model_validate({**row, "email": row.get("email") or None})
            except ValidationError as error:
                problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
                raise UsageFileError(f"{path}, line {line}: {problems}") from None
            first = lines.setdefault(record.key, line)
            if first != line:
                raise UsageFileError(
                    f"{path}, line {line}: repeats the day, usage type and user of line "
                    f"{first}; write one line per day, usage type and user (their sum)"
                )
            records.append(record)
    return records


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows under their headers as a rich table, rendered as plain text (it is printed to
    terminals, files and pipes alike)."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for header in headers:
        grid.add_column(header)
    for row in rows:
        grid.add_row(*(str(cell) for cell in row))
    text = io.StringIO()
    Console(file=text, width=_TABLE_WIDTH, color_system=None).print(grid)
    return "\n".join(line.rstrip() for line in text.getvalue().splitlines())


def billing_table(summary: BillingSummary) -> str:
    """The report for a terminal: usage per subscription, then overage per usage type."""
    used_types = [
        t
        for t in UsageType
        if any(t in s.usage for s in summary.subscriptions) or t in summary.unallocated
    ]
    usage_rows = [
        [
            s.external_id + (" (primary)" if s.is_primary else ""),
            s.status.value,
            *[s.usage.get(t, 0) for t in used_types],
        ]
        for s in summary.subscriptions
    ]
    if summary.unallocated:
        usage_rows.append(
            ["(unallocated)", "", *[summary.unallocated.get(t, 0) for t in used_types]]
        )
    overage_rows = [
        [o.usage_type.value, o.used, o.pooled, o.overage, o.charged_to or "-"]
        for o in summary.overage
    ]
    return "\n\n".join(
        [
            f"Billing period {summary.period}; primary subscription: "
            f"{summary.primary_subscription or 'none'}",
            "Usage per subscription (peak daily units)\n"
            + table(["subscription", "status", *[t.value for t in used_types]], usage_rows),
            "Pooled entitlements and overage\n"
            + table(["usage type", "used", "pooled", "overage", "charged to"], overage_rows),
        ]
    )
