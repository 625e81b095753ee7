"""Local progression with death as a competing event.

The paper reads local progression-free survival as a Kaplan-Meier curve with deaths
censored, so ``1 - KM`` estimates the risk of local progression in a world where
nobody dies. With 89 of 100 patients dead, the quantity a clinician needs is the
*cumulative incidence*: the probability of having progressed by time t while alive.

* :func:`cuminc` -- Aalen-Johansen cumulative incidence per cause and group with the
  variance of Gray's ``cmprsk::cuminc`` (R function ``cinc``), deterministic on ties;
* :func:`cuminc_band` -- pointwise confidence band (log(-log) transform by default);
* :func:`gray_test` -- Gray's (1988) K-sample test of equal cumulative incidence
  (``cmprsk::cuminc(...)$Tests``, R function ``crstm``);
* :func:`finegray_rows` and :func:`finegray_cox` -- the Fine-Gray subdistribution
  hazard model by the weighted counting-process data of ``survival::finegray``,
  fitted by a weighted Breslow Cox model as ``coxph(..., weights = fgwt)``.

All are checked at 1e-6 relative against R by ``tests/test_competing_risks.py``
(fixtures from ``tests/fixtures/r_competing_risks.R``: survival::mgus2 and a tied toy set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc, ndtri

from .errors import SpinemetsError
from .landmark import CoxFit, counting_origin, coxph_counting

__all__ = [
    "CAUSE_LABELS",
    "CumulativeIncidence",
    "GrayTest",
    "cumulative_incidence_at",
    "cumulative_incidence_table",
    "cuminc",
    "cuminc_band",
    "finegray_cox",
    "finegray_rows",
    "gray_test",
    "gray_tests_table",
    "local_progression_events",
    "plot_cuminc",
]

#: Cause codes used throughout: 0 censored, 1 local progression, 2 death without it.
CAUSE_LABELS: dict[int, str] = {
    0: "censored",
    1: "local_progression",
    2: "death_without_progression",
}
#: Confidence band transforms accepted by :func:`cuminc_band`.
CI_TYPES: tuple[str, ...] = ("log-log", "plain")


# ----------------------------------------------------------------------------- input


def _time_cause(time: object, cause: object) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=np.float64).ravel()
    c = np.asarray(cause, dtype=np.float64).ravel()
    if t.size != c.size:
        raise SpinemetsError(f"time has {t.size} values but cause has {c.size}")
    if t.size == 0:
        raise SpinemetsError("no observations")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(f"time[{i}] = {t[i]:g}; expected a finite number >= 0")
    badc = ~np.isin(c, (0, 1, 2))
    if badc.any():
        i = int(np.flatnonzero(badc)[0])
        raise SpinemetsError(f"cause[{i}] = {c[i]:g}; expected 0 (censored), 1 or 2")
    return t, c.astype(np.int64)


def local_progression_events(patients: pd.DataFrame) -> pd.DataFrame:
    """Competing-risks coding of the cohort: columns ``time`` (months) and ``cause``.

    ``local_progression == 1`` -> cause 1 at ``lp_months``; else ``death == 1`` ->
    cause 2 (death without local progression) at ``os_months``; else censored (0) at
    ``os_months``. The index is kept. A progressor must have ``lp_months <=
    os_months``; a row breaking that raises :class:`SpinemetsError` naming the row.
    Tested by tests/test_competing_risks.py::test_local_progression_events.
    """
    need = ["os_months", "death", "lp_months", "local_progression"]
    missing = [c for c in need if c not in patients.columns]
    if missing:
        raise SpinemetsError(f"patients table: missing column(s) {', '.join(missing)}")
    lp = patients["local_progression"].to_numpy(dtype=np.float64)
    death = patients["death"].to_numpy(dtype=np.float64)
    os_m = patients["os_months"].to_numpy(dtype=np.float64)
    lp_m = patients["lp_months"].to_numpy(dtype=np.float64)
    for name, values in (("local_progression", lp), ("death", death)):
        bad = ~np.isin(values, (0, 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"patients table, row {patients.index[i]!r}, column {name}: "
                f"value {values[i]:g}; expected 0 or 1"
            )
    late = (lp == 1) & ~(lp_m <= os_m)
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise SpinemetsError(
            f"patients table, row {patients.index[i]!r}, column lp_months: value {lp_m[i]:g} "
            f"is after os_months {os_m[i]:g}; expected local progression at or before "
            "death or last follow-up"
        )
    time = np.where(lp == 1, lp_m, os_m)
    cause = np.where(lp == 1, 1, np.where(death == 1, 2, 0))
    return pd.DataFrame({"time": time, "cause": cause.astype(np.int64)}, index=patients.index)


# ------------------------------------------------------------- cumulative incidence


@dataclass(frozen=True, eq=False)
class CumulativeIncidence:
    """One cumulative incidence curve as ``cmprsk::cuminc`` returns it.

    ``time``, ``est`` and ``var`` are the corners of the step function (R's vectors
    ``time``, ``est``, ``var``): a leading 0, each event time of the cause twice (value
    before and after the jump) and the group's last follow-up time.
    """

    group: str
    cause: int
    time: np.ndarray
    est: np.ndarray
    var: np.ndarray

    def at(self, times: object) -> tuple[np.ndarray, np.ndarray]:
        """Estimate and variance at ``times`` (``cmprsk::timepoints``): the last
        corner at or before t; NaN past the group's last follow-up."""
        t = np.asarray(times, dtype=np.float64).ravel()
        idx = np.searchsorted(self.time, t, side="right") - 1
        ok = (idx >= 0) & (t <= self.time[-1])
        pick = np.clip(idx, 0, None)
        est = np.where(ok, self.est[pick], np.nan)
        var = np.where(ok, self.var[pick], np.nan)
        return est, var


def _cinc(t: np.ndarray, failed: np.ndarray, is_cause: np.ndarray) -> tuple[np.ndarray, ...]:
    """Aalen-Johansen estimate and Gray's variance for one group (sorted by time).

    At each distinct time with n at risk, d1 events of the cause, d2 of others:
    F(t) = F(t-) + S(t-) d1 / n, S(t) = S(t-) (n - d1 - d2) / n. The variance is the
    delta-method estimate of cmprsk's ``cinc`` (Gray), accumulated over the times.
    """
    n = t.size
    uniq, start = np.unique(t, return_index=True)
    d1 = np.add.reduceat(is_cause.astype(np.float64), start)
    d2 = np.add.reduceat((failed & ~is_cause).astype(np.float64), start)
    at_risk = n - start.astype(np.float64)
    xs, fs, vs = [0.0], [0.0], [0.0]
    s, f = 1.0, 0.0
    v1 = v2 = v3 = 0.0
    for j in range(uniq.size):
        r, a, b = at_risk[j], d1[j], d2[j]
        d = a + b
        if d == 0:
            continue
        s_new = s * (r - d) / r
        if a > 0:
            f = f + s * a / r
        if b > 0 and s_new > 0:
            tie = 1.0 if b <= 1 else 1.0 - (b - 1.0) / (r - 1.0)
            w = s * s * tie * b / (r * r)
            q3 = 1.0 / s_new
            q4 = f / s_new
            v1 += q4 * q4 * w
            v2 += q3 * q4 * w
            v3 += q3 * q3 * w
        if a > 0:
            tie = 1.0 if a <= 1 else 1.0 - (a - 1.0) / (r - 1.0)
            w = s * s * tie * a / (r * r)
            q3 = 1.0 / s_new if s_new > 0 else 0.0
            q4 = 1.0 + q3 * f
            v1 += q4 * q4 * w
            v2 += q3 * q4 * w
            v3 += q3 * q3 * w
            xs += [uniq[j], uniq[j]]
            fs += [fs[-1], f]
            vs += [vs[-1], v1 + f * f * v3 - 2.0 * f * v2]
        s = s_new
    xs.append(t[-1])
    fs.append(fs[-1])
    vs.append(vs[-1])
    return np.array(xs), np.array(fs), np.array(vs)


def _group_labels(group: object, n: int) -> np.ndarray:
    if group is None:
        return np.full(n, "all", dtype=object)
    g = pd.Series(np.asarray(group, dtype=object).ravel())
    if g.size != n:
        raise SpinemetsError(f"group has {g.size} values but time has {n}")
    if g.isna().any():
        i = int(np.flatnonzero(g.isna().to_numpy())[0])
        raise SpinemetsError(f"group[{i}] is missing; expected a group label")
    return g.astype(str).to_numpy(dtype=object)


def cuminc(
    time: object, cause: object, group: object = None
) -> dict[tuple[str, int], CumulativeIncidence]:
    """Cumulative incidence of each cause in each group, as ``cmprsk::cuminc``.

    Keys ``(group, cause)`` in R's order (causes ascending, then groups sorted as
    text); cause 0 is censoring. With no competing events the estimate is
    ``1 - Kaplan-Meier``. Tests: tests/test_competing_risks.py::test_cuminc_matches_r.
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    order = np.argsort(t, kind="stable")
    t, c, g = t[order], c[order], g[order]
    out: dict[tuple[str, int], CumulativeIncidence] = {}
    for k in sorted(int(x) for x in np.unique(c[c != 0])):
        for label in sorted(set(g)):
            m = g == label
            x, f, v = _cinc(t[m], c[m] != 0, c[m] == k)
            out[(str(label), k)] = CumulativeIncidence(str(label), k, x, f, v)
    return out


def cuminc_band(
    est: np.ndarray, var: np.ndarray, conf_level: float = 0.95, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band of a cumulative incidence F with variance V.

    ``log-log`` (default): on log(-log F), whose standard error is
    ``sqrt(V) / |F log F|``: lower = F^exp(z s), upper = F^exp(-z s); stays inside
    (0, 1); empty (NaN) where F is 0 or 1. ``plain``: F -/+ z sqrt(V) clipped to
    [0, 1]. cmprsk gives only V; the transform is the usual one (as in tidycmprsk).
    Tests: tests/test_competing_risks.py::test_band_matches_r (formulas computed in R).
    """
    if conf_type not in CI_TYPES:
        raise SpinemetsError(f"conf_type {conf_type!r}; expected one of {', '.join(CI_TYPES)}")
    if not 0 < conf_level < 1:
        raise SpinemetsError(f"conf_level {conf_level!r}; expected a number in (0, 1)")
    z = float(ndtri(1 - (1 - conf_level) / 2))
    f = np.asarray(est, dtype=np.float64)
    se = np.sqrt(np.asarray(var, dtype=np.float64))
    if conf_type == "plain":
        return np.maximum(f - z * se, 0.0), np.minimum(f + z * se, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = se / np.abs(f * np.log(f))
        lower = f ** np.exp(z * s)
        upper = f ** np.exp(-z * s)
    inside = (f > 0) & (f < 1)
    return np.where(inside, lower, np.nan), np.where(inside, upper, np.nan)


def cumulative_incidence_table(
    time: object,
    cause: object,
    group: object = None,
    strata: str = "all",
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Tidy step table of every curve: one row per jump (and time 0).

    Columns: strata, group, cause, cause_label, time, n_events (of the cause at that
    time), estimate, std_err, lower, upper, conf_type.
    Tests: tests/test_competing_risks.py::test_tables_have_contract_columns.
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    rows = []
    for (label, k), curve in cuminc(t, c, g).items():
        keep = np.r_[0, np.arange(2, curve.time.size - 1, 2)]
        x, f, v = curve.time[keep], curve.est[keep], curve.var[keep]
        lower, upper = cuminc_band(f, v, conf_level, conf_type)
        in_g = g == label
        n_ev = [int(np.sum((t[in_g] == xi) & (c[in_g] == k))) if i else 0 for i, xi in enumerate(x)]
        rows.append(
            pd.DataFrame(
                {
                    "strata": strata,
                    "group": label,
                    "cause": k,
                    "cause_label": CAUSE_LABELS.get(k, str(k)),
                    "time": x,
                    "n_events": n_ev,
                    "estimate": f,
                    "std_err": np.sqrt(v),
                    "lower": lower,
                    "upper": upper,
                    "conf_type": conf_type,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------ Gray's test


@dataclass(frozen=True)
class GrayTest:
    """Gray's test of equal cumulative incidence of ``cause`` across groups."""

    cause: int
    stat: float
    df: int
    p: float
    rho: float
    groups: tuple[str, ...]


def gray_test(
    time: object, cause: object, group: object, cause_of_interest: int = 1, rho: float = 0.0
) -> GrayTest:
    """Gray's (1988) K-sample test for the cumulative incidence of one cause.

    Compares, at each event time, the observed events of the cause in each group with
    those expected under a common subdistribution hazard, with weights
    (1 - F(t-))^rho; the score s of the first K - 1 groups and its covariance V give
    ``stat = s' V^-1 s`` ~ chi-square(K - 1). One stratum only (cmprsk's ``strata``
    argument is not supported). ``p`` is the upper tail itself, where R's
    ``1 - pchisq()`` rounds below ~1e-16 to 0. Matches
    ``cmprsk::cuminc(time, cause, group, rho)$Tests`` (Fortran ``crstm``).
    Tests: tests/test_competing_risks.py::test_gray_matches_r.
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    labels = tuple(sorted(set(g)))
    ng = len(labels)
    if ng < 2:
        raise SpinemetsError(f"gray_test: need at least 2 groups, got {ng}")
    code = np.searchsorted(np.array(labels, dtype=object), g)
    m = np.where(c == cause_of_interest, 1, np.where(c == 0, 0, 2))
    order = np.argsort(t, kind="stable")
    t, m, code = t[order], m[order], code[order]
    s, v = _crst(t, m, code, ng, rho)
    stat = float(s @ np.linalg.solve(v, s)) if np.linalg.matrix_rank(v) == ng - 1 else -1.0
    p = float(chdtrc(ng - 1, stat)) if stat >= 0 else float("nan")
    return GrayTest(int(cause_of_interest), stat, ng - 1, p, float(rho), labels)


def _crst(
    t: np.ndarray, m: np.ndarray, code: np.ndarray, ng: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score and covariance of Gray's test for one stratum (data sorted by time)."""
    ng1 = ng - 1
    rs = np.bincount(code, minlength=ng).astype(np.float64)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m = np.zeros(ng)
    skmm = np.ones(ng)
    v3 = np.zeros(ng)
    v2 = np.zeros((ng1, ng))
    c = np.zeros((ng, ng))
    fm = 0.0
    uniq, start = np.unique(t, return_index=True)
    stop = np.r_[start[1:], t.size]
    for lo, hi in zip(start, stop, strict=True):
        d = np.zeros((3, ng))
        np.add.at(d, (m[lo:hi], code[lo:hi]), 1.0)
        nd1, nd2 = d[1].sum(), d[2].sum()
        if nd1 > 0 or nd2 > 0:
            live = rs > 0
            skm = skmm.copy()
            f1 = f1m.copy()
            skm[live] = skmm[live] * (rs[live] - d[1, live] - d[2, live]) / rs[live]
            f1[live] = f1m[live] + skmm[live] * d[1, live] / rs[live]
            h = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)
            tr = h.sum()
            tq = np.sum(np.where(live, h * (1 - f1m), 0.0))
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = np.where(np.outer(live, live), -fb * np.outer(h, h) / tr, 0.0)
            a[np.diag_indices(ng)] = np.where(live, fb * h * (1 - h / tr), 0.0)
            c += a * nd1 / (tr * (1 - fm))
            for i in range(ng1):
                if live[i]:
                    s[i] += fb * (d[1, i] - nd1 * h[i] * (1 - f1m[i]) / tq)
            if nd1 > 0:
                for k in range(ng):
                    if not live[k]:
                        continue
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    t1 = a[:ng1, k] - t4 * c[:ng1, k]
                    v2[:, k] += t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d[2, k] <= 0:
                        continue
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d[2, k] - 1) / (rs[k] - 1) if d[2, k] > 1 else 1.0
                    t3 = t5 * skmm[k] ** 2 * d[2, k] / rs[k] ** 2
                    v3[k] += t4 * t4 * t3
                    t1 = t4 * c[:ng1, k]
                    v2[:, k] -= t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            fm = f
            f1m = f1
            skmm = skm
        if hi >= t.size:
            break
        np.subtract.at(rs, code[lo:hi], 1.0)
    cc = c[:ng1]
    v += (cc * v3) @ cc.T + cc @ v2.T + v2 @ cc.T
    return s, v


def gray_tests_table(
    time: object, cause: object, group: object, strata: str, rho: float = 0.0
) -> pd.DataFrame:
    """Tidy Gray's tests, one row per cause: strata, cause, cause_label, chisq, df, p, rho.

    Tests: tests/test_competing_risks.py::test_tables_have_contract_columns (values: the
    gray_test parity tests).
    """
    t, c = _time_cause(time, cause)
    rows = []
    for k in sorted(int(x) for x in np.unique(c[c != 0])):
        res = gray_test(t, c, group, k, rho)
        rows.append(
            {
                "strata": strata,
                "cause": k,
                "cause_label": CAUSE_LABELS.get(k, str(k)),
                "chisq": res.stat,
                "df": res.df,
                "p": res.p,
                "rho": rho,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------- Fine-Gray


def finegray_rows(time: object, cause: object, cause_of_interest: int = 1) -> pd.DataFrame:
    """The weighted counting-process data of ``survival::finegray`` (one stratum).

    Subjects with the cause of interest or censored keep one row (0, time] (R starts
    it below 0, at ``2 min(time) - 1``, when some time is 0: :func:`counting_origin`). A subject
    with a competing event stays in the risk set after it, with decreasing weight:
    the row (0, c_j] up to the first censoring time at or after their event, then one
    row per later censoring interval (c_{j-1}, c_j] that contains an event of interest,
    with weight G(c_{j-1}) / G(interval of their event), G the Kaplan-Meier of
    censoring (events precede censorings at tied times), up to the last follow-up.
    Columns: ``row`` (0-based index of the input), fgstart, fgstop, fgstatus, fgwt.
    One stratum, no user weights, no delayed entry; R's ``timefix`` rounding of
    nearly-equal times (``aeqSurv``) is not applied.
    Tests: tests/test_competing_risks.py::test_finegray_rows_match_r.
    """
    t, c = _time_cause(time, cause)
    n = t.size
    # censoring Kaplan-Meier: at a tied time events leave the risk set first
    order = np.lexsort((c == 0, t))  # events (False) before censorings (True)
    ts, cs = t[order], c[order]
    at_risk = n - np.arange(n)
    cens = cs == 0
    ctimes, first = np.unique(ts[cens], return_index=True)
    # number at risk just before the first censoring at each censoring time
    cidx = np.flatnonzero(cens)
    n_at = at_risk[cidx[first]]
    d_at = np.bincount(np.searchsorted(ctimes, ts[cens]), minlength=ctimes.size)
    gprob = np.cumprod(1 - d_at / n_at)
    maxtime = float(t.max())
    ct2 = np.r_[ctimes, maxtime]
    cp2 = np.r_[1.0, gprob]
    event_times = np.unique(t[c == cause_of_interest])
    if event_times.size == 0:
        raise SpinemetsError(f"finegray: no events of cause {cause_of_interest}")
    # interval (ct2[i-1], ct2[i]] of each event time (0 = at or before the first cut)
    hit = np.searchsorted(ct2, event_times, side="left")
    keep = np.zeros(ct2.size, dtype=bool)  # keep[j]: output interval (ct2[j-1], ct2[j]]
    keep[hit[hit < ct2.size]] = True
    keep[0] = True
    zero = counting_origin(t)  # R: 0, or below every time when some time is 0
    recs: list[tuple[int, float, float, int, float]] = []
    for i in range(n):
        status = 1 if c[i] == cause_of_interest else 0
        if c[i] == 0 or c[i] == cause_of_interest:
            recs.append((i, zero, float(t[i]), status, 1.0))
            continue
        j = int(np.searchsorted(ct2, t[i], side="left"))
        j = min(j, ct2.size - 1)
        recs.append((i, zero, float(ct2[j]), 0, 1.0))
        base = cp2[j]
        for jj in range(j + 1, ct2.size):
            if keep[jj]:
                recs.append((i, float(ct2[jj - 1]), float(ct2[jj]), 0, cp2[jj] / base))
    out = pd.DataFrame(recs, columns=["row", "fgstart", "fgstop", "fgstatus", "fgwt"])
    return out


@dataclass(frozen=True)
class FineGrayFit:
    """A Fine-Gray fit: the weighted Cox fit plus the expanded data size."""

    covariates: tuple[str, ...]
    cox: CoxFit
    n_subjects: int
    n_rows: int
    n_events: int


def finegray_cox(
    data: pd.DataFrame,
    time_col: str,
    cause_col: str,
    covariates: list[str],
    cause_of_interest: int = 1,
    max_iter: int = 30,
) -> FineGrayFit:
    """Fine-Gray subdistribution hazard model (Breslow ties), as R's
    ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x + cluster(id), weights = fgwt,
    data = finegray(...), ties = "breslow")``.

    ``cox.se`` is the model-based standard error (R's ``naive.var``);
    ``cox.se_robust`` the sandwich clustered on subject. exp(coef) is the
    subdistribution hazard ratio. Tests: tests/test_competing_risks.py::test_finegray_matches_r.
    """
    missing = [x for x in [time_col, cause_col, *covariates] if x not in data.columns]
    if missing:
        raise SpinemetsError(f"finegray_cox: missing column(s) {', '.join(missing)}")
    x = data[covariates].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        r, k = np.argwhere(~np.isfinite(x))[0]
        raise SpinemetsError(
            f"finegray_cox: row {data.index[r]!r}, column {covariates[k]}: value {x[r, k]:g}; "
            "expected a finite number"
        )
    fg = finegray_rows(data[time_col], data[cause_col], cause_of_interest)
    rows = fg["row"].to_numpy()
    fit = coxph_counting(
        fg["fgstart"].to_numpy(),
        fg["fgstop"].to_numpy(),
        fg["fgstatus"].to_numpy(),
        x[rows],
        weights=fg["fgwt"].to_numpy(),
        ties="breslow",
        cluster=rows,
        names=tuple(covariates),
        max_iter=max_iter,
    )
    return FineGrayFit(tuple(covariates), fit, len(data), len(fg), int(fg["fgstatus"].sum()))


# ------------------------------------------------------------------------- figure


def plot_cuminc(
    ax: object,
    time: object,
    cause: object,
    group: object,
    cause_of_interest: int = 1,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    one_minus_km: bool = True,
    title: str | None = None,
) -> None:
    """Draw on ``ax``, per group, the cumulative incidence of ``cause_of_interest``
    (solid step, shaded ``conf_type`` band) and, dashed, ``1 - Kaplan-Meier`` with the
    other causes censored (the paper's reading), so the gap between them is visible.
    Tests: tests/test_competing_risks.py::test_plot_cuminc_draws (smoke test).
    """
    from .notebook import PALETTE
    from .survival import kaplan_meier

    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    curves = cuminc(t, c, g)
    for i, label in enumerate(sorted(set(g))):
        color = PALETTE[i % len(PALETTE)]
        curve = curves.get((label, cause_of_interest))
        if curve is None:
            continue
        n = int(np.sum(g == label))
        ax.step(
            curve.time,
            curve.est,
            where="post",
            color=color,
            lw=1.8,
            label=f"{label} (n = {n}): cumulative incidence",
        )
        jumps = np.r_[0, np.arange(2, curve.time.size - 1, 2)]
        lower, upper = cuminc_band(curve.est[jumps], curve.var[jumps], conf_level, conf_type)
        xs = np.r_[curve.time[jumps], curve.time[-1]]
        lo = np.nan_to_num(np.r_[lower, lower[-1]], nan=0.0)
        hi = np.nan_to_num(np.r_[upper, upper[-1]], nan=0.0)
        ax.fill_between(xs, lo, hi, step="post", color=color, alpha=0.15, lw=0)
        if one_minus_km:
            m = g == label
            km = kaplan_meier(t[m], (c[m] == cause_of_interest).astype(int))
            ax.step(
                np.r_[0, km.time],
                np.r_[0, 1 - km.surv],
                where="post",
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


def cumulative_incidence_at(
    time: object,
    cause: object,
    group: object,
    times: Sequence[float],
    strata: str,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Milestone table: per group, cause and time, the cumulative incidence with its
    band and, for the same cause, ``1 - Kaplan-Meier`` with the other causes censored.
    Values past a group's last follow-up are empty (cmprsk's timepoints).
    Columns: strata, group, cause, cause_label, time, estimate, lower, upper, conf_type,
    one_minus_km. Tests: tests/test_competing_risks.py::test_milestone_table_matches_r_timepoints.
    """
    from .survival import kaplan_meier, survival_at

    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    rows = []
    for (label, k), curve in cuminc(t, c, g).items():
        est, var = curve.at(times)
        lower, upper = cuminc_band(est, var, conf_level, conf_type)
        m = g == label
        km = kaplan_meier(t[m], (c[m] == k).astype(int))
        s = survival_at(km, times)["survival"].to_numpy(dtype=float)
        rows.append(
            pd.DataFrame(
                {
                    "strata": strata,
                    "group": label,
                    "cause": k,
                    "cause_label": CAUSE_LABELS.get(k, str(k)),
                    "time": np.asarray(times, dtype=float),
                    "estimate": est,
                    "lower": lower,
                    "upper": upper,
                    "conf_type": conf_type,
                    "one_minus_km": 1 - s,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def hazard_ratio_table(
    time: object,
    cause: object,
    covariates: dict[str, np.ndarray],
    conf_level: float = 0.95,
    cause_of_interest: int = 1,
) -> pd.DataFrame:
    """Fine-Gray subdistribution HR beside the cause-specific HR, one binary covariate at a time.

    For each named 0/1 covariate: the Fine-Gray model (:func:`finegray_cox`, robust
    SE clustered on patient, as R's ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x +
    cluster(id), weights = fgwt, data = finegray(...), ties = "breslow")``) and the
    cause-specific Cox model (competing events censored, Efron ties, model-based SE,
    as R's ``coxph(Surv(time, cause == 1) ~ x)``). Columns: covariate, model, hr,
    lower, upper, p, se_type, events, conf_level.
    Tests: tests/test_landmark.py::test_hazard_ratio_table_matches_r.
    """
    t, c = _time_cause(time, cause)
    event = (c == cause_of_interest).astype(np.int64)
    origin = np.full(t.size, counting_origin(t))
    rows = []
    for name, values in covariates.items():
        x = np.asarray(values, dtype=np.float64).ravel()
        data = pd.DataFrame({"time": t, "cause": c, "x": x})
        fg = finegray_cox(data, "time", "cause", ["x"], cause_of_interest=cause_of_interest)
        cs = coxph_counting(origin, t, event, x[:, None], names=("x",))
        for model, tab, se_type in (
            ("fine_gray", fg.cox.table(conf_level, robust=True), "robust (cluster = patient)"),
            ("cause_specific", cs.table(conf_level), "model-based"),
        ):
            first = tab.iloc[0]
            rows.append(
                {
                    "covariate": name,
                    "model": model,
                    "hr": first["hr"],
                    "lower": first["lower"],
                    "upper": first["upper"],
                    "p": first["p"],
                    "se_type": se_type,
                    "events": int(event.sum()),
                    "conf_level": conf_level,
                }
            )
    return pd.DataFrame(rows)
