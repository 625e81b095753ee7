"""Clinical figures: Kaplan-Meier curves with a number-at-risk table, hazard-ratio axes,
the permutation null distribution and power curves.

Figures are built here and returned; notebooks save them with
``RunOutput.write_figure`` (PNG + SVG). Every number drawn comes from
:mod:`spinemets.methods` -- the numbers at risk under the axis are
:func:`~spinemets.methods.km.survival_at`'s, the same count as the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from .errors import ParameterError
from .methods._validate import ArrayLike, as_time_event, check_groups
from .methods.km import KaplanMeier, kaplan_meier, median_survival, survival_at
from .methods.logrank import logrank_test
from .methods.permutation import PermutationResult
from .methods.power import SimulatedPower
from .methods.timefix import timefix_times
from .notebook import PALETTE
from .survival import endpoint_data

#: Width x height in inches of every Kaplan-Meier figure (a journal's 1.5 columns).
KM_FIGSIZE: tuple[float, float] = (7.0, 5.6)

#: Axis labels per endpoint of the study.
ENDPOINT_LABELS: dict[str, str] = {
    "os": "Overall survival",
    "lpfs": "Local progression-free survival",
}


@dataclass(frozen=True)
class RiskTable:
    """Numbers at risk (at t-0) per group at the x ticks, as drawn under the curves."""

    times: np.ndarray
    groups: list[str]
    counts: np.ndarray  # shape (groups, times)

    def to_frame(self) -> pd.DataFrame:
        """One row per group, one column per tick time."""
        return pd.DataFrame(self.counts, index=self.groups, columns=self.times)


def format_p(p: float) -> str:
    """A p value as printed on figures: 3 decimals, ``< 0.001`` below that."""
    if math.isnan(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


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
    """Numbers at risk at ``times`` for each curve, from :func:`survival_at`."""
    counts = np.array([survival_at(km, times).n_risk.to_numpy() for km in curves.values()])
    return RiskTable(np.asarray(times, dtype=float), list(curves), counts)


def _ticks(curves: Mapping[str, KaplanMeier], tick_step: float, xmax: float | None) -> np.ndarray:
    last = max(float(km.time[-1]) for km in curves.values())
    end = xmax if xmax is not None else tick_step * math.ceil(last / tick_step)
    return np.arange(0.0, end + tick_step / 2, tick_step)


def _draw_curve(ax: Axes, km: KaplanMeier, color: str, label: str, show_ci: bool) -> None:
    x = np.concatenate(([0.0], km.time))
    y = np.concatenate(([1.0], km.surv))
    ax.step(x, y, where="post", color=color, lw=1.8, label=label, zorder=3)
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
    if show_ci:
        # A band undefined where S = 1 (log-log) is the point 1 itself.
        lower = np.where(np.isnan(km.lower) & (km.surv == 1), 1.0, km.lower)
        upper = np.where(np.isnan(km.upper) & (km.surv == 1), 1.0, km.upper)
        ax.fill_between(
            x,
            np.concatenate(([1.0], lower)),
            np.concatenate(([1.0], upper)),
            step="post",
            color=color,
            alpha=0.15,
            lw=0,
            zorder=2,
        )


def _draw_median(ax: Axes, median: float, color: str) -> None:
    if math.isnan(median):
        return
    ax.plot([0, median], [0.5, 0.5], ls=":", lw=1, color="0.4", zorder=1)
    ax.plot([median, median], [0, 0.5], ls=":", lw=1, color=color, zorder=1)


def shown_count(count: int, min_cell: int = 0) -> str:
    """A count as drawn: ``"<min_cell"`` for 1 .. min_cell - 1 (small-cell suppression).

    The figure twin of :func:`spinemets.privacy.suppress_table`; zeros are drawn.
    """
    return f"<{min_cell}" if 0 < count < min_cell else f"{count:d}"


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


def km_plot(
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
    legend below ``min_cell`` are drawn as ``<min_cell`` (0 = off).
    Returns the Figure (pyplot-managed, so notebooks display it).
    Tests: tests/test_plots.py.
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
        raise ParameterError(f"min_cell: value {min_cell!r} — expected an integer >= 0 (0 = off)")
    curves = _curves(time, event, group, conf_type, conf_level)
    ticks = _ticks(curves, tick_step, xmax)
    table = risk_table(curves, ticks)
    names = {g: (group_labels or {}).get(g, g) for g in curves}
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(curves))]

    fig = plt.figure(figsize=figsize)
    grid = fig.add_gridspec(2, 1, height_ratios=[4.2, 0.5 + 0.32 * len(curves)], hspace=0.32)
    ax = fig.add_subplot(grid[0])
    ax_risk = fig.add_subplot(grid[1], sharex=ax)
    for (g, km), color in zip(curves.items(), colors, strict=True):
        n = shown_count(int(km.n), min_cell)
        size = f"n = {n}" if n.isdigit() else f"n {n}"
        label = f"{names[g]} ({size})" if group is not None else f"All patients ({size})"
        _draw_curve(ax, km, color, label, show_ci)
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
        notes.insert(0, f"Log-rank {format_p(p)}")
    legend = ax.legend(
        loc="best", frameon=False, fontsize=9, title="\n".join(notes) or None, alignment="left"
    )
    legend.get_title().set_fontsize(9)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    _draw_risk_table(
        ax_risk, RiskTable(table.times, [names[g] for g in curves], table.counts), colors, min_cell
    )
    ax_risk.set_xlim(ax.get_xlim())
    return fig


def km_plot_endpoint(
    patients: pd.DataFrame, endpoint: str, strata: str | None = None, **options
) -> Figure:
    """:func:`km_plot` of a study endpoint (``os``/``lpfs``), optionally by a column."""
    time, event = endpoint_data(patients, endpoint)
    group = None if strata in (None, "all") else patients[strata]
    options.setdefault("ylabel", ENDPOINT_LABELS.get(endpoint, "Survival probability"))
    return km_plot(time, event, group, **options)


# ----------------------------------------------------------------- hazard ratios, power

#: Tick positions for hazard-ratio axes (log scale, labelled as plain numbers).
HR_TICKS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 20.0)
#: Extra ticks when the axis spans less than a factor of 10.
HR_TICKS_FINE = (0.75, 1.5, 3.0)


def format_hr_axis(ax: Axes, low: float, high: float) -> None:
    """Log-scaled x axis from ``low`` to ``high`` with ticks labelled 0.5, 1, 2 (not 10^x).

    Tests: tests/test_plots.py::test_hr_axis_ticks_are_plain_numbers.
    """
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    candidates = HR_TICKS + (HR_TICKS_FINE if high / low < 10 else ())
    ticks = sorted(t for t in candidates if low <= t <= high)
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())


def permutation_plot(result: PermutationResult, title: str = "") -> Figure:
    """Histogram of the relabelled statistics, the chi-square(1) density and the observed
    statistic (the permutation p-value is the share of the histogram right of the line).
    Statistics beyond the axis end are counted in the last bar.
    Tests: tests/test_plots.py::test_permutation_plot."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    top = max(float(np.quantile(result.statistics, 0.995)), result.chisq) * 1.1
    bins = np.linspace(0, top, 41)
    ax.hist(
        np.minimum(result.statistics, top),
        bins=bins,
        density=True,
        color="C0",
        alpha=0.6,
        label=f"permutation distribution ({result.method})",
    )
    grid = np.linspace(top / 400, top, 400)
    ax.plot(grid, stats.chi2.pdf(grid, 1), color="C1", label="chi-square, 1 df")
    ax.axvline(result.chisq, color="0.1", linestyle="--", label="observed statistic")
    ax.set_ylim(0, 1.5)
    ax.set_xlabel("log-rank chi-square")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def power_curve_plot(
    hrs: np.ndarray,
    curves: dict[str, np.ndarray],
    simulated: list[SimulatedPower] | None = None,
    target_power: float | None = None,
    observed: tuple[float, float, float] | None = None,
    title: str = "",
) -> Figure:
    """Power against the hazard ratio (log axis): one line per formula in ``curves``,
    simulated rejection rates with +/- 2 Monte Carlo SE, the target power, and the
    observed hazard ratio with its confidence interval ``(hr, lower, upper)`` shaded.
    Tests: tests/test_plots.py::test_power_curve_plot."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    if observed is not None:
        hr, lower, upper = observed
        ax.axvspan(lower, upper, color="0.85", label="95% CI of the observed HR")
        ax.axvline(hr, color="0.5", linewidth=0.8)
    for k, (name, values) in enumerate(curves.items()):
        ax.plot(hrs, values, color=f"C{k}", label=name)
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
