"""spinemets.figures.immortal_time: landmark curves and the simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from spinemets.figures.immortal_time import landmark_figure, person_time_figure, simulation_figure
from spinemets.study import immortal_time

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_landmark"


def test_landmark_figure(landmark_cohort: pd.DataFrame) -> None:
    small = landmark_cohort
    fig = landmark_figure(small, [1, 3], cohort_label="toy")
    assert len(fig.axes) == 2
    assert fig._suptitle.get_text() == "Landmark analyses (toy)"
    for ax, lm in zip(fig.axes, [1, 3], strict=True):
        d = immortal_time.landmark_data(small, lm)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [
            f"targeted started by landmark (n = {int(d.treated.sum())})",
            f"not (yet) on targeted (n = {int((d.treated == 0).sum())})",
        ]
        assert ax.get_title(loc="left").startswith(f"Landmark {lm} months (log-rank p")


def test_simulation_figure() -> None:
    sim = immortal_time.simulate_immortal_time(n_patients=50, n_simulations=3)
    fig = simulation_figure(sim)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        label for _, label in immortal_time.SIMULATED_METHODS.values()
    ]
    assert np.isclose(ax.get_lines()[0].get_xdata()[0], 0.0)  # the true value, HR 1


def _bar_end(ax: Axes, y: int) -> float:
    return max(p.get_x() + p.get_width() for p in ax.patches if abs(p.get_y() + 0.3 - y) < 1e-9)


def test_person_time_figure(landmark_cohort: pd.DataFrame) -> None:
    """Bars of the person-time table: treated bar shorter by the time to start in the
    time-dependent panel; deaths drawn through shown_count (masked below min_cell)."""
    table = immortal_time.person_time_table(landmark_cohort)
    fig = person_time_figure(table, cohort_label="toy", min_cell=1000)
    naive, td = fig.axes
    assert fig._suptitle.get_text() == "Where the follow-up time is counted (toy)"
    before = table.loc[table["part"] == "surgery to start", "person_months"].iloc[0]
    assert _bar_end(naive, 1) - _bar_end(td, 1) == pytest.approx(before)
    assert _bar_end(td, 0) - _bar_end(naive, 0) == pytest.approx(before)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 4 and all(t.startswith("<1000 deaths") for t in texts)
    unmasked = person_time_figure(table)
    deaths = int(table.query("analysis == 'naive' and group == 'treated'")["deaths"].sum())
    assert unmasked.axes[0].texts[1].get_text().startswith(f"{deaths} deaths")
