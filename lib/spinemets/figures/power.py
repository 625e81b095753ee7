"""Figures of what the study could detect: the permutation null distribution of the
log-rank statistic, and power against the true hazard ratio.

They draw :mod:`spinemets.methods.permutation` results and
:mod:`spinemets.study.power` tables. Tests: ``tests/figures/test_power.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import chi2

from ..methods.permutation import PermutationResult
from ..methods.power import SimulatedPower
from .style import colour, format_hr_axis, titled

__all__ = ["permutation_figure", "power_curve_figure"]


def permutation_figure(
    result: PermutationResult, title: str = "", cohort_label: str = ""
) -> Figure:
    """Histogram of the relabelled statistics, the chi-square(1) density and the observed
    statistic (the permutation p-value is the share of the histogram right of the line).
    Statistics beyond the axis end are counted in the last bar.
    Tests: tests/figures/test_power.py::test_permutation_figure."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    top = max(float(np.quantile(result.statistics, 0.995)), result.chisq) * 1.1
    bins = np.linspace(0, top, 41)
    ax.hist(
        np.minimum(result.statistics, top),
        bins=bins,
        density=True,
        color=colour(0),
        alpha=0.6,
        label=f"permutation distribution ({result.method})",
    )
    grid = np.linspace(top / 400, top, 400)
    ax.plot(grid, chi2.pdf(grid, 1), color=colour(1), label="chi-square, 1 df")
    ax.axvline(result.chisq, color="0.1", linestyle="--", label="observed statistic")
    ax.set_ylim(0, 1.5)
    ax.set_xlabel("log-rank chi-square")
    ax.set_ylabel("density")
    if title:
        ax.set_title(titled(title, cohort_label))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def power_curve_figure(
    curves: pd.DataFrame,
    simulated: Sequence[SimulatedPower] = (),
    target_power: float | None = None,
    observed: pd.Series | None = None,
    conf_level: float = 0.95,
    title: str = "",
) -> Figure:
    """Power against the hazard ratio (log axis): one line per formula of ``curves``
    (:func:`spinemets.study.power.power_curves`: a ``hazard_ratio`` column and one column
    per formula), simulated rejection rates with +/- 2 Monte Carlo SE, the target power,
    and the observed hazard ratio (``observed``: hr, lower, upper) with its interval
    shaded. Tests: tests/figures/test_power.py::test_power_curve_figure."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    hrs = curves["hazard_ratio"].to_numpy(dtype=float)
    if observed is not None:
        ax.axvspan(
            observed["lower"],
            observed["upper"],
            color="0.85",
            label=f"{conf_level:.0%} CI of the observed HR",
        )
        ax.axvline(observed["hr"], color="0.5", linewidth=0.8)
    for k, name in enumerate(c for c in curves.columns if c != "hazard_ratio"):
        ax.plot(hrs, curves[name], color=colour(k), label=name)
    if simulated:
        ax.errorbar(
            [s.hr for s in simulated],
            [s.rejection_rate for s in simulated],
            yerr=[2 * s.mc_se for s in simulated],
            fmt="o",
            color="0.1",
            markersize=4,
            capsize=2,
            label="simulated log-rank (+/- 2 SE)",
        )
    if target_power is not None:
        ax.axhline(target_power, color="0.3", linestyle=":", linewidth=0.8)
    format_hr_axis(ax, float(np.min(hrs)), float(np.max(hrs)))
    ax.set_ylim(0, 1)
    ax.set_xlabel("true hazard ratio, metastasectomy vs decompression (log scale)")
    ax.set_ylabel("power")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig
