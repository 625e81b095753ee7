"""The cell guard: an analysis that cannot apply shows one line, and the notebook goes on.

Cells are run in a real IPython shell (``InteractiveShell``, the kernel's shell) with the
guard that ``notebook.start`` installs; the index's reading of the line is checked on the
executed notebook's JSON. Whole notebooks on degenerate cohorts are run through the
runner in ``tests/reports/test_degenerate_cohorts.py``.
"""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from spinemets.notebook import CellGuard
from spinemets.reports.story import not_applicable, story_of


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    published: list[tuple[dict, dict]] = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(
        (data, metadata or {})
    )
    shell.published = published
    CellGuard.install()
    shell.run_cell(
        "from spinemets.errors import NotApplicable, ParameterError\n"
        "def analysis(x):\n"
        "    if x < 2:\n"
        "        raise NotApplicable('surgery: one group (decompression); nothing to compare')\n"
        "    return x * 10\n"
    )
    yield shell
    InteractiveShell.clear_instance()


def guard(shell) -> CellGuard:
    return shell.user_ns["__spinemets_guard__"]


def test_a_cell_that_cannot_apply_shows_one_line_and_succeeds(shell) -> None:
    result = shell.run_cell("before = 1\ntable = analysis(1)\ntable")
    assert result.success and result.result is None
    reason = "surgery: one group (decompression); nothing to compare"
    assert guard(shell).reasons == [reason]
    [(data, meta)] = shell.published
    assert data["text/plain"] == f"Cannot apply to this cohort: {reason}"
    assert meta == {"spinemets": {"not_applicable": reason}}
    assert {"before", "table"} <= set(guard(shell).unavailable)


def test_cells_that_need_what_could_not_be_made_are_skipped_silently(shell) -> None:
    shell.run_cell("table = analysis(1)")
    shell.published.clear()
    result = shell.run_cell("summary = table * 2\nprint('never')\nsummary")
    assert result.success and result.result is None and shell.published == []
    assert "summary" in guard(shell).unavailable  # and its dependants in turn
    assert shell.run_cell("later = summary + 1").success
    assert "later" not in shell.user_ns and len(guard(shell).reasons) == 1


def test_a_name_made_again_is_available_again(shell) -> None:
    shell.run_cell("table = analysis(1)")
    result = shell.run_cell("table = analysis(3)\ntable + 1")
    assert result.success and result.result == 31  # the last expression is shown as before
    assert "table" not in guard(shell).unavailable
    assert shell.run_cell("fig = table\nfig").result == 30  # reads what it assigns first


def test_bad_parameters_and_bugs_still_fail(shell) -> None:
    assert not shell.run_cell("raise ParameterError('conf_type: expected log')").success
    assert not shell.run_cell("1 / 0").success
    assert guard(shell).reasons == []


def test_the_index_reads_the_reasons_from_the_executed_notebook() -> None:
    out = {
        "output_type": "display_data",
        "data": {"text/plain": "Cannot apply to this cohort: no deaths"},
        "metadata": {"spinemets": {"not_applicable": "no deaths"}},
    }
    other = {"output_type": "stream", "name": "stdout", "text": "x"}
    nb = {
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "source": "# Title"},
            {"cell_type": "code", "outputs": [other, out]},
            {"cell_type": "code", "outputs": [out]},  # the same reason once
        ],
    }
    assert not_applicable(nb) == ("no deaths",)
    assert story_of(nb, "02_x").not_applicable == ("no deaths",)
