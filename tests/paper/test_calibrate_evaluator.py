"""The vectorised month-grid evaluator against a literal per-patient reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from spinemets.paper.calibrate.evaluator import ApproximateEvaluator, statistics
from spinemets.paper.calibrate.search import CELL, HORIZON, initial_state
from spinemets.paper.calibrate.targets import CELLS, GROUPS, TARGETS

from .test_calibrate_reference import logrank_p, median_ci, rate


def random_cohort(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Random valid cohorts, with many ties (small time ranges) to stress the rules."""
    if rng.random() < 0.5:
        s = initial_state(rng)
        return s.os, s.death, s.lp, s.prog
    top = int(rng.choice([12, 40, 144]))
    os_ = rng.integers(1, top + 1, size=CELL.size)
    death = (rng.random(CELL.size) < rng.uniform(0.5, 1.0)).astype(np.int64)
    prog = (rng.random(CELL.size) < 0.2).astype(np.int64)
    prog[0] = 1  # at least one progression
    lp = np.where(prog == 1, rng.integers(1, os_ + 1), os_)
    return os_, death, lp, prog


def reference_values(os_, death, lp, prog) -> list[float]:
    out = []
    members = {g: np.isin(CELL, idx) for g, idx in GROUPS.items()}
    met = members["metastasectomy"]
    for t in TARGETS:
        if t.kind.startswith("median"):
            m = members[t.group]
            med = median_ci(list(os_[m]), list(death[m]))
            out.append(med[["median", "median_lower", "median_upper"].index(t.kind)])
        elif t.kind == "rate":
            m = members[t.group]
            time, ev = (os_, death) if t.endpoint == "os" else (lp, prog)
            out.append(100 * rate(list(time[m]), list(ev[m]), t.time))
        elif t.kind == "p_value":
            time, ev = (os_, death) if t.endpoint == "os" else (lp, prog)
            grp = met if t.group == "surgery" else members["targeted"]
            out.append(logrank_p(list(time), list(ev), list(grp)))
        else:
            out.append(float(np.median(lp[prog == 1])))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_fast_evaluator_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(20200 + seed)
    cohort = random_cohort(rng)
    fast = statistics(*cohort, CELL)[0]
    ref = reference_values(*cohort)
    for t, a, b in zip(TARGETS, fast, ref, strict=True):
        if math.isnan(b):
            assert math.isnan(a), t.name
        else:
            assert a == pytest.approx(b, rel=1e-9, abs=1e-12), t.name


def test_exact_half_plateau_uses_midpoint() -> None:
    """S = 0.5 exactly on a plateau: median is the midpoint to the next event (R)."""
    # 8 patients in the targeted cells die at 1..8: S(4) = 0.5 exactly -> median 4.5
    os_ = np.full(CELL.size, 100)
    death = np.zeros(CELL.size, dtype=np.int64)
    targ = np.flatnonzero(np.isin(CELL, GROUPS["targeted"]))
    rest = np.flatnonzero(~np.isin(CELL, GROUPS["targeted"]))
    os_[targ] = np.arange(1, targ.size + 1) * 2  # 26 deaths at 2, 4, ..., 52
    death[targ] = 1
    death[rest] = 1
    os_[rest] = 10
    prog = np.zeros(CELL.size, dtype=np.int64)
    prog[rest[0]] = 1
    lp = os_.copy()
    k = [t.name for t in TARGETS].index("os_median_targeted")
    # 13 of 26 dead at 26 -> S = 0.5 exactly, next event at 28 -> 27
    assert statistics(os_, death, lp, prog, CELL)[0][k] == 27.0
    assert median_ci(list(os_[targ]), list(death[targ]))[0] == 27.0


def test_cells_match_published_sizes() -> None:
    assert [int((CELL == k).sum()) for k in range(len(CELLS))] == [7, 32, 19, 42]


def test_approximate_evaluator_is_bit_identical() -> None:
    """The search's few-call evaluator gives statistics(approximate=True)'s floats exactly,
    whatever batch a cohort is evaluated in."""
    rng = np.random.default_rng(77)
    cohorts = [random_cohort(rng) for _ in range(48)]
    batch = [np.stack([c[f] for c in cohorts]) for f in range(4)]
    evaluator = ApproximateEvaluator(CELL, HORIZON)
    expected = np.concatenate(
        [
            statistics(*(a[k : k + 1] for a in batch), CELL, HORIZON, approximate=True)
            for k in range(48)
        ]
    )
    n_prog = batch[3].sum(axis=1)  # each row its own number of progressors
    got = evaluator.values(*batch, n_prog=n_prog)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(expected).any() and np.isfinite(expected).any()
    for size in (1, 5, 16):
        for s in range(0, 48, size):
            part = [a[s : s + size] for a in batch]
            assert np.array_equal(
                evaluator.values(*part),
                statistics(*part, CELL, HORIZON, approximate=True),
                equal_nan=True,
            )
