"""Small-cell suppression in exported tables: RunOutput(min_cell=...) and privacy.suppress_table.

Expected values are written by hand from the tables below (counts 1..min_cell-1
become ``<min_cell``; zeros, larger counts and non-count cells are kept).
"""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets.errors import ParameterError
from spinemets.output import RunOutput
from spinemets.privacy import is_count_column, suppress_table


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["a", "b", "c", "d"],
            "n": [12, 3, 0, 10],
            "events": [9, 1, 0, 10],
            "percent": [75.0, 33.33333333333, 0.0, 100.0],
            "median": [5.5, 2.0, float("nan"), 3.25],
        }
    )


def read(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_run_output_masks_counts_in_csv_and_markdown(tmp_path):
    out = RunOutput(tmp_path, min_cell=10)
    csv = out.write_table(table(), "t")
    assert read(csv) == [
        "group,n,events,percent,median",
        "a,12,<10,suppressed,5.5",
        "b,<10,<10,suppressed,2",
        "c,0,0,0,",
        "d,10,10,100,3.25",
    ]
    md = (tmp_path / "tables" / "t.md").read_text(encoding="utf-8")
    assert "| a       | 12  | <10      | suppressed |" in md
    assert "| b       | <10 | <10      | suppressed |" in md
    assert " 9 " not in md and " 3 " not in md and "| 1 " not in md


def test_min_cell_zero_writes_the_table_unchanged(tmp_path):
    plain = RunOutput(tmp_path / "plain").write_table(table(), "t")
    off = RunOutput(tmp_path / "off", min_cell=0).write_table(table(), "t")
    one = RunOutput(tmp_path / "one", min_cell=1).write_table(table(), "t")
    assert plain.read_bytes() == off.read_bytes() == one.read_bytes()
    assert read(plain)[2] == "b,3,1,33.33333333,2"


def test_explicit_count_columns_for_a_cross_tabulation(tmp_path):
    shift = pd.DataFrame({"before": ["A", "D"], "A": [3, 0], "D": [0, 16], "E": [0, 20]})
    out = RunOutput(tmp_path, min_cell=5)
    csv = out.write_table(shift, "shift", count_columns=["A", "D", "E"])
    assert read(csv) == ["before,A,D,E", "A,<5,0,0", "D,0,16,20"]
    with pytest.raises(ParameterError, match="'F' not in the table"):
        out.write_table(shift, "shift", count_columns=["F"])


def test_display_tables_mask_counts_with_percent_and_small_group_headers():
    wide = pd.DataFrame(
        {
            "characteristic": ["Age, years", "Therapy", ""],
            "level": ["median (IQR)", "targeted", "cytokine"],
            "all (n=12)": ["56 (50–59)", "4 (33.3%)", "8 (66.7%)"],
            "targeted (n=4)": ["5 (3–7)", "4 (100.0%)", "0 (0.0%)"],
        }
    )
    masked = suppress_table(wide, 5)
    assert list(masked.columns) == ["characteristic", "level", "all (n=12)", "targeted (n<5)"]
    assert masked["all (n=12)"].tolist() == ["56 (50–59)", "<5", "8 (66.7%)"]
    # a median (IQR) is not a count, even when small; zeros are kept
    assert masked["targeted (n<5)"].tolist() == ["5 (3–7)", "<5", "0 (0.0%)"]


@pytest.mark.parametrize(
    ("name", "is_count"),
    [
        ("n", True),
        ("n_risk", True),
        ("events", True),
        ("all (n=100) events", True),
        ("metastasectomy (n=39)", True),
        ("patients_with", True),
        ("percent", False),
        ("median", False),
        ("claims", False),
        ("n_permutations", False),
        ("hazard_ratio", False),
    ],
)
def test_count_columns_are_recognised_by_name(name, is_count):
    assert is_count_column(name) is is_count


@pytest.mark.parametrize("min_cell", [-1, 2.5, True, "10"])
def test_a_bad_min_cell_is_refused(tmp_path, min_cell):
    with pytest.raises(ParameterError, match="min_cell"):
        RunOutput(tmp_path, min_cell=min_cell)


def test_displayed_tables_are_masked(tmp_path) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        table = pd.DataFrame({"group": ["a", "b"], "n": [3, 42]})
        RunOutput(tmp_path, min_cell=10)
        shown = shell.display_formatter.format(table)[0]
        assert "<10" in shown["text/plain"] and "&lt;10" in shown["text/html"]
        assert "42" in shown["text/plain"]
        assert " 3\n" not in shown["text/plain"] + "\n"
        RunOutput(tmp_path, min_cell=0)  # back to pandas' own display
        shown = shell.display_formatter.format(table)[0]
        assert "<10" not in shown["text/plain"] and "&lt;10" not in shown["text/html"]
    finally:
        InteractiveShell.clear_instance()


def test_displayed_table_masks_the_count_columns_it_was_written_with(tmp_path) -> None:
    """A cross-tabulation (counts under grade headers) shows what its CSV shows."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        cross = pd.DataFrame({"before": ["A", "B"], "C": [3, 12], "D": [0, 7]})
        out = RunOutput(tmp_path, min_cell=5)
        out.write_table(cross, "cross", count_columns=["C", "D"])
        assert read(tmp_path / "tables" / "cross.csv") == ["before,C,D", "A,<5,0", "B,12,7"]
        shown = shell.display_formatter.format(cross)[0]["text/plain"]
        assert "<5" in shown and " 3" not in shown and "12" in shown and "7" in shown
    finally:
        RunOutput(tmp_path, min_cell=0)
        InteractiveShell.clear_instance()
