"""spinemets.plots: the risk table's numbers and that the KM figure draws."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from spinemets.methods.km import kaplan_meier
from spinemets.methods.permutation import permutation_logrank
from spinemets.methods.power import SimulatedPower
from spinemets.plots import (
    KM_FIGSIZE,
    format_hr_axis,
    format_p,
    km_plot,
    km_plot_endpoint,
    permutation_plot,
    power_curve_plot,
    risk_table,
)

RNG_SEED = 20201  # named seed: the paper's year and issue


@pytest.fixture
def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(RNG_SEED)
    n = 80
    return pd.DataFrame(
        {
            "os_months": np.round(rng.exponential(24, n)),
            "death": (rng.random(n) < 0.85).astype(int),
            "lp_months": np.round(rng.exponential(40, n)),
            "local_progression": (rng.random(n) < 0.2).astype(int),
            "surgery": rng.choice(["decompression", "metastasectomy"], n),
        }
    )


def test_risk_table_counts_follow_up_at_least_t(cohort) -> None:
    ticks = [0, 12, 24, 36, 1000]
    curves = {
        g: kaplan_meier(d.os_months, d.death) for g, d in cohort.groupby("surgery", sort=True)
    }
    table = risk_table(curves, ticks)
    for row, (_, d) in enumerate(cohort.groupby("surgery", sort=True)):
        by_hand = [int((d.os_months >= t).sum()) for t in ticks]  # at risk at t-0
        assert table.counts[row].tolist() == by_hand
    assert table.to_frame().shape == (2, 5)


def test_figure_draws_risk_table_and_p(cohort) -> None:
    fig = km_plot_endpoint(cohort, "os", "surgery", show_median=True, title="OS by surgery")
    try:
        assert tuple(fig.get_size_inches()) == KM_FIGSIZE
        ax, ax_risk = fig.axes
        ticks = ax.get_xticks()
        assert ticks[0] == 0 and np.allclose(np.diff(ticks), 12)
        drawn = [int(t.get_text()) for t in ax_risk.texts]
        expected = []
        for _, d in cohort.groupby("surgery", sort=True):
            expected += [int((d.os_months >= t).sum()) for t in ticks]
        assert drawn == expected
        title = ax.get_legend().get_title().get_text()
        assert title.startswith("Log-rank p") and "95% CI (log)" in title
        fig.canvas.draw()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_single_group_and_every_band(cohort, conf_type: str) -> None:
    fig = km_plot(cohort.lp_months, cohort.local_progression, conf_type=conf_type, xmax=60)
    try:
        ax = fig.axes[0]
        assert ax.get_xlim() == (0.0, 60.0)
        assert "Log-rank" not in ax.get_legend().get_title().get_text()
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_format_p() -> None:
    assert format_p(0.0123) == "p = 0.012"
    assert format_p(0.0001) == "p < 0.001"
    assert format_p(float("nan")) == "p = NA"


def test_min_cell_masks_small_numbers_at_risk_and_group_sizes(cohort) -> None:
    fig = km_plot_endpoint(cohort, "os", "surgery", min_cell=10)
    try:
        ax, ax_risk = fig.axes
        ticks = ax.get_xticks()
        expected = []
        for _, d in cohort.groupby("surgery", sort=True):
            for t in ticks:  # at risk at t-0, by hand; 1..9 masked, 0 kept
                n = int((d.os_months >= t).sum())
                expected.append("<10" if 0 < n < 10 else str(n))
        drawn = [t.get_text() for t in ax_risk.texts]
        assert drawn == expected
        assert "<10" in drawn and any(t.isdigit() and int(t) >= 10 for t in drawn)
        sizes = [int((cohort.surgery == g).sum()) for g in sorted(cohort.surgery.unique())]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [
            f"{g} (n = {n})" for g, n in zip(sorted(cohort.surgery.unique()), sizes, strict=True)
        ]
    finally:
        plt.close(fig)
    small = cohort.iloc[:7]  # 7 patients: the legend hides the group size
    fig = km_plot(small.os_months, small.death, min_cell=10)
    try:
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
            "All patients (n <10)"
        ]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("min_cell", [-1, 2.5, True])
def test_min_cell_must_be_a_whole_number(cohort, min_cell) -> None:
    with pytest.raises(Exception, match="min_cell"):
        km_plot(cohort.os_months, cohort.death, min_cell=min_cell)


def test_hr_axis_ticks_are_plain_numbers() -> None:
    fig, ax = plt.subplots()
    format_hr_axis(ax, 0.08, 3.0)  # wider than 10-fold: coarse ticks only
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.25", "0.5", "1", "2"]
    format_hr_axis(ax, 0.4, 2.5)  # narrower: 0.75 and 1.5 as well
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "0.75", "1", "1.5", "2"]
    plt.close(fig)


def test_power_curve_plot() -> None:
    hrs = np.array([0.5, 1.0, 2.0])
    fig = power_curve_plot(
        hrs,
        {"Schoenfeld": np.array([0.9, 0.025, 0.9])},
        simulated=[SimulatedPower(0.5, 0.88, 0.02, 100, 1)],
        target_power=0.8,
        observed=(1.04, 0.68, 1.6),
    )
    assert fig.axes[0].get_xscale() == "log"
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["0.5", "0.75", "1", "1.5", "2"]
    plt.close(fig)


def test_permutation_plot() -> None:
    result = permutation_logrank([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 1], [0, 1, 0, 1, 0, 1])
    fig = permutation_plot(result, title="toy")
    assert fig.axes[0].get_title() == "toy"
    assert len(fig.axes[0].patches) == 40  # the histogram's bars
    plt.close(fig)
