"""spinemets.figures.cmprsk: cumulative incidence beside 1 - Kaplan-Meier."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from spinemets.figures.cmprsk import cuminc_figure, draw_cuminc
from spinemets.methods.cmprsk import cuminc

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_competing_risks"


def test_draw_cuminc() -> None:
    d = pd.read_csv(FIXTURES / "data_toy.csv")
    fig, ax = plt.subplots()
    draw_cuminc(ax, d["time"], d["cause"], d["arm"], title="toy")
    lines = ax.get_lines()
    assert len(lines) == 4  # cumulative incidence and 1 - KM per group
    curves = cuminc(d["time"], d["cause"], d["arm"].astype(str))
    first = next(c for (g, k), c in curves.items() if k == 1)
    # the drawn step ends at the curve's last value, at its last time
    assert lines[0].get_ydata()[-1] == first.est[-1]
    assert lines[0].get_xdata()[-1] == first.time[-1]
    assert lines[1].get_linestyle() == "--"
    assert ax.get_title(loc="left") == "toy"


def test_cuminc_figure(bundled) -> None:
    patients = bundled.patients
    fig = cuminc_figure(patients, cause=1, ymax=0.6, cohort_label="SYNTHETIC cohort")
    left, right = fig.axes
    assert left.get_title(loc="left") == "Local progression by surgery (SYNTHETIC cohort)"
    assert right.get_title(loc="left").startswith("Local progression by adjuvant therapy")
    assert left.get_ylim() == (0.0, 0.6)
    assert len(left.get_lines()) == 4
    deaths = cuminc_figure(patients, cause=2)
    assert len(deaths.axes[0].get_lines()) == 2  # no 1 - KM for the competing event
    assert np.isclose(deaths.axes[0].get_ylim()[1], 1.0)
