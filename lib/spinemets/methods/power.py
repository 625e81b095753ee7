"""What a two-group survival comparison of a given size could detect.

Schoenfeld's formula (Schoenfeld 1983, Biometrika 70:315) for the log-rank / Cox test
of a hazard ratio ``HR`` between two groups holding shares ``p`` and ``1 - p`` of the
patients, with ``D`` events in total and a two-sided level ``alpha``:

* events needed for power ``1 - beta``:
  ``D = (z_{1-alpha/2} + z_{1-beta})^2 / (p (1 - p) log(HR)^2)``;
* power with ``D`` events: ``Phi(sqrt(D p (1 - p)) |log HR| - z_{1-alpha/2})``
  (the far tail, below ``Phi(-z_{1-alpha/2})``, is ignored, as in the formula);
* minimal detectable hazard ratio: ``exp(+/- (z_{1-alpha/2} + z_{1-beta}) / sqrt(D p (1 - p)))``.

Freedman's formula (Freedman 1982, Stat Med 1:121), ``Phi(sqrt(k D) |HR - 1| /
(k HR + 1) - z_{1-alpha/2})`` with ``k = n1 / n2`` (what lifelines' ``power_under_cph``
computes; the tests use lifelines as the oracle), is the usual cross-check; the two
agree closely near ``HR = 1``.

Equivalence (two one-sided tests at level alpha each, margin (1/m, m), true HR 1):
events needed ``D = (z_{1-alpha} + z_{1-beta/2})^2 / (p (1 - p) log(m)^2)`` and power
``2 Phi(sqrt(D p (1 - p)) log m - z_{1-alpha}) - 1``. The events at which a confidence
interval is merely as wide as the margin (:func:`events_for_precision`) are far fewer
and give little power to show equivalence. :func:`simulate_equivalence` checks the
equivalence formula empirically (Cox fits of simulated studies, the 1 - 2 alpha Wald
interval inside the margin).

The formulas are approximations. At an unbalanced split Schoenfeld's power is the same
for ``HR`` and ``1 / HR``, but the true power is not: Freedman's formula and the
simulation give less power when the *smaller* group has the lower hazard (it then
contributes fewer of the deaths). :func:`freedman_detectable_hr` inverts Freedman's
formula in each direction.

:func:`simulate_power` checks the formula empirically: exponential survival, follow-up
stopped at the ``D``-th death (so every replicate has exactly ``D`` events, which is
what the formula conditions on), the two-group log-rank test at level ``alpha``; each
replicate has its own seed spawned from one named seed, so the result is identical for
any number of workers.

Checked by ``tests/methods/test_power.py`` (hand arithmetic, lifelines' Freedman,
reproducibility).
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import SpinemetsError
from .cox import coxph
from .permutation import EventTable, event_table, logrank_statistics
from .timefix import TOLERANCE

__all__ = [
    "SIMULATION_SEED",
    "SimulatedPower",
    "equivalence_events",
    "equivalence_power",
    "events_for_precision",
    "freedman_detectable_hr",
    "freedman_power",
    "minimal_detectable_hr",
    "power_table",
    "schoenfeld_events",
    "schoenfeld_power",
    "simulate_equivalence",
    "simulate_power",
]

#: The named seed of the power simulation.
SIMULATION_SEED = 20201982
#: Replicates per task sent to a worker (fixed: results never depend on the workers).
BLOCK = 25


def _check(alpha: float, share: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise SpinemetsError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0 < share < 1:
        raise SpinemetsError(f"the share of one group must be in (0, 1), got {share!r}")
    if power is not None and not 0 < power < 1:
        raise SpinemetsError(f"power must be in (0, 1), got {power!r}")


def schoenfeld_events(hr: float, share: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Events needed to detect ``hr`` with ``power`` at two-sided ``alpha`` (Schoenfeld).

    Tests: tests/methods/test_power.py::test_events_needed_textbook_case."""
    _check(alpha, share, power)
    if hr <= 0 or hr == 1:
        raise SpinemetsError(f"hazard ratio must be positive and not 1, got {hr!r}")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z**2 / (share * (1 - share) * math.log(hr) ** 2))


def schoenfeld_power(hr: float, events: float, share: float, alpha: float = 0.05) -> float:
    """Power to detect ``hr`` with ``events`` deaths at two-sided ``alpha`` (Schoenfeld).

    Tests: tests/methods/test_power.py::test_power_by_hand."""
    _check(alpha, share)
    if hr <= 0:
        raise SpinemetsError(f"hazard ratio must be positive, got {hr!r}")
    delta = math.sqrt(events * share * (1 - share)) * abs(math.log(hr))
    return float(stats.norm.cdf(delta - stats.norm.ppf(1 - alpha / 2)))


def minimal_detectable_hr(
    events: float, share: float, alpha: float = 0.05, power: float = 0.8
) -> tuple[float, float]:
    """The hazard ratios (below 1, above 1) detectable with ``power`` (Schoenfeld).

    Tests: tests/methods/test_power.py::test_minimal_detectable_hr_of_the_study."""
    _check(alpha, share, power)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    log_hr = z / math.sqrt(events * share * (1 - share))
    return float(math.exp(-log_hr)), float(math.exp(log_hr))


def events_for_precision(margin: float, share: float, conf_level: float = 0.95) -> float:
    """Deaths needed for the confidence interval of a hazard ratio to reach no further
    than ``margin`` times (and 1 / ``margin`` times) the estimate:
    ``D = (z_{1-(1-conf)/2} / log(margin))^2 / (p (1 - p))`` (the Cox/log-rank standard
    error of log HR is about ``1 / sqrt(D p (1 - p))``). That is not the number of events
    needed to *show* equivalence (:func:`equivalence_events`).
    Tests: tests/methods/test_power.py::test_events_for_precision_by_hand."""
    _check(1 - conf_level, share)
    if margin <= 1:
        raise SpinemetsError(f"margin must be > 1, got {margin!r}")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    return float((z / math.log(margin)) ** 2 / (share * (1 - share)))


def freedman_power(hr: float, n1: int, n2: int, events: float, alpha: float = 0.05) -> float:
    """Power by Freedman's formula ``Phi(sqrt(k D) |HR - 1| / (k HR + 1) - z_{1-alpha/2})``
    with ``k = n1 / n2`` and ``D`` events; lifelines ``power_under_cph`` with the same
    death probability ``D / (n1 + n2)`` in both groups gives the same number.
    Tests: tests/methods/test_power.py::test_freedman_matches_lifelines."""
    _check(alpha, n1 / (n1 + n2))
    if hr <= 0:
        raise SpinemetsError(f"hazard ratio must be positive, got {hr!r}")
    k = n1 / n2
    delta = math.sqrt(k * events) * abs(hr - 1) / (k * hr + 1)
    return float(stats.norm.cdf(delta - stats.norm.ppf(1 - alpha / 2)))


def freedman_detectable_hr(
    n1: int, n2: int, events: float, alpha: float = 0.05, power: float = 0.8
) -> tuple[float, float]:
    """The hazard ratios (below 1, above 1) at which :func:`freedman_power` equals ``power``.

    Freedman's power is not symmetric in log HR when ``n1 != n2``: the two answers are
    not reciprocals (Schoenfeld's, :func:`minimal_detectable_hr`, are). Solved with
    ``scipy.optimize.brentq`` to 1e-12 on (1e-6, 1) and (1, 1e6).
    Tests: tests/methods/test_power.py::test_freedman_detectable_hr_inverts_the_formula and
    ::test_simulation_confirms_the_asymmetry_and_brackets_the_formulas.
    """
    _check(alpha, n1 / (n1 + n2), power)
    if freedman_power(1.0, n1, n2, events, alpha) >= power:
        raise SpinemetsError(f"power {power} is reached at HR 1: alpha too large for it")

    def gap(hr: float) -> float:
        return freedman_power(hr, n1, n2, events, alpha) - power

    below = optimize.brentq(gap, 1e-6, 1.0, xtol=1e-14, rtol=1e-12)
    if gap(1e6) < 0:  # Freedman's power above 1 is bounded by Phi(sqrt(kD) / k - z)
        return float(below), float("nan")
    above = optimize.brentq(gap, 1.0, 1e6, xtol=1e-12, rtol=1e-12)
    return float(below), float(above)


def equivalence_events(
    margin: float, share: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Events to show equivalence within (1/margin, margin) when the true HR is 1.

    Two one-sided tests at level ``alpha`` each (a 1 - 2 alpha confidence interval
    inside the margin): ``D = (z_{1-alpha} + z_{1-beta/2})^2 / (p (1 - p) log(m)^2)``.
    Tests: tests/methods/test_power.py::test_equivalence_events_by_hand.
    """
    _check(alpha, share, power)
    if margin <= 1:
        raise SpinemetsError(f"margin must be > 1, got {margin!r}")
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(1 - (1 - power) / 2)
    return float(z**2 / (share * (1 - share) * math.log(margin) ** 2))


def equivalence_power(events: float, margin: float, share: float, alpha: float = 0.05) -> float:
    """Power of the two one-sided tests within (1/margin, margin) at a true HR of 1:
    ``max(0, 2 Phi(sqrt(D p (1 - p)) log m - z_{1-alpha}) - 1)``.
    Tests: tests/methods/test_power.py::test_equivalence_events_by_hand."""
    _check(alpha, share)
    if margin <= 1:
        raise SpinemetsError(f"margin must be > 1, got {margin!r}")
    delta = math.sqrt(events * share * (1 - share)) * math.log(margin)
    return float(max(0.0, 2 * stats.norm.cdf(delta - stats.norm.ppf(1 - alpha)) - 1))


@dataclass(frozen=True)
class SimulatedPower:
    """Empirical rejection rate of the log-rank test and its Monte Carlo standard error."""

    hr: float
    rejection_rate: float
    mc_se: float
    replicates: int
    seed: int


def _simulated_studies(
    hr: float, n1: int, n2: int, events: int, seeds: list[np.random.SeedSequence]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latent times, observed times and event indicators (one row per seed) of simulated
    studies: exponential latent times, hazard ``hr`` in the first ``n1`` patients,
    follow-up stopped at the ``events``-th death (the latent time of that death)."""
    scale = np.r_[np.full(n1, hr), np.ones(n2)]
    latent = np.stack([np.random.default_rng(seq).exponential(1.0, n1 + n2) for seq in seeds])
    latent /= scale
    cutoff = np.partition(latent, events - 1, axis=1)[:, events - 1 : events]
    return latent, np.minimum(latent, cutoff), (latent <= cutoff).astype(float)


def _simulate_block(
    args: tuple[float, int, int, int, float, list[np.random.SeedSequence]],
) -> int:
    """Rejections among a block of replicates, all tested at once.

    With continuous times every death has its own time and the censorings share the
    last death's time, so every replicate has the same event table (one death at each
    of the first ``events`` ordered times; ``n - j`` at risk at the j-th) and only the
    group labels differ: :func:`~spinemets.methods.permutation.logrank_statistics` of
    all the rows at once. A replicate in which R's ``aeqSurv`` would merge near-equal
    times (vanishingly rare) takes the general path (:func:`event_table`) instead.
    """
    hr, n1, n2, events, critical, seeds = args
    n = n1 + n2
    group = np.r_[np.ones(n1), np.zeros(n2)]
    latent, time, event = _simulated_studies(hr, n1, n2, events, seeds)
    # by latent time: the deaths in time order, then the censorings (tied with the last death)
    order = np.argsort(latent, axis=1, kind="stable")
    ordered = np.take_along_axis(time, order, axis=1)
    gaps = np.diff(ordered, axis=1)
    bound = TOLERANCE * np.maximum(1.0, np.abs(ordered).max(axis=1, keepdims=True))
    near = ((gaps > 0) & (gaps <= bound)).any(axis=1)  # aeqSurv's fast path cannot rule out
    start = np.arange(events)
    table = EventTable(  # the labels below are already in time order
        order=np.arange(n),
        event=np.r_[np.ones(events), np.zeros(n - events)],
        start=start,
        n_risk=n - start.astype(float),
        deaths=np.ones(events),
    )
    chisq = logrank_statistics(table, group[order[~near]])
    rejections = int((chisq > critical).sum())
    for row in np.flatnonzero(near):
        general = event_table(time[row], event[row])
        rejections += int(logrank_statistics(general, group[general.order])[0] > critical)
    return rejections


def simulate_power(
    hr: float,
    n1: int,
    n2: int,
    events: int,
    alpha: float = 0.05,
    replicates: int = 200,
    seed: int = SIMULATION_SEED,
    workers: int = 1,
) -> SimulatedPower:
    """Share of ``replicates`` simulated studies whose log-rank test rejects at ``alpha``.

    Group 1 (``n1`` patients) has hazard ``hr`` times that of group 2 (``n2``);
    survival is exponential and follow-up stops at the ``events``-th death.
    Replicate i uses ``SeedSequence(seed).spawn(replicates)[i]``; ``workers > 1``
    spreads fixed blocks of replicates over processes without changing the result.
    Tests: tests/methods/test_power.py::test_simulation_is_reproducible_and_worker_independent
    and ::test_simulation_holds_its_level_under_the_null.
    """
    if not 1 <= events <= n1 + n2:
        raise SpinemetsError(f"events must be in 1..{n1 + n2}, got {events}")
    if min(n1, n2) < 1 or replicates < 1 or workers < 1 or hr <= 0:
        raise SpinemetsError("simulate_power: group sizes, replicates, workers and hr must be > 0")
    critical = float(stats.chi2.ppf(1 - alpha, 1))
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    tasks = [
        (hr, n1, n2, events, critical, seeds[i : i + BLOCK]) for i in range(0, replicates, BLOCK)
    ]
    if workers == 1 or len(tasks) == 1:
        counts = [_simulate_block(task) for task in tasks]
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            counts = list(pool.map(_simulate_block, tasks))
    rate = sum(counts) / replicates
    return SimulatedPower(hr, rate, math.sqrt(rate * (1 - rate) / replicates), replicates, seed)


def _equivalence_block(
    args: tuple[float, int, int, int, float, float, list[np.random.SeedSequence]],
) -> int:
    hr, n1, n2, events, margin, z, seeds = args
    shown = 0
    group = np.r_[np.ones(n1), np.zeros(n2)]
    _, times, deaths = _simulated_studies(hr, n1, n2, events, seeds)
    for time, event in zip(times, deaths, strict=True):
        fit = coxph(time, event, group[:, None])
        coef, se = float(fit.coef[0]), float(fit.se[0])
        shown += int(abs(coef) + z * se < math.log(margin))
    return shown


def simulate_equivalence(
    n1: int,
    n2: int,
    events: int,
    margin: float,
    alpha: float = 0.05,
    hr: float = 1.0,
    replicates: int = 1000,
    seed: int = SIMULATION_SEED,
) -> SimulatedPower:
    """Share of simulated studies that show equivalence within (1/margin, margin).

    Each study: ``n1`` + ``n2`` patients with exponential survival, hazard ``hr`` times
    higher in group 1, follow-up stopped at the ``events``-th death (so every study has
    exactly ``events`` deaths, what :func:`equivalence_events` conditions on); a Cox
    model (:func:`spinemets.methods.cox.coxph`, R ``coxph``) gives log HR and its
    standard error, and equivalence is shown when the 1 - 2 ``alpha`` Wald interval lies
    inside the margin (two one-sided tests at level ``alpha``). Replicate i uses
    ``SeedSequence(seed).spawn(replicates)[i]``. The result's ``rejection_rate`` is the
    share showing equivalence and ``mc_se`` its Monte Carlo standard error.
    Tests: tests/methods/test_power.py::test_simulation_confirms_equivalence_events.
    """
    _check(alpha, n1 / max(n1 + n2, 1))
    if not 1 <= events <= n1 + n2 or min(n1, n2) < 1 or replicates < 1 or hr <= 0:
        raise SpinemetsError("simulate_equivalence: need 1 <= events <= n1 + n2, hr > 0")
    if margin <= 1:
        raise SpinemetsError(f"margin must be > 1, got {margin!r}")
    z = float(stats.norm.ppf(1 - alpha))
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    shown = _equivalence_block((hr, n1, n2, events, margin, z, seeds))
    rate = shown / replicates
    return SimulatedPower(hr, rate, math.sqrt(rate * (1 - rate) / replicates), replicates, seed)


def power_table(
    hrs: list[tuple[str, float]],
    n1: int,
    n2: int,
    events: int,
    alpha: float = 0.05,
    simulated: dict[float, SimulatedPower] | None = None,
) -> pd.DataFrame:
    """Tidy power table, one row per ``(label, hazard ratio)``: Schoenfeld's and Freedman's
    power and, where ``simulated`` has the hazard ratio, the simulated rejection rate.
    Tests: tests/methods/test_power.py::test_power_table_rows_and_columns."""
    simulated = simulated or {}
    rows = []
    for label, hr in hrs:
        sim = simulated.get(hr)
        rows.append(
            {
                "label": label,
                "hazard_ratio": hr,
                "n1": n1,
                "n2": n2,
                "events": events,
                "alpha": alpha,
                "power_schoenfeld": schoenfeld_power(hr, events, n1 / (n1 + n2), alpha),
                "power_freedman": freedman_power(hr, n1, n2, events, alpha),
                "power_simulated": sim.rejection_rate if sim else float("nan"),
                "simulated_se": sim.mc_se if sim else float("nan"),
                "replicates": sim.replicates if sim else 0,
            }
        )
    return pd.DataFrame(rows)
