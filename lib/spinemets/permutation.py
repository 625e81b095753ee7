"""The exact (permutation) log-rank test for two groups.

The log-rank p-value the paper reports comes from the chi-square(1) approximation of
the statistic ``(O1 - E1)^2 / V1`` (R ``survdiff``).  With few patients or events in
a group the approximation can be poor.  Under the null hypothesis of equal survival
the group labels are exchangeable, so the null distribution of the statistic can be
built by relabelling: keep every (time, event) pair, redistribute the labels.

* If the number of distinct labellings ``choose(n, n1)`` is at most ``max_enumeration``,
  every labelling is enumerated and the p-value is exact:
  ``p = #{labellings with statistic >= observed} / choose(n, n1)``.
* Otherwise ``n_permutations`` random relabellings are drawn with a numpy Generator
  seeded with a fixed, named seed; ``p = (1 + b) / (1 + B)`` with ``b`` the number of
  relabellings whose statistic is >= the observed one (the observed labelling counts
  once, so ``p > 0``), and its Monte Carlo standard error is ``sqrt(p (1 - p) / B)``.

Vectorisation: the subjects are sorted by time once, and the table of distinct event
times (risk-set sizes ``n_j``, deaths ``d_j``) does not depend on the labels.  A
labelling is a 0/1 row; group 1's risk-set sizes are suffix sums of that row read at
the first subject of each risk set, so a whole batch of labellings is a handful of
array operations.

Checked by ``tests/test_permutation.py``: the identity labelling gives R ``survdiff``'s
chisq; full enumeration gives R's enumerated distribution; seeded runs repeat bit for
bit; Monte Carlo agrees with enumeration.  Timed by ``benchmarks/permutation_logrank.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from .errors import SpinemetsError

__all__ = [
    "DEFAULT_MAX_ENUMERATION",
    "PERMUTATION_SEED",
    "EventTable",
    "PermutationResult",
    "event_table",
    "logrank_chisq",
    "logrank_statistics",
    "permutation_logrank",
    "permutation_plot",
]

#: The named default seed of the Monte Carlo permutations.
PERMUTATION_SEED = 20200982
#: Enumerate every labelling when there are at most this many (C(20, 10) = 184,756).
DEFAULT_MAX_ENUMERATION = 200_000
#: Labellings handled per array operation; fixed, so results never depend on memory.
BATCH = 2_000
#: A relabelled statistic counts as "at least as extreme" within this relative tolerance
#: (floating-point sums of the same terms in another order must not break ties).
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class EventTable:
    """What the log-rank statistic needs that does not depend on the labels.

    ``order`` sorts the subjects by time; ``event`` is in that order; for each distinct
    event time j, ``start[j]`` is the first sorted subject still at risk, ``n_risk[j]``
    and ``deaths[j]`` its risk-set size and deaths.
    """

    order: np.ndarray
    event: np.ndarray
    start: np.ndarray
    n_risk: np.ndarray
    deaths: np.ndarray

    @property
    def n(self) -> int:
        return len(self.order)


def _as_arrays(
    time: npt.ArrayLike, event: npt.ArrayLike, group: npt.ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event, dtype=float).ravel()
    if len(t) != len(e) or (group is not None and len(np.asarray(group).ravel()) != len(t)):
        raise SpinemetsError("log-rank: time, event and group must have the same length")
    if len(t) == 0:
        raise SpinemetsError("log-rank: no subjects")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"log-rank: time of subject {i + 1} is {float(t[i])!r}, expected a number >= 0"
        )
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"log-rank: event of subject {i + 1} is {float(e[i])!r}, expected 0 or 1"
        )
    return t, e, None if group is None else np.asarray(group).ravel()


def event_table(time: npt.ArrayLike, event: npt.ArrayLike) -> EventTable:
    """Sort once and tabulate the distinct event times (see :class:`EventTable`)."""
    t, e, _ = _as_arrays(time, event)
    order = np.argsort(t, kind="stable")
    ts, es = t[order], e[order]
    event_times, deaths = np.unique(ts[es == 1], return_counts=True)
    start = np.searchsorted(ts, event_times, side="left")
    return EventTable(order, es, start, len(t) - start.astype(float), deaths.astype(float))


def logrank_statistics(table: EventTable, labels: np.ndarray) -> np.ndarray:
    """The log-rank chisq of each row of ``labels`` (0/1, subjects in ``table.order``).

    ``chisq = (O1 - E1)^2 / V1`` with ``O1 = sum of group-1 events``,
    ``E1 = sum_j n1_j d_j / n_j`` and
    ``V1 = sum_j n1_j (n_j - n1_j) d_j (n_j - d_j) / (n_j^2 (n_j - 1))``: R ``survdiff``
    (rho = 0) for two groups.  A labelling with ``V1 = 0`` gets 0.
    """
    lab = np.atleast_2d(labels).astype(float)
    n, d = table.n_risk, table.deaths
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(n > 1, d * (n - d) / (n * n * (n - 1)), 0.0)
    suffix = np.cumsum(lab[:, ::-1], axis=1)[:, ::-1]
    n1 = suffix[:, table.start]
    observed = lab @ table.event
    expected = n1 @ (d / n)
    variance = n1 @ (n * c) - (n1 * n1) @ c
    with np.errstate(invalid="ignore", divide="ignore"):
        chisq = (observed - expected) ** 2 / variance
    return np.where(variance > 0, chisq, 0.0)


def _group_indicator(group: np.ndarray) -> np.ndarray:
    values = np.unique(group.astype(str))
    if len(values) != 2:
        raise SpinemetsError(
            f"log-rank: expected exactly two groups, found {len(values)} ({', '.join(values[:5])})"
        )
    return (group.astype(str) == values[1]).astype(float)


def logrank_chisq(time: npt.ArrayLike, event: npt.ArrayLike, group: npt.ArrayLike) -> float:
    """The two-group log-rank chisq of the observed labels (R ``survdiff(...)$chisq``)."""
    t, e, g = _as_arrays(time, event, group)
    table = event_table(t, e)
    return float(logrank_statistics(table, _group_indicator(g)[table.order])[0])


@dataclass(frozen=True)
class PermutationResult:
    """A permutation log-rank test beside its asymptotic chi-square(1) p-value.

    ``method`` is ``"exact"`` (all ``n_labellings`` enumerated, ``mc_se`` 0) or
    ``"monte carlo"`` (``n_permutations`` draws with ``seed``); ``statistics`` holds
    the relabelled statistics (for plotting the null distribution).
    """

    chisq: float
    p_asymptotic: float
    p_permutation: float
    mc_se: float
    method: str
    n_labellings: int
    n_permutations: int
    seed: int | None
    statistics: np.ndarray


def _enumerated_labels(n: int, n1: int) -> np.ndarray:
    members = np.array(list(itertools.combinations(range(n), n1)), dtype=np.intp)
    labels = np.zeros((len(members), n), dtype=np.int8)
    np.put_along_axis(labels, members.reshape(len(members), -1), 1, axis=1)
    return labels


def permutation_logrank(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    group: npt.ArrayLike,
    n_permutations: int = 10_000,
    seed: int = PERMUTATION_SEED,
    max_enumeration: int = DEFAULT_MAX_ENUMERATION,
) -> PermutationResult:
    """Permutation (exact or Monte Carlo) two-group log-rank test; see the module text.

    Reproducible bit for bit for a given ``seed``; the first k draws are the same for
    any ``n_permutations >= k``.
    """
    if n_permutations < 1:
        raise SpinemetsError(f"n_permutations must be >= 1, got {n_permutations}")
    t, e, g = _as_arrays(time, event, group)
    table = event_table(t, e)
    observed_labels = _group_indicator(g)[table.order]
    chisq = float(logrank_statistics(table, observed_labels)[0])
    n, n1 = len(t), int(observed_labels.sum())
    n_labellings = math.comb(n, n1)
    threshold = chisq * (1 - TIE_TOLERANCE)
    if n_labellings <= max_enumeration:
        labels = _enumerated_labels(n, n1)
        statistics = np.concatenate(
            [logrank_statistics(table, labels[i : i + BATCH]) for i in range(0, len(labels), BATCH)]
        )
        p = float(np.mean(statistics >= threshold))
        method, se, used, used_seed = "exact", 0.0, n_labellings, None
    else:
        rng = np.random.default_rng(seed)
        base = observed_labels.astype(np.int8)
        chunks = []
        for start in range(0, n_permutations, BATCH):
            size = min(BATCH, n_permutations - start)
            chunks.append(logrank_statistics(table, rng.permuted(np.tile(base, (size, 1)), axis=1)))
        statistics = np.concatenate(chunks)
        p = float((1 + np.sum(statistics >= threshold)) / (1 + n_permutations))
        method, used, used_seed = "monte carlo", n_permutations, seed
        se = math.sqrt(p * (1 - p) / n_permutations)
    return PermutationResult(
        chisq=chisq,
        p_asymptotic=float(stats.chi2.sf(chisq, 1)),
        p_permutation=p,
        mc_se=se,
        method=method,
        n_labellings=n_labellings,
        n_permutations=used,
        seed=used_seed,
        statistics=statistics,
    )


def permutation_plot(result: PermutationResult, title: str = "") -> Figure:
    """Histogram of the relabelled statistics, the chi-square(1) density and the observed
    statistic (the permutation p-value is the share of the histogram right of the line).
    Statistics beyond the axis end are counted in the last bar."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    top = max(float(np.quantile(result.statistics, 0.995)), result.chisq) * 1.1
    bins = np.linspace(0, top, 41)
    ax.hist(
        np.minimum(result.statistics, top),
        bins=bins,
        density=True,
        color="C0",
        alpha=0.6,
        label=f"permutation distribution ({result.method})",
    )
    grid = np.linspace(top / 400, top, 400)
    ax.plot(grid, stats.chi2.pdf(grid, 1), color="C1", label="chi-square, 1 df")
    ax.axvline(result.chisq, color="0.1", linestyle="--", label="observed statistic")
    ax.set_ylim(0, 1.5)
    ax.set_xlabel("log-rank chi-square")
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def permutation_table(
    patients: pd.DataFrame,
    endpoints: Sequence[str] = ("os", "lpfs"),
    strata: Sequence[str] = ("surgery", "adjuvant_therapy"),
    n_permutations: int = 10_000,
    seed: int = PERMUTATION_SEED,
    max_enumeration: int = DEFAULT_MAX_ENUMERATION,
) -> tuple[pd.DataFrame, dict[tuple[str, str], PermutationResult]]:
    """The permutation log-rank test beside the asymptotic one, per endpoint and strata.

    One row per (endpoint, strata): endpoint, strata, n, events, chisq, df (from
    :func:`spinemets.survival.logrank_test`, R's ``survdiff``), p_asymptotic,
    p_permutation, mc_se, method, n_permutations, n_labellings, seed; every
    comparison uses the same ``seed``. Also returns the full results by
    (endpoint, strata), for plotting the permutation distributions.
    Tests: tests/test_permutation.py::test_permutation_table.
    """
    from .survival import endpoint_data, logrank_test

    results: dict[tuple[str, str], PermutationResult] = {}
    rows = []
    for endpoint in endpoints:
        time, event = endpoint_data(patients, endpoint)
        for column in strata:
            asymptotic = logrank_test(time, event, patients[column])
            res = permutation_logrank(
                time,
                event,
                patients[column],
                n_permutations=n_permutations,
                seed=seed,
                max_enumeration=max_enumeration,
            )
            if not math.isclose(res.chisq, asymptotic.chisq, rel_tol=1e-9):
                raise SpinemetsError(
                    f"{endpoint} by {column}: permutation statistic {res.chisq} differs from "
                    f"the log-rank chi-square {asymptotic.chisq}"
                )
            results[endpoint, column] = res
            rows.append(
                {
                    "endpoint": endpoint,
                    "strata": column,
                    "n": len(time),
                    "events": int(np.sum(event)),
                    "chisq": res.chisq,
                    "df": asymptotic.df,
                    "p_asymptotic": asymptotic.p,
                    "p_permutation": res.p_permutation,
                    "mc_se": res.mc_se,
                    "method": res.method,
                    "n_permutations": res.n_permutations,
                    "n_labellings": float(res.n_labellings),
                    "seed": res.seed if res.seed is not None else pd.NA,
                }
            )
    return pd.DataFrame(rows), results
