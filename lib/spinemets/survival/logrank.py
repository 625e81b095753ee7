"""The log-rank test and its Fleming-Harrington G-rho family, as R's survdiff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from ._validate import ArrayLike, as_groups, as_time_event
from .km import sort_time_event, sorted_event_table


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
    times, n_risk, n_event, _, _ = sorted_event_table(*sort_time_event(t, e))
    keep = n_event > 0  # only event times contribute
    n, d = n_risk[keep], n_event[keep]
    size_k = np.bincount(codes, minlength=k)
    n_k = np.empty((k, d.size))  # at risk per group (rows) at each event time
    d_k = np.empty((k, d.size))
    for j in range(k - 1):  # the last group is the pool minus the others
        in_j = codes == j
        tj, _, dj, cj, _ = sorted_event_table(*sort_time_event(t[in_j], e[in_j]))
        at = np.searchsorted(times, tj)  # tj is a subset of times
        leaving = np.zeros(times.size)
        leaving[at] = dj + cj
        n_k[j] = np.cumsum(leaving[::-1])[::-1][keep]  # group j still followed at t-0
        deaths = np.zeros(times.size)
        deaths[at] = dj
        d_k[j] = deaths[keep]
    n_k[k - 1] = n - n_k[: k - 1].sum(axis=0)
    d_k[k - 1] = d - d_k[: k - 1].sum(axis=0)
    if rho == 0:
        w = np.ones_like(d)
    else:
        surv_after = np.cumprod(1.0 - d / n)
        w = np.concatenate(([1.0], surv_after[:-1])) ** rho  # pooled S(t-)^rho
    share = n_k / n
    observed = d_k @ w
    expected = share @ (w * d)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    c = w**2 * spread
    variance = np.diag(share @ c) - (share * c) @ share.T
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
