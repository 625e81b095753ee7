"""Cell parsers of spinemets.cohort.values, against hand-written examples."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from spinemets.cohort import values


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12.0),
        (" 12.5 ", 12.5),
        ("12,5", 12.5),
        ("-3", -3.0),
        (".5", 0.5),
        ("1e2", 100.0),
        ("12 months", None),
        ("1,234.5", None),
        ("1,234", None),  # thousands separator or decimal comma: refused
        ("12,500", None),
        ("0,125", 0.125),  # a leading zero is never a thousands group
        ("1234,567", 1234.567),  # four digits before the comma: no thousands group
        ("1.234", 1.234),  # the point is always a decimal point
        ("inf", None),
        ("nan", None),
        ("", None),
        ("abc", None),
        ("1e999", None),
    ],
)
def test_parse_number(text, number):
    assert values.parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "integer"), [("56", 56), ("56.0", 56), ("56.5", None), ("x", None), ("-1", -1)]
)
def test_parse_int(text, integer):
    assert values.parse_int(text) == integer


@pytest.mark.parametrize(
    ("text", "flag"), [("0", 0), ("1", 1), ("1.0", 1), ("2", None), ("yes", None), ("0.5", None)]
)
def test_parse_binary(text, flag):
    assert values.parse_binary(text) == flag


def test_parse_code_ignores_case_and_spaces_and_returns_the_canonical_code():
    assert values.parse_code(" Metastasectomy ", ("metastasectomy", "decompression")) == (
        "metastasectomy"
    )
    assert values.parse_code("c", ("A", "B", "C")) == "C"
    assert values.parse_code("en bloc", ("metastasectomy",)) is None


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2015-03-04", dt.date(2015, 3, 4)),
        ("2015-3-4", dt.date(2015, 3, 4)),
        ("2015-03-04 00:00:00", dt.date(2015, 3, 4)),
        ("04.03.2015", dt.date(2015, 3, 4)),
        ("03/04/2015", None),
        ("2015-02-30", None),
        ("yesterday", None),
        ("2015-03-04 12:00:00", None),
    ],
)
def test_parse_date(text, date):
    assert values.parse_date(text) == date


@pytest.mark.parametrize("text", [None, "", "  ", "NA", "na", "N/A", "NaN", "NULL", "None", "."])
def test_missing_tokens(text):
    assert values.is_missing(text)


def test_zero_is_not_missing():
    assert not values.is_missing("0")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (
            "1,234",
            "'1,234' could be 1234 or 1.234: write one of them without a thousands separator",
        ),
        (
            "-12,500",
            "'-12,500' could be -12500 or -12.500: write one of them without a thousands separator",
        ),
        ("1,234.5", "thousands separators are not read: write 1234.5"),
        ("1.234,5", "thousands separators are not read: write 1234.5"),
        ("1,234,567", "thousands separators are not read: write 1234567"),
        ("1.234.567", "thousands separators are not read: write 1234567"),
        ("1 044", "thousands separators are not read: write 1044"),
        ("1'044", "thousands separators are not read: write 1044"),
        ("12,5", None),
        ("1.234", None),
        ("abc", None),
        ("12 months", None),
    ],
)
def test_thousands_hint(text, hint):
    assert values.thousands_hint(text) == hint


def test_map_unique_calls_the_function_once_per_distinct_value_and_keeps_the_index():
    calls: list[object] = []

    def twice(v: object) -> object:
        calls.append(v)
        return None if v is None else str(v) * 2

    column = pd.Series(["a", None, "b", "a", None], index=[5, 6, 7, 8, 9], dtype=object)
    out = values.map_unique(column, twice)
    assert out.tolist() == ["aa", None, "bb", "aa", None]
    assert list(out.index) == [5, 6, 7, 8, 9]
    assert len(calls) == 3 and set(calls) == {"a", "b", None}  # each distinct value once
