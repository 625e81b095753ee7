"""spinemets.methods._validate: one checker, one kind of message, never a traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spinemets.errors import SpinemetsError
from spinemets.methods._validate import (
    check_conf,
    check_counting,
    check_covariates,
    check_time_cause,
    check_time_event,
    check_weights,
    group_codes,
)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_time_event([1, -2], [1, 1]), "column 'time', row 1: duration -2.0"),
        (lambda: check_time_event([1, 2], [1, 0.5]), "column 'event', row 1: event 0.5"),
        (
            lambda: check_time_event(pd.Series([1, 2], name="os"), pd.Series([1], name="dead")),
            "columns 'os' and 'dead' must be 1-d and of equal length",
        ),
        (lambda: check_counting([0, 3], [1, 2], [1, 1]), "row 1: interval \\(3.0, 2.0\\]"),
        (lambda: check_time_cause([1, 2], [0, 1.5]), "column 'cause', row 1: cause 1.5"),
        (lambda: check_time_cause([1, 2], [0, -1]), "expected 0 \\(censored\\)"),
        (lambda: check_weights([1, 0], 2), "column 'weights', row 1: weight 0.0"),
        (lambda: group_codes(["a", None], 2), "row 1: missing group label"),
        (lambda: group_codes(["a"], 2), "1 labels for 2 observations"),
        (lambda: check_covariates(np.ones((3, 2)), 2), "expected 2 rows"),
        (lambda: check_conf("logit", 0.95), "conf_type 'logit' is not supported"),
        (lambda: check_conf("log", 1.5), "conf_level 1.5"),
    ],
)
def test_messages_name_column_row_value_and_expectation(call, message: str) -> None:
    with pytest.raises(SpinemetsError, match=message):
        call()


def test_group_codes_sort_as_r_factor() -> None:
    labels, codes, counts = group_codes([10, 2, 2, 1], 4)
    assert list(labels) == [1, 2, 10]  # numbers numerically, not as text
    np.testing.assert_array_equal(codes, [2, 1, 1, 0])
    np.testing.assert_array_equal(counts, [1, 2, 1])
    cat = pd.Series(pd.Categorical(["lo", "hi", "hi"], categories=["mid", "lo", "hi"]))
    labels, codes, counts = group_codes(cat, 3)
    assert list(labels) == ["lo", "hi"]  # the level order, empty levels dropped
    np.testing.assert_array_equal(codes, [0, 1, 1])


def test_covariate_frame_keeps_names() -> None:
    x, names = check_covariates(pd.DataFrame({"age": [1, 2], "sex": [0, 1]}), 2)
    assert names == ("age", "sex") and x.shape == (2, 2)
    with pytest.raises(SpinemetsError, match="column 'sex', row 'b': value nan"):
        check_covariates(pd.DataFrame({"sex": [0, np.nan]}, index=["a", "b"]), 2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.none()), max_size=8),
    st.lists(st.one_of(st.integers(-2, 3), st.floats(allow_nan=True), st.none()), max_size=8),
)
def test_checker_never_crashes_on_garbage(time: list, event: list) -> None:
    """Any input either passes or raises SpinemetsError: never another exception."""
    try:
        t, e = check_time_event(time, event)
    except SpinemetsError:
        return
    assert (t >= 0).all() and np.isin(e, (0, 1)).all()
