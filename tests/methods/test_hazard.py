"""spinemets.methods.hazard: events / person-time per interval, as R's survSplit + poisson.test.

R values: tests/fixtures/r_lessons.R on survival's pbc, ovarian and mgus2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods.hazard import HAZARD_COLUMNS, interval_hazard

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_lessons"
METHODS = json.loads((FIXTURES / "survival_methods.json").read_text())
BREAKS = {
    "pbc": [0, 1000, 2000, 3000, 5000],
    "ovarian": [0, 200, 400, 800, 1300],
    "mgus2": [0, 24, 60, 120, 500],
}


def _num(values: pd.Series) -> np.ndarray:
    return values.map(lambda v: np.nan if v in ("NA", None) else float(v)).to_numpy(float)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_interval_hazard_matches_r(name: str) -> None:
    data = pd.read_csv(FIXTURES / f"data_{name}.csv", dtype={"group": str})
    ref = pd.DataFrame(METHODS[name]["hazard"])
    for group in ref.group.unique():
        part = data if group == "all" else data[data.group == group]
        got = interval_hazard(part.time, part.event, BREAKS[name])
        want = ref[ref.group == group].reset_index(drop=True)
        assert list(got.columns) == HAZARD_COLUMNS
        np.testing.assert_array_equal(got.events, want.events)
        for column in ("person_time", "hazard", "lower", "upper"):
            np.testing.assert_allclose(got[column], _num(want[column]), rtol=1e-9)


def test_by_hand() -> None:
    # times 1 (event), 3 (censored), 5 (event); intervals (0, 2], (2, 4], (4, 6]
    got = interval_hazard([1, 3, 5], [1, 0, 1], [0, 2, 4, 6])
    assert got.events.tolist() == [1, 0, 1]
    assert got.person_time.tolist() == [1 + 2 + 2, 1 + 2, 1]
    assert got.hazard.tolist() == pytest.approx([1 / 5, 0, 1])
    # no event: lower limit 0, upper -log(0.025) / PT (the gamma(1) quantile)
    assert got.lower[1] == 0 and got.upper[1] == pytest.approx(-np.log(0.025) / 3)
    # follow-up ending before an interval: no person-time, empty hazard
    late = interval_hazard([1, 2], [1, 1], [0, 5, 10])
    assert late.person_time[1] == 0 and np.isnan(late.hazard[1])


def test_bad_breaks() -> None:
    for breaks in ([0], [0, 2, 1], [-1, 2], [0, np.inf]):
        with pytest.raises(SpinemetsError, match="breaks"):
            interval_hazard([1, 2], [1, 0], breaks)
