"""R reference values for the tests of spinemets.methods (tests/fixtures/, never R itself).

``r_json(name)`` reads a results file of tests/fixtures/r_methods.R (data the project
never used); ``r_data(name)`` reads the data set it was computed on, with R's factor
level order restored (so treatment contrasts name the same columns as R's).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).parents[1] / "fixtures"
R_METHODS = FIXTURES / "r_methods"
#: Relative tolerance for values R computes with the same arithmetic (1e-9 as asked;
#: most agree to 1e-12).
RTOL = 1e-9


@cache
def r_json(name: str) -> object:
    """One results file of tests/fixtures/r_methods.R (``km``, ``cox``, ...)."""
    return json.loads((R_METHODS / f"{name}.json").read_text())


@cache
def _data(name: str) -> pd.DataFrame:
    data = pd.read_csv(
        R_METHODS / f"data_{name}.csv",
        na_values=["NA"],
        keep_default_na=False,
        float_precision="round_trip",  # exactly R's doubles (17 digits written)
    )
    for column, order in r_json("levels").get(name, {}).items():
        text = data[column].map(label, na_action="ignore")
        data[column] = pd.Categorical(text, categories=order)
    return data


def r_data(name: str) -> pd.DataFrame:
    """A data set exported by r_methods.R (a fresh copy: tests may modify it)."""
    return _data(name).copy()


#: How r_methods.R writes R's non-finite numbers (jsonlite ``na = "string"``).
NON_FINITE = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


def _number(value: object) -> object:
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, str):
        return NON_FINITE[value]
    return np.nan if value is None else value


def vec(value: object) -> np.ndarray:
    """A JSON number or list as a float array (jsonlite unboxes length-1 vectors)."""
    return np.atleast_1d(np.asarray(_number(value), dtype=np.float64))


def mat(value: object, p: int) -> np.ndarray:
    """A JSON matrix (list of rows, or a number when 1 x 1) as a p x p array."""
    return np.asarray(_number(value), dtype=np.float64).reshape(p, p)


def label(value: object) -> str:
    """A group label as R prints it: 1 not 1.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def close(actual: object, expected: object, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Arrays equal to ``rtol`` relative (NaN where R has NA or null)."""
    exp = vec(expected) if not isinstance(expected, np.ndarray) else expected
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), exp, rtol=rtol, atol=atol, equal_nan=True
    )
