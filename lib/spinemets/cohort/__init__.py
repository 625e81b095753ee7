"""Load and validate a cohort in the format of DESIGN.md (data dictionary: data/README.md).

Public API::

    load_cohort(patients_file=None, complications_file=None, *, sheet=None,
                complications_sheet=None, mapping_file=None,
                allow_identifiers=False) -> Cohort
    validate_cohort(same arguments) -> ValidationReport
    Cohort(patients, complications, is_synthetic, label, source_files, notes)
    Cohort.format_only() -> Cohort  # without the columns a mapping keeps
    ValidationReport(problems, files); Problem(file, row, column, value, expected, issue)
    CohortValidationError(SpinemetsError)  # .report; str() lists every problem

The identifier guard (column names and cell values that identify a person) is
:mod:`spinemets.cohort.identifiers`. The command ``spinemets validate`` is
registered by :func:`register_cli`.
"""

from __future__ import annotations

from . import identifiers
from .command import register_cli
from .load import SYNTHETIC_LABEL, Cohort, load_cohort, validate_cohort
from .problems import CohortValidationError, Problem, ValidationReport
from .spec import COMPLICATION_COLUMNS, DAYS_PER_MONTH, PATIENT_COLUMNS

__all__ = [
    "COMPLICATION_COLUMNS",
    "DAYS_PER_MONTH",
    "PATIENT_COLUMNS",
    "SYNTHETIC_LABEL",
    "Cohort",
    "CohortValidationError",
    "Problem",
    "ValidationReport",
    "load_cohort",
    "identifiers",
    "register_cli",
    "validate_cohort",
]
