"""Fixtures shared by the test folders (tests/cohort, tests/methods, tests/study,
tests/figures, tests/reports, ...); a folder's own conftest.py holds what only it needs."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from spinemets.cohort import Cohort, load_cohort

FIXTURES = Path(__file__).parent / "fixtures"
#: The notebooks under tests/ are the runner's fixtures, run by its tests: never collected
#: as notebooks to check (``make test`` runs nbval on notebooks/ in the same session).
collect_ignore_glob = ["*.ipynb"]


@pytest.fixture(scope="session")
def bundled() -> Cohort:
    """The bundled SYNTHETIC cohort, loaded once per test process (read, never modified)."""
    return load_cohort()


@pytest.fixture(scope="session")
def landmark_cohort() -> pd.DataFrame:
    """The small cohort of tests/fixtures/r_landmark.R (R's tmerge, coxph, survfit on it),
    in the cohort format's column names, with therapy start times."""
    d = pd.read_csv(FIXTURES / "r_landmark" / "data_small.csv")
    return d.rename(
        columns={
            "time": "os_months",
            "event": "death",
            "therapy": "adjuvant_therapy",
            "start": "adjuvant_start_months",
        }
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The runner over the corpus (marker ``reports_corpus``, minutes long) first.

    ``make test`` distributes whole files to two workers in collection order
    (``--dist loadfile``): started first, the longest file runs beside the others
    instead of alone at the end. The order of the other tests is kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("reports_corpus") is None)
