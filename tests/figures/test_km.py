"""spinemets.figures.km: the risk table's numbers, the step-and-band drawer, the KM figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from spinemets.figures.km import (
    KM_FIGSIZE,
    draw_km,
    draw_step_band,
    km_endpoint_figure,
    km_figure,
    risk_table,
)
from spinemets.methods.km import kaplan_meier

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
    fig = km_endpoint_figure(
        cohort, "os", "surgery", show_median=True, title="OS by surgery", cohort_label="toy"
    )
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
        assert ax.get_title(loc="left") == "OS by surgery (toy)"
        assert ax.get_ylabel() == "Overall survival"
        fig.canvas.draw()
    finally:
        plt.close(fig)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_single_group_and_every_band(cohort, conf_type: str) -> None:
    fig = km_figure(cohort.lp_months, cohort.local_progression, conf_type=conf_type, xmax=60)
    try:
        ax = fig.axes[0]
        assert ax.get_xlim() == (0.0, 60.0)
        assert "Log-rank" not in ax.get_legend().get_title().get_text()
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_min_cell_masks_small_numbers_at_risk_and_group_sizes(cohort) -> None:
    fig = km_endpoint_figure(cohort, "os", "surgery", min_cell=10)
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
    fig = km_figure(small.os_months, small.death, min_cell=10)
    try:
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
            "All patients (n <10)"
        ]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("min_cell", [-1, 2.5, True])
def test_min_cell_must_be_a_whole_number(cohort, min_cell) -> None:
    with pytest.raises(Exception, match="min_cell"):
        km_figure(cohort.os_months, cohort.death, min_cell=min_cell)


def test_step_and_band() -> None:
    """Steps from the start value, the band's undefined limits at the start, the end."""
    fig, ax = plt.subplots()
    draw_step_band(
        ax, [2.0, 5.0], [0.8, 0.5], [np.nan, 0.3], [np.nan, 0.7], start=1.0, end=9.0, color="k"
    )
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [0.0, 2.0, 5.0, 9.0]
    assert line.get_ydata().tolist() == [1.0, 0.8, 0.5, 0.5]
    band = np.concatenate([p.vertices for p in ax.collections[0].get_paths()])
    # S = 0.8 has no band: a gap from 2 to 5 months, not a made-up value
    assert not ((band[:, 0] > 0) & (band[:, 0] < 5)).any()
    assert band[:, 0].max() == 9.0 and {0.3, 0.7} <= set(band[:, 1])
    fig2, ax2 = plt.subplots()
    draw_step_band(ax2, [0.0, 3.0], [0.0, 0.2], [np.nan, 0.1], [np.nan, 0.3], start=0.0, color="k")
    vertices = ax2.collections[0].get_paths()[0].vertices
    assert not np.isnan(vertices).any()  # undefined where F = 0: drawn as 0
    km = kaplan_meier([1, 2, 2, 3], [1, 0, 1, 0])
    fig3, ax3 = plt.subplots()
    draw_km(ax3, km, "k", "toy")
    step, ticks = ax3.get_lines()
    assert step.get_ydata()[0] == 1.0 and step.get_label() == "toy"
    assert ticks.get_xdata().tolist() == km.time[km.n_censor > 0].tolist()
    plt.close("all")
