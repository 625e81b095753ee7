"""The log-rank test and its Fleming-Harrington G-rho family, as R's survdiff.

One core computes the statistic from per-time counts: :func:`logrank_moments` turns
numbers at risk and events per group and time into the expected counts and the
hypergeometric covariance, :func:`logrank_chisq` applies survdiff's rule for the
chi-square. Everything that computes a log-rank statistic calls it:
:func:`logrank_test` (any number of groups, strata, rho), the batched permutation test
(:mod:`spinemets.methods.permutation`, many relabellings at once) and
:func:`two_group_logrank` (two groups counted on a grid, vectorised over many
candidates, for the calibration of the synthetic cohort).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from ._validate import ArrayLike, check_time_event, group_codes
from .timefix import merged_starts, timefix_times

__all__ = [
    "LogRank",
    "group_event_table",
    "logrank_chisq",
    "logrank_moments",
    "logrank_test",
    "two_group_chisq",
    "two_group_logrank",
]


# ----------------------------------------------------------------------------- the core


def logrank_moments(
    n_risk_group: np.ndarray,
    n_risk: np.ndarray,
    n_event: np.ndarray,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected events and their covariance under equal hazards, from per-time counts.

    ``n_risk_group`` is (..., k, m): at risk in each of k groups at m times;
    ``n_risk`` and ``n_event`` are (..., m): pooled at risk and events (the pool may
    hold groups not among the k, so passing one group of two gives its 1 x 1 block);
    ``weight`` (..., m) is the G-rho weight w (None: 1). With share s_k = n_k / n and
    c = w^2 d (n - d) / (n - 1) (0 where n <= 1):
    ``E_k = sum_t w d s_k`` and ``V_kl = sum_t c s_k (1[k = l] - s_l)``, R survdiff's
    expected counts and variance (survdiff2.c). Times with n = 0 contribute nothing.
    Returns ``E`` (..., k) and ``V`` (..., k, k).
    Tests: tests/methods/test_logrank.py (R survdiff; the three callers agree).
    """
    n = np.asarray(n_risk, dtype=np.float64)
    d = np.asarray(n_event, dtype=np.float64)
    nk = np.asarray(n_risk_group, dtype=np.float64)
    positive = n > 0
    c = np.subtract(n, d)  # d (n - d) / (n - 1), 0 where n <= 1
    c *= d
    np.divide(c, n - 1.0, out=c, where=n > 1)
    c[n <= 1] = 0.0
    wd = d if weight is None else weight * d
    if weight is not None:
        c *= weight**2
    if nk.shape[-2] == 1:  # one group (e.g. the first of two): elementwise, no matrices
        share = np.divide(
            nk[..., 0, :], n, out=np.zeros(np.broadcast(nk[..., 0, :], n).shape), where=positive
        )
        expected = (share * wd).sum(axis=-1)
        share *= 1.0 - share
        variance = (share * c).sum(axis=-1)
        return expected[..., None], variance[..., None, None]
    share = np.divide(
        nk,
        n[..., None, :],
        out=np.zeros(np.broadcast(nk, n[..., None, :]).shape),
        where=positive[..., None, :],
    )
    expected = share @ wd[..., :, None]
    weighted = share * c[..., None, :]
    variance = -(weighted @ np.swapaxes(share, -1, -2))
    diag = np.einsum("...kk->...k", variance)  # a writable view of the diagonal
    diag += weighted.sum(axis=-1)
    return expected[..., 0], variance


def logrank_chisq(
    observed: np.ndarray, expected: np.ndarray, variance: np.ndarray
) -> tuple[float, int]:
    """R survdiff's chi-square and degrees of freedom for one test.

    ``(O - E)' V^- (O - E)`` over the groups with E > 0 but the first of them;
    df = (number of groups with E > 0) - 1; (0, 0) when fewer than two groups have
    expected events (R prints no test then).
    Tests: tests/methods/test_logrank.py::test_logrank_matches_r_on_new_data.
    """
    used = np.flatnonzero(expected > 0)
    df = int(used.size - 1)
    if df < 1:
        return 0.0, 0
    u = (observed - expected)[used][1:]
    v = variance[np.ix_(used, used)][1:, 1:]
    try:
        chisq = float(u @ np.linalg.solve(v, u))
    except np.linalg.LinAlgError:
        chisq = float(u @ np.linalg.pinv(v) @ u)
    return chisq, df


def two_group_chisq(
    observed_1: np.ndarray, expected_1: np.ndarray, variance_1: np.ndarray
) -> np.ndarray:
    """(O1 - E1)^2 / V11, vectorised; 0 where V11 = 0 (no information).

    Tests: tests/methods/test_permutation.py::test_batched_statistics_equal_logrank_test."""
    with np.errstate(divide="ignore", invalid="ignore"):
        chisq = (observed_1 - expected_1) ** 2 / variance_1
    return np.where(variance_1 > 0, chisq, 0.0)


def two_group_logrank(
    n_risk_1: np.ndarray, n_event_1: np.ndarray, n_risk_2: np.ndarray, n_event_2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two-group log-rank chi-square and p (1 df) from counts on a common time grid.

    Arrays (..., m): numbers at risk and events of each group at m times (times
    without events contribute nothing, so a whole grid may be passed); the result has
    shape (...). For the calibration evaluator, which scores many candidate cohorts
    at once. Same statistic as :func:`logrank_test` (survdiff, rho = 0).
    Tests: tests/methods/test_logrank.py::test_grid_counts_give_the_same_statistic.
    """
    n1 = np.asarray(n_risk_1, dtype=np.float64)
    d1 = np.asarray(n_event_1, dtype=np.float64)
    expected, variance = logrank_moments(
        n1[..., None, :], n1 + n_risk_2, d1 + np.asarray(n_event_2, dtype=np.float64)
    )
    chisq = two_group_chisq(d1.sum(axis=-1), expected[..., 0], variance[..., 0, 0])
    return chisq, chdtrc(1, chisq)


# ----------------------------------------------------------------------------- the test


@dataclass(frozen=True, eq=False)
class LogRank:
    """Result of :func:`logrank_test`; per-group arrays follow ``groups`` (sorted labels).

    ``observed`` and ``expected`` are weighted by S(t-)^rho as R's survdiff reports
    them (plain counts when rho = 0), summed over strata; ``variance`` is the
    hypergeometric covariance matrix of observed - expected; ``p`` is NaN when fewer
    than two groups have expected events (df = 0).
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
    n_strata: int = 1


def logrank_test(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    rho: float = 0.0,
    strata: ArrayLike | None = None,
    timefix: bool = True,
) -> LogRank:
    """K-sample log-rank (rho = 0) or Peto-Peto-type G-rho test (rho > 0).

    At each distinct event time t with n at risk and d events (n_k, d_k in group k),
    weight w = S(t-)^rho (S the pooled Kaplan-Meier just before t):
    O_k = sum w d_k, E_k and V as in :func:`logrank_moments`;
    chisq = (O - E)' V^- (O - E) over the groups with E > 0 but the first,
    df = (number of groups with E > 0) - 1, p = P(chi2_df > chisq). With ``strata``,
    risk sets (and the weights' Kaplan-Meier) are formed within each stratum and O, E
    and V are summed over strata. Near-equal times are merged first (``timefix``).
    Matches R ``survdiff(Surv(time, event) ~ group + strata(strata), rho = rho)``.
    Tests: tests/methods/test_logrank.py (R: rho 0 and 1, 2 to 4 groups, strata, edge
    cases), tests/methods/test_properties.py.
    """
    t, e = check_time_event(time, event)
    labels, codes, size_k = group_codes(group, t.size)
    if strata is None:
        n, d, n_k, d_k = group_event_table(t, e, codes, size_k, timefix=timefix)
        observed, expected, variance = _moments(n, d, n_k, d_k, rho)
        n_strata = 1
    else:
        _, scodes, _ = group_codes(strata, t.size, "strata")
        if timefix:
            t = timefix_times(t)
        k = size_k.size
        observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
        n_strata = int(scodes.max()) + 1
        for s in range(n_strata):
            rows = np.flatnonzero(scodes == s)
            codes_s = codes[rows]
            tables = group_event_table(
                t[rows], e[rows], codes_s, np.bincount(codes_s, minlength=k), timefix=False
            )
            o, ex, v = _moments(*tables, rho)
            observed += o
            expected += ex
            variance += v
    chisq, df = logrank_chisq(observed, expected, variance)
    return LogRank(
        chisq=chisq,
        df=df,
        p=float(chdtrc(df, chisq)) if df > 0 else float("nan"),
        observed=observed,
        expected=expected,
        groups=labels,
        n=size_k,
        variance=variance,
        rho=float(rho),
        n_strata=n_strata,
    )


def _moments(
    n: np.ndarray, d: np.ndarray, n_k: np.ndarray, d_k: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, expected and covariance of one stratum's event table."""
    if rho == 0:
        return d_k.sum(axis=1), *logrank_moments(n_k, n, d)
    surv_after = np.cumprod(1.0 - d / n)
    w = np.concatenate(([1.0], surv_after[:-1]))[: d.size] ** rho  # pooled S(t-)^rho
    return d_k @ w, *logrank_moments(n_k, n, d, w)


# ------------------------------------------------------------------- the event table


def group_event_table(
    t: np.ndarray,
    e: np.ndarray,
    codes: np.ndarray,
    size_k: np.ndarray,
    timefix: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pooled and per-group counts at the distinct event times, from one sort.

    Returns ``n, d`` (pooled at risk and events) and ``n_k, d_k`` (one row per group
    code), float64, one column per distinct event time. Each observation becomes one
    uint64 key ``rank(time) << (1 + b) | code << 1 | event`` (b bits for the codes,
    ``rank`` an order-preserving offset of the duration's bit pattern) and one SIMD sort
    orders them all; when the durations span too many binades for that, an argsort of
    ``bits(time) << 1 | event`` and a gather of the codes do the same job. With
    ``timefix`` the sorted times are merged as R's aeqSurv before ties are found.
    Tests: tests/methods/test_logrank.py::test_sort_paths_agree and the row-order and
    group-relabelling properties in tests/methods/test_properties.py.
    """
    k = size_k.size
    bits_k = max(1, (k - 1).bit_length())
    low = np.empty(t.size, dtype=np.uint8 if bits_k < 8 else np.uint64)  # code << 1 | event
    packed = _packed_key(t, e, codes, bits_k)
    if packed is not None:
        key, floor, zeros = packed
        key.sort()
        np.bitwise_and(key, np.uint64((1 << (1 + bits_k)) - 1), out=low, casting="unsafe")
        key >>= np.uint64(1 + bits_k)  # the rank alone: equal ranks are tied times
        sorted_time = _rank_times(key, floor, zeros) if timefix else None
    else:
        key = (t + 0.0).view(np.uint64) << np.uint64(1)
        np.bitwise_or(key, e, out=key, dtype=np.uint64, casting="unsafe")
        order = np.argsort(key)
        key = key[order]
        np.bitwise_and(key, np.uint64(1), out=low, casting="unsafe")
        np.bitwise_or(low, codes[order] << 1, out=low, casting="unsafe")
        key >>= np.uint64(1)
        sorted_time = key.view(np.float64) if timefix else None
    new = merged_starts(sorted_time) if sorted_time is not None else None
    if new is None:  # ties are equal times only
        new = np.empty(t.size, dtype=bool)
        new[:1] = True
        np.not_equal(key[1:], key[:-1], out=new[1:])
    code = low >> 1
    is_event = (low & 1).astype(bool)
    rows = np.flatnonzero(is_event)
    del key, low
    if new.all():  # distinct times: each event row is its own event time, with d = 1
        n, d, n_k, d_k = _distinct_times(code, rows, size_k)
    else:
        n, d, n_k, d_k = _tied_times(code, rows, new, size_k)
    # the first group is the pool minus the others
    np.subtract(n, n_k[1] if k == 2 else n_k[1:].sum(axis=0), out=n_k[0])
    np.subtract(d, d_k[1] if k == 2 else d_k[1:].sum(axis=0), out=d_k[0])
    return n, d, n_k, d_k


def _rank_times(rank: np.ndarray, floor: np.uint64, zeros: bool) -> np.ndarray:
    """The sorted durations back from the packed key's ranks (see :func:`_packed_key`)."""
    bits = rank + floor
    if zeros:
        bits[rank == 0] = 0
    return bits.view(np.float64)


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
    code: np.ndarray, rows: np.ndarray, new: np.ndarray, size_k: np.ndarray
) -> tuple[np.ndarray, ...]:
    """group_event_table's counts (rows 1.. of n_k, d_k) when some times are tied.

    ``new`` marks the first row of each run of (merged) equal times. Each event row's
    run starts at ``first``; the number at risk there is the rows from ``first`` on,
    and the events of a run are counted among the event rows only.
    """
    size, k, m = code.size, size_k.size, rows.size
    run_start = np.where(new, np.arange(size, dtype=_counter(size)), 0)
    np.maximum.accumulate(run_start, out=run_start)
    first_of = run_start[rows]  # run start of each event row, non-decreasing
    del run_start
    keep = np.empty(m, dtype=bool)
    keep[:1] = True
    np.not_equal(first_of[1:], first_of[:-1], out=keep[1:])
    idx = np.flatnonzero(keep)  # first event row of each event time
    first = first_of[idx]
    n = np.subtract(size, first, dtype=np.float64)
    d = np.diff(idx, append=m).astype(np.float64)
    n_k = np.empty((k, idx.size))
    d_k = np.empty((k, idx.size))
    before = np.zeros(size + 1, dtype=_counter(size))  # before[i]: group-j rows before row i
    for j in range(1, k):
        in_j = code if k == 2 else code == j
        np.cumsum(in_j, out=before[1:], dtype=before.dtype)
        np.subtract(size_k[j], before[first], out=n_k[j])
        d_k[j] = np.add.reduceat(in_j[rows].astype(np.int64), idx)
    return n, d, n_k, d_k


def _packed_key(
    t: np.ndarray, e: np.ndarray, codes: np.ndarray, bits_k: int
) -> tuple[np.ndarray, np.uint64, bool] | None:
    """Keys ``rank(time) << (1 + bits_k) | code << 1 | event``, the rank's offset, zeros.

    ``rank`` maps a duration's bit pattern b to b - (smallest pattern), or, when some
    durations are 0, to b - (smallest positive pattern) + 1 and 0 for the zeros: it
    keeps order and equality, and leaves the 1 + bits_k low bits free as long as the
    durations span fewer than 2^(11 - bits_k) binades (1024 for two groups: 1e-150 to
    1e150 fits). Returns None when they do not fit. ``rank + offset`` (0 where the
    rank is 0 and some durations are 0) is the duration's bit pattern again.
    """
    bits = t.view(np.uint64)
    lo = t.min()
    zeros = bool(lo == 0)
    if zeros:  # zero durations (either sign) go to rank 0
        positive = t > 0
        if not positive.any():
            rank = np.zeros(t.size, dtype=np.uint64)
            floor = np.uint64(0)
        else:
            floor = bits.min(where=positive, initial=np.iinfo(np.uint64).max) - np.uint64(1)
            rank = bits - floor  # wraps around for the zeros, reset next
            rank[~positive] = 0
        top = int(rank.max())
    else:  # positive durations: the smallest and largest patterns are those of min and max
        floor = np.array(lo).view(np.uint64)[()]
        rank = bits - floor
        top = int(np.array(t.max()).view(np.uint64) - floor)
    if top >= 1 << (63 - bits_k):
        return None
    small = np.uint8 if bits_k < 8 else np.uint64
    low = np.left_shift(codes, 1, dtype=small, casting="unsafe")  # code << 1 | event
    np.bitwise_or(low, e, out=low, dtype=small, casting="unsafe")
    rank <<= np.uint64(1 + bits_k)
    np.bitwise_or(rank, low, out=rank, dtype=np.uint64)
    return rank, floor, zeros
