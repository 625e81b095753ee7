"""Kaplan-Meier figures with a number-at-risk table, and the one step-and-band drawer.

:func:`draw_step_band` draws every step curve of the package with its shaded
confidence band (Kaplan-Meier here and in the landmark and calibration figures, the
cumulative incidence of :mod:`spinemets.figures.cmprsk`). :func:`km_figure` is the
clinical figure as R's survminer draws it: curves, censor ticks, band, log-rank p and
the numbers at risk under the axis -- :func:`~spinemets.methods.km.survival_at`'s
count, the same as the tables'. Tests: ``tests/figures/test_km.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import ParameterError
from ..formatting import format_p
from ..methods._validate import ArrayLike, as_time_event, check_groups
from ..methods.km import KaplanMeier, kaplan_meier, median_survival, survival_at
from ..methods.logrank import logrank_test
from ..methods.timefix import timefix_times
from ..privacy import shown_count
from ..study.endpoints import endpoint, endpoint_data
from .style import colour, titled

__all__ = [
    "KM_FIGSIZE",
    "RiskTable",
    "draw_km",
    "draw_step_band",
    "km_endpoint_figure",
    "km_figure",
    "risk_table",
]

#: Width x height in inches of every Kaplan-Meier figure (a journal's 1.5 columns).
KM_FIGSIZE: tuple[float, float] = (7.0, 5.6)
#: Opacity of every confidence band.
BAND_ALPHA = 0.15


@dataclass(frozen=True)
class RiskTable:
    """Numbers at risk (at t-0) per group at the x ticks, as drawn under the curves."""

    times: np.ndarray
    groups: list[str]
    counts: np.ndarray  # shape (groups, times)

    def to_frame(self) -> pd.DataFrame:
        """One row per group, one column per tick time."""
        return pd.DataFrame(self.counts, index=self.groups, columns=self.times)


def draw_step_band(
    ax: Axes,
    time: ArrayLike,
    estimate: ArrayLike,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    *,
    start: float | None = None,
    end: float | None = None,
    color: str,
    label: str | None = None,
    ls: str = "-",
    lw: float = 1.8,
    band_alpha: float = BAND_ALPHA,
) -> None:
    """Draw a right-continuous step curve and, when ``lower``/``upper`` are given, its band.

    ``time``/``estimate`` are the curve's values from each time on (R's survfit rows).
    ``start`` prepends the value at time 0 (1 for survival, 0 for a cumulative
    incidence) when the rows do not begin there; ``end`` extends the last step to that
    time. A band limit that is undefined (NaN) where the curve still equals its
    ``start`` value is drawn as that value (e.g. the log-log band at S = 1); elsewhere a
    NaN leaves a gap. Tests: tests/figures/test_km.py::test_step_and_band.
    """
    x = np.asarray(time, dtype=float)
    y = np.asarray(estimate, dtype=float)
    bands = None
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if start is not None:
            at_start = y == start
            lo = np.where(np.isnan(lo) & at_start, start, lo)
            hi = np.where(np.isnan(hi) & at_start, start, hi)
        bands = (lo, hi)
    if start is not None:
        x, y = np.r_[0.0, x], np.r_[start, y]
        if bands is not None:
            bands = (np.r_[start, bands[0]], np.r_[start, bands[1]])
    if end is not None and end > x[-1]:
        x, y = np.r_[x, end], np.r_[y, y[-1]]
        if bands is not None:
            bands = (np.r_[bands[0], bands[0][-1]], np.r_[bands[1], bands[1][-1]])
    ax.step(x, y, where="post", color=color, lw=lw, ls=ls, label=label, zorder=3)
    if bands is not None:
        ax.fill_between(
            x, bands[0], bands[1], step="post", color=color, alpha=band_alpha, lw=0, zorder=2
        )


def draw_km(
    ax: Axes,
    km: KaplanMeier,
    color: str,
    label: str | None = None,
    *,
    show_ci: bool = True,
    censor_ticks: bool = True,
) -> None:
    """A Kaplan-Meier curve on ``ax``: :func:`draw_step_band` from S(0) = 1 and, with
    ``censor_ticks``, ``|`` at the censoring times.
    Tests: tests/figures/test_km.py::test_step_and_band.
    """
    bands = (km.lower, km.upper) if show_ci else (None, None)
    draw_step_band(ax, km.time, km.surv, *bands, start=1.0, color=color, label=label)
    if censor_ticks:
        censored = km.n_censor > 0
        ax.plot(
            km.time[censored],
            km.surv[censored],
            ls="none",
            marker="|",
            ms=7,
            mew=1.2,
            color=color,
            zorder=4,
        )


def _curves(
    time: ArrayLike, event: ArrayLike, group: ArrayLike | None, conf_type: str, conf_level: float
) -> dict[str, KaplanMeier]:
    t, e = as_time_event(time, event)
    t = timefix_times(t)  # once for all groups, as R's survfit(Surv(...) ~ group)
    if group is None:
        return {"all": kaplan_meier(t, e, conf_type, conf_level, timefix=False)}
    labels, codes = check_groups(group, t.size)
    return {
        str(label): kaplan_meier(t[codes == i], e[codes == i], conf_type, conf_level, False)
        for i, label in enumerate(labels)
    }


def risk_table(curves: Mapping[str, KaplanMeier], times: Sequence[float]) -> RiskTable:
    """Numbers at risk at ``times`` for each curve, from :func:`survival_at`.

    Tests: tests/figures/test_km.py::test_risk_table_counts_follow_up_at_least_t.
    """
    counts = np.array([survival_at(km, times).n_risk.to_numpy() for km in curves.values()])
    return RiskTable(np.asarray(times, dtype=float), list(curves), counts)


def _ticks(curves: Mapping[str, KaplanMeier], tick_step: float, xmax: float | None) -> np.ndarray:
    last = max(float(km.time[-1]) for km in curves.values())
    end = xmax if xmax is not None else tick_step * math.ceil(last / tick_step)
    return np.arange(0.0, end + tick_step / 2, tick_step)


def _draw_median(ax: Axes, median: float, color: str) -> None:
    if math.isnan(median):
        return
    ax.plot([0, median], [0.5, 0.5], ls=":", lw=1, color="0.4", zorder=1)
    ax.plot([median, median], [0, 0.5], ls=":", lw=1, color=color, zorder=1)


def _draw_risk_table(ax: Axes, table: RiskTable, colors: Sequence[str], min_cell: int = 0) -> None:
    k = len(table.groups)
    for row, counts in enumerate(table.counts):
        y = k - 1 - row
        for x, count in zip(table.times, counts, strict=True):
            text = shown_count(int(count), min_cell)
            ax.text(x, y, text, ha="center", va="center", fontsize=9, color=colors[row])
    ax.set_ylim(-0.6, k - 0.4)
    ax.set_yticks(range(k))
    ax.set_yticklabels(list(reversed(table.groups)), fontsize=9)
    for tick, color in zip(ax.get_yticklabels(), reversed(colors[:k]), strict=True):
        tick.set_color(color)
    ax.tick_params(axis="both", length=0)
    ax.tick_params(axis="y", pad=16)
    ax.tick_params(axis="x", labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title("Number at risk", loc="left", fontsize=9, pad=4)


def km_figure(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    conf_type: str = "log",
    conf_level: float = 0.95,
    tick_step: float = 12,
    xmax: float | None = None,
    show_ci: bool = True,
    show_median: bool = False,
    show_pvalue: bool = True,
    title: str | None = None,
    cohort_label: str = "",
    xlabel: str = "Months since spinal surgery",
    ylabel: str = "Survival probability",
    group_labels: Mapping[str, str] | None = None,
    figsize: tuple[float, float] = KM_FIGSIZE,
    min_cell: int = 0,
) -> Figure:
    """Kaplan-Meier figure with CI bands, censor ticks, log-rank p and a risk table.

    One step curve per group (sorted labels, Okabe-Ito colours), ``|`` at censoring
    times, the pointwise ``conf_type`` band shaded, the log-rank p (R survdiff) when
    there are 2+ groups, optional dotted median lines, and under the axis the number
    at risk at each x tick (t-0, :func:`survival_at`, as R's summary.survfit counts).
    Ticks every ``tick_step`` months up to ``xmax`` (default: the last follow-up
    rounded up). With ``min_cell`` > 1, numbers at risk and group sizes in the
    legend below ``min_cell`` are drawn as ``<min_cell`` (0 = off). The title ends with
    ``cohort_label`` (:func:`~spinemets.figures.style.titled`).
    Returns the Figure (pyplot-managed, so notebooks display it).
    Tests: tests/figures/test_km.py.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise ParameterError(f"min_cell: value {min_cell!r} — expected an integer >= 0 (0 = off)")
    curves = _curves(time, event, group, conf_type, conf_level)
    ticks = _ticks(curves, tick_step, xmax)
    table = risk_table(curves, ticks)
    names = {g: (group_labels or {}).get(g, g) for g in curves}
    colors = [colour(i) for i in range(len(curves))]

    fig = plt.figure(figsize=figsize)
    grid = fig.add_gridspec(2, 1, height_ratios=[4.2, 0.5 + 0.32 * len(curves)], hspace=0.32)
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    for (g, km), color in zip(curves.items(), colors, strict=True):
        n = shown_count(int(km.n), min_cell)
        size = f"n = {n}" if n.isdigit() else f"n {n}"
        label = f"{names[g]} ({size})" if group is not None else f"All patients ({size})"
        draw_km(ax, km, color, label, show_ci=show_ci)
        if show_median:
            _draw_median(ax, median_survival(km).median, color)
    ax.set_xlim(0, ticks[-1])
    ax.set_xticks(ticks)
    ax.set_ylim(0, 1.02)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.margins(x=0)
    notes = [f"Shaded: {conf_level:.0%} CI ({conf_type})"] if show_ci else []
    if show_pvalue and len(curves) > 1:
        p = logrank_test(*as_time_event(time, event), np.asarray(group, dtype=object)).p
        notes.insert(0, f"Log-rank {format_p(p, prefix=True)}")
    legend = ax.legend(
        loc="best", frameon=False, fontsize=9, title="\n".join(notes) or None, alignment="left"
    )
    legend.get_title().set_fontsize(9)
    if title:
        ax.set_title(titled(title, cohort_label), loc="left", fontsize=11)
    _draw_risk_table(
        ax_risk, RiskTable(table.times, [names[g] for g in curves], table.counts), colors, min_cell
    )
    ax_risk.set_xlim(ax.get_xlim())
    return fig


def km_endpoint_figure(
    patients: pd.DataFrame, name: str, strata: str | None = None, **options: object
) -> Figure:
    """:func:`km_figure` of a study endpoint (``os``/``lpfs``), optionally by a column;
    the y axis is labelled with the endpoint's name (:data:`spinemets.cohort.spec.ENDPOINTS`).
    Tests: tests/figures/test_km.py::test_figure_draws_risk_table_and_p.
    """
    time, event = endpoint_data(patients, name)
    group = None if strata in (None, "all") else patients[strata]
    options.setdefault("ylabel", endpoint(name).label)
    return km_figure(time, event, group, **options)  # type: ignore[arg-type]
