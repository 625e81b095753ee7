"""Figures of the neurological and pain outcomes (Figure 1 and the VAS figure).

Kaplan-Meier figures live in :mod:`spinemets.plots`; these two figures draw
tables computed by :mod:`spinemets.outcomes`, so they hold no statistics of
their own.  Both are deterministic (no random jitter) and return the figure
for ``RunOutput.write_figure``.  Smoke-tested by ``tests/test_outcomes.py``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .notebook import PALETTE
from .outcomes import FRANKEL_GRADES

__all__ = ["plot_frankel", "plot_vas"]

#: Grade colours: red-ish (A) through blue-green (E), from the Okabe-Ito palette.
GRADE_COLOURS = {
    "A": PALETTE[1],
    "B": PALETTE[4],
    "C": PALETTE[6],
    "D": PALETTE[5],
    "E": PALETTE[2],
}


def plot_frankel(shift: pd.DataFrame, title: str = "") -> Figure:
    """Figure 1: grades before vs after (stacked bars) and the shift table (heat map).

    ``shift`` is :func:`spinemets.outcomes.frankel_shift_table`.  Cells above the
    diagonal of the heat map are patients who improved, below it who worsened.
    """
    fig, (ax_bar, ax_map) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=[1.1, 1])
    n = int(shift.to_numpy().sum())
    counts = {"before surgery": shift.sum(axis=1), "after surgery": shift.sum(axis=0)}
    for y, c in enumerate(counts.values()):
        left = 0.0
        for grade in FRANKEL_GRADES:
            share = 100 * c[grade] / n
            ax_bar.barh(y, share, left=left, color=GRADE_COLOURS[grade], edgecolor="white")
            if share >= 4:
                ax_bar.text(
                    left + share / 2,
                    y,
                    f"{grade}\n{int(c[grade])}",
                    ha="center",
                    va="center",
                    fontsize=8,
                )
            left += share
    handles = [plt.Rectangle((0, 0), 1, 1, color=GRADE_COLOURS[g]) for g in FRANKEL_GRADES]
    ax_bar.legend(
        handles,
        FRANKEL_GRADES,
        ncol=5,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        frameon=False,
        title="Frankel grade (A = complete lesion, E = normal)",
    )
    ax_bar.set_yticks([0, 1], list(counts))
    ax_bar.invert_yaxis()
    ax_bar.set_xlim(0, 100)
    ax_bar.set_xlabel(f"% of patients (n = {n})")
    ax_bar.set_title("Frankel grade")

    x = shift.to_numpy()
    ax_map.imshow(x, cmap="Blues", vmin=0)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            colour = "white" if x[i, j] > x.max() / 2 else "black"
            ax_map.text(j, i, str(int(x[i, j])), ha="center", va="center", color=colour)
    ax_map.set_xticks(range(5), FRANKEL_GRADES)
    ax_map.set_yticks(range(5), FRANKEL_GRADES)
    ax_map.set_xlabel("after surgery")
    ax_map.set_ylabel("before surgery")
    ax_map.set_title("Shift (above diagonal = improved)")
    ax_map.spines[:].set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_vas(
    patients: pd.DataFrame,
    summary: pd.DataFrame,
    pre: str = "vas_pre",
    post: str = "vas_post",
    title: str = "",
) -> Figure:
    """VAS before and on day 7: paired lines and the distribution of the change.

    Left: one line per distinct (before, day 7) pair, its width proportional to
    the number of patients, with the means and their CIs from ``summary``
    (:func:`spinemets.outcomes.vas_summary`).  Right: patients per change
    (day 7 minus before).
    """
    df = patients[[pre, post]].apply(pd.to_numeric, errors="coerce").dropna()
    fig, (ax_pair, ax_diff) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=[1, 1.2])
    pairs = df.groupby([pre, post]).size().reset_index(name="n")
    biggest = pairs["n"].max()
    for row in pairs.itertuples(index=False):
        ax_pair.plot(
            [0, 1],
            [row[0], row[1]],
            color=PALETTE[0],
            alpha=0.35,
            linewidth=0.5 + 4 * row[2] / biggest,
            solid_capstyle="round",
        )
    s = summary.set_index("timepoint")
    for xpos, name, side in ((-0.08, "before", -1), (1.08, "day 7", 1)):
        m, lo, hi = s.loc[name, ["mean", "lower", "upper"]]
        ax_pair.errorbar(
            xpos,
            m,
            yerr=[[m - lo], [hi - m]],
            fmt="o",
            color=PALETTE[1],
            capsize=6,
            markersize=7,
            zorder=3,
        )
        ax_pair.annotate(
            f"{m:.1f} ({lo:.1f}-{hi:.1f})",
            (xpos, m),
            xytext=(side * 12, 0),
            textcoords="offset points",
            va="center",
            ha="left" if side > 0 else "right",
            color=PALETTE[1],
        )
    ax_pair.set_xticks([0, 1], ["before surgery", "day 7"])
    ax_pair.set_xlim(-0.75, 1.75)
    ax_pair.set_ylim(-0.5, 10.5)
    ax_pair.set_ylabel("VAS back pain (0-10)")
    conf = int(round(100 * float(s.loc["before", "conf_level"])))
    ax_pair.set_title(f"Paired scores; mean ({conf}% CI)")

    diff = (df[post] - df[pre]).value_counts().sort_index()
    colours = [PALETTE[2] if d < 0 else PALETTE[1] if d > 0 else "grey" for d in diff.index]
    ax_diff.bar(diff.index, diff.to_numpy(), color=colours, width=0.8)
    ax_diff.axvline(0, color="black", linewidth=0.8)
    ax_diff.set_xticks(np.arange(min(int(diff.index.min()), 0), max(int(diff.index.max()), 0) + 1))
    ax_diff.set_xlabel("change in VAS (day 7 minus before; < 0 = less pain)")
    ax_diff.set_ylabel("patients")
    ax_diff.set_title("Change per patient")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
