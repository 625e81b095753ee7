"""Calibrated reconstruction of the cohort's survival times.

The paper publishes only summaries of overall survival (OS) and local
progression-free survival (LPFS): medians with 95% CIs, 3- and 5-year rates,
log-rank p-values and counts. :func:`fit_survival_times` searches for whole-month
times of 100 synthetic patients whose Kaplan-Meier statistics, computed as R's
survival package computes them, reproduce those numbers as closely as they can
all hold together (a seeded simulated annealing, :mod:`.search`);
:func:`evaluate` gives the accuracy table of any survival-times table.

Modules: :mod:`.targets` (the published numbers, read from the claims file),
:mod:`.evaluator` (vectorised R-convention statistics on a month grid),
:mod:`.search` (the annealing), :mod:`.table` (the survival-times and accuracy
tables), :mod:`.cli` (``spinemets calibrate``).

The result is ``data/synthetic/survival_times.csv`` (deterministic bytes);
:mod:`spinemets.paper.reconstruct` joins it to the synthetic covariates.
Tests: ``tests/paper/test_calibrate_*.py`` (a literal per-patient reference,
R parity, determinism, the committed file meeting the done criteria).
"""

from __future__ import annotations

from .cli import register_cli
from .search import (
    CALIBRATION_SEED,
    DEFAULT_RESTARTS,
    SearchSettings,
    fit_survival_times,
    progressions_per_cell,
)
from .table import (
    CALIBRATION_REPORT_FILE,
    COLUMNS,
    REPORT_COLUMNS,
    SURVIVAL_TIMES_FILE,
    accuracy_by_kind,
    accuracy_statement,
    committed_report,
    evaluate,
    table_csv_text,
    to_frame,
)
from .targets import CELLS, COUNT_TARGETS, TARGETS, Target

__all__ = [
    "CALIBRATION_REPORT_FILE",
    "CALIBRATION_SEED",
    "CELLS",
    "COLUMNS",
    "COUNT_TARGETS",
    "DEFAULT_RESTARTS",
    "REPORT_COLUMNS",
    "SURVIVAL_TIMES_FILE",
    "TARGETS",
    "SearchSettings",
    "Target",
    "accuracy_by_kind",
    "accuracy_statement",
    "committed_report",
    "evaluate",
    "fit_survival_times",
    "progressions_per_cell",
    "register_cli",
    "table_csv_text",
    "to_frame",
]
