"""The reconstruction's calibration figure: the cohort's Kaplan-Meier curves against the
paper's printed medians and 3- and 5-year rates.

It takes plain data -- the patients table and the printed numbers as small tables --
so that the paper layer (:mod:`spinemets.paper`), which knows the claims, can draw it
without this layer knowing the paper. Tests: ``tests/figures/test_calibration.py``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..cohort.spec import COMPARISONS
from ..methods.km import kaplan_meier
from ..study.endpoints import endpoint_data
from .km import draw_km
from .style import colour, titled

__all__ = ["calibration_figure"]

#: Panels: (endpoint, column), one per comparison and endpoint.
PANELS: tuple[tuple[str, str], ...] = tuple(
    (name, column) for name in ("os", "lpfs") for column in COMPARISONS
)


def calibration_figure(
    patients: pd.DataFrame,
    published_rates: pd.DataFrame,
    published_medians: pd.DataFrame,
    cohort_label: str = "",
    months: float = 144,
) -> Figure:
    """Four panels (OS and LPFS by surgery and by adjuvant therapy): each group's
    Kaplan-Meier curve, ``x`` at the published rates and ``o`` at the published medians.

    ``published_rates``: columns endpoint, group, time (months), value (percent);
    ``published_medians``: endpoint, group, value (months). Rows for other endpoints or
    groups are ignored; a group without a published number gets no marker.
    Tests: tests/figures/test_calibration.py::test_calibration_figure.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    for ax, (name, column) in zip(axes.ravel(), PANELS, strict=True):
        time, event = endpoint_data(patients, name)
        for k, group in enumerate(sorted(COMPARISONS[column])):
            rows = (patients[column] == group).to_numpy()
            km = kaplan_meier(time[rows], event[rows])
            draw_km(ax, km, colour(k), group, show_ci=False, censor_ticks=False)
            rates = published_rates[
                (published_rates["endpoint"] == name) & (published_rates["group"] == group)
            ]
            ax.plot(rates["time"], rates["value"] / 100, "x", color=colour(k), ms=9, mew=2)
            medians = published_medians[
                (published_medians["endpoint"] == name) & (published_medians["group"] == group)
            ]
            ax.plot(medians["value"], [0.5] * len(medians), "o", color=colour(k), mfc="none", ms=9)
        ax.axhline(0.5, color="grey", lw=0.5, ls=":")
        ax.set_title(titled(f"{name.upper()} by {column.replace('_', ' ')}", cohort_label))
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, months)
        ax.set_xticks(range(0, math.floor(months) + 1, 12))
        ax.legend(loc="upper right" if name == "os" else "lower left", frameon=False)
    for ax in axes[1]:
        ax.set_xlabel("months from spinal surgery")
    for ax in axes[:, 0]:
        ax.set_ylabel("survival probability")
    fig.suptitle("Reconstructed curves; o = published median, x = published 3-/5-year rate")
    fig.tight_layout()
    return fig
