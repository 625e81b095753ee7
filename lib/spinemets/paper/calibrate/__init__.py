"""Calibrated reconstruction of the cohort's survival times (issue #5).

The paper publishes only summaries of overall survival (OS) and local
progression-free survival (LPFS): medians with 95% CIs, 3- and 5-year rates,
log-rank p-values and counts. :func:`fit_survival_times` searches for whole-month
times of 100 synthetic patients whose Kaplan-Meier statistics, computed as R's
survival package computes them, reproduce those numbers as closely as they can
all hold together (a seeded simulated annealing, see :mod:`.search`);
:func:`evaluate` gives the accuracy table of any survival-times table.

The result is ``data/synthetic/survival_times.csv`` (deterministic bytes);
``spinemets.reconstruct`` joins it to the synthetic covariates.
Tests: ``tests/test_calibrate*.py`` (reference implementation, R parity,
determinism, the committed file meeting the done criteria).
"""

from __future__ import annotations

import pandas as pd

from .. import paths
from .search import SearchSettings, run_search
from .table import COLUMNS, evaluate, to_frame
from .targets import CELLS, COUNT_TARGETS, TARGETS, Target

#: The one named seed of the committed fit.
CALIBRATION_SEED = 20200605
#: Independent annealing chains of the committed fit (best one is refined).
DEFAULT_RESTARTS = 16
#: The committed survival times.
SURVIVAL_TIMES_FILE = paths.SYNTHETIC_DIR / "survival_times.csv"
#: The committed accuracy table.
CALIBRATION_REPORT_FILE = paths.SYNTHETIC_DIR / "calibration_report.csv"

__all__ = [
    "CALIBRATION_REPORT_FILE",
    "CALIBRATION_SEED",
    "CELLS",
    "COLUMNS",
    "COUNT_TARGETS",
    "DEFAULT_RESTARTS",
    "SURVIVAL_TIMES_FILE",
    "TARGETS",
    "SearchSettings",
    "Target",
    "evaluate",
    "fit_survival_times",
    "register_cli",
]


def fit_survival_times(
    seed: int = CALIBRATION_SEED,
    restarts: int = DEFAULT_RESTARTS,
    workers: int = 2,
    settings: SearchSettings | None = None,
) -> pd.DataFrame:
    """Fit whole-month survival times to the published numbers.

    Deterministic: the same ``seed``, ``restarts`` and ``settings`` give the same
    table whatever ``workers`` is (restarts run in fixed blocks, each with its own
    seed spawned from ``seed``). Returns the survival-times table (see
    :mod:`.table`); ``evaluate`` of it gives the accuracy table.
    """
    state, _, _ = run_search(seed, restarts, workers, settings)
    return to_frame(state.os, state.death, state.lp, state.prog)


def register_cli(subparsers) -> None:
    """Add ``spinemets calibrate``."""
    from .cli import register

    register(subparsers)
