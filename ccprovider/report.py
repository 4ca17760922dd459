"""The billing and usage report of one tenant for one month, as a table or as JSON, and the
loading of usage records from a CSV file."""

import io
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from ccprovider.contract import BillingSummary
from ccprovider.csvfile import CsvShape, read_csv
from ccprovider.domain import UsageRecord, UsageType

_TABLE_WIDTH = 200
"""Columns a table may use: wide enough that no cell wraps."""


_USAGE = CsvShape(
    what="usage records",
    model=UsageRecord,
    columns=("day", "usage_type", "quantity", "email"),
    optional=("email",),
    key=lambda record: record.key,
    key_name="the day, usage type and user",
    repeat_fix="write one line per day, usage type and user (their sum)",
)


def read_usage_csv(path: Path) -> list[UsageRecord]:
    """Usage records from a CSV file with the columns day, usage_type, quantity and (for
    per-user usage) email; one line per day, usage type and user. Anything else is a
    `CsvFileError` naming the file, the line and the fix."""
    return [record for _, record in read_csv(path, _USAGE)]


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
