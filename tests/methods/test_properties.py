"""Property tests (hypothesis) of the Kaplan-Meier curve, its band, log-rank and Cox."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from spinemets.methods.cox import CoxConvergenceError, coxph
from spinemets.methods.km import CONF_TYPES, kaplan_meier, survival_at
from spinemets.methods.logrank import logrank_test

# Integer-valued times make ties (of events, of censorings, of both) common.
samples = st.lists(
    st.tuples(st.integers(0, 30).map(float), st.booleans(), st.sampled_from("abc")),
    min_size=1,
    max_size=60,
)
SETTINGS = settings(max_examples=150, deadline=None)


def columns(rows: list[tuple[float, bool, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    time, event, group = zip(*rows, strict=True)
    return np.array(time), np.array(event, dtype=int), np.array(group, dtype=object)


@SETTINGS
@given(samples, st.sampled_from(CONF_TYPES))
def test_curve_is_a_non_increasing_probability(rows, conf_type) -> None:
    time, event, _ = columns(rows)
    km = kaplan_meier(time, event, conf_type=conf_type)
    assert ((km.surv >= 0) & (km.surv <= 1)).all()
    assert (np.diff(km.surv) <= 0).all()
    assert km.n_risk[0] == len(rows) and (km.n_event + km.n_censor).sum() == len(rows)
    ok = ~np.isnan(km.lower)
    assert (km.lower[ok] >= 0).all() and (km.lower[ok] <= km.surv[ok] + 1e-12).all()
    ok = ~np.isnan(km.upper)
    assert (km.upper[ok] <= 1).all() and (km.upper[ok] >= km.surv[ok] - 1e-12).all()


@SETTINGS
@given(samples, st.randoms(use_true_random=False))
def test_invariant_to_row_order(rows, rnd) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a = kaplan_meier(*columns(rows)[:2])
    b = kaplan_meier(*columns(shuffled)[:2])
    for field in ("time", "n_risk", "n_event", "surv", "std_err", "lower", "upper"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    if len({g for _, _, g in rows}) > 1:
        la, lb = logrank_test(*columns(rows)), logrank_test(*columns(shuffled))
        assert la.chisq == lb.chisq or np.isclose(la.chisq, lb.chisq, rtol=1e-12)


@SETTINGS
@given(samples)
def test_survival_at_own_times_is_the_curve(rows) -> None:
    time, event, _ = columns(rows)
    km = kaplan_meier(time, event)
    at = survival_at(km, km.time)
    np.testing.assert_array_equal(at.survival, km.surv)
    np.testing.assert_array_equal(at.n_risk, km.n_risk)


@SETTINGS
@given(samples)
def test_logrank_is_symmetric_in_group_labels(rows) -> None:
    time, event, group = columns(rows)
    if len(set(group)) < 2:
        return
    renamed = np.array([{"a": "z", "b": "y", "c": "x"}[g] for g in group], dtype=object)
    a, b = logrank_test(time, event, group), logrank_test(time, event, renamed)
    assert a.df == b.df
    assert np.isclose(a.chisq, b.chisq, rtol=1e-9, atol=1e-12)
    assert np.isclose(a.observed.sum(), a.expected.sum())  # sum(O - E) = 0


@settings(max_examples=60, deadline=None)
@given(samples, st.randoms(use_true_random=False))
def test_cox_fit_is_invariant_to_row_order_or_raises(rows, rnd) -> None:
    """Either a converged fit that does not depend on the row order, or a clear error."""
    time, event, group = columns(rows)
    x = (group == "a").astype(float)
    order = np.arange(len(rows))
    rnd.shuffle(order)
    try:
        a = coxph(time, event, x)
    except CoxConvergenceError:
        return
    b = coxph(time[order], event[order], x[order])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9, atol=1e-12)
    assert np.isfinite(a.coef).all() and np.isfinite(a.var).all()
