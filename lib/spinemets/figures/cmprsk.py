"""Cumulative incidence figures: a competing risk beside 1 - Kaplan-Meier.

The estimates are :mod:`spinemets.methods.cmprsk`'s (Aalen-Johansen with Gray's
variance, as R's cmprsk), on the cohort's competing-risks coding
(:func:`spinemets.study.competing_risks.local_progression_events`); curves and bands
are drawn by the one step-and-band drawer, :func:`spinemets.figures.km.draw_step_band`.
Tests: ``tests/figures/test_cmprsk.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..methods._validate import ArrayLike
from ..methods.cmprsk import cuminc, cuminc_band
from ..methods.km import kaplan_meier
from ..study.competing_risks import (
    CAUSE_LABELS,
    STUDIED_LEVELS,
    group_labels,
    local_progression_events,
    time_and_cause,
)
from .km import draw_step_band
from .style import colour, titled

__all__ = ["cuminc_figure", "draw_cuminc"]


def draw_cuminc(
    ax: Axes,
    time: ArrayLike,
    cause: ArrayLike,
    group: ArrayLike | None,
    cause_of_interest: int = 1,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    one_minus_km: bool = True,
    title: str | None = None,
) -> None:
    """Draw on ``ax``, per group, the cumulative incidence of ``cause_of_interest``
    (solid step, shaded ``conf_type`` band) and, dashed, ``1 - Kaplan-Meier`` with the
    other causes censored (the paper's reading), so the gap between them is visible.
    Tests: tests/figures/test_cmprsk.py::test_draw_cuminc.
    """
    t, c = time_and_cause(time, cause)
    g = group_labels(group, t.size)
    curves = cuminc(t, c, g, timefix=False)
    for i, label in enumerate(dict.fromkeys(label for label, _ in curves)):
        color = colour(i)
        curve = curves.get((label, cause_of_interest))
        if curve is None:
            continue
        n = int(np.sum(g == label))
        jumps = curve.jumps
        lower, upper = cuminc_band(curve.est[jumps], curve.var[jumps], conf_level, conf_type)
        draw_step_band(
            ax,
            curve.time[jumps],
            curve.est[jumps],
            lower,
            upper,
            start=0.0 if curve.time[0] > 0 else None,
            end=float(curve.time[-1]),
            color=color,
            label=f"{label} (n = {n}): cumulative incidence",
        )
        if one_minus_km:
            m = g == label
            km = kaplan_meier(t[m], (c[m] == cause_of_interest).astype(int), timefix=False)
            draw_step_band(
                ax,
                km.time,
                1 - km.surv,
                start=0.0,
                color=color,
                ls="--",
                lw=1.2,
                label=f"{label}: 1 - Kaplan-Meier (deaths censored)",
            )
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    ax.set_xlabel("Months since spinal surgery")
    ax.set_ylabel(
        f"Probability of {CAUSE_LABELS.get(cause_of_interest, 'event')}".replace("_", " ")
    )
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)


#: Panel titles per cause: what is drawn, "by <column>".
_CAUSE_TITLES = {1: "Local progression", 2: "Death without local progression"}


def cuminc_figure(
    patients: pd.DataFrame,
    cause: int = 1,
    strata: Sequence[str] = tuple(STUDIED_LEVELS),
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    one_minus_km: bool | None = None,
    ymax: float | None = None,
    cohort_label: str = "",
) -> Figure:
    """One :func:`draw_cuminc` panel per column of ``strata`` (shared y axis), on the
    cohort's local progressions (cause 1) or deaths without them (cause 2).

    ``one_minus_km`` defaults to True for cause 1 (the paper's reading beside the
    cumulative incidence) and False for cause 2; ``ymax`` caps the y axis. Each panel
    title ends with ``cohort_label``.
    Tests: tests/figures/test_cmprsk.py::test_cuminc_figure.
    """
    events = local_progression_events(patients)
    fig, axes = plt.subplots(1, len(strata), figsize=(11, 4.2), sharey=True, squeeze=False)
    for ax, column in zip(axes[0], strata, strict=True):
        draw_cuminc(
            ax,
            events["time"],
            events["cause"],
            patients[column],
            cause,
            conf_level,
            conf_type,
            one_minus_km=cause == 1 if one_minus_km is None else one_minus_km,
            title=titled(
                f"{_CAUSE_TITLES.get(cause, 'Cause')} by {column.replace('_', ' ')}", cohort_label
            ),
        )
    if ymax is not None:
        axes[0][0].set_ylim(0, ymax)
    fig.tight_layout()
    return fig
