"""Figures of the outcomes before and after surgery: Frankel grades (Figure 1), pain
(VAS) and complications per patient.

They draw tables computed by :mod:`spinemets.study.outcomes` and
:mod:`spinemets.study.complications`, so they hold no statistics of their own. The
Frankel shift table is a seaborn heat map (seaborn's ``heatmap`` is the natural tool
for an annotated count matrix). All are deterministic (no random jitter) and return
the figure for ``RunOutput.write_figure``. Tests: ``tests/figures/test_outcomes.py``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..cohort.spec import FRANKEL_GRADES
from ..privacy import shown_count
from .style import PALETTE, titled

__all__ = ["GRADE_COLOURS", "complications_per_patient_figure", "frankel_figure", "vas_figure"]

#: Grade colours: red-ish (A) through blue-green (E), from the Okabe-Ito palette.
GRADE_COLOURS: dict[str, str] = dict(
    zip(FRANKEL_GRADES, (PALETTE[1], PALETTE[4], PALETTE[6], PALETTE[5], PALETTE[2]), strict=True)
)


def frankel_figure(
    shift: pd.DataFrame, title: str = "", cohort_label: str = "", min_cell: int = 0
) -> Figure:
    """Figure 1: grades before vs after (stacked bars) and the shift table (heat map).

    ``shift`` is :func:`spinemets.study.outcomes.frankel_shift_table`.  Cells above the
    diagonal of the heat map are patients who improved, below it who worsened. Counts
    below ``min_cell`` are written ``<min_cell`` (:func:`spinemets.privacy.shown_count`).
    Tests: tests/figures/test_outcomes.py::test_frankel_figure.
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
                    f"{grade}\n{shown_count(int(c[grade]), min_cell)}",
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

    counts = shift.reindex(index=FRANKEL_GRADES, columns=FRANKEL_GRADES)
    sns.heatmap(
        counts,
        ax=ax_map,
        annot=np.vectorize(lambda k: shown_count(int(k), min_cell))(counts.to_numpy()),
        fmt="",
        cmap="Blues",
        vmin=0,
        cbar=False,
        square=True,
        linewidths=0.5,
        linecolor="white",
    )
    ax_map.set_xlabel("after surgery")
    ax_map.set_ylabel("before surgery")
    ax_map.tick_params(axis="y", rotation=0)
    ax_map.set_title("Shift (above diagonal = improved)")
    if title:
        fig.suptitle(titled(title, cohort_label))
    fig.tight_layout()
    return fig


def vas_figure(
    patients: pd.DataFrame,
    summary: pd.DataFrame,
    pre: str = "vas_pre",
    post: str = "vas_post",
    title: str = "",
    cohort_label: str = "",
) -> Figure:
    """VAS before and on day 7: paired lines and the distribution of the change.

    Left: one line per distinct (before, day 7) pair, its width proportional to
    the number of patients, with the means and their CIs from ``summary``
    (:func:`spinemets.study.outcomes.vas_summary`).  Right: patients per change
    (day 7 minus before). Tests: tests/figures/test_outcomes.py::test_vas_figure.
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
        fig.suptitle(titled(title, cohort_label))
    fig.tight_layout()
    return fig


def complications_per_patient_figure(
    per_patient: pd.DataFrame,
    title: str = "Complications per patient",
    cohort_label: str = "",
    min_cell: int = 0,
) -> Figure:
    """Bar chart of patients by number of complications, each bar labelled with its count
    (``<min_cell`` below ``min_cell``, :func:`spinemets.privacy.shown_count`).

    ``per_patient`` is :func:`spinemets.study.complications.events_per_patient` (columns
    events, patients). Tests: tests/figures/test_outcomes.py::test_complications_figure.
    """
    fig, ax = plt.subplots(figsize=(5, 3.2))
    x, y = per_patient["events"].to_numpy(), per_patient["patients"].to_numpy()
    ax.bar(x, y, color=PALETTE[0], width=0.7)
    for xi, yi in zip(x, y, strict=True):
        ax.annotate(
            shown_count(int(yi), min_cell),
            (xi, yi),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
        )
    ax.set_xticks(x)
    ax.set_xlabel("complications per patient")
    ax.set_ylabel("patients")
    ax.set_title(titled(title, cohort_label))
    return fig
