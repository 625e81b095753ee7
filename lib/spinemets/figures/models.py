"""Figures of the Cox models: the forest plot and the scaled Schoenfeld residuals.

They draw :mod:`spinemets.study.models`' tables and fits (term labels from there); the
hazard-ratio axis is :func:`spinemets.figures.style.format_hr_axis`.
Tests: ``tests/figures/test_models.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..methods.cox import CoxFit
from ..methods.cox_zph import cox_zph
from ..study.models import TERM_LABELS
from .style import colour, format_hr_axis, titled

__all__ = ["forest_figure", "zph_figure"]


def forest_figure(table: pd.DataFrame, title: str = "", cohort_label: str = "") -> Figure:
    """Hazard ratios with confidence intervals on a log axis, one marker per model.

    ``table`` is :func:`spinemets.study.models.model_table` (one or several models
    stacked). Tests: tests/figures/test_models.py::test_forest_figure.
    """
    models = list(dict.fromkeys(table["model"]))
    terms = list(dict.fromkeys(table["term"]))
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(terms) + 1.4))
    offsets = np.linspace(-0.18, 0.18, len(models)) if len(models) > 1 else [0.0]
    markers = ["o", "s", "D", "^"]
    for k, (model, offset) in enumerate(zip(models, offsets, strict=True)):
        sub = table[table["model"] == model]
        y = np.array([len(terms) - 1 - terms.index(t) for t in sub["term"]]) + offset
        ax.errorbar(
            sub["hr"],
            y,
            xerr=[sub["hr"] - sub["lower"], sub["upper"] - sub["hr"]],
            fmt=markers[k % len(markers)],
            color=colour(k),
            capsize=3,
            label=f"model: {model}",
        )
    ax.axvline(1.0, color="0.4", linewidth=0.8, linestyle="--")
    lo, hi = float(table["lower"].min()), float(table["upper"].max())
    format_hr_axis(ax, min(lo, 1.0) / 1.2, max(hi, 1.0) * 1.2)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([TERM_LABELS.get(t, t) for t in reversed(terms)])
    ax.set_xlabel("hazard ratio (log scale), 95% CI; < 1 = lower hazard of death")
    if title:
        ax.set_title(titled(title, cohort_label))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


#: Above this many points a scatter is rasterised in vector files.
RASTER_POINTS = 2000


def zph_figure(fit: CoxFit, terms: Sequence[str] | None = None, transform: str = "km") -> Figure:
    """Scaled Schoenfeld residuals against transformed time, one panel per term, as R
    ``plot(cox.zph(fit, transform))`` (:func:`spinemets.methods.cox_zph.cox_zph`): the
    points scatter around beta(t); means of fifths of the events that stay near the
    fitted (constant) beta are what proportional hazards look like. The dotted line is 0
    (no effect). Tests: tests/figures/test_models.py::test_zph_figure_has_one_panel_per_term.
    """
    zph = cox_zph(fit, transform)
    terms = list(terms or zph.residuals.columns)
    fig, axes = plt.subplots(1, len(terms), figsize=(3.2 * len(terms), 3.2), squeeze=False)
    edges = np.quantile(zph.x, np.linspace(0, 1, 6))
    bins = np.clip(np.searchsorted(edges, zph.x, side="right") - 1, 0, 4)
    for ax, term in zip(axes[0], terms, strict=True):
        y = zph.residuals[term].to_numpy()
        # thousands of points: drawn as one image in the SVG (not one path per point)
        ax.scatter(zph.x, y, s=8, color=colour(0), alpha=0.6, rasterized=len(y) > RASTER_POINTS)
        centres = [zph.x[bins == b].mean() for b in range(5) if np.any(bins == b)]
        means = [y[bins == b].mean() for b in range(5) if np.any(bins == b)]
        ax.plot(centres, means, color=colour(1), marker="o", label="mean of each fifth")
        j = list(zph.residuals.columns).index(term)
        ax.axhline(zph.coef[j], color="0.3", linewidth=0.8, linestyle="--", label="fitted beta")
        ax.axhline(0.0, color="0.6", linewidth=0.7, linestyle=":")
        ax.set_title(TERM_LABELS.get(term, term), fontsize=8)
        ax.set_xlabel(f"time ({zph.transform} scale)")
    axes[0][0].set_ylabel("beta(t): scaled Schoenfeld residual")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig
