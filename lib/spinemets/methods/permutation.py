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
array operations, and the statistic is the package's one log-rank core
(:func:`spinemets.methods.logrank.logrank_moments`). Near-equal times are merged first
(``timefix``), as R's survdiff does.

Checked by ``tests/methods/test_permutation.py``: the identity labelling gives R
``survdiff``'s chisq; full enumeration gives R's enumerated distribution; seeded runs
repeat bit for bit; Monte Carlo agrees with enumeration.  Timed by
``benchmarks/permutation_logrank.py``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import chdtrc

from ..errors import SpinemetsError
from ._validate import check_time_event, group_codes
from .logrank import logrank_moments, two_group_chisq
from .timefix import timefix_times

__all__ = [
    "DEFAULT_MAX_ENUMERATION",
    "PERMUTATION_SEED",
    "EventTable",
    "PermutationResult",
    "event_table",
    "logrank_chisq",
    "logrank_statistics",
    "permutation_logrank",
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


def event_table(time: npt.ArrayLike, event: npt.ArrayLike, timefix: bool = True) -> EventTable:
    """Sort once and tabulate the distinct event times (see :class:`EventTable`).

    Tests: tests/methods/test_permutation.py::test_every_labelling_matches_r_enumeration."""
    t, e = check_time_event(time, event)
    e = e.astype(np.float64, copy=False)
    if timefix:
        t = timefix_times(t)
    order = np.argsort(t, kind="stable")
    ts, es = t[order], e[order]
    event_times, deaths = np.unique(ts[es == 1], return_counts=True)
    start = np.searchsorted(ts, event_times, side="left")
    return EventTable(order, es, start, len(t) - start.astype(float), deaths.astype(float))


def logrank_statistics(table: EventTable, labels: np.ndarray) -> np.ndarray:
    """The log-rank chisq of each row of ``labels`` (0/1, subjects in ``table.order``).

    ``chisq = (O1 - E1)^2 / V1`` with ``O1 = sum of group-1 events`` and ``E1``, ``V1``
    from :func:`~spinemets.methods.logrank.logrank_moments` with group 1's numbers at
    risk: R ``survdiff`` (rho = 0) for two groups.  A labelling with ``V1 = 0`` gets 0.
    Tests: tests/methods/test_permutation.py::test_every_labelling_matches_r_enumeration.
    """
    lab = np.atleast_2d(labels).astype(float)
    suffix = np.cumsum(lab[:, ::-1], axis=1)[:, ::-1]
    n1 = suffix[:, table.start]
    expected, variance = logrank_moments(n1[:, None, :], table.n_risk, table.deaths)
    return two_group_chisq(lab @ table.event, expected[:, 0], variance[:, 0, 0])


def _group_indicator(group: npt.ArrayLike, n: int) -> np.ndarray:
    labels, codes, _ = group_codes(group, n)
    if len(labels) != 2:
        shown = ", ".join(str(v) for v in labels[:5])
        raise SpinemetsError(
            f"log-rank: expected exactly two groups, found {len(labels)} ({shown})"
        )
    return codes.astype(float)


def logrank_chisq(
    time: npt.ArrayLike, event: npt.ArrayLike, group: npt.ArrayLike, timefix: bool = True
) -> float:
    """The two-group log-rank chisq of the observed labels (R ``survdiff(...)$chisq``).

    Tests: tests/methods/test_permutation.py::test_identity_labelling_is_survdiff_chisq."""
    table = event_table(time, event, timefix)
    return float(logrank_statistics(table, _group_indicator(group, table.n)[table.order])[0])


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
    timefix: bool = True,
) -> PermutationResult:
    """Permutation (exact or Monte Carlo) two-group log-rank test; see the module text.

    Reproducible bit for bit for a given ``seed``; the first k draws are the same for
    any ``n_permutations >= k``. The observed statistic is R ``survdiff``'s chisq.
    Tests: tests/methods/test_permutation.py (R survdiff and R's enumeration of every
    labelling of a toy set).
    """
    if n_permutations < 1:
        raise SpinemetsError(f"n_permutations must be >= 1, got {n_permutations}")
    table = event_table(time, event, timefix)
    observed_labels = _group_indicator(group, table.n)[table.order]
    chisq = float(logrank_statistics(table, observed_labels)[0])
    n, n1 = table.n, int(observed_labels.sum())
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
        p_asymptotic=float(chdtrc(1, chisq)),
        p_permutation=p,
        mc_se=se,
        method=method,
        n_labellings=n_labellings,
        n_permutations=used,
        seed=used_seed,
        statistics=statistics,
    )
