"""The log-rank test and its Fleming-Harrington G-rho family, as R's survdiff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from ._validate import ArrayLike, as_groups, checked_time_event


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
    t, e = checked_time_event(time, event)
    labels, codes = as_groups(group, t.size)
    k = labels.size
    size_k = np.bincount(codes, minlength=k)
    n, d, n_k, d_k = group_event_table(t, e, codes, size_k)
    share = n_k / n
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = n - d  # d (n - d) / (n - 1), 0 where n = 1
        spread *= d
        spread /= n - 1.0
    spread[n <= 1] = 0.0
    if rho == 0:  # w = 1: the products below would only copy
        observed = d_k.sum(axis=1)
        expected = share @ d
        c = spread
    else:
        surv_after = np.cumprod(1.0 - d / n)
        w = np.concatenate(([1.0], surv_after[:-1]))[: d.size] ** rho  # pooled S(t-)^rho
        observed = d_k @ w
        expected = share @ (w * d)
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


def group_event_table(
    t: np.ndarray, e: np.ndarray, codes: np.ndarray, size_k: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pooled and per-group counts at the distinct event times, from one sort.

    Returns ``n, d`` (pooled at risk and events) and ``n_k, d_k`` (one row per group
    code), float64, one column per distinct event time. Each observation becomes one
    uint64 key ``rank(time) << (1 + b) | code << 1 | event`` (b bits for the codes,
    ``rank`` an order-preserving offset of the duration's bit pattern) and one SIMD sort
    orders them all; when the durations span too many binades for that, an argsort of
    ``bits(time) << 1 | event`` and a gather of the codes do the same job.
    """
    k = size_k.size
    bits_k = max(1, (k - 1).bit_length())
    low_mask = np.uint64((1 << (1 + bits_k)) - 1)
    key = _packed_key(t, e, codes, bits_k)
    low = np.empty(key.size if key is not None else t.size, dtype=np.intp)
    if key is not None:
        key.sort()
        np.bitwise_and(key, low_mask, out=low, casting="unsafe")
        key >>= np.uint64(1 + bits_k)  # the rank alone: equal ranks are tied times
    else:
        key = (t + 0.0).view(np.uint64) << np.uint64(1)
        np.bitwise_or(key, e, out=key, dtype=np.uint64, casting="unsafe")
        order = np.argsort(key)
        key = key[order]
        np.bitwise_and(key, np.uint64(1), out=low, casting="unsafe")
        low |= codes[order] << 1
        key >>= np.uint64(1)
    code = low >> 1
    is_event = (low & 1).astype(bool)
    rows = np.flatnonzero(is_event)
    size = key.size
    new = np.empty(size, dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    del key, low
    # before[i]: number of marked rows before row i (float: exact, and no casts later)
    before = np.empty(size + 1)
    before[0] = 0.0
    n_k = np.empty((k, rows.size))
    d_k = np.empty((k, rows.size))
    if new.all():  # distinct times: each event row is its own event time, with d = 1
        first = rows
        n = np.subtract(size, rows, dtype=np.float64)
        d = np.ones(rows.size)
        for j in range(k - 1):  # the last group is the pool minus the others
            in_j = code == j
            np.cumsum(in_j, out=before[1:])
            np.take(before, first, out=n_k[j])
            np.subtract(size_k[j], n_k[j], out=n_k[j])
            d_k[j] = in_j[rows]
    else:
        starts = np.flatnonzero(new)
        tie = (np.cumsum(new) - 1)[rows]  # tie index of each event row, non-decreasing
        keep = np.empty(tie.size, dtype=bool)
        keep[:1] = True
        np.not_equal(tie[1:], tie[:-1], out=keep[1:])
        ties = tie[keep]  # ties holding an event, in time order
        first = starts[ties]
        last = np.append(starts, size)[ties + 1]
        n_k = n_k[:, : ties.size]
        d_k = d_k[:, : ties.size]
        n = np.subtract(size, first, dtype=np.float64)
        np.cumsum(is_event, out=before[1:])
        d = before[last] - before[first]
        for j in range(k - 1):
            in_j = code == j
            np.cumsum(in_j, out=before[1:])
            np.subtract(size_k[j], before[first], out=n_k[j])
            in_j &= is_event
            np.cumsum(in_j, out=before[1:])
            np.subtract(before[last], before[first], out=d_k[j])
    if k == 2:
        np.subtract(n, n_k[0], out=n_k[1])
        np.subtract(d, d_k[0], out=d_k[1])
    else:
        n_k[k - 1] = n - n_k[: k - 1].sum(axis=0)
        d_k[k - 1] = d - d_k[: k - 1].sum(axis=0)
    return n, d, n_k, d_k


def _packed_key(t: np.ndarray, e: np.ndarray, codes: np.ndarray, bits_k: int) -> np.ndarray | None:
    """Keys ``rank(time) << (1 + bits_k) | code << 1 | event``, or None if they do not fit.

    ``rank`` maps a duration's bit pattern b to b - (smallest pattern), or, when some
    durations are 0, to b - (smallest positive pattern) + 1 and 0 for the zeros: it
    keeps order and equality, and leaves the 1 + bits_k low bits free as long as the
    durations span fewer than about 2^(10 - bits_k) binades (e.g. 1e-150..1e150, k=2).
    """
    bits = t.view(np.uint64)
    if t.min() == 0:  # zero durations (either sign) go to rank 0
        positive = t > 0
        if not positive.any():
            rank = np.zeros(t.size, dtype=np.uint64)
        else:
            floor = bits.min(where=positive, initial=np.iinfo(np.uint64).max) - np.uint64(1)
            rank = bits - floor  # wraps around for the zeros, reset next
            rank[~positive] = 0
    else:
        rank = bits - bits.min()
    if int(rank.max()) >= 1 << (63 - bits_k):
        return None
    rank <<= np.uint64(bits_k)
    np.bitwise_or(rank, codes, out=rank, dtype=np.uint64, casting="unsafe")
    rank <<= np.uint64(1)
    np.bitwise_or(rank, e, out=rank, dtype=np.uint64, casting="unsafe")
    return rank
