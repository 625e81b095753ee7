"""spinemets.methods.hazard: events / person-time per interval, as R's survSplit + poisson.test.

R values: tests/fixtures/r_lessons.R on survival's pbc, ovarian and mgus2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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
    # a death at time 0 counts in the first interval, without person-time
    at_zero = interval_hazard([0, 0, 3], [1, 0, 1], [0, 2, 4])
    assert at_zero.events.tolist() == [1, 1] and at_zero.person_time.tolist() == [2, 1]
    # follow-up ending before an interval: no person-time, empty hazard
    late = interval_hazard([1, 2], [1, 1], [0, 5, 10])
    assert late.person_time[1] == 0 and np.isnan(late.hazard[1])


def test_bad_breaks() -> None:
    for breaks in ([0], [0, 2, 1], [-1, 2], [0, np.inf]):
        with pytest.raises(SpinemetsError, match="breaks"):
            interval_hazard([1, 2], [1, 0], breaks)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60).map(float), st.integers(0, 1)), min_size=1, max_size=40),
    st.lists(st.integers(1, 20), min_size=1, max_size=6),
)
def test_events_and_person_time_add_up(rows, widths) -> None:
    """Whatever the cut points: the intervals' events are the events in (0, last cut], their
    person-time is the follow-up up to the last cut, and every interval holds its hazard."""
    time = np.array([t for t, _ in rows])
    event = np.array([e for _, e in rows])
    breaks = np.concatenate(([0.0], np.cumsum(widths).astype(float)))
    table = interval_hazard(time, event, breaks, timefix=False)
    end = breaks[-1]
    assert table.events.sum() == event[(time >= 0) & (time <= end)].sum()
    assert table.person_time.sum() == pytest.approx(np.minimum(time, end).sum())
    has_time = table.person_time > 0
    assert (table.lower[has_time] <= table.hazard[has_time]).all()
    assert (table.hazard[has_time] <= table.upper[has_time]).all()
