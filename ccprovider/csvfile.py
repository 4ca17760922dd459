"""Small CSV files that people write in a spreadsheet (usage records, price lists), read
line by line into a pydantic model; every problem is one line naming the file, the line
and the fix."""

import csv
import io
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ccprovider.text import out_of_bounds, shortened

M = TypeVar("M", bound=BaseModel)


class CsvFileError(Exception):
    """A CSV file cannot be read or has a bad line; the message names it."""


@dataclass(frozen=True)
class CsvShape(Generic[M]):
    """What a kind of CSV file holds: one `model` per line, under `columns` (`optional`
    ones may be left out, or left empty), and at most one line per `key`."""

    what: str
    """The lines' plural name, for messages: "usage records"."""
    model: type[M]
    columns: tuple[str, ...]
    optional: tuple[str, ...]
    key: Callable[[M], Hashable]
    key_name: str
    """What the key is made of, for messages: "the day, usage type and user"."""
    repeat_fix: str
    """What to do about a repeated key: "write one line per ... (their sum)"."""


def read_csv(path: Path, shape: CsvShape[M]) -> list[tuple[int, M]]:
    """The lines of a CSV file (UTF-8, with or without the byte-order mark that
    spreadsheets write) as `shape.model`, each with its line number. Anything else is a
    `CsvFileError` naming the file, the line and the fix."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CsvFileError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise CsvFileError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save the "
            'file as UTF-8 ("CSV UTF-8" in a spreadsheet)'
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _lines(path, reader, shape)
    except csv.Error as error:
        raise CsvFileError(
            f"{path}, after line {reader.line_num}: not CSV as {shape.what} are: {error}"
        ) from None


def _lines(path: Path, reader: "csv.DictReader[str]", shape: CsvShape[M]) -> list[tuple[int, M]]:
    columns = reader.fieldnames or []
    missing = set(shape.columns) - set(shape.optional) - set(columns)
    unknown = [c for c in columns if c not in shape.columns]
    if missing or unknown:
        what = [f"missing column(s) {', '.join(sorted(missing))}"] if missing else []
        what += [f"unknown column(s) {shortened(', '.join(unknown))}"] if unknown else []
        optional = f" ({', '.join(shape.optional)} may be left out)" if shape.optional else ""
        raise CsvFileError(
            f"{path}: {'; '.join(what)}; the first line names the columns "
            f"{','.join(shape.columns)}{optional}"
        )
    lines: list[tuple[int, M]] = []
    first_of: dict[Hashable, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise CsvFileError(
                f"{path}, line {line}: more fields than the {len(columns)} columns of the "
                "first line; quote a value that holds a comma"
            )
        given = {**row, **{c: row.get(c) or None for c in shape.optional}}
        try:
            value = shape.model.model_validate(given)
        except ValidationError as error:
            problems = "; ".join(
                f"{e['loc'][0]}: "
                + (out_of_bounds(e["type"], e["input"], e.get("ctx") or {}) or shortened(e["msg"]))
                for e in error.errors()
            )
            raise CsvFileError(f"{path}, line {line}: {problems}") from None
        first = first_of.setdefault(shape.key(value), line)
        if first != line:
            raise CsvFileError(
                f"{path}, line {line}: repeats {shape.key_name} of line {first}; {shape.repeat_fix}"
            )
        lines.append((line, value))
    return lines
