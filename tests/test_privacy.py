"""Small-cell suppression (spinemets.privacy); identifiers: tests/cohort/test_identifiers.py."""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets.errors import ParameterError
from spinemets.privacy import shown_count, suppress_small_cells

# --- small-cell suppression --------------------------------------------------------------


def test_suppress_small_cells_masks_counts_below_min_cell():
    table = pd.DataFrame({"group": ["a", "b", "c", "d"], "n": [12, 4, 0, 5], "pct": [1.0, 2, 3, 4]})
    out = suppress_small_cells(table, ["n"], 5)
    assert out["n"].tolist() == ["12", "<5", "0", "5"]
    assert out["pct"].tolist() == [1.0, 2, 3, 4]  # other columns untouched
    assert table["n"].tolist() == [12, 4, 0, 5]  # input not modified
    assert suppress_small_cells(table, ["n"], 5, mask_zero=True)["n"].tolist() == [
        "12", "<5", "<5", "5",
    ]  # fmt: skip


def test_suppress_small_cells_several_columns_and_missing_values():
    table = pd.DataFrame({"events": [1.0, None, 10.0], "n": [3, 8, 20]})
    out = suppress_small_cells(table, ["events", "n"], 3)
    assert out["events"].tolist() == ["<3", "", "10"]
    assert out["n"].tolist() == ["3", "8", "20"]


def test_min_cell_one_masks_nothing():
    out = suppress_small_cells(pd.DataFrame({"n": [0, 1, 2]}), ["n"], 1)
    assert out["n"].tolist() == ["0", "1", "2"]


@pytest.mark.parametrize("min_cell", [0, -1, 2.5, "5", True])
def test_suppress_small_cells_refuses_a_bad_min_cell(min_cell):
    with pytest.raises(ParameterError, match="min_cell"):
        suppress_small_cells(pd.DataFrame({"n": [1]}), ["n"], min_cell)


def test_suppress_small_cells_refuses_unknown_columns_and_non_counts():
    with pytest.raises(ParameterError, match="'m' not in the table"):
        suppress_small_cells(pd.DataFrame({"n": [1]}), ["m"], 5)
    with pytest.raises(ParameterError, match="column n: value 2.5"):
        suppress_small_cells(pd.DataFrame({"n": [2.5]}), ["n"], 5)
    with pytest.raises(ParameterError, match="column n: value -1"):
        suppress_small_cells(pd.DataFrame({"n": [-1]}), ["n"], 5)


def test_shown_count() -> None:
    """The figure twin of suppress_table: 1 .. min_cell - 1 masked, zeros and the rest drawn."""
    assert [shown_count(k, 10) for k in (0, 1, 9, 10, 42)] == ["0", "<10", "<10", "10", "42"]
    assert [shown_count(k) for k in (0, 3)] == ["0", "3"]  # min_cell 0: off
