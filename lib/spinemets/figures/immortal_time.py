"""Figures of immortal time: Kaplan-Meier curves from landmarks, and the simulation.

The analyses are :mod:`spinemets.study.immortal_time`'s; the curves are drawn by
:func:`spinemets.figures.km.draw_km`. Tests: ``tests/figures/test_immortal_time.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..formatting import format_p
from ..methods.km import kaplan_meier
from ..methods.logrank import logrank_test
from ..study.immortal_time import SIMULATED_METHODS, landmark_data
from .km import draw_km
from .style import colour, titled

__all__ = ["landmark_figure", "simulation_figure"]


def landmark_figure(
    patients: pd.DataFrame,
    landmarks: Sequence[float],
    conf_level: float = 0.95,
    treated_label: str = "targeted started by landmark",
    untreated_label: str = "not (yet) on targeted",
    cohort_label: str = "",
    **columns: str,
) -> Figure:
    """One Kaplan-Meier panel per landmark (clock reset at the landmark), treated vs
    not, with the log-rank p; ``columns`` go to
    :func:`spinemets.study.immortal_time.landmark_data`. The figure's title ends with
    ``cohort_label``. Tests: tests/figures/test_immortal_time.py::test_landmark_figure.
    """
    fig, axes = plt.subplots(
        1, len(landmarks), figsize=(4.2 * len(landmarks), 3.8), sharey=True, squeeze=False
    )
    for ax, lm in zip(axes[0], landmarks, strict=True):
        d = landmark_data(patients, lm, **columns)
        for k, (treated, label) in enumerate(((1, treated_label), (0, untreated_label))):
            g = d[d["treated"] == treated]
            if len(g) == 0:
                continue
            km = kaplan_meier(g["time"], g["event"], conf_level=conf_level)
            draw_km(ax, km, colour(k), f"{label} (n = {len(g)})", censor_ticks=False)
        note = "one group only: no comparison"
        if d["treated"].nunique() == 2:
            p = logrank_test(d["time"], d["event"], d["treated"]).p
            note = f"log-rank {format_p(p, prefix=True)}"
        ax.set_title(f"Landmark {lm:g} months ({note})", loc="left", fontsize=10)
        ax.set_xlabel(f"Months after the landmark ({lm:g} months)")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.grid(axis="y", color="0.9", lw=0.6)
        ax.legend(loc="upper right", frameon=False, fontsize=8)
    axes[0][0].set_ylabel("Overall survival from the landmark")
    fig.suptitle(titled("Landmark analyses", cohort_label), fontsize=9, y=1.02)
    fig.tight_layout()
    return fig


def simulation_figure(sim: pd.DataFrame, title: str = "") -> Figure:
    """Histograms of the hazard ratios of
    :func:`spinemets.study.immortal_time.simulate_immortal_time` (log scale), one colour
    per method, with the true value 1 marked.
    Tests: tests/figures/test_immortal_time.py::test_simulation_figure.
    """
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bins = np.linspace(np.log(0.4), np.log(2.5), 43)
    for k, (column, (_, label)) in enumerate(SIMULATED_METHODS.items()):
        values = np.log(sim[column].to_numpy(dtype=float))
        ax.hist(
            values[np.isfinite(values)],
            bins=bins,
            histtype="step",
            lw=1.6,
            color=colour(k),
            label=label,
        )
    ax.axvline(0.0, color="0.2", ls=":", lw=1)
    ticks = [0.5, 0.75, 1, 1.5, 2]
    ax.set_xticks(np.log(ticks), [f"{t:g}" for t in ticks])
    ax.set_xlabel("Estimated hazard ratio, treated vs untreated (true value 1)")
    ax.set_ylabel("Simulated studies")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
