"""The log-rank test and its Fleming-Harrington G-rho family, as R's survdiff."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from ._validate import ArrayLike, checked_time_event, group_codes


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
    labels, codes, size_k = group_codes(group, t.size)
    n, d, n_k, d_k = group_event_table(t, e, codes, size_k)
    if rho == 0:  # w = 1: the weighted products would only copy
        w = None
        observed = d_k.sum(axis=1)
    else:
        surv_after = np.cumprod(1.0 - d / n)
        w = np.concatenate(([1.0], surv_after[:-1]))[: d.size] ** rho  # pooled S(t-)^rho
        observed = d_k @ w
    # n_k, d and d_k are overwritten once no longer needed: fewer large allocations.
    share = np.divide(n_k, n, out=n_k)
    expected = share @ (d if w is None else w * d)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = n - d  # d (n - d) / (n - 1), 0 where n = 1
        spread *= d
        spread /= np.subtract(n, 1.0, out=d)
    spread[n <= 1] = 0.0
    c = spread if w is None else w**2 * spread
    variance = np.diag(share @ c) - np.multiply(share, c, out=d_k) @ share.T
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
    Tests: tests/test_survival_r_parity.py::test_logrank (ties, 2 to 4 groups) and the
    row-order and group-relabelling properties in tests/test_survival_properties.py.
    """
    k = size_k.size
    bits_k = max(1, (k - 1).bit_length())
    low = np.empty(t.size, dtype=np.uint8 if bits_k < 8 else np.uint64)  # code << 1 | event
    key = _packed_key(t, e, codes, bits_k)
    if key is not None:
        key.sort()
        np.bitwise_and(key, np.uint64((1 << (1 + bits_k)) - 1), out=low, casting="unsafe")
        key >>= np.uint64(1 + bits_k)  # the rank alone: equal ranks are tied times
    else:
        key = (t + 0.0).view(np.uint64) << np.uint64(1)
        np.bitwise_or(key, e, out=key, dtype=np.uint64, casting="unsafe")
        order = np.argsort(key)
        key = key[order]
        np.bitwise_and(key, np.uint64(1), out=low, casting="unsafe")
        np.bitwise_or(low, codes[order] << 1, out=low, casting="unsafe")
        key >>= np.uint64(1)
    code = low >> 1
    is_event = (low & 1).astype(bool)
    rows = np.flatnonzero(is_event)
    new = np.empty(t.size, dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    del key, low
    if new.all():  # distinct times: each event row is its own event time, with d = 1
        n, d, n_k, d_k = _distinct_times(code, rows, size_k)
    else:
        n, d, n_k, d_k = _tied_times(code, is_event, rows, new, size_k)
    # the first group is the pool minus the others
    np.subtract(n, n_k[1] if k == 2 else n_k[1:].sum(axis=0), out=n_k[0])
    np.subtract(d, d_k[1] if k == 2 else d_k[1:].sum(axis=0), out=d_k[0])
    return n, d, n_k, d_k


def _counter(size: int) -> type:
    """The narrowest integer type that counts up to ``size`` (faster running sums)."""
    return np.int32 if size < 2**31 else np.int64


def _distinct_times(
    code: np.ndarray, rows: np.ndarray, size_k: np.ndarray
) -> tuple[np.ndarray, ...]:
    """group_event_table's counts (rows 1.. of n_k, d_k) when no two times are equal."""
    size, m, k = code.size, rows.size, size_k.size
    n = np.subtract(size, rows, dtype=np.float64)
    d = np.ones(m)
    n_k = np.empty((k, m))
    d_k = np.empty((k, m))
    for j in range(1, k):
        in_j = code if k == 2 else code == j
        d_k[j] = in_j[rows]
        # at risk in group j at event row r: its rows from r on = size_j - (rows before r)
        up_to = np.cumsum(in_j, dtype=_counter(size))[rows]  # rows up to r, r included
        np.subtract(size_k[j], up_to, out=n_k[j])
        n_k[j] += d_k[j]
    return n, d, n_k, d_k


def _tied_times(
    code: np.ndarray, is_event: np.ndarray, rows: np.ndarray, new: np.ndarray, size_k: np.ndarray
) -> tuple[np.ndarray, ...]:
    """group_event_table's counts (rows 1.. of n_k, d_k) when some times are tied."""
    size, k = code.size, size_k.size
    starts = np.flatnonzero(new)
    tie = (np.cumsum(new) - 1)[rows]  # tie index of each event row, non-decreasing
    keep = np.empty(tie.size, dtype=bool)
    keep[:1] = True
    np.not_equal(tie[1:], tie[:-1], out=keep[1:])
    ties = tie[keep]  # ties holding an event, in time order
    first = starts[ties]
    last = np.append(starts, size)[ties + 1]
    n = np.subtract(size, first, dtype=np.float64)
    before = np.zeros(size + 1, dtype=_counter(size))  # before[i]: marked rows before row i
    np.cumsum(is_event, out=before[1:], dtype=before.dtype)
    d = np.subtract(before[last], before[first], dtype=np.float64)
    n_k = np.empty((k, ties.size))
    d_k = np.empty((k, ties.size))
    for j in range(1, k):
        in_j = code == j
        np.cumsum(in_j, out=before[1:], dtype=before.dtype)
        np.subtract(size_k[j], before[first], out=n_k[j])
        in_j &= is_event
        np.cumsum(in_j, out=before[1:], dtype=before.dtype)
        np.subtract(before[last], before[first], out=d_k[j])
    return n, d, n_k, d_k


def _packed_key(t: np.ndarray, e: np.ndarray, codes: np.ndarray, bits_k: int) -> np.ndarray | None:
    """Keys ``rank(time) << (1 + bits_k) | code << 1 | event``, or None if they do not fit.

    ``rank`` maps a duration's bit pattern b to b - (smallest pattern), or, when some
    durations are 0, to b - (smallest positive pattern) + 1 and 0 for the zeros: it
    keeps order and equality, and leaves the 1 + bits_k low bits free as long as the
    durations span fewer than 2^(11 - bits_k) binades (1024 for two groups: 1e-150 to
    1e150 fits).
    """
    bits = t.view(np.uint64)
    lo = t.min()
    if lo == 0:  # zero durations (either sign) go to rank 0
        positive = t > 0
        if not positive.any():
            rank = np.zeros(t.size, dtype=np.uint64)
        else:
            floor = bits.min(where=positive, initial=np.iinfo(np.uint64).max) - np.uint64(1)
            rank = bits - floor  # wraps around for the zeros, reset next
            rank[~positive] = 0
        top = int(rank.max())
    else:  # positive durations: the smallest and largest patterns are those of min and max
        lo_bits = np.array(lo).view(np.uint64)
        rank = bits - lo_bits
        top = int(np.array(t.max()).view(np.uint64) - lo_bits)
    if top >= 1 << (63 - bits_k):
        return None
    small = np.uint8 if bits_k < 8 else np.uint64
    low = np.left_shift(codes, 1, dtype=small, casting="unsafe")  # code << 1 | event
    np.bitwise_or(low, e, out=low, dtype=small, casting="unsafe")
    rank <<= np.uint64(1 + bits_k)
    np.bitwise_or(rank, low, out=rank, dtype=np.uint64)
    return rank
