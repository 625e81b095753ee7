"""Load and validate a cohort: the two tables of DESIGN.md's cohort format.

``load_cohort()`` with no arguments gives the bundled SYNTHETIC cohort;
``load_cohort(patients_file, complications_file)`` a user's cohort. Every
problem of both files is collected (pandera, lazy validation) before anything
is refused, so the user fixes them all in one go. Tested in
``tests/cohort/test_load.py`` and ``tests/cohort/test_corpus.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from .. import paths
from . import dates, schema, values
from .convert import output_schema, typed_table
from .prepare import FORMAT_NAMES, TABLE_NAMES, prepare, pseudonymous_ids
from .problems import CohortValidationError, Problem, ValidationReport
from .read import RawTable, read_table
from .spec import (
    COMPLICATION_COLUMNS,
    PATIENT_COLUMNS,
    SYNTHETIC_MARKER,
    ColumnSpec,
)

SYNTHETIC_LABEL = (
    "bundled SYNTHETIC cohort (reconstructed from published aggregates; not patient data)"
)


@dataclass(frozen=True, eq=False)
class Cohort:
    """A validated cohort.

    ``patients`` and ``complications`` are typed DataFrames (see
    :mod:`spinemets.cohort.convert`); ``is_synthetic`` is True for the bundled
    cohort and for a patients file whose ``synthetic`` column is 1 on every row;
    ``label`` says which cohort this is, for every output; ``source_files`` are
    display paths (never absolute); ``notes`` lists what loading changed
    (dropped columns, blank sheets skipped, months derived from dates, study
    codes replacing identifiers). The tables hold the format's columns only,
    plus the columns a column mapping lists under ``keep``.
    """

    patients: pd.DataFrame
    complications: pd.DataFrame
    is_synthetic: bool
    label: str
    source_files: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def format_only(self) -> Cohort:
        """The same cohort without the columns kept by a mapping: the format's columns only."""
        patients = self.patients[[c for c in self.patients.columns if c in TABLE_NAMES[0]]]
        complications = self.complications[
            [c for c in self.complications.columns if c in TABLE_NAMES[1]]
        ]
        return replace(self, patients=patients.copy(), complications=complications.copy())


@dataclass(frozen=True)
class _Source:
    path: Path | None
    file: str  # display name
    sheet: str | None


def _sources(
    patients_file: str | Path | None,
    complications_file: str | Path | None,
    sheet: str | None,
    complications_sheet: str | None,
) -> tuple[_Source, _Source, bool]:
    given = [f is not None and str(f) != "" for f in (patients_file, complications_file)]
    bundled = not any(given)
    p = paths.resolve(patients_file, paths.SYNTHETIC_PATIENTS)
    c = paths.resolve(complications_file, paths.SYNTHETIC_COMPLICATIONS)

    def source(given: bool, path: Path, what: str, sheet: str | None) -> _Source:
        if given or bundled:
            return _Source(path, paths.display_path(path), sheet)
        return _Source(None, what, sheet)

    return (
        source(given[0], p, "patients file", sheet),
        source(given[1], c, "complications file", complications_sheet),
        bundled or p.resolve() == paths.SYNTHETIC_PATIENTS.resolve(),
    )


def _read(source: _Source, default_sheet: str) -> tuple[RawTable | None, list[Problem]]:
    if source.path is None:
        expected = "both files of a cohort (or neither, for the bundled synthetic cohort)"
        return None, [Problem(source.file, None, None, None, expected, issue="not given")]
    return read_table(source.path, source.file, source.sheet, default_sheet, FORMAT_NAMES)


def _blank_missing(frame: pd.DataFrame, specs: tuple[ColumnSpec, ...]) -> pd.DataFrame:
    """Missing-value tokens (``NA``, ``NaN``...) become None, except in free text."""
    text = {s.name for s in specs if s.kind == "text"}
    out = frame.copy()
    for name in out.columns:
        if name not in text:
            out[name] = values.map_unique(out[name], lambda v: None if values.is_missing(v) else v)
    return out


def _synthetic_rule() -> schema.RowRule:
    def holds(frame: pd.DataFrame) -> pd.Series:
        flags = frame[SYNTHETIC_MARKER.name].map(values.parse_binary)
        first = flags.dropna().iloc[0] if flags.notna().any() else None
        return flags.isna() | (flags == first)

    return schema.RowRule(
        "synthetic_marker_constant",
        SYNTHETIC_MARKER.name,
        holds,
        lambda row: "the same value on every row (a cohort is synthetic or it is not)",
    )


@dataclass
class _Checked:
    raw: pd.DataFrame
    specs: tuple[ColumnSpec, ...]
    dates: bool


def _check_patients(table: RawTable, problems: list[Problem]) -> _Checked | None:
    frame = table.frame
    if frame.empty:
        issue = "has a header but no data rows"
        problems.append(Problem(table.file, None, None, None, "one row per patient", issue=issue))
        return None
    use_dates = dates.uses_dates(frame.columns)
    specs = schema.patient_specs(use_dates, frame.columns)
    frame = _blank_missing(frame, specs)
    rules = schema.DATE_RULES if use_dates else schema.DURATION_RULES
    if SYNTHETIC_MARKER.name in frame.columns:
        rules = (*rules, _synthetic_rule())
    pandera_schema = schema.patients_schema(specs, rules)
    found = schema.validate_frame(frame, pandera_schema, table.file, specs, rules)
    if use_dates:
        found = dates.conflicting_columns(frame.columns, table.file) + found
    problems.extend(found)
    return _Checked(frame, specs, use_dates)


def _check_complications(
    table: RawTable, patient_ids: set[str] | None, problems: list[Problem]
) -> _Checked:
    frame = _blank_missing(table.frame, COMPLICATION_COLUMNS)
    problems.extend(
        schema.validate_frame(
            frame, schema.complications_schema(patient_ids), table.file, COMPLICATION_COLUMNS
        )
    )
    return _Checked(frame, COMPLICATION_COLUMNS, False)


def _patient_ids(checked: _Checked | None) -> set[str] | None:
    if checked is None or "patient_id" not in checked.raw.columns:
        return None
    return {str(v) for v in checked.raw["patient_id"].dropna()}


@dataclass(frozen=True)
class LoadOptions:
    """How to read a cohort (see :func:`load_cohort`)."""

    sheet: str | None = None
    complications_sheet: str | None = None
    mapping_file: str | Path | None = None
    allow_identifiers: bool = False


def run(
    patients_file: str | Path | None,
    complications_file: str | Path | None,
    options: LoadOptions,
) -> tuple[Cohort | None, ValidationReport]:
    """The cohort (None when invalid) and the report of every problem."""
    p_src, c_src, bundled = _sources(
        patients_file, complications_file, options.sheet, options.complications_sheet
    )
    p_table, p_found = _read(p_src, "patients")
    c_table, c_found = _read(c_src, "complications")
    prepared = prepare([p_table, c_table], options.mapping_file, options.allow_identifiers)
    p_table, c_table = prepared.tables
    problems = p_found + c_found + prepared.problems
    checked: list[Problem] = []
    p_checked = _check_patients(p_table, checked) if p_table is not None else None
    c_checked = None
    if c_table is not None:
        c_checked = _check_complications(c_table, _patient_ids(p_checked), checked)
    problems += _unexplained(checked, [t for t in (p_table, c_table) if t is not None])
    report = ValidationReport(tuple(problems), (p_src.file, c_src.file))
    if problems or p_checked is None or c_checked is None:
        return None, report
    cohort = _cohort(p_checked, c_checked, p_src, c_src, bundled)
    notes = [*prepared.notes, *cohort.notes]
    if prepared.pseudonymise:
        cohort = _pseudonymised(cohort)
        notes.append(
            "patient_id values look like direct identifiers: replaced by study codes "
            f"{cohort.patients['patient_id'].iloc[0]}.. in the patients file's row order"
        )
    return replace(cohort, notes=tuple(notes)), report


def _unexplained(problems: list[Problem], tables: list[RawTable]) -> list[Problem]:
    """Problems of validation, without "empty cell" where reading explained the cell.

    A formula without a cached value or a merged cell is reported once by
    :mod:`spinemets.cohort.read`, not again as an empty cell.
    """
    explained = {(t.file, row, column) for t in tables for row, column in t.explained}
    return [
        p for p in problems if p.value is not None or (p.file, p.row, p.column) not in explained
    ]


def _pseudonymised(cohort: Cohort) -> Cohort:
    codes = pseudonymous_ids(cohort.patients["patient_id"])
    patients = cohort.patients.copy()
    complications = cohort.complications.copy()
    patients["patient_id"] = patients["patient_id"].map(codes).astype(object)
    complications["patient_id"] = complications["patient_id"].map(codes).astype(object)
    return replace(cohort, patients=patients, complications=complications)


def _cohort(p: _Checked, c: _Checked, p_src: _Source, c_src: _Source, bundled: bool) -> Cohort:
    notes: list[str] = []
    drop = {SYNTHETIC_MARKER.name, *dates.DATE_NAMES}
    patients = typed_table(p.raw, p.specs, drop)
    if p.dates:
        derived = dates.derive_durations(p.raw).reset_index(drop=True)
        patients = pd.concat([patients, derived], axis=1)
        order = [s.name for s in PATIENT_COLUMNS]
        patients = patients[order + [n for n in patients.columns if n not in order]]
        notes.append("os_months, death, lp_months and local_progression derived from dates")
    complications = typed_table(c.raw, c.specs, set())
    if "detail" not in complications.columns:
        complications["detail"] = pd.Series([""] * len(complications), dtype=object)
    output_schema(PATIENT_COLUMNS).validate(patients)
    output_schema(COMPLICATION_COLUMNS).validate(complications)

    marked = SYNTHETIC_MARKER.name in p.raw.columns and bool(
        (p.raw[SYNTHETIC_MARKER.name].map(values.parse_binary) == 1).all()
    )
    name = Path(p_src.file).name
    if bundled:
        label = SYNTHETIC_LABEL
    elif marked:
        label = f"SYNTHETIC cohort {name} (marked synthetic in its file; not patient data)"
    else:
        label = f"user cohort {name}"
    return Cohort(
        patients=patients,
        complications=complications,
        is_synthetic=bundled or marked,
        label=label,
        source_files=(p_src.file, c_src.file),
        notes=tuple(notes),
    )


def validate_cohort(
    patients_file: str | Path | None = None,
    complications_file: str | Path | None = None,
    *,
    sheet: str | None = None,
    complications_sheet: str | None = None,
    mapping_file: str | Path | None = None,
    allow_identifiers: bool = False,
) -> ValidationReport:
    """Every problem of a cohort (an empty report when it is valid).

    Arguments as for :func:`load_cohort`; never raises for bad input.
    """
    options = LoadOptions(sheet, complications_sheet, mapping_file, allow_identifiers)
    return run(patients_file, complications_file, options)[1]


def load_cohort(
    patients_file: str | Path | None = None,
    complications_file: str | Path | None = None,
    *,
    sheet: str | None = None,
    complications_sheet: str | None = None,
    mapping_file: str | Path | None = None,
    allow_identifiers: bool = False,
) -> Cohort:
    """Load and validate a cohort; None or "" for both files gives the bundled synthetic one.

    Relative paths are taken from the project root (:func:`spinemets.paths.resolve`).
    ``sheet`` / ``complications_sheet`` pick an Excel sheet (default: a sheet named
    ``patients`` / ``complications``, else the first). ``mapping_file`` is a YAML
    column mapping (:mod:`spinemets.cohort.mapping`). Columns whose names or values
    look like direct identifiers (:mod:`spinemets.cohort.identifiers`) are refused
    unless ``allow_identifiers``, and dropped even then (a ``patient_id`` holding
    identifiers is replaced by study codes). Columns outside the format are dropped
    (noted in ``Cohort.notes``) unless the mapping lists them under ``keep``. Raises
    :class:`CohortValidationError` listing every problem.
    """
    options = LoadOptions(sheet, complications_sheet, mapping_file, allow_identifiers)
    cohort, report = run(patients_file, complications_file, options)
    if cohort is None:
        raise CohortValidationError(report)
    return cohort
