"""The log-rank's two sorting paths give the same answer.

``group_event_table`` packs (time rank, group, event) into one integer key when the
durations span few enough binades, and falls back to an argsort otherwise. The
log-rank test depends on the order of the times only, so the same data mapped
monotonically onto an extreme range (forcing the fallback) must give identical
statistics to the ordinary range (the packed path).
"""

from __future__ import annotations

import numpy as np
import pytest
from spinemets.survival import kaplan_meier, logrank_test
from spinemets.survival.logrank import _packed_key


def _tied_sample(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 60, size=n).astype(float)  # many ties
    event = (rng.random(n) < 0.7).astype(int)
    group = rng.integers(0, 3, size=n)
    return time, event, group


def _extreme(time: np.ndarray) -> np.ndarray:
    """An order-preserving map of 1..59 onto 1e-290..1e290 (far beyond 1024 binades)."""
    return 10.0 ** (10.0 * (time - 30.0))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_fallback_and_packed_paths_agree(seed: int, rho: float) -> None:
    time, event, group = _tied_sample(seed)
    far = _extreme(time)
    codes = group.astype(np.int64)
    assert _packed_key(time, event, codes, 2) is not None, "ordinary times use the packed key"
    assert _packed_key(far, event, codes, 2) is None, "extreme times must force the fallback"
    near = logrank_test(time, event, group, rho=rho)
    wide = logrank_test(far, event, group, rho=rho)
    assert wide.chisq == pytest.approx(near.chisq, rel=1e-12)
    assert wide.p == pytest.approx(near.p, rel=1e-9)
    np.testing.assert_allclose(wide.observed, near.observed, rtol=0, atol=0)
    np.testing.assert_allclose(wide.expected, near.expected, rtol=1e-12)


def test_kaplan_meier_counts_do_not_depend_on_the_time_scale() -> None:
    time, event, _ = _tied_sample(4)
    near = kaplan_meier(time, event)
    wide = kaplan_meier(_extreme(time), event)
    np.testing.assert_array_equal(wide.n_risk, near.n_risk)
    np.testing.assert_array_equal(wide.n_event, near.n_event)
    np.testing.assert_allclose(wide.surv, near.surv, rtol=1e-14)
