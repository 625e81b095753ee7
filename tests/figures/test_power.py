"""spinemets.figures.power: the permutation distribution and the power curves."""

from __future__ import annotations

import pandas as pd
from spinemets.figures.power import permutation_figure, power_curve_figure
from spinemets.methods.permutation import permutation_logrank
from spinemets.methods.power import SimulatedPower


def test_power_curve_figure() -> None:
    curves = pd.DataFrame(
        {"hazard_ratio": [0.5, 1.0, 2.0], "Schoenfeld": [0.9, 0.025, 0.9], "Freedman": [0.8] * 3}
    )
    fig = power_curve_figure(
        curves,
        simulated=[SimulatedPower(0.5, 0.88, 0.02, 100, 1)],
        target_power=0.8,
        observed=pd.Series({"hr": 1.04, "lower": 0.68, "upper": 1.6}),
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "0.75", "1", "1.5", "2"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["95% CI of the observed HR", "Schoenfeld"] and "Freedman" in labels


def test_permutation_figure() -> None:
    result = permutation_logrank([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 1], [0, 1, 0, 1, 0, 1])
    fig = permutation_figure(result, title="toy", cohort_label="SYNTHETIC cohort")
    assert fig.axes[0].get_title() == "toy (SYNTHETIC cohort)"
    assert len(fig.axes[0].patches) == 40  # the histogram's bars
