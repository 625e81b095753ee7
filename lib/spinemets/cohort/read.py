"""Reading a cohort table (CSV or Excel) as text, keeping spreadsheet row numbers.

Every cell is read as text so that a message can quote what the user wrote.
The returned frame's index is the row number a spreadsheet shows (header = row
1, first data row = row 2), so every later problem can name its row.

- CSV: UTF-8 with or without byte-order mark (UTF-16 with a byte-order mark too),
  LF or CRLF line ends, comma, semicolon or tab separated (chosen from the
  header line, the separator occurring most often there).
- Excel: ``.xlsx``/``.xlsm`` through openpyxl; the sheet is ``sheet`` if given,
  else a sheet named like the table (``patients``/``complications``) if there is
  one, else the first. Dates become ``YYYY-MM-DD``; formulas give their cached value.

Problems (missing or undecodable file, rows longer than the header, repeated or
unnamed header cells) are returned, not raised. Tested in
``tests/test_cohort_read.py`` and by the corpus in ``tests/data/cohorts/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .problems import Problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_CSV_EXPECTED = "a CSV file saved as UTF-8 (in Excel: 'CSV UTF-8') or an .xlsx workbook"


@dataclass(frozen=True)
class RawTable:
    """A table as text: ``frame`` holds str or None, indexed by spreadsheet row number."""

    file: str
    frame: pd.DataFrame


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(path: Path, file: str) -> tuple[list[list[str | None]] | None, Problem | None]:
    data = path.read_bytes()
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        issue = f"is not UTF-8 text (byte 0x{data[error.start]:02x})"
        return None, Problem(file, row, None, None, _CSV_EXPECTED, issue=issue)
    if "\x00" in text:
        return None, Problem(file, None, None, None, _CSV_EXPECTED, issue="is not a text file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        return [list(row) for row in reader], None
    except csv.Error as error:
        return None, Problem(
            file, None, None, None, _CSV_EXPECTED, issue=f"is not valid CSV ({error})"
        )


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _excel_rows(
    path: Path, file: str, sheet: str | None, default_sheet: str | None
) -> tuple[list[list[str | None]] | None, Problem | None]:
    import openpyxl  # imported here: only Excel users pay for it

    expected = "an .xlsx workbook saved by Excel or LibreOffice"
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        issue = f"cannot be read as an Excel workbook ({type(error).__name__})"
        return None, Problem(file, None, None, None, expected, issue=issue)
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            issue = f"has no sheet named {sheet!r}"
            return None, Problem(
                file, None, None, None, "one of the sheets " + ", ".join(names), issue=issue
            )
        if sheet is None:
            sheet = default_sheet if default_sheet in names else names[0]
        rows = [[_cell_text(v) for v in row] for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return rows, None


def read_table(
    path: Path,
    file: str,
    sheet: str | None = None,
    default_sheet: str | None = None,
    known: frozenset[str] = frozenset(),
) -> tuple[RawTable | None, list[Problem]]:
    """Read ``path`` (shown to users as ``file``) into a :class:`RawTable`.

    ``known`` are the format's column names, used to recognise a header that is
    not in row 1 (title rows, merged group headings above the column names).
    Returns ``(None, problems)`` when the file cannot be read at all.
    """
    if not path.exists():
        return None, [
            Problem(file, None, None, None, "an existing CSV or .xlsx file", issue="file not found")
        ]
    if not path.is_file():
        return None, [Problem(file, None, None, None, "a CSV or .xlsx file", issue="is not a file")]
    suffix = path.suffix.lower()
    if suffix == ".xls":
        issue = "is an old-format Excel .xls file"
        return None, [
            Problem(file, None, None, None, "an .xlsx workbook or a CSV file", issue=issue)
        ]
    if suffix in EXCEL_SUFFIXES:
        rows, problem = _excel_rows(path, file, sheet, default_sheet)
    else:
        rows, problem = _csv_rows(path, file)
    if problem is not None:
        return None, [problem]
    return _table(rows or [], file, known)


def _header_below_row_1(rows: list[list[str | None]], known: frozenset[str]) -> int | None:
    """The row (1-based) that looks like the header, when row 1 does not."""

    def hits(r: list[str | None]) -> int:
        return sum(1 for c in r if c is not None and c.lower() in known)

    if not known or not rows or hits(rows[0]) >= 2:
        return None
    for i, r in enumerate(rows[1:6], start=2):
        if hits(r) >= 3:
            return i
    return None


def _table(
    rows: list[list[str | None]], file: str, known: frozenset[str] = frozenset()
) -> tuple[RawTable | None, list[Problem]]:
    cleaned = [
        [None if c is None or str(c).strip() == "" else str(c).strip() for c in r] for r in rows
    ]
    if not any(any(c is not None for c in r) for r in cleaned):
        expected = "a header row naming the columns, then one row per record"
        return None, [Problem(file, None, None, None, expected, issue="file is empty")]
    if (row := _header_below_row_1(cleaned, known)) is not None:
        expected = "the column names in row 1 (one header row, no title or group rows above it)"
        issue = f"row {row} looks like the header row"
        return None, [Problem(file, None, None, None, expected, issue=issue)]
    header = cleaned[0]  # the header is the spreadsheet's first row (DESIGN.md)
    body = cleaned[1:]
    if header and header[0] is not None:
        header[0] = header[0].lstrip("\ufeff")
    problems: list[Problem] = []

    # rows longer than the header hold values with no column to go to
    named = max((j + 1 for j, c in enumerate(header) if c is not None), default=0)
    for i, r in enumerate(body):
        if any(c is not None for c in r[max(named, len(header)) :]):
            issue = f"has values beyond the {named} columns the header names"
            problems.append(
                Problem(file, i + 2, None, None, "one cell per header column", issue=issue)
            )

    keep: list[int] = []
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        column_values = [r[j] if j < len(r) else None for r in body]
        if name is None:
            if any(v is not None for v in column_values):
                issue = "has values but no name in the header row"
                problems.append(
                    Problem(file, 1, f"#{j + 1}", None, "a column name in row 1", issue=issue)
                )
            continue
        if name in seen:
            issue = f"column name appears more than once (columns {seen[name] + 1} and {j + 1})"
            problems.append(Problem(file, 1, name, None, "each column named once", issue=issue))
            continue
        seen[name] = j
        keep.append(j)

    records = [[r[j] if j < len(r) else None for j in keep] for r in body]
    frame = pd.DataFrame(
        records,
        columns=[header[j] for j in keep],
        index=pd.Index(range(2, len(body) + 2), name="row"),
        dtype=object,
    )
    frame = frame[frame.notna().any(axis=1)] if len(frame.columns) else frame.iloc[0:0]
    return RawTable(file, frame), problems
