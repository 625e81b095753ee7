"""What each committed notebook declares for the index (metadata ``spinemets``).

Static checks on the notebooks' files; that a real run writes every declared figure and
table is checked in tests/reports/test_html_report.py and tests/reports/test_pipeline.py.
"""

from __future__ import annotations

import json

import pytest
from spinemets import paths
from spinemets.reports.index import CONTRACT_VIEWS, RUN_LEVEL_TABLES
from spinemets.reports.notebooks import discover_notebooks
from spinemets.reports.story import METADATA_KEY, read_story, story_of, undelivered

COMMITTED = discover_notebooks(paths.NOTEBOOKS_DIR)


def _code(notebook) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("notebook", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_every_notebook_declares_its_story(notebook):
    raw = json.loads(notebook.read_text(encoding="utf-8"))["metadata"].get(METADATA_KEY)
    assert isinstance(raw, dict), f"{notebook.name}: no metadata.{METADATA_KEY}"
    story = read_story(notebook)
    assert story.title != notebook.stem and story.title.startswith(notebook.stem[:2])
    assert story.question.endswith("?")
    # the question is the same for every cohort: no word that belongs to one
    assert "SYNTHETIC" not in story.question.upper()
    # nothing declared is dropped as malformed
    assert len(story.key_figures) == len(raw.get("key_figures", []))
    assert len(story.key_numbers) == len(raw.get("key_numbers", []))
    assert story.key_figures or story.key_numbers
    code = _code(notebook)
    for figure in story.key_figures:
        assert figure.caption and figure.alt and figure.alt != figure.caption
        # written under that name (nb.save(fig, "name"): tests/test_notebook_cells.py
        # checks the call itself)
        assert f'"{figure.name}"' in code, f"{notebook.name} writes no figure {figure.name}"
    for numbers in story.key_numbers:
        assert not numbers.view or numbers.view in CONTRACT_VIEWS, numbers.view
        if numbers.table in CONTRACT_VIEWS or numbers.table in RUN_LEVEL_TABLES:
            continue  # contract tables: written by this notebook or by work in progress
        assert f'"{numbers.table}"' in code, f"{notebook.name} writes no table {numbers.table}"
        if not numbers.view:
            assert numbers.caption, f"{numbers.table}: a table without a view needs a caption"


def test_story_reading_is_safe_on_anything():
    assert story_of({}, "x").title == "x"
    odd = {"metadata": {METADATA_KEY: ["not", "a", "mapping"]}, "cells": "nor a list"}
    assert story_of(odd, "x").key_figures == ()


def test_undelivered_names_what_a_run_lacks(tmp_path):
    notebook = COMMITTED[2]  # 02: figures and contract tables
    story = read_story(notebook)
    (tmp_path / "tables").mkdir()
    missing = undelivered(tmp_path, story)
    assert f"{story.stem}: figures/{story.key_figures[0].name}.png" in missing
    assert f"{story.stem}: tables/survival_medians_os.csv" in missing
    assert not any("hazard_ratios" in m for m in missing)  # optional until written
    (tmp_path / "tables" / "hazard_ratios.csv").write_text("endpoint,hr\nlpfs,0.5\n")
    assert f"{story.stem}: tables/hazard_ratios.csv has no row (('endpoint', 'os'),)" in (
        undelivered(tmp_path, story)
    )
