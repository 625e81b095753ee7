"""Spreadsheet-safe CSV (spinemets.output.table_to_csv_text): formulas never reach a spreadsheet.

OWASP's rule for CSV injection: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is written after a single quote. Numbers (also negative
numbers, and numbers a table holds as text) are written as they are.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from spinemets.output import RunOutput, spreadsheet_safe, table_to_csv_text


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://example.org","x")', '\'=HYPERLINK("http://example.org","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("surgical site infection", "surgical site infection"),
        ("a=b", "a=b"),
        ("-0.52", "-0.52"),
        ("+3", "+3"),
        ("-1e-05", "-1e-05"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(cell, written):
    assert spreadsheet_safe(cell) == written


def test_text_cells_that_are_formulas_are_quoted_and_numbers_are_kept():
    table = pd.DataFrame(
        {
            "detail": ['=HYPERLINK("http://x")', "temporary", "@cmd", "-5 days"],
            "estimate": [-0.5, 1.25, -3.0, float("nan")],
            "n": [-1, 2, 3, 4],
            "shown": ["-0.5", "<5", "+2", "12"],
        }
    )
    rows = _cells(table_to_csv_text(table))
    assert rows[0] == ["detail", "estimate", "n", "shown"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "temporary",
        "'@cmd",
        "'-5 days",
    ]
    assert [r[1] for r in rows[1:]] == ["-0.5", "1.25", "-3", ""]
    assert [r[2] for r in rows[1:]] == ["-1", "2", "3", "4"]
    assert [r[3] for r in rows[1:]] == ["-0.5", "<5", "+2", "12"]


def test_column_names_are_neutralised_too():
    text = table_to_csv_text(pd.DataFrame({"=cmd()": [1], "ok": ["x"]}))
    assert _cells(text)[0] == ["'=cmd()", "ok"]


def test_a_table_without_formula_text_is_written_as_before():
    """No cell starts with a trigger: the text is what pandas writes (bytes unchanged)."""
    table = pd.DataFrame(
        {
            "group": ["all", "targeted"],
            "median": [12.5, -0.25],
            "n": [100, 26],
            "p": ["<0.001", "0.04"],
        }
    )
    assert table_to_csv_text(table) == table.to_csv(index=False, lineterminator="\n")


def test_run_output_writes_safe_csv_and_keeps_markdown_as_written(tmp_path):
    out = RunOutput(tmp_path)
    table = pd.DataFrame({"category": ["wound"], "detail": ["=1+1"], "n": [3]})
    path = out.write_table(table, "details")
    assert _cells(path.read_text(encoding="utf-8"))[1] == ["wound", "'=1+1", "3"]
    assert "| =1+1 " in (tmp_path / "tables" / "details.md").read_text(encoding="utf-8")
