"""Immortal time: landmark analyses, time-dependent Cox and a teaching simulation.

Patients grouped by a therapy that *starts after* surgery are not comparable from
surgery onwards: to be counted as "treated" a patient had to live until the start, so
the treated group is credited with survival time it could not have lost ("immortal
time"). Two standard remedies, both here:

* landmark analysis (:func:`landmark_data`, :func:`landmark_analyses`): keep patients
  alive at a landmark time L, classify them by the therapy started by L, and restart the
  clock at L;
* a Cox model with the therapy as a time-dependent covariate (:func:`tmerge_counting`
  builds the (start, stop] rows like ``survival::tmerge``; :func:`coxph_counting` fits
  them, with weights and Breslow or Efron ties, as ``survival::coxph``).

:func:`assumed_adjuvant_start` supplies *assumed* therapy start times when a cohort has
none, and :func:`simulate_immortal_time` shows the bias on data where therapy does
nothing. Checked against R by ``tests/test_landmark.py`` (fixtures from
``tests/fixtures/r_landmark.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from .errors import SpinemetsError

__all__ = [
    "DEFAULT_SEED",
    "CoxFit",
    "assumed_adjuvant_start",
    "coxph_counting",
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


# ------------------------------------------------------------------- Cox engine


@dataclass(frozen=True, eq=False)
class CoxFit:
    """A Cox fit on (start, stop] data. ``var`` is the inverse information
    (model-based); ``var_robust`` the clustered sandwich (Breslow fits only)."""

    names: tuple[str, ...]
    coef: np.ndarray
    var: np.ndarray
    var_robust: np.ndarray | None
    loglik: tuple[float, float]
    iterations: int
    n: int
    n_events: int
    ties: str

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))

    @property
    def se_robust(self) -> np.ndarray | None:
        return None if self.var_robust is None else np.sqrt(np.diag(self.var_robust))

    def table(self, conf_level: float = 0.95, robust: bool = False) -> pd.DataFrame:
        """Tidy coefficients: term, coef, hr, se, z, p (Wald), lower, upper (of the HR)."""
        se = self.se_robust if robust else self.se
        if se is None:
            raise SpinemetsError("no robust variance for this fit (Breslow fits only)")
        z = float(ndtri(1 - (1 - conf_level) / 2))
        stat = self.coef / se
        return pd.DataFrame(
            {
                "term": list(self.names),
                "coef": self.coef,
                "hr": np.exp(self.coef),
                "se": se,
                "z": stat,
                "p": 2 * ndtr(-np.abs(stat)),
                "lower": np.exp(self.coef - z * se),
                "upper": np.exp(self.coef + z * se),
            }
        )


def _suffix(a: np.ndarray) -> np.ndarray:
    """out[i] = sum(a[i:]) along axis 0, with a trailing zero row."""
    c = np.cumsum(a[::-1], axis=0)[::-1]
    return np.concatenate([c, np.zeros((1, *a.shape[1:]))], axis=0)


class _CoxData:
    """Sorted views of (start, stop] data for fast risk-set sums."""

    def __init__(self, start, stop, event, x, w, ties):
        self.start, self.stop, self.event, self.x, self.w = start, stop, event, x, w
        ev = event == 1
        self.ev = ev
        self.utimes = np.unique(stop[ev])
        self.k_ev = np.searchsorted(self.utimes, stop[ev])
        self.nd = np.bincount(self.k_ev, minlength=self.utimes.size)
        self.dw = np.bincount(self.k_ev, weights=w[ev], minlength=self.utimes.size)
        self.by_stop = np.argsort(stop, kind="stable")
        self.by_start = np.argsort(start, kind="stable")
        self.pos_stop = np.searchsorted(stop[self.by_stop], self.utimes, side="left")
        self.pos_start = np.searchsorted(start[self.by_start], self.utimes, side="left")
        # one (time, l) pair per tied death for Efron's approximation
        self.k_rep = np.repeat(np.arange(self.utimes.size), self.nd)
        first = np.cumsum(self.nd) - self.nd
        l_idx = np.arange(self.k_rep.size) - first[self.k_rep]
        self.frac = l_idx / self.nd[self.k_rep] if ties == "efron" else np.zeros(self.k_rep.size)
        self.meanwt = (self.dw / self.nd)[self.k_rep]

    def risk_sums(self, a: np.ndarray) -> np.ndarray:
        """sum of a over rows with start < t <= stop, at each event time t."""
        return _suffix(a[self.by_stop])[self.pos_stop] - _suffix(a[self.by_start])[self.pos_start]

    def stats(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict]:
        x, w, ev = self.x, self.w, self.ev
        eta = x @ beta
        r = w * np.exp(eta)
        xx = x[:, :, None] * x[:, None, :]
        s0 = self.risk_sums(r)
        s1 = self.risk_sums(r[:, None] * x)
        s2 = self.risk_sums(r[:, None, None] * xx)
        nt, p = self.utimes.size, x.shape[1]
        k_ev, r_ev = self.k_ev, r[ev]
        e0 = np.bincount(k_ev, weights=r_ev, minlength=nt)
        e1 = np.empty((nt, p))
        e2 = np.empty((nt, p, p))
        for i in range(p):
            e1[:, i] = np.bincount(k_ev, weights=r_ev * x[ev, i], minlength=nt)
            for j in range(p):
                e2[:, i, j] = np.bincount(k_ev, weights=r_ev * xx[ev, i, j], minlength=nt)
        k, f, mw = self.k_rep, self.frac, self.meanwt
        d0 = s0[k] - f * e0[k]
        xbar = (s1[k] - f[:, None] * e1[k]) / d0[:, None]
        m2 = (s2[k] - f[:, None, None] * e2[k]) / d0[:, None, None]
        loglik = float(np.sum(w[ev] * eta[ev]) - np.sum(mw * np.log(d0)))
        score = (w[ev, None] * x[ev]).sum(axis=0) - (mw[:, None] * xbar).sum(axis=0)
        info = (mw[:, None, None] * (m2 - xbar[:, :, None] * xbar[:, None, :])).sum(axis=0)
        return loglik, score, info, {"s0": s0, "s1": s1, "eta": eta}


def coxph_counting(
    start: Sequence[float] | np.ndarray,
    stop: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    x: np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    ties: str = "efron",
    cluster: Sequence[object] | np.ndarray | None = None,
    names: Sequence[str] | None = None,
    max_iter: int = 30,
) -> CoxFit:
    """Weighted Cox partial likelihood for (start, stop] data, by Newton-Raphson.

    Risk set at an event time t: rows with start < t <= stop. Breslow: each event
    contributes w_i (x_i b - log S0(t)), S0 = sum of w_j exp(x_j b) over the risk set;
    Efron: the l-th of d tied events divides by S0 - (l / d) S0_events and carries
    the mean weight of the tied events, as R's ``agfit4``. Matches R ``coxph(Surv(start,
    stop, event) ~ x, weights, ties)``: ``var`` is R's model-based variance
    (``naive.var`` when R reports a robust one); for Breslow, ``var_robust`` is R's
    sandwich with ``cluster(id)`` (each row its own cluster when ``cluster`` is None).
    Tests: tests/test_landmark.py::test_td_cox_matches_r and
    tests/test_competing_risks.py::test_finegray_matches_r.
    """
    if ties not in ("efron", "breslow"):
        raise SpinemetsError(f"ties {ties!r}; expected 'efron' or 'breslow'")
    a = np.asarray(start, dtype=np.float64).ravel()
    b = np.asarray(stop, dtype=np.float64).ravel()
    e = np.asarray(event, dtype=np.float64).ravel()
    xm = np.asarray(x, dtype=np.float64)
    if xm.ndim == 1:
        xm = xm[:, None]
    n, p = xm.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    for what, arr in (("start", a), ("stop", b), ("event", e), ("weights", w)):
        if arr.size != n:
            raise SpinemetsError(f"coxph_counting: {what} has {arr.size} values, x has {n} rows")
    bad = ~(a < b) | ~np.isfinite(a) | ~np.isfinite(b)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(f"row {i}: interval ({a[i]}, {b[i]}]; expected start < stop")
    if not np.isin(e, (0, 1)).all() or not (w > 0).all() or not np.isfinite(xm).all():
        raise SpinemetsError("coxph_counting: event must be 0/1, weights > 0, x finite")
    if e.sum() == 0:
        raise SpinemetsError("coxph_counting: no events")
    xc = xm - xm.mean(axis=0)  # centring changes nothing but the numerics
    data = _CoxData(a, b, e, xc, w, ties)
    beta = np.zeros(p)
    ll0, score, info, _ = data.stats(beta)
    ll = ll0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        step = np.linalg.solve(info, score)
        new = beta + step
        ll_new, s_new, i_new, _ = data.stats(new)
        halvings = 0
        while not ll_new >= ll - 1e-12 * abs(ll) and halvings < 30:
            step /= 2
            new = beta + step
            ll_new, s_new, i_new, _ = data.stats(new)
            halvings += 1
        done = np.max(np.abs(step)) < 1e-11 or abs(ll_new - ll) < 1e-13 * abs(ll)
        beta, ll, score, info = new, ll_new, s_new, i_new
        if done:
            break
    var = np.linalg.inv(info)
    var_robust = None
    if ties == "breslow":
        _, _, _, parts = data.stats(beta)
        resid = _score_residuals(data, parts)
        groups = np.arange(n) if cluster is None else pd.factorize(np.asarray(cluster))[0]
        wres = np.zeros((groups.max() + 1, p))
        np.add.at(wres, groups, w[:, None] * resid)
        var_robust = var @ (wres.T @ wres) @ var
    labels = tuple(names) if names is not None else tuple(f"x{i + 1}" for i in range(p))
    return CoxFit(labels, beta, var, var_robust, (ll0, ll), it, n, int(e.sum()), ties)


def _score_residuals(data: _CoxData, parts: dict) -> np.ndarray:
    """Breslow score residuals per row: events minus their compensator."""
    s0, s1, eta = parts["s0"], parts["s1"], parts["eta"]
    xbar = s1 / s0[:, None]
    dlam = data.dw / s0
    c0 = np.r_[0.0, np.cumsum(dlam)]
    c1 = np.vstack([np.zeros((1, xbar.shape[1])), np.cumsum(xbar * dlam[:, None], axis=0)])
    lo = np.searchsorted(data.utimes, data.start, side="right")
    hi = np.searchsorted(data.utimes, data.stop, side="right")
    x = data.x
    comp = np.exp(eta)[:, None] * (x * (c0[hi] - c0[lo])[:, None] - (c1[hi] - c1[lo]))
    resid = -comp
    ev = data.ev
    resid[ev] += x[ev] - xbar[np.searchsorted(data.utimes, data.stop[ev])]
    return resid


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
    (``survival.logrank_test``, R survdiff) and Cox HR treated vs not (Efron ties, R
    coxph default) with its Wald CI and p. ``columns`` are passed to :func:`landmark_data`.
    A landmark leaving fewer than two groups gets empty test columns.
    Tests: tests/test_landmark.py::test_landmark_matches_r.
    """
    from .survival import logrank_test

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
        }
        if d["treated"].nunique() == 2 and d["event"].sum() > 0:
            lr = logrank_test(d["time"], d["event"], d["treated"])
            fit = coxph_counting(
                np.zeros(len(d)), d["time"], d["event"], d[["treated"]].to_numpy(), ties="efron"
            )
            tab = fit.table(conf_level).iloc[0]
            row.update(
                logrank_chisq=lr.chisq,
                logrank_p=lr.p,
                hr=tab["hr"],
                hr_lower=tab["lower"],
                hr_upper=tab["upper"],
                hr_p=tab["p"],
            )
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------- time-dependent Cox


def counting_origin(time: np.ndarray) -> float:
    """The start of the first (start, stop] interval: 0, or 2 min(time) - 1 if min <= 0.

    R's ``finegray`` (and ``coxph`` for right-censored data) put the origin below every
    observed time, so that a death on the day of surgery (time 0) is an event in a
    non-empty interval rather than an empty (0, 0]. Tests:
    tests/test_landmark.py::test_zero_follow_up_is_kept_as_in_r.
    """
    lowest = float(np.min(time))
    return 0.0 if lowest > 0 else 2 * lowest - 1


def tmerge_counting(
    patients: pd.DataFrame,
    time_col: str = "os_months",
    event_col: str = "death",
    start_col: str = START_COL,
    therapy_col: str = "adjuvant_therapy",
    treated_value: str = "targeted",
) -> pd.DataFrame:
    """Counting-process rows with ``treated`` as a time-dependent covariate.

    As ``tmerge(base, data, id, death = event(time, event), treated = tdc(start))``:
    a patient whose therapy of interest started at s with 0 < s < time gets rows
    (o, s] untreated and (s, time] treated, the event on the last row; a start at or
    after the end of follow-up (or never) leaves one untreated row; a start <= 0, one
    treated row. The origin o is :func:`counting_origin` (0 unless some follow-up is
    0: R's tmerge refuses those, we keep them as R's finegray and coxph do).
    Columns: row (position in ``patients``), tstart, tstop, event, treated.
    Tests: tests/test_landmark.py::test_tmerge_rows_match_r.
    """
    start = _treated_start(patients, start_col, therapy_col, treated_value)
    t = patients[time_col].to_numpy(dtype=np.float64)
    ev = patients[event_col].to_numpy(dtype=np.int64)
    if (t < 0).any():
        i = int(np.flatnonzero(t < 0)[0])
        raise SpinemetsError(
            f"patients table, row {patients.index[i]!r}, column {time_col}: value {t[i]:g}; "
            "expected follow-up >= 0"
        )
    split = ~np.isnan(start) & (start > 0) & (start < t)
    from_zero = ~np.isnan(start) & (start <= 0)
    idx = np.arange(len(t))
    first = pd.DataFrame(
        {
            "row": idx,
            "tstart": counting_origin(t),
            "tstop": np.where(split, start, t),
            "event": np.where(split, 0, ev),
            "treated": from_zero.astype(np.int64),
        }
    )
    second = pd.DataFrame(
        {
            "row": idx[split],
            "tstart": start[split],
            "tstop": t[split],
            "event": ev[split],
            "treated": 1,
        }
    )
    out = pd.concat([first, second], ignore_index=True)
    return out.sort_values(["row", "tstart"], kind="stable").reset_index(drop=True)


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
    naive = coxph_counting(origin, t, ev, ever[:, None], names=("treated",))
    td_rows = tmerge_counting(patients, time_col, event_col, start_col, therapy_col, treated_value)
    td = coxph_counting(
        td_rows["tstart"],
        td_rows["tstop"],
        td_rows["event"],
        td_rows[["treated"]].to_numpy(),
        names=("treated",),
    )
    out = []
    for name, fit, nrows in (("naive", naive, t.size), ("time_dependent", td, len(td_rows))):
        tab = fit.table(conf_level)
        tab.insert(0, "model", name)
        tab.insert(2, "n_patients", t.size)
        tab.insert(3, "n_rows", nrows)
        tab.insert(4, "events", fit.n_events)
        tab["conf_level"] = conf_level
        out.append(tab.drop(columns="z"))
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
    follow-up). Fast (about a second for 100 x 200). Tested by
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
        zeros = np.zeros(n_patients)
        naive = coxph_counting(zeros, time, event, started.astype(float))
        # counting-process rows: (0, start] untreated, (start, time] treated
        td = coxph_counting(
            np.r_[zeros, start[started]],
            np.r_[np.where(started, start, time), time[started]],
            np.r_[np.where(started, 0, event), event[started]],
            np.r_[zeros, np.ones(started.sum())],
        )
        at_lm = time > landmark
        lm_fit = coxph_counting(
            zeros[at_lm], time[at_lm] - landmark, event[at_lm], started[at_lm].astype(float)
        )
        rows.append(
            {
                "simulation": sim + 1,
                "naive_hr": float(np.exp(naive.coef[0])),
                "time_dependent_hr": float(np.exp(td.coef[0])),
                "landmark_hr": float(np.exp(lm_fit.coef[0])),
                "share_immortal": float(start[started].sum() / time[started].sum()),
            }
        )
    return pd.DataFrame(rows)


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
    import matplotlib.pyplot as plt

    from .notebook import PALETTE
    from .survival import kaplan_meier, logrank_test

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
    import matplotlib.pyplot as plt

    from .notebook import PALETTE

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
