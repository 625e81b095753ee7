"""spinemets.figures.immortal_time: landmark curves and the simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from spinemets.figures.immortal_time import landmark_figure, simulation_figure
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
