"""spinemets.methods.timefix against R's aeqSurv (tests/fixtures/r_methods/aeqsurv.json)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r_reference import r_json
from spinemets.errors import SpinemetsError
from spinemets.methods.timefix import (
    TOLERANCE,
    timefix_counting,
    timefix_sorted,
    timefix_times,
)


def _cases() -> list[pytest.param]:
    return [pytest.param(i, id=f"case{i}") for i in range(len(r_json("aeqsurv")["times"]))]


@pytest.mark.parametrize("index", _cases())
def test_timefix_matches_r_aeqsurv(index: int) -> None:
    case = r_json("aeqsurv")["times"][index]
    x = np.array([float(v) for v in case["input"]])
    expected = np.array([float(v) for v in case["output"]])
    np.testing.assert_array_equal(timefix_times(x), expected)  # bit for bit
    order = np.argsort(x, kind="stable")
    fixed = timefix_sorted(x[order])
    np.testing.assert_array_equal(x[order] if fixed is None else fixed, expected[order])


def test_tolerance_is_r_default() -> None:
    assert TOLERANCE == pytest.approx(1.4901161193847656e-08, rel=1e-15)


def test_nothing_to_merge_returns_the_input() -> None:
    x = np.array([1.0, 2.0, 2.0, 3.0])
    assert timefix_times(x) is x
    assert timefix_sorted(x) is None


def test_counting_interval_of_length_zero_is_refused_as_in_r() -> None:
    assert "effective length 0" in r_json("aeqsurv")["counting_error"]
    with pytest.raises(SpinemetsError, match="row 1: interval .* effective length 0"):
        timefix_counting(np.array([0.0, 1.0]), np.array([1.0, 1.0 + 1e-10]))
    start, stop = timefix_counting(np.array([0.0, 1.0 + 1e-10]), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(start, [0.0, 1.0])  # the start merges with the stop 1
    np.testing.assert_array_equal(stop, [1.0, 2.0])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=40),
    st.lists(st.floats(-3e-8, 3e-8), min_size=0, max_size=10),
)
def test_sorted_fast_path_is_the_transcription_of_r(base: list, jitter: list) -> None:
    """timefix_sorted (no search, one pass when nothing is near) gives what the line-by-line
    transcription of aeqSurv (timefix_times: unique, cut points, findInterval) gives."""
    x = np.array(base + [b + j for b, j in zip(base, jitter, strict=False)])
    x = np.abs(x)
    order = np.argsort(x, kind="stable")
    fixed = timefix_sorted(x[order])
    expected = timefix_times(x)[order]
    np.testing.assert_array_equal(x[order] if fixed is None else fixed, expected)
