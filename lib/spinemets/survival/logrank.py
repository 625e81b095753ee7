"""The log-rank test and its Fleming-Harrington G-rho family, as R's survdiff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from ._validate import ArrayLike, as_groups, as_time_event
from .km import sorted_event_table


@dataclass(frozen=True, eq=False)
class LogRank:
    """Result of :func:`logrank_test`; per-group arrays follow ``groups`` (sorted labels).

    ``observed`` and ``expected`` are weighted by S(t-)^rho as R's survdiff reports
    them (plain counts when rho = 0); ``variance`` is the hypergeometric covariance
    matrix of observed - expected; ``p`` is NaN when fewer than two groups have
    expected events (df = 0).
    """

    chisq: float
    df: int
    p: float
    observed: np.ndarray
    expected: np.ndarray
    groups: np.ndarray
    n: np.ndarray
    variance: np.ndarray
    rho: float


def logrank_test(time: ArrayLike, event: ArrayLike, group: ArrayLike, rho: float = 0.0) -> LogRank:
    """K-sample log-rank (rho = 0) or Peto-Peto-type G-rho test (rho > 0).

    At each distinct event time t with n at risk and d events (n_k, d_k in group k),
    weight w = S(t-)^rho (S the pooled Kaplan-Meier just before t):
    O_k = sum w d_k, E_k = sum w d n_k / n,
    V_kl = sum w^2 d (n - d) / (n - 1) (n_k / n) (1[k = l] - n_l / n);
    chisq = (O - E)' V^- (O - E) over the groups with E > 0 but the first,
    df = (number of groups with E > 0) - 1, p = P(chi2_df > chisq).
    Matches R ``survdiff(Surv(time, event) ~ group, rho = rho)``.
    Tests: tests/test_survival_r_parity.py::test_logrank (rho 0 and 1; 2 to 4 groups).
    """
    t, e = as_time_event(time, event)
    labels, codes = as_groups(group, t.size)
    k = labels.size
    order = np.argsort(t)
    ts, es, cs = t[order], e[order], codes[order]
    times, n_risk, n_event, _, starts = sorted_event_table(ts, es)
    n_k = np.empty((times.size, k))
    d_k = np.empty((times.size, k))
    size_k = np.bincount(codes, minlength=k)
    for j in range(k):
        in_j = (cs == j).astype(np.float64)
        count_j = np.add.reduceat(in_j, starts)
        n_k[:, j] = size_k[j] - np.cumsum(count_j) + count_j
        d_k[:, j] = np.add.reduceat(in_j * es, starts)
    keep = n_event > 0
    n, d, n_k, d_k = n_risk[keep], n_event[keep], n_k[keep], d_k[keep]
    if rho == 0:
        w = np.ones_like(d)
    else:
        surv_after = np.cumprod(1.0 - n_event / n_risk)[keep]
        surv_before = np.concatenate(([1.0], surv_after[:-1]))
        w = surv_before**rho
    share = n_k / n[:, None]
    observed = (w[:, None] * d_k).sum(axis=0)
    expected = ((w * d)[:, None] * share).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    c = w**2 * spread
    variance = np.diag(c @ share) - share.T @ (c[:, None] * share)
    used = np.flatnonzero(expected > 0)
    df = int(used.size - 1)
    if df < 1:
        chisq, p = 0.0, float("nan")
    else:
        u = (observed - expected)[used][1:]
        v = variance[np.ix_(used, used)][1:, 1:]
        try:
            chisq = float(u @ np.linalg.solve(v, u))
        except np.linalg.LinAlgError:
            chisq = float(u @ np.linalg.pinv(v) @ u)
        p = float(chdtrc(df, chisq))
    return LogRank(
        chisq=chisq,
        df=df,
        p=p,
        observed=observed,
        expected=expected,
        groups=labels,
        n=size_k,
        variance=variance,
        rho=float(rho),
    )
