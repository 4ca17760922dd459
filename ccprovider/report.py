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
    """The usage CSV cannot be read or has a bad line; the message names it."""


_SHOWN = 120
"""How much of a refused value a message shows."""


def _cut(text: str) -> str:
    """`text` cut to a readable length for a one-line message, saying how long it was."""
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}… ({len(text):,} characters)"


def read_usage_csv(path: Path) -> list[UsageRecord]:
    """Usage records from a CSV file (UTF-8, with or without the byte-order mark that
    spreadsheets write) with the columns day, usage_type, quantity and (for per-user
    usage) email; one line per day, usage type and user. Anything else is a
    `UsageFileError` naming the file, the line and the fix."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UsageFileError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise UsageFileError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save the "
            "file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _records(path, reader)
    except csv.Error as error:
        raise UsageFileError(
            f"{path}, after line {reader.line_num}: not CSV as usage records are: {error}"
        ) from None


def _records(path: Path, reader: "csv.DictReader[str]") -> list[UsageRecord]:
    columns = reader.fieldnames or []
    missing = set(CSV_COLUMNS[:3]) - set(columns)
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if missing or unknown:
        what = [f"missing column(s) {', '.join(sorted(missing))}"] if missing else []
        what += [f"unknown column(s) {_cut(', '.join(unknown))}"] if unknown else []
        raise UsageFileError(
            f"{path}: {'; '.join(what)}; the first line names the columns "
            f"{','.join(CSV_COLUMNS)} (email may be left out)"
        )
    records = []
    lines: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise UsageFileError(
                f"{path}, line {line}: more fields than the {len(columns)} columns of the "
                "first line; quote a value that holds a comma"
            )
        try:
            record = UsageRecord.model_validate({**row, "email": row.get("email") or None})
        except ValidationError as error:
            problems = "; ".join(f"{e['loc'][0]}: {_cut(e['msg'])}" for e in error.errors())
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
