"""Reading bulk-import data (CSV or JSON) into raw rows. Anything malformed refuses the
whole import before a single row is looked at.

Columns (CSV header, or JSON object keys): body, channels, at, timezone, tags, link, title,
first_comment (or firstComment), media_ids (or mediaIds). Lists — channels, tags, media_ids —
are separated by `|` in CSV (and may be `|`-separated strings or arrays of strings in JSON).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import ErrorCode, Problem, ValidationFailed

MAX_DATA_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_MALFORMED_REPORTED = 50
SEPARATOR = "|"

SCALARS = ("body", "at", "timezone", "link", "title", "first_comment")
LISTS = ("channels", "tags", "media_ids")
COLUMNS = (*SCALARS, *LISTS)
ALIASES = {"firstcomment": "first_comment", "mediaids": "media_ids"}


class ImportFormat(StrEnum):
    CSV = "CSV"
    JSON = "JSON"


@dataclass(frozen=True)
class RawRow:
    """One data row as written, before any lookup. `index` counts data rows from 1."""

    index: int
    body: str | None = None
    at: str | None = None
    timezone: str | None = None
    link: str | None = None
    title: str | None = None
    first_comment: str | None = None
    channels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    media_ids: tuple[str, ...] = ()


class _Malformed:
    """Collects what is wrong with the data itself; raised as one typed error list."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, code: ErrorCode = ErrorCode.INVALID) -> None:
        if len(self.problems) < MAX_MALFORMED_REPORTED:
            self.problems.append(Problem("data", code, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


def _refuse(message: str, code: ErrorCode = ErrorCode.INVALID) -> ValidationFailed:
    return ValidationFailed([Problem("data", code, message)])


def column_name(name: str) -> str | None:
    """The column a header or key names (case-insensitive, camelCase aliases), else None."""
    cleaned = name.strip().lower()
    cleaned = ALIASES.get(cleaned, cleaned)
    return cleaned if cleaned in COLUMNS else None


def split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(SEPARATOR) if part.strip())


def _row(index: int, values: dict[str, Any]) -> RawRow:
    scalars = {name: values.get(name) for name in SCALARS}
    lists = {}
    for name in LISTS:
        value = values.get(name)
        if value is None:
            lists[name] = ()
        elif isinstance(value, str):
            lists[name] = split_list(value)
        else:
            lists[name] = tuple(item.strip() for item in value if item.strip())
    return RawRow(index=index, **scalars, **lists)


def parse(data_format: ImportFormat, data: str) -> list[RawRow]:
    """The rows of `data`, or ValidationFailed (field `data`) when it is too large or
    malformed: nothing is imported then."""
    if len(data) > MAX_DATA_BYTES or len(data.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES:
        raise _refuse(f"data may have at most {MAX_DATA_BYTES:,} bytes", ErrorCode.TOO_LARGE)
    data = data.removeprefix("\ufeff")
    rows = _parse_csv(data) if data_format == ImportFormat.CSV else _parse_json(data)
    if not rows:
        raise _refuse("data has no rows to import", ErrorCode.REQUIRED)
    malformed = _Malformed()
    for row in rows:
        if _has_nul(row):  # PostgreSQL cannot store it in text; it is never meant
            malformed.add(f"row {row.index} contains a NUL character")
    malformed.raise_if_any()
    return rows


def _has_nul(row: RawRow) -> bool:
    scalars = (getattr(row, name) or "" for name in SCALARS)
    items = (item for name in LISTS for item in getattr(row, name))
    return any("\x00" in value for value in (*scalars, *items))


def _too_many() -> ValidationFailed:
    return _refuse(f"an import has at most {MAX_ROWS:,} rows", ErrorCode.TOO_LARGE)


def _header(names: list[str], malformed: _Malformed) -> list[str]:
    columns: list[str] = []
    for position, name in enumerate(names, start=1):
        column = column_name(name)
        if column is None:
            malformed.add(
                f"unknown column {name[:50]!r} (column {position}); columns are "
                + ", ".join(COLUMNS)
            )
        elif column in columns:
            malformed.add(f"column {column!r} appears twice in the header")
        columns.append(column or "")
    if "channels" not in columns:
        malformed.add("the header needs a channels column")
    return columns


def _parse_csv(data: str) -> list[RawRow]:
    """Comma-separated, double-quoted as in RFC 4180; the first non-blank line is the header."""
    malformed = _Malformed()
    reader = csv.reader(io.StringIO(data, newline=""), strict=True)
    columns: list[str] | None = None
    rows: list[RawRow] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if columns is None:
                columns = _header(record, malformed)
                continue
            if len(record) != len(columns):
                malformed.add(
                    f"line {reader.line_num} has {len(record)} fields; the header has "
                    f"{len(columns)}"
                )
                continue
            if len(rows) >= MAX_ROWS:
                raise _too_many()
            values = {
                column: (cell if cell.strip() else None)
                for column, cell in zip(columns, record, strict=True)
                if column
            }
            rows.append(_row(len(rows) + 1, values))
    except csv.Error as error:
        malformed.add(f"line {reader.line_num}: {error}")
    if columns is None and not malformed.problems:
        malformed.add(
            "data has no header row; the first line names the columns", ErrorCode.REQUIRED
        )
    malformed.raise_if_any()
    return rows


def _parse_json(data: str) -> list[RawRow]:
    """An array of objects with the column names as keys."""
    try:
        items = json.loads(data)
    except json.JSONDecodeError as error:
        raise _refuse(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise _refuse("not valid JSON: too deeply nested or a number too long") from None
    if not isinstance(items, list):
        raise _refuse("data must be a JSON array of objects, one per post")
    if len(items) > MAX_ROWS:
        raise _too_many()
    malformed = _Malformed()
    rows: list[RawRow] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            malformed.add(f"item {index} is not an object")
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            column = column_name(key)
            if column is None:
                malformed.add(f"item {index}: unknown field {key[:50]!r}")
            elif column in values:
                malformed.add(f"item {index}: {column!r} appears twice")
            elif value is None:
                values[column] = None
            elif column in LISTS:
                if isinstance(value, str) or (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)
                ):
                    values[column] = value
                else:
                    malformed.add(f"item {index}: {column} must be a string or an array of strings")
            elif isinstance(value, str):
                values[column] = value if value.strip() else None
            else:
                malformed.add(f"item {index}: {column} must be a string")
        rows.append(_row(index, values))
    malformed.raise_if_any()
    return rows
