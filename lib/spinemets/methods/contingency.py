"""Contingency-table, rank and paired tests computed exactly as R computes them.

The study's statistics were done in R, and scipy's defaults differ from R's in
small but visible ways (Yates' correction rule, when the Wilcoxon tests are
exact, how zero differences and ties are handled, the two-sided Fisher p-value).
Each function here re-implements the R function it names, line for line, and
returns a frozen :class:`TestResult` carrying R's names (statistic, parameter,
p.value, method).  Exact null distributions (signed rank, rank sum,
hypergeometric) are computed here by exact counting, as R does.

R parity is checked by ``tests/methods/test_contingency.py`` against
``tests/fixtures/r_stats/*.json``, written by ``tests/fixtures/r_stats.R``
(``Rscript tests/fixtures/r_stats.R`` from the repository root), and against
``tests/fixtures/r_methods/fisher.json`` (Fisher's odds ratio and interval).

None of these functions warns.  Where R would warn (expected counts below 5, no
exact p-value with ties) the condition is recorded in :attr:`TestResult.note`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy import stats as sps
from statsmodels.stats.contingency_tables import SquareTable

from ..errors import SpinemetsError

__all__ = [
    "MeanCI",
    "TestResult",
    "bowker_test",
    "chisq_test",
    "expected_counts",
    "fisher_test",
    "mcnemar_test",
    "stuart_maxwell_test",
    "t_mean_ci",
    "wilcox_test",
]

#: R's tolerance for "as or less probable than the observed table" (fisher.test).
FISHER_REL_ERR = 1 + 1e-7
#: Largest number of r x c tables :func:`fisher_test` will enumerate.
FISHER_MAX_TABLES = 2_000_000
#: R's ``uniroot`` defaults, used by fisher.test for the odds ratio and its interval.
UNIROOT_TOL = float(np.finfo(np.float64).eps ** 0.25)
UNIROOT_MAXITER = 1000


@dataclass(frozen=True)
class TestResult:
    """The result of a test, named as R's ``htest`` object names it.

    ``statistic`` is ``None`` for tests R reports without one (Fisher's exact
    test); ``parameter`` is the chi-square degrees of freedom or ``None``;
    ``estimate`` and ``conf_int`` are R's ``estimate`` and ``conf.int`` where the test
    gives them (Fisher's 2 x 2 test: the conditional maximum-likelihood odds ratio).
    """

    __test__ = False  # not a pytest test class

    method: str
    statistic: float | None
    statistic_name: str | None
    parameter: float | None
    p_value: float
    note: str = ""
    estimate: float | None = None
    conf_int: tuple[float, float] | None = None


@dataclass(frozen=True)
class MeanCI:
    """A mean with its two-sided t-based confidence interval (R ``t.test()$conf.int``)."""

    n: int
    mean: float
    sd: float
    lower: float
    upper: float
    conf_level: float


# --------------------------------------------------------------------------- helpers


def _count_table(table: npt.ArrayLike, what: str, square: bool = False) -> np.ndarray:
    """A 2-D table of non-negative finite counts, or a SpinemetsError saying why not."""
    x = np.asarray(table, dtype=float)
    if x.ndim != 2 or min(x.shape) < 2:
        raise SpinemetsError(
            f"{what}: expected a two-dimensional table with at least 2 rows and 2 columns, "
            f"got shape {x.shape}"
        )
    if square and x.shape[0] != x.shape[1]:
        raise SpinemetsError(f"{what}: expected a square table, got shape {x.shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise SpinemetsError(f"{what}: all cells must be non-negative finite counts, got {x}")
    if x.sum() == 0:
        raise SpinemetsError(f"{what}: at least one cell must be positive")
    return x


def expected_counts(table: npt.ArrayLike) -> np.ndarray:
    """Expected counts under independence, ``outer(row sums, col sums) / n`` (as R).

    Tests: tests/methods/test_contingency.py::test_chisq_matches_r (through chisq_test)."""
    x = np.asarray(table, dtype=float)
    return np.outer(x.sum(axis=1), x.sum(axis=0)) / x.sum()


def _finite(values: npt.ArrayLike | None, what: str) -> np.ndarray:
    a = np.asarray([] if values is None else values, dtype=float).ravel()
    return a[~np.isnan(a)]


def _rank(a: np.ndarray) -> np.ndarray:
    """Mid-ranks of ``a`` (R ``rank()``, ties.method = "average")."""
    return sps.rankdata(a, method="average")


def _tie_sizes(ranks: np.ndarray) -> np.ndarray:
    """The counts of R's ``table(r)``: how many observations share each rank."""
    _, counts = np.unique(ranks, return_counts=True)
    return counts.astype(float)


def _two_sided_normal(z: float) -> float:
    return float(2 * min(sps.norm.cdf(z), sps.norm.sf(z)))


# ------------------------------------------------------------------- chi-square


def chisq_test(table: npt.ArrayLike, correct: bool = True) -> TestResult:
    """Pearson's chi-square test of independence, as R ``chisq.test(table, correct)``.

    ``X^2 = sum((|O - E| - Y)^2 / E)`` with expected counts ``E`` from the margins
    and ``df = (r - 1)(c - 1)``.  Yates' correction is applied only to 2 x 2
    tables when ``correct`` is true, and, as in R, it is
    ``Y = min(0.5, min |O - E|)``; the method says "with Yates' continuity
    correction" only when ``Y > 0``.  A table with an empty row or column (R
    returns NaN) raises :class:`SpinemetsError`.  A note records expected counts
    below 5 (R's "approximation may be incorrect" warning).
    Checked against R by ``tests/methods/test_contingency.py::test_chisq_matches_r``.
    """
    x = _count_table(table, "chisq_test")
    if np.any(x.sum(axis=1) == 0) or np.any(x.sum(axis=0) == 0):
        raise SpinemetsError(
            f"chisq_test: the table {x.tolist()} has an empty row or column; "
            "drop empty levels first (R would return NaN)"
        )
    e = expected_counts(x)
    method = "Pearson's Chi-squared test"
    yates = 0.0
    if correct and x.shape == (2, 2):
        yates = float(min(0.5, np.abs(x - e).min()))
        if yates > 0:
            method += " with Yates' continuity correction"
    statistic = float(np.sum((np.abs(x - e) - yates) ** 2 / e))
    df = float((x.shape[0] - 1) * (x.shape[1] - 1))
    note = "expected count below 5: approximation may be incorrect" if e.min() < 5 else ""
    return TestResult(method, statistic, "X-squared", df, float(sps.chi2.sf(statistic, df)), note)


# ---------------------------------------------------------------------- Fisher


def _log_table_probability(x: np.ndarray) -> float:
    """Log probability of a table given its margins (multivariate hypergeometric)."""
    n = x.sum()
    return float(
        special.gammaln(x.sum(axis=1) + 1).sum()
        + special.gammaln(x.sum(axis=0) + 1).sum()
        - special.gammaln(n + 1)
        - special.gammaln(x + 1).sum()
    )


class _Hypergeometric:
    """R fisher.test's conditional (non-central hypergeometric) distribution of x[1, 1]."""

    def __init__(self, x: np.ndarray) -> None:
        # R: m = column 1 total, n = column 2 total, k = row 1 total, x = x[1, 1].
        self.m, self.n, self.k = x[:, 0].sum(), x[:, 1].sum(), x[0, :].sum()
        self.x = x[0, 0]
        self.lo, self.hi = max(0.0, self.k - self.n), min(self.k, self.m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = sps.hypergeom.logpmf(self.support, self.m + self.n, self.m, self.k)

    def density(self, ncp: float) -> np.ndarray:
        """R ``dnhyper``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            d = self.logdc + math.log(ncp) * self.support if ncp > 0 else self.logdc * np.nan
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, ncp: float) -> float:
        """R ``mnhyper``."""
        if ncp == 0:
            return float(self.lo)
        if ncp == math.inf:
            return float(self.hi)
        return float(np.sum(self.support * self.density(ncp)))

    def cdf(self, q: float, ncp: float, upper_tail: bool = False) -> float:
        """R ``pnhyper`` (at ncp = 1 it uses the observed x, as R does)."""
        if ncp == 1:
            if upper_tail:
                return float(sps.hypergeom.sf(self.x - 1, self.m + self.n, self.m, self.k))
            return float(sps.hypergeom.cdf(self.x, self.m + self.n, self.m, self.k))
        if ncp == 0:
            return float(q <= self.lo if upper_tail else q >= self.lo)
        if ncp == math.inf:
            return float(q <= self.hi if upper_tail else q >= self.hi)
        d = self.density(ncp)
        return float(d[self.support >= q].sum() if upper_tail else d[self.support <= q].sum())


def _zeroin(f: Callable[[float], float], ax: float, bx: float, tol: float = UNIROOT_TOL) -> float:
    """R's ``uniroot`` (Brent's zeroin, ``R_zeroin2`` in zeroin.c), step for step.

    R's fisher.test finds the odds ratio and its limits with uniroot's default
    tolerance (eps^0.25, about 1e-4): the same iterations give R's very numbers.
    """
    eps = float(np.finfo(np.float64).eps)
    a, b = ax, bx
    fa, fb = f(a), f(b)
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(UNIROOT_MAXITER + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def _fisher_odds_ratio(h: _Hypergeometric) -> float:
    """R fisher.test's ``mle``: the conditional maximum-likelihood odds ratio."""
    x = h.x
    if x == h.lo:
        return 0.0
    if x == h.hi:
        return math.inf
    mu = h.mean(1.0)
    if mu > x:
        return _zeroin(lambda t: h.mean(t) - x, 0.0, 1.0)
    if mu < x:
        eps = float(np.finfo(np.float64).eps)
        return 1.0 / _zeroin(lambda t: h.mean(1.0 / t) - x, eps, 1.0)
    return 1.0


def _fisher_interval(h: _Hypergeometric, conf_level: float) -> tuple[float, float]:
    """R fisher.test's two-sided ``conf.int`` (inverting the conditional distribution)."""
    alpha = (1 - conf_level) / 2
    x = h.x
    eps = float(np.finfo(np.float64).eps)
    if x == h.lo:
        lower = 0.0
    else:
        p = h.cdf(x, 1.0, upper_tail=True)
        if p > alpha:
            lower = _zeroin(lambda t: h.cdf(x, t, upper_tail=True) - alpha, 0.0, 1.0)
        elif p < alpha:
            lower = 1.0 / _zeroin(lambda t: h.cdf(x, 1.0 / t, upper_tail=True) - alpha, eps, 1.0)
        else:
            lower = 1.0
    if x == h.hi:
        upper = math.inf
    else:
        p = h.cdf(x, 1.0)
        if p < alpha:
            upper = _zeroin(lambda t: h.cdf(x, t) - alpha, 0.0, 1.0)
        elif p > alpha:
            upper = 1.0 / _zeroin(lambda t: h.cdf(x, 1.0 / t) - alpha, eps, 1.0)
        else:
            upper = 1.0
    return lower, upper


def _fisher_2x2(h: _Hypergeometric) -> float:
    d = h.density(1.0)
    observed = d[int(h.x - h.lo)]
    return float(d[d <= observed * FISHER_REL_ERR].sum())


def _fisher_rxc(x: np.ndarray) -> float:
    """Sum of the probabilities of all tables with the observed margins that are no
    more probable than the observed one (relative tolerance 1e-7), by enumeration."""
    if x.shape[0] < x.shape[1]:
        x = x.T
    rows = x.sum(axis=1).astype(int)
    cols = x.sum(axis=0).astype(int)
    log_const = float(
        special.gammaln(rows + 1).sum()
        + special.gammaln(cols + 1).sum()
        - special.gammaln(x.sum() + 1)
    )
    log_obs = _log_table_probability(x)
    threshold = log_obs + math.log(FISHER_REL_ERR)
    r, c = len(rows), len(cols)
    total = 0.0
    visited = 0

    # Fill column by column, row by row; ``rem_rows`` is what each row still needs.
    def fill(j: int, rem_rows: list[int], log_cells: float) -> None:
        nonlocal total, visited
        if j == c - 1:  # the last column is forced by the row totals
            visited += 1
            if visited > FISHER_MAX_TABLES:
                raise SpinemetsError(
                    f"fisher_test: the {r} x {c} table with n = {int(x.sum())} has more than "
                    f"{FISHER_MAX_TABLES} tables with its margins; exact test not supported"
                )
            lp = log_const - log_cells - float(special.gammaln(np.array(rem_rows) + 1).sum())
            if lp <= threshold:
                total += math.exp(lp)
            return
        column(j, 0, cols[j], rem_rows, log_cells)

    def column(j: int, i: int, left: int, rem_rows: list[int], log_cells: float) -> None:
        if i == r - 1:
            if left > rem_rows[i]:
                return
            new = rem_rows.copy()
            new[i] -= left
            fill(j + 1, new, log_cells + math.lgamma(left + 1))
            return
        room_below = sum(rem_rows[i + 1 :])
        for v in range(max(0, left - room_below), min(left, rem_rows[i]) + 1):
            new = rem_rows.copy()
            new[i] -= v
            column(j, i + 1, left - v, new, log_cells + math.lgamma(v + 1))

    fill(0, rows.tolist(), 0.0)
    return min(1.0, total)


def fisher_test(table: npt.ArrayLike, conf_level: float = 0.95) -> TestResult:
    """Fisher's exact test (two-sided), as R ``fisher.test(table, conf.level)``.

    The p-value is the total probability, given both margins, of all tables
    whose probability is at most the observed table's times ``1 + 1e-7`` (R's
    ``relErr``).  For 2 x 2 tables this is R's hypergeometric formula; r x c
    tables are enumerated exactly (R uses the network algorithm FEXACT, which
    gives the same sum) up to :data:`FISHER_MAX_TABLES` tables, beyond which a
    :class:`SpinemetsError` says the table is unsupported.  Empty rows or
    columns of an r x c table are dropped first (they do not change the
    conditional distribution); a 2 x 2 table is taken as it is, as R does.
    For a 2 x 2 table ``estimate`` is R's conditional maximum-likelihood odds ratio
    (not the sample odds ratio ad / bc) and ``conf_int`` its interval from inverting
    the non-central hypergeometric distribution, both found by R's ``uniroot``
    (reproduced step for step, tolerance about 1e-4, so the numbers are R's own).
    Checked against R by ``tests/methods/test_contingency.py::test_fisher_matches_r``
    and ``::test_fisher_odds_ratio_matches_r``.
    """
    x = _count_table(table, "fisher_test")
    if np.any(x != np.round(x)):
        raise SpinemetsError(f"fisher_test: cells must be whole counts, got {x.tolist()}")
    method = "Fisher's Exact Test for Count Data"
    if x.shape != (2, 2):  # as R, empty rows or columns dropped for r x c tables only
        x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
        if min(x.shape) < 2:
            return TestResult(method, None, None, None, 1.0, "only one non-empty row or column")
        return TestResult(method, None, None, None, max(0.0, min(1.0, _fisher_rxc(x))))
    if not 0 < conf_level < 1:
        raise SpinemetsError(f"fisher_test: conf_level must be in (0, 1), got {conf_level!r}")
    h = _Hypergeometric(x)
    p = max(0.0, min(1.0, _fisher_2x2(h)))
    return TestResult(
        method,
        None,
        None,
        None,
        p,
        estimate=_fisher_odds_ratio(h),
        conf_int=_fisher_interval(h, conf_level),
    )


# -------------------------------------------------------------------- Wilcoxon


@lru_cache(maxsize=256)
def _signrank_counts(n: int) -> np.ndarray:
    """Number of subsets of {1..n} with each sum 0..n(n+1)/2 (R ``csignrank``)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def _psignrank(q: float, n: int, lower_tail: bool = True) -> float:
    """R ``psignrank(q, n, lower.tail)``: P(V <= q) or P(V > q)."""
    counts = _signrank_counts(n)
    q = math.floor(q + 1e-7)
    total = counts.sum()
    below = counts[: max(0, min(q, len(counts) - 1) + 1)].sum() if q >= 0 else 0.0
    return float(below / total) if lower_tail else float((total - below) / total)


@lru_cache(maxsize=256)
def _ranksum_counts(m: int, n: int) -> np.ndarray:
    """Number of ways W = U takes each value 0..m*n (R ``cwilcox``), m from x, n from y."""
    # counts[j][u]: ways for j chosen elements of the current prefix to give U = u.
    counts = np.zeros((m + 1, m * n + 1))
    counts[0, 0] = 1.0
    for i in range(1, m + n + 1):
        # element i (rank i) may be chosen as the j-th x; it then adds i - j to U.
        for j in range(min(i, m), 0, -1):
            shift = i - j
            if shift > n:
                continue
            counts[j, shift:] += counts[j - 1, : m * n + 1 - shift]
    return counts[m]


def _pwilcox(q: float, m: int, n: int, lower_tail: bool = True) -> float:
    """R ``pwilcox(q, m, n, lower.tail)``."""
    counts = _ranksum_counts(m, n)
    q = math.floor(q + 1e-7)
    total = counts.sum()
    below = counts[: max(0, min(q, len(counts) - 1) + 1)].sum() if q >= 0 else 0.0
    return float(below / total) if lower_tail else float((total - below) / total)


def wilcox_test(
    x: Sequence[float] | npt.ArrayLike,
    y: Sequence[float] | npt.ArrayLike | None = None,
    paired: bool = False,
    correct: bool = True,
    exact: bool | None = None,
    mu: float = 0.0,
) -> TestResult:
    """Wilcoxon signed rank / rank sum (Mann-Whitney) test, two-sided, as R ``wilcox.test``.

    Signed rank (``y`` None, or ``paired``): differences ``x - y - mu``; zero
    differences are dropped; ``V`` = sum of the ranks of ``|d|`` over positive
    ``d``.  Rank sum: ``W = sum(ranks of x in c(x - mu, y)) - n_x (n_x + 1) / 2``.
    Missing values are dropped (pairwise for ``paired``).  ``exact=None`` means
    exact when n < 50 (each sample < 50 for rank sum).  The exact p-value is
    used only with no ties (and, signed rank, no zeros); otherwise the normal
    approximation with R's tie-corrected variance and, if ``correct``, a
    continuity correction of 0.5 towards the mean.  The exact null
    distributions are counted exactly.  The method string is R's.
    Checked against R by ``tests/methods/test_contingency.py::test_wilcox_matches_r``.
    """
    xs = np.asarray(x, dtype=float).ravel()
    ys = None if y is None else np.asarray(y, dtype=float).ravel()
    if paired:
        if ys is None:
            raise SpinemetsError("wilcox_test: 'y' is missing for the paired test")
        if len(xs) != len(ys):
            raise SpinemetsError(
                f"wilcox_test: paired samples must have equal length, got {len(xs)} and {len(ys)}"
            )
        ok = ~np.isnan(xs) & ~np.isnan(ys)
        xs, ys = xs[ok] - ys[ok], None
    xs = xs[~np.isnan(xs)]
    if ys is not None:
        ys = ys[~np.isnan(ys)]
    if len(xs) < 1:
        raise SpinemetsError("wilcox_test: not enough (non-missing) 'x' observations")
    if ys is None:
        return _signed_rank(xs - mu, correct, exact)
    if len(ys) < 1:
        raise SpinemetsError("wilcox_test: not enough (non-missing) 'y' observations")
    return _rank_sum(xs - mu, ys, correct, exact)


def _signed_rank(d: np.ndarray, correct: bool, exact: bool | None) -> TestResult:
    method = "Wilcoxon signed rank test"
    zeroes = bool(np.any(d == 0))
    d = d[d != 0]
    n = len(d)
    if exact is None:
        exact = n < 50
    r = _rank(np.abs(d))
    v = float(r[d > 0].sum())
    ties = len(np.unique(r)) != len(r)
    if exact and not ties and not zeroes:
        if v > n * (n + 1) / 4:
            p = _psignrank(v - 1, n, lower_tail=False)
        else:
            p = _psignrank(v, n)
        return TestResult(method.replace("test", "exact test"), v, "V", None, min(2 * p, 1.0))
    note = ""
    if exact:
        note = "cannot compute exact p-value with " + ("ties" if ties else "zeroes")
    z = v - n * (n + 1) / 4
    sigma = math.sqrt(
        n * (n + 1) * (2 * n + 1) / 24 - np.sum(_tie_sizes(r) ** 3 - _tie_sizes(r)) / 48
    )
    correction = 0.0
    if correct:
        correction = float(np.sign(z)) * 0.5
        method += " with continuity correction"
    p = _two_sided_normal((z - correction) / sigma) if sigma > 0 else float("nan")
    return TestResult(method, v, "V", None, p, note)


def _rank_sum(x: np.ndarray, y: np.ndarray, correct: bool, exact: bool | None) -> TestResult:
    method = "Wilcoxon rank sum test"
    nx, ny = len(x), len(y)
    r = _rank(np.concatenate([x, y]))
    if exact is None:
        exact = nx < 50 and ny < 50
    w = float(r[:nx].sum() - nx * (nx + 1) / 2)
    ties = len(np.unique(r)) != len(r)
    if exact and not ties:
        if w > nx * ny / 2:
            p = _pwilcox(w - 1, nx, ny, lower_tail=False)
        else:
            p = _pwilcox(w, nx, ny)
        return TestResult(method.replace("test", "exact test"), w, "W", None, min(2 * p, 1.0))
    note = "cannot compute exact p-value with ties" if exact else ""
    t = _tie_sizes(r)
    z = w - nx * ny / 2
    sigma = math.sqrt(
        (nx * ny / 12) * ((nx + ny + 1) - np.sum(t**3 - t) / ((nx + ny) * (nx + ny - 1)))
    )
    correction = 0.0
    if correct:
        correction = float(np.sign(z)) * 0.5
        method += " with continuity correction"
    p = _two_sided_normal((z - correction) / sigma) if sigma > 0 else float("nan")
    return TestResult(method, w, "W", None, p, note)


# ------------------------------------------------------- paired categorical tests


def mcnemar_test(table: npt.ArrayLike, correct: bool = True) -> TestResult:
    """McNemar's test, as R ``mcnemar.test(table, correct)``; for k x k it is Bowker's test.

    ``X^2 = sum_{i<j} (|n_ij - n_ji| - c)^2 / (n_ij + n_ji)`` with
    ``df = k (k - 1) / 2``; ``c = 1`` only for a 2 x 2 table with ``correct`` and
    discordant cells that differ, else 0.  Where some pair ``n_ij + n_ji`` is 0,
    R's statistic is NaN; this raises :class:`SpinemetsError` pointing to
    :func:`bowker_test`, which drops such pairs.
    Checked against R by ``tests/methods/test_contingency.py::test_mcnemar_matches_r``.
    """
    x = _count_table(table, "mcnemar_test", square=True)
    k = x.shape[0]
    method = "McNemar's Chi-squared test"
    diff = x - x.T
    if correct and k == 2 and np.any(diff != 0):
        y = np.abs(diff) - 1
        method += " with continuity correction"
    else:
        y = diff
    s = x + x.T
    iu = np.triu_indices(k, 1)
    if np.any(s[iu] == 0):
        raise SpinemetsError(
            "mcnemar_test: some pair of off-diagonal cells is empty (n_ij + n_ji = 0), where "
            "R's mcnemar.test returns NaN; use bowker_test, which drops empty pairs"
        )
    statistic = float(np.sum(y[iu] ** 2 / s[iu]))
    df = float(k * (k - 1) / 2)
    return TestResult(
        method, statistic, "McNemar's chi-squared", df, float(sps.chi2.sf(statistic, df))
    )


def bowker_test(table: npt.ArrayLike) -> TestResult:
    """Bowker's test of symmetry (``n_ij = n_ji``) of a k x k paired table.

    ``X^2 = sum (n_ij - n_ji)^2 / (n_ij + n_ji)`` over the pairs i < j with
    ``n_ij + n_ji > 0``, computed by statsmodels ``SquareTable.symmetry()``;
    ``df`` is the number of such non-empty pairs (statsmodels keeps
    ``k (k - 1) / 2``; R returns NaN).  Without empty pairs it equals R
    ``mcnemar.test(table)`` for k > 2.  Checked against R by
    ``tests/methods/test_contingency.py::test_bowker_matches_r``.
    """
    x = _count_table(table, "bowker_test", square=True)
    k = x.shape[0]
    iu = np.triu_indices(k, 1)
    nonempty = int(np.sum((x + x.T)[iu] > 0))
    if nonempty == 0:
        raise SpinemetsError("bowker_test: no off-diagonal counts, symmetry cannot be tested")
    statistic = float(SquareTable(x, shift_zeros=False).symmetry().statistic)
    dropped = len(iu[0]) - nonempty
    method = "Bowker's symmetry test"
    note = f"{dropped} empty pair(s) dropped; df = {nonempty}" if dropped else ""
    p = float(sps.chi2.sf(statistic, nonempty))
    return TestResult(method, statistic, "McNemar's chi-squared", float(nonempty), p, note)


def stuart_maxwell_test(table: npt.ArrayLike) -> TestResult:
    """Stuart-Maxwell test of marginal homogeneity of a k x k paired table.

    ``X^2 = d' V^-1 d`` with ``d`` the differences between row and column totals
    of the first k - 1 categories and ``V`` their covariance
    (``V_ii = n_i. + n_.i - 2 n_ii``, ``V_ij = -(n_ij + n_ji)``), ``df = k - 1``;
    statistic from statsmodels ``SquareTable.homogeneity("stuart_maxwell")``.
    Categories without any off-diagonal count carry no information and would
    make ``V`` singular; they are dropped first (``df`` falls with them).
    Checked against a direct R computation by
    ``tests/methods/test_contingency.py::test_stuart_maxwell_matches_r``.
    """
    x = _count_table(table, "stuart_maxwell_test", square=True)
    off = x - np.diag(np.diag(x))
    keep = (off.sum(axis=0) + off.sum(axis=1)) > 0
    if keep.sum() < 2:
        raise SpinemetsError(
            "stuart_maxwell_test: fewer than two categories with off-diagonal counts"
        )
    reduced = x[keep][:, keep]
    statistic = float(SquareTable(reduced, shift_zeros=False).homogeneity().statistic)
    df = float(reduced.shape[0] - 1)
    dropped = int((~keep).sum())
    note = f"{dropped} category(ies) without off-diagonal counts dropped" if dropped else ""
    p = float(sps.chi2.sf(statistic, df))
    return TestResult(
        "Stuart-Maxwell marginal homogeneity test", statistic, "X-squared", df, p, note
    )


# --------------------------------------------------------------------- mean + CI


def t_mean_ci(x: Sequence[float] | npt.ArrayLike, conf_level: float = 0.95) -> MeanCI:
    """Mean with the t-based confidence interval of R ``t.test(x, conf.level)$conf.int``.

    ``mean +/- qt(1 - (1 - conf_level) / 2, n - 1) * sd / sqrt(n)``, sd with
    ``n - 1``; missing values dropped.  Checked against R by
    ``tests/methods/test_contingency.py::test_t_mean_ci_matches_r``.
    """
    if not 0 < conf_level < 1:
        raise SpinemetsError(f"t_mean_ci: conf_level must be in (0, 1), got {conf_level!r}")
    a = _finite(x, "t_mean_ci")
    n = len(a)
    if n < 2:
        raise SpinemetsError(f"t_mean_ci: need at least 2 non-missing values, got {n}")
    mean = float(a.mean())
    sd = float(a.std(ddof=1))
    half = float(sps.t.ppf(1 - (1 - conf_level) / 2, n - 1)) * sd / math.sqrt(n)
    return MeanCI(n, mean, sd, mean - half, mean + half, conf_level)
