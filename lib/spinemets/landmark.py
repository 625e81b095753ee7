"""Immortal time: landmark analyses, time-dependent Cox and a teaching simulation.

Patients grouped by a therapy that *starts after* surgery are not comparable from
surgery onwards: to be counted as "treated" a patient had to live until the start, so
the treated group is credited with survival time it could not have lost ("immortal
time"). Two standard remedies, both here:

* landmark analysis (:func:`landmark_data`, :func:`landmark_analyses`): keep patients
  alive at a landmark time L, classify them by the therapy started by L, and restart the
  clock at L;
* a Cox model with the therapy as a time-dependent covariate (:func:`tmerge_counting`
  builds the (start, stop] rows with :func:`spinemets.methods.tmerge.tmerge`, as
  ``survival::tmerge``; the one Cox engine :func:`spinemets.methods.cox.coxph` fits
  them, as ``survival::coxph``).

:func:`assumed_adjuvant_start` supplies *assumed* therapy start times when a cohort has
none, and :func:`simulate_immortal_time` shows the bias on data where therapy does
nothing. Checked against R by ``tests/test_landmark.py`` (fixtures from
``tests/fixtures/r_landmark.R``).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .errors import SpinemetsError
from .methods.cox import CoxConvergenceError, coxph
from .methods.km import kaplan_meier
from .methods.logrank import logrank_test
from .methods.tmerge import counting_origin, tmerge
from .notebook import PALETTE

__all__ = [
    "DEFAULT_SEED",
    "assumed_adjuvant_start",
    "landmark_analyses",
    "landmark_data",
    "plot_landmarks",
    "plot_simulation",
    "simulate_immortal_time",
    "time_dependent_cox",
    "tmerge_counting",
]

#: The seed of every random draw in this module unless the caller gives another.
DEFAULT_SEED = 20201982
#: Column holding months from surgery to the start of adjuvant therapy (empty = never).
START_COL = "adjuvant_start_months"


# ----------------------------------------------------------- therapy start times


def assumed_adjuvant_start(
    patients: pd.DataFrame,
    seed: int = DEFAULT_SEED,
    targeted_window: tuple[float, float] = (1.0, 4.0),
    cytokine_window: tuple[float, float] = (0.5, 2.0),
) -> pd.Series:
    """ASSUMED months from surgery to the start of adjuvant therapy (not published data).

    Each patient's start is drawn uniformly in the window of their therapy (targeted
    1-4 months, cytokine 0.5-2 months by default). A patient not alive at the drawn
    time (os_months <= start) must still have started, since the cohort says they
    received the therapy: their start is drawn uniformly in 25-75 % of their
    follow-up instead. Rounded to 0.01 month; a start that rounds to 0 or to the end
    of follow-up is left empty (never started). Deterministic for a given ``seed``.
    Tested by tests/test_landmark.py::test_assumed_adjuvant_start.
    """
    for col in ("adjuvant_therapy", "os_months"):
        if col not in patients.columns:
            raise SpinemetsError(f"patients table: missing column {col}")
    rng = np.random.default_rng(seed)
    n = len(patients)
    therapy = patients["adjuvant_therapy"].astype(str).str.lower().to_numpy()
    os_m = patients["os_months"].to_numpy(dtype=np.float64)
    u = rng.uniform(size=n)
    v = rng.uniform(0.25, 0.75, size=n)
    lo = np.where(therapy == "targeted", targeted_window[0], cytokine_window[0])
    hi = np.where(therapy == "targeted", targeted_window[1], cytokine_window[1])
    start = lo + u * (hi - lo)
    start = np.where(start < os_m, start, v * os_m)
    start = np.round(start, 2)
    start = np.where((start > 0) & (start < os_m), start, np.nan)
    return pd.Series(start, index=patients.index, name=START_COL)


def _treated_start(
    patients: pd.DataFrame, start_col: str, therapy_col: str, treated_value: str
) -> np.ndarray:
    """Start time of the therapy of interest; NaN for patients who never had it."""
    for col in (start_col, therapy_col):
        if col not in patients.columns:
            raise SpinemetsError(f"patients table: missing column {col}")
    start = pd.to_numeric(patients[start_col], errors="coerce").to_numpy(dtype=np.float64)
    is_t = patients[therapy_col].astype(str).str.lower().to_numpy() == treated_value
    return np.where(is_t, start, np.nan)


# ------------------------------------------------------------- landmark analyses


def landmark_data(
    patients: pd.DataFrame,
    landmark: float,
    time_col: str = "os_months",
    event_col: str = "death",
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = "targeted",
) -> pd.DataFrame:
    """Patients still at risk after ``landmark`` (time > L), clock reset to time - L.

    ``treated`` is 1 when the therapy of interest started at or before L (start <= L),
    else 0 (other therapy, or started later). Columns: time, event, treated; the index
    is kept. Matches the subset, grouping and times of ``tests/fixtures/r_landmark.R``.
    Tests: tests/test_landmark.py::test_landmark_km_matches_r and
    ::test_landmark_data_resets_the_clock.
    """
    start = _treated_start(patients, start_col, therapy_col, treated_value)
    t = patients[time_col].to_numpy(dtype=np.float64)
    keep = t > landmark
    treated = (~np.isnan(start) & (start <= landmark)).astype(np.int64)
    return pd.DataFrame(
        {
            "time": t[keep] - landmark,
            "event": patients[event_col].to_numpy(dtype=np.int64)[keep],
            "treated": treated[keep],
        },
        index=patients.index[keep],
    )


def landmark_analyses(
    patients: pd.DataFrame,
    landmarks: Sequence[float] = (1, 3, 6),
    conf_level: float = 0.95,
    **columns: str,
) -> pd.DataFrame:
    """One row per landmark: numbers at risk and events by group, log-rank test
    (:func:`spinemets.methods.logrank.logrank_test`, R survdiff) and Cox HR treated vs
    not (Efron ties, R coxph default) with its Wald CI and p. ``columns`` are passed to
    :func:`landmark_data`. A landmark leaving fewer than two groups gets empty test
    columns; one where the Cox model has no finite estimate (a group without deaths)
    gets an empty HR and says why in ``note``.
    Tests: tests/test_landmark.py::test_landmark_matches_r.
    """
    rows = []
    for lm in landmarks:
        d = landmark_data(patients, lm, **columns)
        row = {
            "landmark": float(lm),
            "n": len(d),
            "n_treated": int(d["treated"].sum()),
            "events_treated": int(d.loc[d["treated"] == 1, "event"].sum()),
            "n_untreated": int((d["treated"] == 0).sum()),
            "events_untreated": int(d.loc[d["treated"] == 0, "event"].sum()),
            "logrank_chisq": np.nan,
            "logrank_p": np.nan,
            "hr": np.nan,
            "hr_lower": np.nan,
            "hr_upper": np.nan,
            "hr_p": np.nan,
            "conf_level": conf_level,
            "note": "",
        }
        if d["treated"].nunique() < 2 or d["event"].sum() == 0:
            row["note"] = "fewer than two groups, or no deaths: no comparison"
        else:
            lr = logrank_test(d["time"], d["event"], d["treated"])
            row.update(logrank_chisq=lr.chisq, logrank_p=lr.p)
            try:
                fit = coxph(d["time"], d["event"], d[["treated"]], ties="efron")
            except CoxConvergenceError as error:
                row["note"] = f"no hazard ratio: {error}"
            else:
                tab = fit.table(conf_level).iloc[0]
                row.update(
                    hr=tab["hr"], hr_lower=tab["lower"], hr_upper=tab["upper"], hr_p=tab["p"]
                )
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------- time-dependent Cox


def tmerge_counting(
    patients: pd.DataFrame,
    time_col: str = "os_months",
    event_col: str = "death",
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = "targeted",
) -> pd.DataFrame:
    """Counting-process rows with ``treated`` as a time-dependent covariate.

    :func:`spinemets.methods.tmerge.tmerge` with the start of the therapy of interest
    (R ``tmerge(base, data, id, death = event(time, event), treated = tdc(start))``):
    a patient whose therapy started at s with 0 < s < time gets rows (o, s] untreated
    and (s, time] treated, the event on the last row; a start at or after the end of
    follow-up (or never) leaves one untreated row; a start <= 0, one treated row. The
    origin o is :func:`~spinemets.methods.tmerge.counting_origin` (0 unless some
    follow-up is 0: R's tmerge refuses those, we keep them as R's finegray and coxph
    do). Columns: row (position in ``patients``), tstart, tstop, event, treated.
    Tests: tests/test_landmark.py::test_tmerge_rows_match_r.
    """
    start = _treated_start(patients, start_col, therapy_col, treated_value)
    t = patients[time_col].to_numpy(dtype=np.float64)
    if (t < 0).any():
        i = int(np.flatnonzero(t < 0)[0])
        raise SpinemetsError(
            f"patients table, row {patients.index[i]!r}, column {time_col}: value {t[i]:g}; "
            "expected follow-up >= 0"
        )
    ev = patients[event_col].to_numpy(dtype=np.int64)
    return tmerge(t, ev, {"treated": start}, origin=counting_origin(t))


def time_dependent_cox(
    patients: pd.DataFrame,
    conf_level: float = 0.95,
    time_col: str = "os_months",
    event_col: str = "death",
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = "targeted",
) -> pd.DataFrame:
    """The naive Cox model (therapy fixed at surgery) beside the time-dependent one.

    Rows: model ``naive`` (treated = ever received the therapy, from time 0) and
    ``time_dependent`` (treated from its start, :func:`tmerge_counting`), both Efron
    ties as R's coxph default. Columns: model, term, n_patients, n_rows, events, coef,
    hr, se, lower, upper, p, conf_level.
    Tests: tests/test_landmark.py::test_time_dependent_table_matches_r.
    """
    t = patients[time_col].to_numpy(dtype=np.float64)
    ev = patients[event_col].to_numpy(dtype=np.int64)
    ever = (patients[therapy_col].astype(str).str.lower() == treated_value).to_numpy(int)
    origin = np.full(t.size, counting_origin(t))
    naive = coxph(t, ev, ever, start=origin, names=("treated",))
    td_rows = tmerge_counting(patients, time_col, event_col, start_col, therapy_col, treated_value)
    td = coxph(td_rows["tstop"], td_rows["event"], td_rows[["treated"]], start=td_rows["tstart"])
    out = []
    for name, fit, nrows in (("naive", naive, t.size), ("time_dependent", td, len(td_rows))):
        tab = fit.table(conf_level).drop(columns=["z", "se_type"])
        tab.insert(0, "model", name)
        tab.insert(2, "n_patients", t.size)
        tab.insert(3, "n_rows", nrows)
        tab.insert(4, "events", fit.events)
        tab["conf_level"] = conf_level
        out.append(tab)
    return pd.concat(out, ignore_index=True)


# ------------------------------------------------------------------- simulation


def simulate_immortal_time(
    n_patients: int = 200,
    n_simulations: int = 100,
    seed: int = DEFAULT_SEED,
    median_survival: float = 20.0,
    share_treated: float = 0.4,
    start_window: tuple[float, float] = (1.0, 4.0),
    follow_up: float = 60.0,
    landmark: float = 4.0,
) -> pd.DataFrame:
    """Therapy that does nothing, analysed three ways, ``n_simulations`` times.

    Survival is exponential with ``median_survival`` months for everybody,
    administratively censored at ``follow_up``. A share of patients is *meant* to get the
    therapy, starting uniformly in ``start_window`` months; those who die first never
    start and land in the untreated group. The true hazard ratio is 1. Per simulation:
    the naive HR (treated = ever started), the time-dependent HR and the landmark HR
    (at ``landmark`` months). Columns: simulation, naive_hr, time_dependent_hr,
    landmark_hr, share_immortal (treated patients' time before start, share of their
    follow-up). A model without a finite estimate in one simulated study (possible with
    few patients: a group without deaths) gives NaN for that hazard ratio, never the
    last iterate. Fast (about a second for 100 x 200). Tested by
    tests/test_landmark.py::test_simulation_shows_bias.
    """
    rng = np.random.default_rng(seed)
    rate = np.log(2) / median_survival
    rows = []
    for sim in range(n_simulations):
        death = rng.exponential(1 / rate, n_patients)
        time = np.minimum(death, follow_up)
        event = (death <= follow_up).astype(np.int64)
        meant = rng.uniform(size=n_patients) < share_treated
        start = rng.uniform(*start_window, size=n_patients)
        started = meant & (start < time)
        # counting-process rows: (0, start] untreated, (start, time] treated
        split = tmerge(time, event, {"treated": np.where(started, start, np.nan)})
        at_lm = time > landmark
        rows.append(
            {
                "simulation": sim + 1,
                "naive_hr": _hazard_ratio(time, event, started.astype(float)),
                "time_dependent_hr": _hazard_ratio(
                    split["tstop"], split["event"], split["treated"], start=split["tstart"]
                ),
                "landmark_hr": _hazard_ratio(
                    time[at_lm] - landmark, event[at_lm], started[at_lm].astype(float)
                ),
                "share_immortal": (
                    float(start[started].sum() / time[started].sum()) if started.any() else np.nan
                ),
            }
        )
    return pd.DataFrame(rows)


def _hazard_ratio(time: object, event: object, x: object, **options: object) -> float:
    """exp(coef) of a one-covariate Cox model; NaN when it has no finite estimate."""
    try:
        return float(np.exp(coxph(time, event, x, **options).coef[0]))  # type: ignore[arg-type]
    except CoxConvergenceError:
        return float("nan")


# ------------------------------------------------------------------------ figures


def plot_landmarks(
    patients: pd.DataFrame,
    landmarks: Sequence[float],
    conf_level: float = 0.95,
    treated_label: str = "targeted started by landmark",
    untreated_label: str = "not (yet) on targeted",
    **columns: str,
) -> object:
    """One Kaplan-Meier panel per landmark (clock reset at the landmark), treated vs
    not, with the log-rank p; returns the matplotlib Figure.
    Tests: tests/test_landmark.py::test_plots_draw (smoke test)."""
    fig, axes = plt.subplots(
        1, len(landmarks), figsize=(4.2 * len(landmarks), 3.8), sharey=True, squeeze=False
    )
    for ax, lm in zip(axes[0], landmarks, strict=True):
        d = landmark_data(patients, lm, **columns)
        for treated, label, color in (
            (1, treated_label, PALETTE[0]),
            (0, untreated_label, PALETTE[1]),
        ):
            g = d[d["treated"] == treated]
            if len(g) == 0:
                continue
            km = kaplan_meier(g["time"], g["event"], conf_level=conf_level)
            ax.step(
                np.r_[0, km.time],
                np.r_[1, km.surv],
                where="post",
                color=color,
                label=f"{label} (n = {len(g)})",
            )
            ax.fill_between(
                np.r_[0, km.time],
                np.r_[1, km.lower],
                np.r_[1, km.upper],
                step="post",
                color=color,
                alpha=0.12,
                lw=0,
            )
        note = "one group only: no comparison"
        if d["treated"].nunique() == 2:
            note = f"log-rank p = {logrank_test(d['time'], d['event'], d['treated']).p:.3g}"
        ax.set_title(f"Landmark {lm:g} months ({note})", loc="left", fontsize=10)
        ax.set_xlabel(f"Months after the landmark ({lm:g} months)")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.grid(axis="y", color="0.9", lw=0.6)
        ax.legend(loc="upper right", frameon=False, fontsize=8)
    axes[0][0].set_ylabel("Overall survival from the landmark")
    fig.tight_layout()
    return fig


def plot_simulation(sim: pd.DataFrame) -> object:
    """Histograms of the hazard ratios of :func:`simulate_immortal_time` (log scale),
    one colour per method, with the true value 1 marked; returns the Figure.
    Tests: tests/test_landmark.py::test_plots_draw (smoke test)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bins = np.linspace(np.log(0.4), np.log(2.5), 43)
    methods = (
        ("naive_hr", "naive: treated = ever started"),
        ("time_dependent_hr", "time-dependent Cox"),
        ("landmark_hr", "landmark"),
    )
    for (col, label), color in zip(methods, PALETTE, strict=False):
        ax.hist(np.log(sim[col]), bins=bins, histtype="step", lw=1.6, color=color, label=label)
    ax.axvline(0.0, color="0.2", ls=":", lw=1)
    ticks = [0.5, 0.75, 1, 1.5, 2]
    ax.set_xticks(np.log(ticks), [f"{t:g}" for t in ticks])
    ax.set_xlabel("Estimated hazard ratio, treated vs untreated (true value 1)")
    ax.set_ylabel("Simulated studies")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
