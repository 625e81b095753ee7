"""Reading a cohort table (CSV or Excel) as text, keeping spreadsheet row numbers.

Every cell is read as text so that a message can quote what the user wrote.
The returned frame's index is the row number a spreadsheet shows (header = row
1, first data row = row 2), so every later problem can name its row.

- CSV: UTF-8 with or without byte-order mark, or UTF-16 with a byte-order mark;
  LF or CRLF line ends; comma, semicolon or tab separated (chosen from the
  header line, the separator occurring most often there). Other encodings
  (Windows-1251, Latin-1, UTF-16 without a byte-order mark) are refused with a
  message saying what the file seems to be: the same bytes mean different
  letters in each of them, so guessing could misread a code silently.
- Excel: ``.xlsx``/``.xlsm`` through python-calamine (a Rust reader, some ten
  times faster than openpyxl on large sheets). The sheet is ``sheet`` if given,
  else a sheet named like the table (``patients``/``complications``) if there is
  one, else the first sheet that is not blank (blank sheets skipped are noted);
  sheet names match case-insensitively (``Patients``). Every message about the
  table names the sheet (``cohort.xlsx, sheet 'Patients'``). Dates become
  ``YYYY-MM-DD``; formulas give their cached value. A formula without a cached
  value (a workbook written by a program that does not calculate) and a merged
  cell are problems of their own, named with their cell reference, instead of
  an "empty cell".

Column names must be unique, also after ignoring case, spaces and punctuation
(:func:`header_key`: ``Age`` and ``age``, ``os months`` and ``os_months`` are the
same column). Problems (missing or undecodable file, rows longer than the header,
repeated or unnamed header cells) are returned, not raised. Tested in
``tests/cohort/test_read.py`` and by the corpus in ``tests/data/cohorts/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, ZipError

from . import values
from .problems import Problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_CSV_EXPECTED = "a CSV file saved as UTF-8 (in Excel: 'CSV UTF-8') or an .xlsx workbook"
_FORMULA_EXPECTED = (
    "a value: open the workbook in Excel or LibreOffice and save it, so that each formula "
    "is stored with its result"
)
_MERGED_EXPECTED = "one value in each cell: unmerge the cells and fill each one"


@dataclass(frozen=True)
class RawTable:
    """A table as text: ``frame`` holds str or None, indexed by spreadsheet row number.

    ``file`` is the name every message uses (with the sheet for a workbook);
    ``notes`` say what reading did besides reading (a blank sheet skipped);
    ``explained`` are the ``(row, column)`` cells whose emptiness a problem of
    reading already explains (a formula without a value, a merged cell), so that
    validation does not call them "empty cell" again.
    """

    file: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()
    explained: frozenset[tuple[int, str]] = frozenset()


@dataclass
class _Cells:
    """What a sheet holds besides its values (1-based rows and columns)."""

    formulas: set[tuple[int, int]] = field(default_factory=set)  # formulas without a value
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min col/row, max


def header_key(name: str) -> str:
    """A column name without case, spaces and punctuation: ``"OS months"`` -> ``"os_months"``."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return re.sub(r"[\s_.\-]+", "_", text).strip("_")


# --- CSV -----------------------------------------------------------------------------------


def _utf16_without_bom(data: bytes) -> bool:
    """Text of mostly ASCII letters in UTF-16: every other byte is zero."""
    if len(data) < 4:
        return False
    even, odd = data[0::2], data[1::2]
    return max(even.count(0), odd.count(0)) >= 0.9 * min(len(even), len(odd))


def _legacy_encoding(data: bytes) -> str:
    """What an undecodable file was probably saved as, for the message."""
    high = [b for b in data if b >= 0x80]
    cyrillic = sum(1 for b in high if b >= 0xC0)  # Windows-1251: А..я are 0xC0..0xFF
    if high and cyrillic / len(high) > 0.9 and len(high) > 1:
        text = data.decode("cp1251")
        letters = [c for c in text if ord(c) >= 0x80]
        if sum(1 for c in letters if "\u0400" <= c <= "\u04ff") >= 0.9 * len(letters):
            return "Windows-1251 (Cyrillic)"
    return "Windows-1252 or Latin-1"


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            issue = "is not valid UTF-16 text"
            return None, Problem(file, None, None, None, _CSV_EXPECTED, issue=issue)
    if _utf16_without_bom(data):
        issue = "is UTF-16 text without a byte-order mark"
        return None, Problem(file, None, None, None, _CSV_EXPECTED, issue=issue)
    if b"\x00" in data:
        return None, Problem(file, None, None, None, _CSV_EXPECTED, issue="is not a text file")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        issue = (
            f"is not UTF-8 text (byte 0x{data[error.start]:02x}; the file seems saved as "
            f"{_legacy_encoding(data)})"
        )
        return None, Problem(file, row, None, None, _CSV_EXPECTED, issue=issue)


def _sniff_delimiter(text: str) -> str:
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(path: Path, file: str) -> tuple[list[list[str | None]] | None, Problem | None]:
    text, problem = _decode(path.read_bytes(), file)
    if text is None:
        return None, problem
    if "\x00" in text:
        return None, Problem(file, None, None, None, _CSV_EXPECTED, issue="is not a text file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        return list(reader), None  # each row is already a new list
    except csv.Error as error:
        return None, Problem(
            file, None, None, None, _CSV_EXPECTED, issue=f"is not valid CSV ({error})"
        )


# --- Excel ---------------------------------------------------------------------------------


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


@dataclass
class _Sheet:
    """A sheet's cells as text (row 1 first, column A first) and what else it holds."""

    rows: list[list[str | None]]
    cells: _Cells


def _sheet(workbook: CalamineWorkbook, name: str) -> _Sheet:
    sheet = workbook.get_sheet_by_name(name)
    rows = [[_cell_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    merged = [  # calamine counts from 0: ((first row, first column), (last row, last column))
        (first[1] + 1, first[0] + 1, last[1] + 1, last[0] + 1)
        for first, last in (sheet.merged_cell_ranges or [])
    ]
    return _Sheet(rows, _Cells(merged=merged))


def _blank(rows: list[list[str | None]]) -> bool:
    return not any(c is not None and c.strip() != "" for r in rows for c in r)


def _find_sheet(names: list[str], wanted: str | None) -> str | None:
    """``wanted`` among the sheet names: exactly, else ignoring case and outer spaces."""
    if wanted is None:
        return None
    if wanted in names:
        return wanted
    folded = [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
    return folded[0] if len(folded) == 1 else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target part of ``part`` (``xl/workbook.xml``), paths from the root."""
    folder, name = part.rsplit("/", 1) if "/" in part else ("", part)
    rels = ElementTree.fromstring(archive.read(f"{folder}/_rels/{name}.rels".lstrip("/")))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id", "")] = (
            target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".lstrip("/")
        )
    return targets


def _sheet_part(archive: zipfile.ZipFile, name: str) -> str | None:
    """The zip entry holding the sheet called ``name`` (e.g. ``xl/worksheets/sheet2.xml``)."""
    root = ElementTree.fromstring(archive.read("_rels/.rels"))
    office = [r.get("Target", "") for r in root if r.get("Type", "").endswith("/officeDocument")]
    if not office:
        return None
    book_part = office[0].lstrip("/")
    targets = _relationship_targets(archive, book_part)
    for element in ElementTree.fromstring(archive.read(book_part)).iter():
        if _local(element.tag) == "sheet" and element.get("name") == name:
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            return targets.get(rid or "")
    return None


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


def _formulas_without_values(path: Path, name: str) -> set[tuple[int, int]]:
    """The (row, column) of each formula cell stored without its result, from the sheet's XML.

    A reader gets an empty cell for such a formula; the XML says it is a formula. The
    XML is parsed only when it holds a formula at all.
    """
    found: set[tuple[int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, name)
        data = archive.read(part) if part else b""
    if not _FORMULA.search(data):
        return found
    for _, element in ElementTree.iterparse(io.BytesIO(data)):
        if _local(element.tag) != "c":
            continue
        children = {_local(child.tag): child for child in element}
        value = children.get("v")
        has_value = value is not None and (value.text or "") != ""
        if "f" in children and not has_value and "is" not in children and element.get("r"):
            found.add(coordinate_to_tuple(element.get("r")))
        element.clear()
    return found


def _choose_sheet(
    workbook: CalamineWorkbook, file: str, sheet: str | None, default_sheet: str | None
) -> tuple[str | None, _Sheet | None, list[str], Problem | None]:
    """The sheet to read (module docstring), its cells, notes on the choice, or a problem."""
    names = list(workbook.sheet_names)
    if sheet is not None:
        chosen = _find_sheet(names, sheet)
        if chosen is None:
            expected = "one of the sheets " + ", ".join(repr(n) for n in names)
            issue = f"has no sheet named {sheet!r}"
            return None, None, [], Problem(file, None, None, None, expected, issue=issue)
        return chosen, _sheet(workbook, chosen), [], None
    chosen = _find_sheet(names, default_sheet)
    if chosen is not None:
        return chosen, _sheet(workbook, chosen), [], None
    notes, skipped = [], []
    for name in names:
        read = _sheet(workbook, name)
        if not _blank(read.rows):
            if skipped:
                notes.append(f"{file}: skipped blank sheet(s) {', '.join(map(repr, skipped))}")
            if len(names) > 1:
                notes.append(f"{file}: no sheet named {default_sheet!r}; read sheet {name!r}")
            return name, read, notes, None
        skipped.append(name)
    expected = "an .xlsx workbook whose sheet holds the table"
    return None, None, [], Problem(file, None, None, None, expected, issue="has only blank sheets")


def _excel_rows(
    path: Path, file: str, sheet: str | None, default_sheet: str | None
) -> tuple[list[list[str | None]] | None, _Cells, str, list[str], Problem | None]:
    """Rows of the chosen sheet, its formulas and merges, the display name, notes, problem."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        expected = "an .xlsx workbook saved by Excel or LibreOffice"
        if isinstance(error, ZipError):
            issue = "is not an .xlsx workbook (not a zip archive)"
        elif isinstance(error, PasswordError):
            issue = "is protected by a password"
        else:
            issue = f"cannot be read as an Excel workbook ({type(error).__name__})"
        return None, _Cells(), file, [], Problem(file, None, None, None, expected, issue=issue)
    try:
        chosen, read, notes, problem = _choose_sheet(workbook, file, sheet, default_sheet)
    finally:
        workbook.close()
    if problem is not None or chosen is None or read is None:
        return None, _Cells(), file, notes, problem
    read.cells.formulas = _formulas_without_values(path, chosen)
    return read.rows, read.cells, f"{file}, sheet {chosen!r}", notes, None


# --- both ----------------------------------------------------------------------------------


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
    notes: list[str] = []
    cells = _Cells()
    empty = "file is empty"
    if suffix in EXCEL_SUFFIXES:
        rows, cells, file, notes, problem = _excel_rows(path, file, sheet, default_sheet)
        empty = "sheet is empty"
    else:
        rows, problem = _csv_rows(path, file)
    if problem is not None:
        return None, [problem]
    table, problems = _table(rows or [], file, known, cells, empty)
    if table is not None:
        table = RawTable(table.file, table.frame, tuple(notes), table.explained)
    return table, problems


def _header_below_row_1(rows: list[list[str | None]], known: frozenset[str]) -> int | None:
    """The row (1-based) that looks like the header, when row 1 does not."""

    def hits(r: list[str | None]) -> int:
        return sum(1 for c in r if c is not None and header_key(c) in known)

    if not known or not rows or hits(rows[0]) >= 2:
        return None
    for i, r in enumerate(rows[1:6], start=2):
        if hits(r) >= 3:
            return i
    return None


def _label(header: list[str | None], j: int) -> str:
    name = header[j] if j < len(header) else None
    return name if name is not None else f"#{j + 1}"


def _cell_problems(
    cells: _Cells, header: list[str | None], file: str
) -> tuple[list[Problem], set[tuple[int, str]]]:
    """One problem per column of formulas without values and per merged range."""
    problems: list[Problem] = []
    explained: set[tuple[int, str]] = set()
    by_column: dict[int, list[int]] = {}
    for row, column in sorted(cells.formulas):
        by_column.setdefault(column, []).append(row)
    for column, rows in sorted(by_column.items()):
        label = _label(header, column - 1)
        ref = f"{get_column_letter(column)}{rows[0]}"
        more = f" and {len(rows) - 1} more in this column" if len(rows) > 1 else ""
        issue = f"formula without a cached value (cell {ref}{more})"
        problems.append(Problem(file, rows[0], label, None, _FORMULA_EXPECTED, issue=issue))
        explained.update((r, label) for r in rows)
    for min_col, min_row, max_col, max_row in sorted(cells.merged, key=lambda b: (b[1], b[0])):
        ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
        label = _label(header, min_col - 1)
        problems.append(
            Problem(file, min_row, label, None, _MERGED_EXPECTED, issue=f"merged cell ({ref})")
        )
        for j in range(min_col - 1, max_col):
            explained.update((r, _label(header, j)) for r in range(min_row, max_row + 1))
    return problems, explained


def _clean(cell: object) -> str | None:
    text = None if cell is None else str(cell).strip()
    return text or None


def _table(
    rows: list[list[str | None]],
    file: str,
    known: frozenset[str] = frozenset(),
    cells: _Cells | None = None,
    empty: str = "file is empty",
) -> tuple[RawTable | None, list[Problem]]:
    grid = pd.DataFrame(rows, dtype=object)  # short rows are padded with None
    for j in grid.columns:
        grid[j] = values.map_unique(grid[j], _clean)
    if grid.empty or not grid.notna().to_numpy().any():
        expected = "a header row naming the columns, then one row per record"
        return None, [Problem(file, None, None, None, expected, issue=empty)]
    if (row := _header_below_row_1(grid.iloc[:6].to_numpy().tolist(), known)) is not None:
        expected = "the column names in row 1 (one header row, no title or group rows above it)"
        issue = f"row {row} looks like the header row"
        return None, [Problem(file, None, None, None, expected, issue=issue)]
    header = grid.iloc[0].tolist()  # the header is the spreadsheet's first row (DESIGN.md)
    body = grid.iloc[1:]
    body.index = pd.Index(range(2, len(grid) + 1), name="row")
    if header[0] is not None:
        header[0] = header[0].lstrip("\ufeff")
    problems, explained = _cell_problems(cells or _Cells(), header, file)

    # rows longer than the header hold values with no column to go to
    named = max((j + 1 for j, c in enumerate(header) if c is not None), default=0)
    beyond = body.iloc[:, max(named, len(rows[0])) :].notna().any(axis=1)
    for row in beyond.index[beyond.to_numpy()]:
        issue = f"has values beyond the {named} columns the header names"
        problems.append(
            Problem(file, int(row), None, None, "one cell per header column", issue=issue)
        )

    keep: list[int] = []
    seen: dict[str, int] = {}
    keys: dict[str, int] = {}
    for j, name in enumerate(header):
        if name is None:
            if body[j].notna().any() and (1, f"#{j + 1}") not in explained:
                issue = "has values but no name in the header row"
                problems.append(
                    Problem(file, 1, f"#{j + 1}", None, "a column name in row 1", issue=issue)
                )
            continue
        if name in seen:
            issue = f"column name appears more than once (columns {seen[name] + 1} and {j + 1})"
            problems.append(Problem(file, 1, name, None, "each column named once", issue=issue))
            continue
        key = header_key(name)
        if key in keys:
            first = keys[key]
            issue = (
                f"differs from column {header[first]!r} (column {first + 1}) only in case, "
                "spaces or punctuation"
            )
            problems.append(Problem(file, 1, name, None, "each column named once", issue=issue))
            continue
        seen[name] = j
        keys[key] = j
        keep.append(j)

    frame = body[keep].copy()
    frame.columns = [header[j] for j in keep]
    frame = frame[frame.notna().any(axis=1)] if len(frame.columns) else frame.iloc[0:0]
    return RawTable(file, frame, (), frozenset(explained)), problems
