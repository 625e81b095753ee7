"""Fast, vectorised Kaplan-Meier statistics of many candidate cohorts at once.

All times are whole months on the grid 0..MAX_MONTH, so every curve is computed
from per-cell counts (events and removals per month) with a handful of numpy
operations on arrays of shape (candidates, curves, months). The conventions are
R's survival package (checked against R by ``tests/paper/test_calibrate_r.py``, and
against a per-patient reference by ``tests/paper/test_calibrate_evaluator.py``):

* ``survfit``: a patient censored at t is still at risk at t; S(36) includes
  events at 36 (``summary(fit, times = 36)``).
* ``conf.type = "log"``: S exp(+-1.96 sqrt(sum d / (n (n - d)))), the upper
  limit capped at 1, both undefined where S = 0.
* ``quantile.survfit``: the median is the first event time where S < 0.5 (with a
  tolerance of sqrt(machine epsilon)); on an exact 0.5 plateau it is the
  midpoint between that time and the next event time (the last follow-up time if
  there is none). R's ``findq`` picks, among event times, the one whose
  value 1 - S is the smallest at or above 0.5 - tol; the same rule on the lower
  and upper bands gives the CI limits (the upper band need not be monotone).
* ``survdiff``: log-rank chi-square (O1 - E1)^2 / V1 with the hypergeometric
  variance, p from chi-square with 1 degree of freedom.

:class:`ApproximateEvaluator` is the search's annealing evaluator: the values of
``statistics(..., approximate=True)`` for valid cohorts, bit for bit, in fewer numpy
calls (tests/paper/test_calibrate_evaluator.py::test_approximate_evaluator_is_bit_identical).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ...methods.km import confidence_band
from ...methods.logrank import two_group_logrank
from .targets import CELLS, GROUPS, LPFS_GROUPS, OS_GROUPS, RATE_TIMES, TARGETS

#: Largest time (months) a patient may have; the grid is 0..MAX_MONTH.
MAX_MONTH = 144
GRID = MAX_MONTH + 1
CONF_LEVEL = 0.95
TOL = float(np.sqrt(np.finfo(float).eps))

N_CELLS = len(CELLS)


def cell_counts(
    times: np.ndarray, events: np.ndarray, cell: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Events and removals per (candidate, cell, month) from (candidates, patients) arrays."""
    b, n = times.shape
    idx = ((np.arange(b)[:, None] * N_CELLS + cell[None, :]) * GRID + times).ravel()
    size = b * N_CELLS * GRID
    ev = np.bincount(idx, weights=events.ravel(), minlength=size)
    tot = np.bincount(idx, minlength=size).astype(float)
    return ev.reshape(b, N_CELLS, GRID), tot.reshape(b, N_CELLS, GRID)


def _membership(groups: tuple[str, ...]) -> np.ndarray:
    m = np.zeros((len(groups), N_CELLS))
    for row, g in enumerate(groups):
        m[row, list(GROUPS[g])] = 1.0
    return m


_MEMBERSHIP = {g: _membership(g) for g in (OS_GROUPS, LPFS_GROUPS)}


def _groups(cells: np.ndarray, groups: tuple[str, ...]) -> np.ndarray:
    """Sum (candidates, cells, months) counts into (candidates, groups, months)."""
    return _MEMBERSHIP[groups] @ cells


def at_risk(removed: np.ndarray) -> np.ndarray:
    """Numbers at risk at each month: censored at t are still at risk at t."""
    total = removed.sum(axis=-1, keepdims=True)
    return total - np.cumsum(removed, axis=-1) + removed


def km(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival on the month grid: prod over months <= t of (1 - d/n)."""
    h = np.divide(d, n, out=np.zeros_like(d), where=n > 0)
    return np.cumprod(1.0 - h, axis=-1)


def log_bands(s: np.ndarray, d: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-type 95% band (R: conf.type = "log"); NaN where S = 0.

    The Greenwood standard error of the cumulative hazard on the month grid, then
    :func:`spinemets.methods.km.confidence_band` (the package's one band)."""
    denom = n * (n - d)
    term = np.divide(d, denom, out=np.zeros_like(d), where=(d > 0) & (denom > 0))
    return confidence_band(s, np.sqrt(np.cumsum(term, axis=-1)), "log", CONF_LEVEL)


def last_time(removed: np.ndarray) -> np.ndarray:
    """Last month with anyone leaving the risk set (the curve's last time)."""
    return removed.shape[-1] - 1 - np.argmax(removed[..., ::-1] > 0, axis=-1)


def _findq(y: np.ndarray, event: np.ndarray, last: np.ndarray, p: float = 0.5) -> np.ndarray:
    """R's survival:::findq on the month grid for y = 1 - curve; NaN where R gives NA."""
    months = np.arange(y.shape[-1], dtype=float)
    ok = event & ~np.isnan(y)
    y1 = np.where(ok & (y + TOL >= p), y, np.inf)
    y2 = np.where(ok & (y - TOL >= p), y, np.inf)
    j1 = np.argmin(y1, axis=-1)
    j2 = np.argmin(y2, axis=-1)
    has1 = np.isfinite(np.take_along_axis(y1, j1[..., None], -1)[..., 0])
    has2 = np.isfinite(np.take_along_axis(y2, j2[..., None], -1)[..., 0])
    # R drops duplicated values of y, so its last point is the last event time;
    # an undefined band there (S reached 0) means no midpoint rule.
    j_last = y.shape[-1] - 1 - np.argmax(event[..., ::-1], axis=-1)
    y_last = np.take_along_axis(np.where(event, y, np.nan), j_last[..., None], -1)[..., 0]
    lastpt = np.abs(p - y_last) < TOL
    q = np.where(has2, (months[j1] + months[j2]) / 2, np.nan)
    q = np.where(~has2 & lastpt & has1, (months[j1] + last) / 2, q)
    return np.where(has1, q, np.nan)


def logrank_p(d1: np.ndarray, n1: np.ndarray, d2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """survdiff p-value for two groups (1 df), from per-month events and numbers at risk:
    :func:`spinemets.methods.logrank.two_group_logrank` (the package's one log-rank)."""
    return two_group_logrank(n1, d1, n2, d2)[1]


_RATE_TIMES = np.array(RATE_TIMES)
_P_ORDER = (("os", "surgery"), ("os", "adjuvant_therapy"), ("lpfs", "surgery"))


def _output_index() -> np.ndarray:
    """Where each target sits in the flat (medians, rates, p-values, lp median) row."""
    kinds = ("median", "median_lower", "median_upper")
    n_os = len(OS_GROUPS)
    idx = []
    for t in TARGETS:
        if t.kind in kinds:
            idx.append(kinds.index(t.kind) * n_os + OS_GROUPS.index(t.group))
        elif t.kind == "rate":
            row = (
                OS_GROUPS.index(t.group)
                if t.endpoint == "os"
                else n_os + LPFS_GROUPS.index(t.group)
            )
            idx.append(3 * n_os + 2 * row + list(_RATE_TIMES).index(t.time))
        elif t.kind == "p_value":
            idx.append(
                3 * n_os + 2 * (n_os + len(LPFS_GROUPS)) + _P_ORDER.index((t.endpoint, t.group))
            )
        else:
            idx.append(3 * n_os + 2 * (n_os + len(LPFS_GROUPS)) + len(_P_ORDER))
    return np.array(idx)


_OUTPUT_INDEX = _output_index()


def statistics(
    os_months: np.ndarray,
    death: np.ndarray,
    lp_months: np.ndarray,
    progression: np.ndarray,
    cell: np.ndarray,
    horizon: int = MAX_MONTH,
    approximate: bool = False,
) -> np.ndarray:
    """Reconstructed value of every target in :data:`TARGETS` order, per candidate.

    Arrays are (candidates, patients) integers (1-D arrays are one candidate);
    ``cell`` is (patients,) indices into ``CELLS``. Rates are in percent. Returns
    (candidates, targets) floats, NaN where R gives NA (e.g. a median not reached).
    ``horizon`` < MAX_MONTH looks for medians and CI limits only up to that month
    (NaN beyond); log-rank tests always use every month. ``approximate`` (for the
    search's speed only) takes each median or limit as the first month below 0.5,
    ignoring R's midpoint rule and a non-monotone upper band.
    """
    arrays = [np.atleast_2d(np.asarray(a)) for a in (os_months, death, lp_months, progression)]
    os_m, dead, lp_m, prog = arrays
    cell = np.asarray(cell)
    h = horizon + 1
    ev, tot = cell_counts(os_m, dead.astype(float), cell)
    d_os, r_os = _groups(ev, OS_GROUPS), _groups(tot, OS_GROUPS)
    n_os = at_risk(r_os)
    s = km(d_os[..., :h], n_os[..., :h])
    lower, upper = log_bands(s, d_os[..., :h], n_os[..., :h])
    event = d_os[..., :h] > 0
    last = last_time(r_os)
    if approximate:
        med = {
            k: np.where(
                (c < 0.5 - TOL).any(axis=-1), (c >= 0.5 - TOL).sum(axis=-1).astype(float), np.nan
            )
            for k, c in (("median", s), ("median_lower", lower), ("median_upper", upper))
        }
    else:
        med = {
            "median": _findq(1 - s, event, last.astype(float)),
            "median_lower": _findq(1 - lower, event, last.astype(float)),
            "median_upper": _findq(1 - upper, event, last.astype(float)),
        }
    ev_lp, tot_lp = cell_counts(lp_m, prog.astype(float), cell)
    d_lp, r_lp = _groups(ev_lp, LPFS_GROUPS), _groups(tot_lp, LPFS_GROUPS)
    n_lp = at_risk(r_lp)
    s_lp = km(d_lp[..., :61], n_lp[..., :61])
    last_lp = last_time(r_lp)
    # log-rank: (decompression vs metastasectomy) for OS and LPFS, (cytokine vs targeted) for OS
    i1, i2 = (
        [OS_GROUPS.index(g) for g in ("decompression", "cytokine")],
        [OS_GROUPS.index(g) for g in ("metastasectomy", "targeted")],
    )
    j1, j2 = LPFS_GROUPS.index("decompression"), LPFS_GROUPS.index("metastasectomy")
    d1 = np.concatenate([d_os[:, i1], d_lp[:, [j1]]], axis=1)
    n1 = np.concatenate([n_os[:, i1], n_lp[:, [j1]]], axis=1)
    d2 = np.concatenate([d_os[:, i2], d_lp[:, [j2]]], axis=1)
    n2 = np.concatenate([n_os[:, i2], n_lp[:, [j2]]], axis=1)
    pvals = logrank_p(d1, n1, d2, n2)  # (candidates, 3): os surgery, os therapy, lpfs surgery
    lp_sorted = np.sort(np.where(prog > 0, lp_m, np.iinfo(np.int64).max), axis=-1)
    n_prog = int(prog[0].sum())
    lo, hi = (n_prog - 1) // 2, n_prog // 2
    lp_median = (lp_sorted[:, lo] + lp_sorted[:, hi]) / 2.0
    meds = np.stack([med["median"], med["median_lower"], med["median_upper"]], axis=1)
    rates = np.concatenate(
        [
            np.where(last[..., None] < _RATE_TIMES, np.nan, 100.0 * s[..., _RATE_TIMES]),
            np.where(last_lp[..., None] < _RATE_TIMES, np.nan, 100.0 * s_lp[..., _RATE_TIMES]),
        ],
        axis=1,
    )  # (candidates, 9 curves, 2 times)
    flat = np.concatenate(
        [meds.reshape(len(meds), -1), rates.reshape(len(rates), -1), pvals, lp_median[:, None]],
        axis=1,
    )
    out = flat[:, _OUTPUT_INDEX]
    return out


class ApproximateEvaluator:
    """``statistics(..., horizon, approximate=True)`` for valid cohorts, in few numpy calls.

    The search evaluates a few dozen small cohorts per step, so numpy's per-call
    overhead, not arithmetic, sets its speed. This evaluator counts every curve
    (5 OS and 4 LPFS groups) with one ``bincount`` and computes all curves together;
    every floating-point operation that feeds a value is the one :func:`statistics`
    does on the same operands in the same order (d / n, the product of 1 - d / n
    along months, the cumulative sum of d / (n (n - d)), its square root, the band's
    exponentials, the log-rank of :func:`logrank_p`), and integer-valued quantities
    (counts, numbers at risk, the median progression time) are exact in any order,
    so each valid row's values equal :func:`statistics`' bit for bit (rows are
    independent of the batch they are evaluated in). Rows that break a constraint of
    the cohort (the search gives them an infinite loss) may differ.
    Tests: tests/paper/test_calibrate_evaluator.py::test_approximate_evaluator_is_bit_identical.
    """

    #: Curves in the order computed: the log-rank pairs side by side (first groups at
    #: 1..3, second groups at 4..6) and the OS curves among the first six.
    CURVES: tuple[tuple[str, str], ...] = (
        ("os", "all"),
        ("os", "decompression"),
        ("os", "cytokine"),
        ("lpfs", "decompression"),
        ("os", "metastasectomy"),
        ("os", "targeted"),
        ("lpfs", "metastasectomy"),
        ("lpfs", "cytokine"),
        ("lpfs", "targeted"),
    )

    def __init__(self, cell: np.ndarray, horizon: int) -> None:
        cell = np.asarray(cell)
        self.horizon = horizon
        curves = self.CURVES
        # per patient, its OS curves (all, surgery, therapy) and LPFS curves (surgery, therapy)
        os_of = [
            [k for k, (e, g) in enumerate(curves) if e == "os" and c in GROUPS[g]] for c in cell
        ]
        lp_of = [
            [k for k, (e, g) in enumerate(curves) if e == "lpfs" and c in GROUPS[g]] for c in cell
        ]
        if {len(k) for k in os_of} != {3} or {len(k) for k in lp_of} != {2}:
            raise ValueError("each cell must be in 3 OS groups and 2 LPFS groups")
        self._curve_offset = np.concatenate([np.array(os_of).T, np.array(lp_of).T]) * (2 * GRID)
        self._n_curves = len(curves)
        self._curve_size = np.array(
            [np.isin(cell, GROUPS[g]).sum() for _, g in curves], dtype=float
        )[:, None]
        self._keys: dict[int, np.ndarray] = {}
        self._os_order = [curves.index(("os", g)) for g in OS_GROUPS]
        self._rate_order = self._os_order + [curves.index(("lpfs", g)) for g in LPFS_GROUPS]
        self._n_band = max(self._os_order) + 1
        pairs = [("os", "decompression", "metastasectomy"), ("os", "cytokine", "targeted")]
        pairs.append(("lpfs", "decompression", "metastasectomy"))
        if [curves.index((e, g1)) for e, g1, _ in pairs] != [1, 2, 3] or [
            curves.index((e, g2)) for e, _, g2 in pairs
        ] != [4, 5, 6]:
            raise ValueError("the log-rank pairs must sit at curves 1..3 and 4..6")
        self._lp_everyone = (
            curves.index(("lpfs", "decompression")),
            curves.index(("lpfs", "metastasectomy")),
        )
        z = float(ndtri(1.0 - (1.0 - CONF_LEVEL) / 2.0))
        self._z = np.array([-z, z])[:, None, None, None]

    def _key_base(self, b: int) -> np.ndarray:
        """(b, 5, patients) offsets of each count in the flat (b, curves, 2, months) grid."""
        if b not in self._keys:
            per_candidate = np.arange(b)[:, None, None] * (self._n_curves * 2 * GRID)
            self._keys[b] = per_candidate + self._curve_offset[None]
        return self._keys[b]

    def values(
        self,
        os_months: np.ndarray,
        death: np.ndarray,
        lp_months: np.ndarray,
        prog: np.ndarray,
        n_prog: np.ndarray | None = None,
    ) -> np.ndarray:
        """(candidates, targets) values from (candidates, patients) integer arrays on the
        grid (times already within 0..MAX_MONTH; death and prog 0 or 1).

        ``n_prog``: per row, the number of progressors whose middle one(s) give the median
        progression time; None: the first row's count for every row, as :func:`statistics`
        takes it (a batch evaluated in parts passes each part's first row's count)."""
        b = os_months.shape[0]
        h = self.horizon + 1
        h_km = max(h, int(_RATE_TIMES.max()) + 1)  # the rates need S up to 60 months
        base = self._key_base(b)
        keys = np.empty(base.shape, dtype=np.int64)
        # key = curve, status (0 censored, 1 event), month
        np.add(base[:, :3], (death * GRID + os_months)[:, None, :], out=keys[:, :3])
        np.add(base[:, 3:], (prog * GRID + lp_months)[:, None, :], out=keys[:, 3:])
        size = b * self._n_curves * 2 * GRID
        counts = np.bincount(keys.ravel(), minlength=size).astype(float)
        counts = counts.reshape(b, self._n_curves, 2, GRID)
        d = counts[:, :, 1]
        removed = counts[:, :, 0] + d
        # at risk at t: everyone in the curve but those removed before t
        n = np.cumsum(removed, axis=-1)
        np.subtract(removed, n, out=n)
        n += self._curve_size
        # Kaplan-Meier on months 0..horizon (d / n, 0 where n = 0, where d = 0 too)
        s = d[..., :h_km] / np.maximum(n[..., :h_km], 1.0)
        np.subtract(1.0, s, out=s)
        np.cumprod(s, axis=-1, out=s)
        # log band of the OS curves (and one LPFS curve among them, not used): Greenwood
        # term d / (n (n - d)), 0 where undefined
        m = self._n_band
        n_os, d_os, s_os = n[:, :m, :h], d[:, :m, :h], s[:, :m, :h]
        denom = n_os - d_os
        denom *= n_os
        term = np.divide(d_os, denom, out=np.zeros_like(denom), where=denom > 0)
        np.cumsum(term, axis=-1, out=term)
        np.sqrt(term, out=term)
        curves = np.empty((3, *s_os.shape))  # S, lower, upper
        np.multiply(self._z, term[None], out=curves[1:])
        np.exp(curves[1:], out=curves[1:])
        curves[0] = s_os
        reaches_zero = bool((s_os[..., -1] == 0).any())  # S is non-increasing
        if reaches_zero:
            curves[1:] *= np.where(s_os == 0, np.nan, s_os)
        else:
            curves[1:] *= s_os
        np.minimum(curves[2], 1.0, out=curves[2])
        # first month below 0.5 (the approximate median and limits)
        months = np.count_nonzero(curves >= 0.5 - TOL, axis=-1)
        if reaches_zero:  # NaN (band where S = 0) is neither above nor below
            below = (curves < 0.5 - TOL).any(axis=-1)
        else:  # no NaN: some month is below exactly when not every month is above
            below = months < curves.shape[-1]
        meds = np.where(below, months.astype(float), np.nan)[..., self._os_order]
        # rates at 36 and 60 months: NaN once nobody is left (last time < t)
        at = n[:, self._rate_order][..., _RATE_TIMES]
        rates = np.where(at == 0, np.nan, 100.0 * s[:, self._rate_order][..., _RATE_TIMES])
        pvals = logrank_p(d[:, 1:4], n[:, 1:4], d[:, 4:7], n[:, 4:7])
        # median progression time among progressors (integer months: exact from counts)
        first, second = self._lp_everyone
        progressed = np.cumsum(d[:, first] + d[:, second], axis=-1)
        if n_prog is None:
            k = int(prog[0].sum())
            ranks = np.array([(k - 1) // 2, k // 2])[:, None]
        else:
            ranks = np.stack([(n_prog - 1) // 2, n_prog // 2], axis=1)[..., None]
        nth = (progressed[:, None, :] <= ranks).sum(axis=-1).astype(float)
        lp_median = (nth[:, 0] + nth[:, 1]) / 2.0
        flat = np.concatenate(
            [
                meds.transpose(1, 0, 2).reshape(b, -1),
                rates.reshape(b, -1),
                pvals,
                lp_median[:, None],
            ],
            axis=1,
        )
        return flat[:, _OUTPUT_INDEX]
