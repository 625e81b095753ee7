"""Competing risks: cumulative incidence, Gray's test, Fine-Gray data, as cmprsk and survival.

* :func:`cuminc` -- Aalen-Johansen cumulative incidence of each cause per group with the
  variance of Gray's ``cmprsk::cuminc`` (Fortran ``cinc``);
* :func:`cuminc_band` -- its pointwise confidence band (log(-log) by default);
* :func:`gray_test` -- Gray's (1988) K-sample test of equal cumulative incidence, with
  strata (``cmprsk::cuminc(..., strata =)``, Fortran ``crstm``);
* :func:`finegray` and :func:`finegray_cox` -- the Fine-Gray subdistribution hazard
  model through the weighted (start, stop] data of ``survival::finegray``, fitted by the
  one Cox engine (:func:`spinemets.methods.cox.coxph` with case weights).

Causes are coded 0 (censored), 1, 2, ... Near-equal times are merged first
(``timefix``, as R's ``finegray`` and ``survfit`` do); ``cmprsk::cuminc`` itself does
not merge them, so ``timefix=False`` reproduces it on data with near-ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import chdtrc, ndtri

from ..errors import SpinemetsError
from ._validate import ArrayLike, check_conf, check_time_cause, group_codes
from .cox import CoxFit, coxph
from .timefix import timefix_times
from .tmerge import counting_origin

__all__ = [
    "CumulativeIncidence",
    "FineGrayFit",
    "GrayTest",
    "cuminc",
    "cuminc_band",
    "finegray",
    "finegray_cox",
    "gray_test",
]

#: Confidence band transforms accepted by :func:`cuminc_band`.
CI_TYPES: tuple[str, ...] = ("log-log", "plain")


def _prepare(time: ArrayLike, cause: ArrayLike, timefix: bool) -> tuple[np.ndarray, np.ndarray]:
    t, c = check_time_cause(time, cause)
    return (timefix_times(t) if timefix else t), c


def _labels(
    group: ArrayLike | None, n: int, default: str = "group"
) -> tuple[list[str], np.ndarray]:
    """Group labels as text in R's factor order and each row's code."""
    if group is None:
        return ["all"], np.zeros(n, dtype=np.intp)
    labels, codes, _ = group_codes(group, n, default)
    return [_text(v) for v in labels], codes


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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

    def at(self, times: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Estimate and variance at ``times`` (``cmprsk::timepoints``): the last
        corner at or before t; NaN past the group's last follow-up."""
        t = np.asarray(times, dtype=np.float64).ravel()
        idx = np.searchsorted(self.time, t, side="right") - 1
        ok = (idx >= 0) & (t <= self.time[-1])
        pick = np.clip(idx, 0, None)
        est = np.where(ok, self.est[pick], np.nan)
        var = np.where(ok, self.var[pick], np.nan)
        return est, var

    @property
    def jumps(self) -> np.ndarray:
        """Indices of the corners after each jump (and the leading 0): the step table."""
        return np.r_[0, np.arange(2, self.time.size - 1, 2)]


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


def cuminc(
    time: ArrayLike, cause: ArrayLike, group: ArrayLike | None = None, timefix: bool = True
) -> dict[tuple[str, int], CumulativeIncidence]:
    """Cumulative incidence of each cause in each group, as ``cmprsk::cuminc``.

    Keys ``(group, cause)`` in R's order (causes ascending, then groups in factor
    order: numbers numerically, text alphabetically, a Categorical's own order); cause
    0 is censoring. With no competing events the estimate is ``1 - Kaplan-Meier``.
    Tests: tests/methods/test_cmprsk.py::test_cuminc_matches_r.
    """
    t, c = _prepare(time, cause, timefix)
    labels, codes = _labels(group, t.size)
    order = np.argsort(t, kind="stable")
    t, c, codes = t[order], c[order], codes[order]
    out: dict[tuple[str, int], CumulativeIncidence] = {}
    for k in sorted(int(x) for x in np.unique(c[c != 0])):
        for g, label in enumerate(labels):
            m = codes == g
            x, f, v = _cinc(t[m], c[m] != 0, c[m] == k)
            out[(label, k)] = CumulativeIncidence(label, k, x, f, v)
    return out


def cuminc_band(
    est: ArrayLike, var: ArrayLike, conf_level: float = 0.95, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band of a cumulative incidence F with variance V.

    ``log-log`` (default): on log(-log F), whose standard error is
    ``sqrt(V) / |F log F|``: lower = F^exp(z s), upper = F^exp(-z s); stays inside
    (0, 1); empty (NaN) where F is 0 or 1. ``plain``: F -/+ z sqrt(V) clipped to
    [0, 1]. cmprsk gives only V; the transform is the usual one (as in tidycmprsk).
    Tests: tests/methods/test_cmprsk.py::test_band_matches_r (formulas computed in R).
    """
    check_conf(conf_type, conf_level, CI_TYPES)
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
    n_strata: int = 1


def gray_test(
    time: ArrayLike,
    cause: ArrayLike,
    group: ArrayLike,
    cause_of_interest: int = 1,
    rho: float = 0.0,
    strata: ArrayLike | None = None,
    timefix: bool = True,
) -> GrayTest:
    """Gray's (1988) K-sample test for the cumulative incidence of one cause.

    Compares, at each event time, the observed events of the cause in each group with
    those expected under a common subdistribution hazard, with weights
    (1 - F(t-))^rho; the score s of the first K - 1 groups and its covariance V give
    ``stat = s' V^-1 s`` ~ chi-square(K - 1). With ``strata`` the score and covariance
    are computed within each stratum and summed (cmprsk's ``strata``). ``p`` is the
    upper tail itself, where R's ``1 - pchisq()`` rounds below ~1e-16 to 0; where V is
    singular R reports stat -1, here stat -1 and p NaN. Matches
    ``cmprsk::cuminc(time, cause, group, strata, rho)$Tests`` (Fortran ``crstm``).
    Tests: tests/methods/test_cmprsk.py::test_gray_matches_r (with and without strata).
    """
    t, c = _prepare(time, cause, timefix)
    labels, code = _labels(group, t.size)
    ng = len(labels)
    if ng < 2:
        raise SpinemetsError(f"gray_test: need at least 2 groups, got {ng}")
    scode = _labels(strata, t.size, "strata")[1]
    m = np.where(c == cause_of_interest, 1, np.where(c == 0, 0, 2))
    order = np.argsort(t, kind="stable")
    t, m, code, scode = t[order], m[order], code[order], scode[order]
    s = np.zeros(ng - 1)
    v = np.zeros((ng - 1, ng - 1))
    n_strata = int(scode.max()) + 1
    for k in range(n_strata):
        rows = scode == k
        if rows.any():
            sk, vk = _crst(t[rows], m[rows], code[rows], ng, rho)
            s += sk
            v += vk
    stat = float(s @ np.linalg.solve(v, s)) if np.linalg.matrix_rank(v) == ng - 1 else -1.0
    p = float(chdtrc(ng - 1, stat)) if stat >= 0 else float("nan")
    return GrayTest(int(cause_of_interest), stat, ng - 1, p, float(rho), tuple(labels), n_strata)


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


# ------------------------------------------------------------------- Fine-Gray


def finegray(
    time: ArrayLike, cause: ArrayLike, cause_of_interest: int = 1, timefix: bool = True
) -> pd.DataFrame:
    """The weighted counting-process data of ``survival::finegray`` (one stratum).

    Subjects with the cause of interest or censored keep one row (0, time] (R starts
    it below 0, at ``2 min(time) - 1``, when some time is 0:
    :func:`~spinemets.methods.tmerge.counting_origin`). A subject with a competing
    event stays in the risk set after it, with decreasing weight: the row (0, c_j] up
    to the first censoring time at or after their event, then one row per later
    censoring interval (c_{j-1}, c_j] that contains an event of interest, with weight
    G(c_{j-1}) / G(interval of their event), G the Kaplan-Meier of censoring (events
    precede censorings at tied times), up to the last follow-up.
    Columns: ``row`` (0-based index of the input), fgstart, fgstop, fgstatus, fgwt.
    One stratum, no user weights, no delayed entry (what R's finegray does with
    them is not reproduced).
    Tests: tests/methods/test_cmprsk.py::test_finegray_rows_match_r.
    """
    t, c = _prepare(time, cause, timefix)
    n = t.size
    # censoring Kaplan-Meier: at a tied time events leave the risk set first
    order = np.lexsort((c == 0, t))  # events (False) before censorings (True)
    ts, cs = t[order], c[order]
    at_risk = n - np.arange(n)
    cens = cs == 0
    ctimes, first = np.unique(ts[cens], return_index=True)
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
    hit = np.searchsorted(ct2, event_times, side="left")
    keep = np.zeros(ct2.size, dtype=bool)  # keep[j]: output interval (ct2[j-1], ct2[j]]
    keep[hit[hit < ct2.size]] = True
    keep[0] = True
    zero = counting_origin(t)
    kept = np.flatnonzero(keep)
    competing = (c != 0) & (c != cause_of_interest)
    j = np.minimum(np.searchsorted(ct2, t, side="left"), ct2.size - 1)  # competing: interval
    first_extra = np.searchsorted(kept, j, side="right")  # the first kept interval after j
    rows_per = 1 + np.where(competing, kept.size - first_extra, 0)
    row = np.repeat(np.arange(n), rows_per)
    within = np.arange(row.size) - np.repeat(np.cumsum(rows_per) - rows_per, rows_per)
    first = within == 0
    jj = kept[np.minimum(first_extra[row] + within - 1, kept.size - 1)]  # later rows' interval
    fgstart = np.where(first, zero, ct2[jj - 1])
    fgstop = np.where(first, np.where(competing, ct2[j], t)[row], ct2[jj])
    fgstatus = np.where(first, (c == cause_of_interest)[row], False).astype(np.int64)
    fgwt = np.where(first, 1.0, cp2[jj] / cp2[j[row]])
    return pd.DataFrame(
        {"row": row, "fgstart": fgstart, "fgstop": fgstop, "fgstatus": fgstatus, "fgwt": fgwt}
    )


@dataclass(frozen=True)
class FineGrayFit:
    """A Fine-Gray fit: the weighted Cox fit on :func:`finegray` rows and their size."""

    covariates: tuple[str, ...]
    cox: CoxFit
    n_subjects: int
    n_rows: int
    n_events: int


def finegray_cox(
    time: ArrayLike,
    cause: ArrayLike,
    x: ArrayLike | pd.DataFrame,
    cause_of_interest: int = 1,
    ties: str = "efron",
    cluster: str = "subject",
    names: Sequence[str] | None = None,
    timefix: bool = True,
) -> FineGrayFit:
    """Fine-Gray subdistribution hazard model, exp(coef) the subdistribution HR.

    R: ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x + cluster(id), weights = fgwt,
    data = finegray(Surv(time, factor(cause)) ~ ., data, etype = cause_of_interest),
    ties = ties)``. The variance is robust: clustered on the subject (``cluster =
    "subject"``, the usual choice) or on each row (``"row"``: what R's coxph does by
    default with non-integer weights and no cluster term). ``cox.naive_var`` is the
    model-based variance.
    Tests: tests/methods/test_cmprsk.py::test_finegray_cox_matches_r.
    """
    if cluster not in ("subject", "row"):
        raise SpinemetsError(f"cluster {cluster!r}; expected 'subject' or 'row'")
    t, c = _prepare(time, cause, timefix)
    if isinstance(x, pd.DataFrame):
        frame = x.reset_index(drop=True)
    else:
        m = np.asarray(x, dtype=np.float64)
        m = m[:, None] if m.ndim == 1 else m
        cols = list(names) if names is not None else [f"x{j + 1}" for j in range(m.shape[1])]
        frame = pd.DataFrame(m, columns=cols)
    if len(frame) != t.size:
        raise SpinemetsError(f"finegray_cox: {len(frame)} covariate rows for {t.size} times")
    fg = finegray(t, c, cause_of_interest, timefix=False)
    rows = fg["row"].to_numpy()
    fit = coxph(
        fg["fgstop"],
        fg["fgstatus"],
        frame.iloc[rows].reset_index(drop=True),
        start=fg["fgstart"],
        weights=fg["fgwt"],
        ties=ties,
        cluster=rows if cluster == "subject" else np.arange(rows.size),
        robust=True,
        names=names,
        timefix=False,
    )
    return FineGrayFit(tuple(fit.names), fit, t.size, len(fg), int(fg["fgstatus"].sum()))
