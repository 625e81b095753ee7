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
none (:func:`adjuvant_starts` uses the cohort's own column when it has one);
:func:`tipping_point_table` shows how the time-dependent hazard ratio moves with that
assumption (later starts, second-line switching); :func:`person_time_table` shows where
each analysis counts the follow-up; and
:func:`simulate_immortal_time` shows the bias on data where therapy does nothing
(:func:`simulation_summary` sums it up). The figures are in
:mod:`spinemets.figures.immortal_time`. Checked against R by
``tests/study/test_immortal_time.py`` (fixtures from ``tests/fixtures/r_landmark.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..cohort.spec import ENDPOINTS, THERAPIES
from ..errors import SpinemetsError
from ..methods.cox import CoxConvergenceError, coxph
from ..methods.logrank import logrank_test
from ..methods.tmerge import counting_origin, tmerge

__all__ = [
    "DEFAULT_SEED",
    "SECOND_LINE_COL",
    "TIPPING_WINDOWS",
    "START_COL",
    "SIMULATED_METHODS",
    "AdjuvantStarts",
    "adjuvant_starts",
    "assumed_adjuvant_start",
    "counting_rows_example",
    "counting_rows_summary",
    "landmark_analyses",
    "landmark_data",
    "person_time_table",
    "simulate_immortal_time",
    "simulation_summary",
    "start_summary",
    "time_dependent_cox",
    "time_dependent_design",
    "tipping_point_table",
    "tmerge_counting",
]

#: The seed of every random draw in this module unless the caller gives another.
DEFAULT_SEED = 20201982
#: Column holding months from surgery to the start of adjuvant therapy (empty = never).
START_COL = "adjuvant_start_months"
#: The therapy that starts after surgery and whose benefit is in question.
TREATED = THERAPIES[0]
#: Targeted-therapy start windows (months) of the tipping-point table: the assumed
#: 1-4 months, then ever longer delays.
TIPPING_WINDOWS: tuple[tuple[float, float], ...] = ((1, 4), (1, 8), (1, 12), (1, 18), (1, 24))
#: Column marking the patients who received the targeted therapy at any time (first line
#: or second line after cytokines) in :func:`tipping_point_table`.
SECOND_LINE_COL = "targeted_ever"
#: The hazard ratios of :func:`simulate_immortal_time`: column -> (method, label).
SIMULATED_METHODS: dict[str, tuple[str, str]] = {
    "naive_hr": ("naive", "naive: treated = ever started"),
    "time_dependent_hr": ("time_dependent", "time-dependent Cox"),
    "landmark_hr": ("landmark", "landmark"),
}


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
    Tested by tests/study/test_immortal_time.py::test_assumed_adjuvant_start.
    """
    start, _ = _drawn_starts(patients, seed, targeted_window, cytokine_window)
    return pd.Series(start, index=patients.index, name=START_COL)


def _drawn_starts(
    patients: pd.DataFrame,
    seed: int,
    targeted_window: tuple[float, float],
    cytokine_window: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """The starts of :func:`assumed_adjuvant_start` and which of them were forced
    (drawn in 25-75 % of follow-up because the patient was not alive at the first draw)."""
    for col in ("adjuvant_therapy", "os_months"):
        if col not in patients.columns:
            raise SpinemetsError(f"patients table: missing column {col}")
    rng = np.random.default_rng(seed)
    n = len(patients)
    therapy = patients["adjuvant_therapy"].astype(str).str.lower().to_numpy()
    os_m = patients["os_months"].to_numpy(dtype=np.float64)
    u = rng.uniform(size=n)
    v = rng.uniform(0.25, 0.75, size=n)
    lo = np.where(therapy == TREATED, targeted_window[0], cytokine_window[0])
    hi = np.where(therapy == TREATED, targeted_window[1], cytokine_window[1])
    start = lo + u * (hi - lo)
    forced = start >= os_m
    start = np.where(forced, v * os_m, start)
    start = np.round(start, 2)
    start = np.where((start > 0) & (start < os_m), start, np.nan)
    return start, forced


class AdjuvantStarts(NamedTuple):
    """The patients with a therapy start column, and where the start times came from."""

    patients: pd.DataFrame
    assumed: bool
    source: str


def adjuvant_starts(patients: pd.DataFrame, seed: int = DEFAULT_SEED) -> AdjuvantStarts:
    """The cohort with :data:`START_COL`: its own values when it has any, else ASSUMED ones.

    A copy of ``patients``; when the column is missing or empty,
    :func:`assumed_adjuvant_start` (``seed``) fills it and ``assumed`` is True.
    ``source`` says which, in a sentence for readers.
    Tests: tests/study/test_immortal_time.py::test_adjuvant_starts.
    """
    out = patients.copy()
    own = START_COL in out.columns and pd.to_numeric(out[START_COL], errors="coerce").notna().any()
    if own:
        return AdjuvantStarts(out, False, f"the cohort's own column {START_COL}")
    out[START_COL] = assumed_adjuvant_start(out, seed=seed)
    source = (
        f"ASSUMED start times from spinemets.study.immortal_time.assumed_adjuvant_start"
        f"(seed={seed}) -- an assumption, not published data"
    )
    return AdjuvantStarts(out, True, source)


def start_summary(starts: AdjuvantStarts) -> pd.DataFrame:
    """Per therapy: patients, how many started, and min / median / max start (months).

    Columns: adjuvant_therapy, n, started, min, median, max, source (``cohort`` or
    ``assumed``). Tests: tests/study/test_immortal_time.py::test_adjuvant_starts.
    """
    patients = starts.patients
    start = pd.to_numeric(patients[START_COL], errors="coerce").rename("start")
    table = (
        pd.concat([patients["adjuvant_therapy"], start], axis=1)
        .groupby("adjuvant_therapy")["start"]
        .agg(n="size", started="count", min="min", median="median", max="max")
        .reset_index()
    )
    table["source"] = "assumed" if starts.assumed else "cohort"
    return table


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
    time_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = TREATED,
) -> pd.DataFrame:
    """Patients still at risk after ``landmark`` (time > L), clock reset to time - L.

    ``treated`` is 1 when the therapy of interest started at or before L (start <= L),
    else 0 (other therapy, or started later). Columns: time, event, treated; the index
    is kept. Matches the subset, grouping and times of ``tests/fixtures/r_landmark.R``.
    Tests: tests/study/test_immortal_time.py::test_landmark_km_matches_r and
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


#: Fewer patients than this in a landmark group: the estimate is shown but flagged.
UNSTABLE_GROUP = 5


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
    gets an empty HR and says why in ``note``; one where a group has fewer than
    :data:`UNSTABLE_GROUP` patients keeps R's estimate and says in ``note`` that it cannot
    be read (with one patient in a group a single death decides the hazard ratio).
    Tests: tests/study/test_immortal_time.py::test_landmark_matches_r,
    tests/study/test_immortal_time.py::test_landmark_flags_a_tiny_group.
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
                if min(row["n_treated"], row["n_untreated"]) < UNSTABLE_GROUP:
                    row["note"] = (
                        f"a group of fewer than {UNSTABLE_GROUP} patients: "
                        "the hazard ratio cannot be read"
                    )
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------- time-dependent Cox


def counting_rows_example(patients: pd.DataFrame, n_patients: int = 3) -> pd.DataFrame:
    """The counting-process rows (:func:`tmerge_counting`) of the first ``n_patients``
    treated patients, labelled by patient_id: patient_id, tstart, tstop, event, treated.
    Tests: tests/study/test_immortal_time.py::test_counting_rows_example.
    """
    rows = tmerge_counting(patients)
    shown = rows.loc[rows["treated"] == 1, "row"].unique()[:n_patients]
    example = rows[rows["row"].isin(shown)].copy()
    example["patient_id"] = patients["patient_id"].to_numpy()[example["row"]]
    return example[["patient_id", "tstart", "tstop", "event", "treated"]]


def counting_rows_summary(patients: pd.DataFrame) -> pd.DataFrame:
    """The counting-process data (:func:`tmerge_counting`) as counts, no patient row:
    columns quantity, n -- patients, rows, patients split at therapy start (two rows),
    rows treated, events on untreated and on treated rows. Shown instead of
    :func:`counting_rows_example` for a user's cohort (data minimisation).
    Tests: tests/study/test_immortal_time.py::test_counting_rows_summary.
    """
    rows = tmerge_counting(patients)
    per_patient = rows.groupby("row").size()
    treated = rows["treated"] == 1
    return pd.DataFrame(
        {
            "quantity": [
                "patients",
                "rows",
                "patients split at therapy start",
                "treated rows",
                "events on untreated rows",
                "events on treated rows",
            ],
            "n": [
                int(rows["row"].nunique()),
                len(rows),
                int((per_patient > 1).sum()),
                int(treated.sum()),
                int(rows.loc[~treated, "event"].sum()),
                int(rows.loc[treated, "event"].sum()),
            ],
        }
    )


def tmerge_counting(
    patients: pd.DataFrame,
    time_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = TREATED,
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
    Tests: tests/study/test_immortal_time.py::test_tmerge_rows_match_r.
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
    time_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = TREATED,
) -> pd.DataFrame:
    """The naive Cox model (therapy fixed at surgery) beside the time-dependent one.

    Rows: model ``naive`` (treated = ever received the therapy, from time 0) and
    ``time_dependent`` (treated from its start, :func:`tmerge_counting`), both Efron
    ties as R's coxph default. Columns: model, term, n_patients, n_rows, events, coef,
    hr, se, lower, upper, p, conf_level.
    Tests: tests/study/test_immortal_time.py::test_time_dependent_table_matches_r.
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


def time_dependent_design(
    patients: pd.DataFrame,
    covariates: pd.DataFrame,
    time_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = TREATED,
) -> pd.DataFrame:
    """:func:`tmerge_counting` rows with each patient's baseline ``covariates`` (one row
    per patient, in the order of ``patients``) repeated on each of their rows, as R's
    ``tmerge(base, ...)`` carries the columns of ``base``. Columns: row, tstart, tstop,
    event, treated, then the covariates. Fit it with
    :func:`spinemets.methods.cox.coxph_frame` (``start="tstart"``).
    Tests: tests/study/test_immortal_time.py::test_time_dependent_design_matches_r and
    ::test_splitting_rows_leaves_baseline_fits_unchanged.
    """
    if len(covariates) != len(patients):
        raise SpinemetsError(
            f"covariates: {len(covariates)} rows for {len(patients)} patients; expected one "
            "row per patient"
        )
    rows = tmerge_counting(patients, time_col, event_col, start_col, therapy_col, treated_value)
    carried = covariates.reset_index(drop=True).iloc[rows["row"].to_numpy()].reset_index(drop=True)
    return pd.concat([rows.reset_index(drop=True), carried], axis=1)


def _second_line(
    patients: pd.DataFrame,
    start: np.ndarray,
    switchers: int,
    seed: int,
    window: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, int]:
    """Targeted start times with ``switchers`` cytokine patients moved to targeted
    therapy (second line) at a time uniform in ``window``, or in 25-75 % of their
    follow-up if not alive then; the ever-targeted flag; how many switch starts were
    forced."""
    therapy = patients["adjuvant_therapy"].astype(str).str.lower().to_numpy()
    os_m = patients["os_months"].to_numpy(dtype=np.float64)
    ever = therapy == TREATED
    start = np.where(ever, start, np.nan)
    cytokine = np.flatnonzero(~ever & (os_m > 0))
    if switchers > cytokine.size:
        raise SpinemetsError(
            f"second-line switchers: {switchers} asked for, only {cytokine.size} cytokine "
            "patients with follow-up"
        )
    if switchers == 0:
        return start, ever, 0
    rng = np.random.default_rng([seed, 2])
    chosen = np.sort(rng.choice(cytokine, size=switchers, replace=False))
    drawn = rng.uniform(*window, size=switchers)
    late = drawn >= os_m[chosen]
    drawn = np.where(late, rng.uniform(0.25, 0.75, size=switchers) * os_m[chosen], drawn)
    start[chosen] = np.round(drawn, 2)
    ever[chosen] = True
    bad = ~((start > 0) & (start < os_m))
    start[bad] = np.nan
    return start, ever, int(late.sum())


def tipping_point_table(
    patients: pd.DataFrame,
    windows: Sequence[tuple[float, float]] = TIPPING_WINDOWS,
    switchers: Sequence[int] = (0,),
    seed: int = DEFAULT_SEED,
    conf_level: float = 0.95,
    cytokine_window: tuple[float, float] = (0.5, 2.0),
) -> pd.DataFrame:
    """The time-dependent hazard ratio of targeted therapy under each assumption about
    when it started: a tipping-point (sensitivity) table for a cohort without start dates.

    For each targeted-therapy start window (``windows``, months after surgery) and each
    number of second-line ``switchers``: start times are drawn by
    :func:`assumed_adjuvant_start` (same ``seed`` for every row, so the first row with
    the default window reproduces :func:`time_dependent_cox` on
    :func:`adjuvant_starts`); ``k`` switchers are cytokine patients chosen at random
    (seeded) who start targeted therapy as a second line, at a time uniform between the
    end of the cytokine window and the end of the targeted window (forced into 25-75 %
    of follow-up if not alive then, since they did receive it). Therapy is then a
    time-dependent covariate (:func:`tmerge_counting`, Efron ties as R ``coxph``).
    Columns: window_low, window_high, switchers, n_treated (patients ever on targeted
    therapy), forced (starts that had to be moved inside a short follow-up: each such
    patient is *made* to have survived to the start), events, naive_hr (targeted as
    first drug, from surgery), hr, lower, upper, p, conf_level, seed. Deterministic.
    Tests: tests/study/test_immortal_time.py::test_tipping_point_table.
    """
    os_col, death_col = ENDPOINTS["os"].time, ENDPOINTS["os"].event
    t = patients[os_col].to_numpy(dtype=np.float64)
    ev = patients[death_col].to_numpy(dtype=np.int64)
    first = (patients["adjuvant_therapy"].astype(str).str.lower() == TREATED).to_numpy(float)
    origin = counting_origin(t)
    naive = _hazard_ratio(t, ev, first, start=np.full(t.size, origin))
    rows = []
    for window in windows:
        drawn, forced = _drawn_starts(patients, seed, tuple(window), cytokine_window)
        forced_targeted = int((forced & (first == 1)).sum())
        for k in switchers:
            switch_window = (cytokine_window[1], max(window[1], cytokine_window[1] + 1.0))
            start, ever, forced_switch = _second_line(patients, drawn, k, seed, switch_window)
            split = tmerge(t, ev, {"treated": start}, origin=origin)
            row = {
                "window_low": float(window[0]),
                "window_high": float(window[1]),
                "switchers": int(k),
                "n_treated": int(ever.sum()),
                "forced": forced_targeted + forced_switch,
                "events": int(ev.sum()),
                "naive_hr": naive,
                "hr": np.nan,
                "lower": np.nan,
                "upper": np.nan,
                "p": np.nan,
                "conf_level": conf_level,
                "seed": seed,
            }
            try:
                fit = coxph(
                    split["tstop"], split["event"], split[["treated"]], start=split["tstart"]
                )
            except CoxConvergenceError:
                pass
            else:
                tab = fit.table(conf_level).iloc[0]
                row.update(hr=tab["hr"], lower=tab["lower"], upper=tab["upper"], p=tab["p"])
            rows.append(row)
    return pd.DataFrame(rows)


def person_time_table(
    patients: pd.DataFrame,
    time_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = TREATED,
) -> pd.DataFrame:
    """Person-time and deaths by group under the naive and the time-dependent analysis.

    ``naive``: patients who ever received the therapy count as treated from surgery, so
    their time from surgery to the start (``immortal``: nobody can die in it and still
    be counted as treated) is credited to the treated group. ``time_dependent``: that
    time is counted as untreated. Rows: analysis, group (``treated``, ``untreated``),
    part (``surgery to start``, ``after start``, ``never treated``), patients,
    person_months, deaths; the death rate per 100 person-months of each group is
    ``deaths / person_months`` summed over its parts. What
    :func:`spinemets.figures.immortal_time.person_time_figure` draws.
    Tests: tests/study/test_immortal_time.py::test_person_time_table.
    """
    start = _treated_start(patients, start_col, therapy_col, treated_value)
    t = patients[time_col].to_numpy(dtype=np.float64)
    ev = patients[event_col].to_numpy(dtype=np.int64)
    started = ~np.isnan(start) & (start < t)
    before = np.where(started, np.clip(start, 0, None), 0.0)
    parts = {
        "surgery to start": (started, before, np.zeros_like(ev)),
        "after start": (started, np.where(started, t - before, 0.0), np.where(started, ev, 0)),
        "never treated": (~started, np.where(started, 0.0, t), np.where(started, 0, ev)),
    }
    groups = {
        "naive": {"surgery to start": "treated", "after start": "treated"},
        "time_dependent": {"surgery to start": "untreated", "after start": "treated"},
    }
    rows = []
    for analysis, moved in groups.items():
        for part, (who, months, deaths) in parts.items():
            rows.append(
                {
                    "analysis": analysis,
                    "group": moved.get(part, "untreated"),
                    "part": part,
                    "patients": int(who.sum()),
                    "person_months": float(months[who].sum()),
                    "deaths": int(deaths[who].sum()),
                }
            )
    return pd.DataFrame(rows)


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
    tests/study/test_immortal_time.py::test_simulation_shows_bias.
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


def simulation_summary(sim: pd.DataFrame, seed: int, landmark: float = 4.0) -> pd.DataFrame:
    """One row per method of :func:`simulate_immortal_time`: the median hazard ratio, its
    2.5 and 97.5 percentiles over the simulated studies, the share below 1 (the true
    value), the number of simulations and the seed.
    Tests: tests/study/test_immortal_time.py::test_simulation_shows_bias.
    """
    rows = []
    for column, (method, _) in SIMULATED_METHODS.items():
        name = f"landmark_{landmark:g}_months" if method == "landmark" else method
        hr = sim[column].to_numpy(dtype=float)
        rows.append(
            {
                "method": name,
                "median_hr": float(np.median(hr)),
                "hr_2.5pct": float(np.quantile(hr, 0.025)),
                "hr_97.5pct": float(np.quantile(hr, 0.975)),
                "share_hr_below_1": float(np.mean(hr < 1)),
                "n_simulations": len(sim),
                "seed": seed,
            }
        )
    return pd.DataFrame(rows)
