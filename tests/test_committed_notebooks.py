"""Committed notebooks hold outputs of the bundled SYNTHETIC cohort, never of a private run.

Interactive work on a private cohort happens in ``lab/`` (``make lab``: git-ignored
working copies), so nothing private is written into ``notebooks/``. These tests
are the safeguard that needs no git hook: they fail when a committed notebook was
executed with other parameters or on another cohort, whatever the way it got there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from spinemets import paths
from spinemets.cohort import SYNTHETIC_LABEL, identifiers
from spinemets.reports.cohorts import PLACEHOLDER
from spinemets.reports.notebooks import discover_notebooks, inspect_notebooks

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
#: The committed notebooks' parameters: the bundled cohort, the default output, no masking.
DEFAULTS = {"patients_file": '""', "complications_file": '""', "output_dir": '""', "min_cell": "0"}
#: Tokens shaped like patient ids that are the paper's notation S(t), survival at t months.
SURVIVAL_NOTATION = {"S12", "S36", "S60"}
#: Text that only a run on another cohort, or on another machine's files, would print.
FOREIGN = (
    "user cohort ",  # the label of any cohort but a synthetic one
    "marked synthetic in its file",  # the label of another synthetic cohort
    "data/private",
    PLACEHOLDER,
    "spinemets-cohorts-",
    tempfile.gettempdir().rstrip("/") + "/",
    "/home/",
    "/Users/",
    "C:\\",
)


def _output_texts(notebook: Path) -> list[str]:
    texts = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            parts = [output.get("text", ""), output.get("evalue", "")]
            parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
            for part in parts:
                text = "".join(part) if isinstance(part, list) else part
                texts.append(re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", text))
    return texts


def test_there_are_committed_notebooks():
    assert len(NOTEBOOKS) >= 9


def test_every_committed_notebook_keeps_the_default_parameters():
    for spec in inspect_notebooks(discover_notebooks(paths.NOTEBOOKS_DIR)):
        declared = {k: spec.parameters.get(k) for k in DEFAULTS}
        assert declared == DEFAULTS, spec.stem


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_committed_notebook_was_executed_with_injected_parameters(notebook):
    content = json.loads(notebook.read_text(encoding="utf-8"))
    assert "papermill" not in content["metadata"]
    for cell in content["cells"]:
        assert "injected-parameters" not in cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_committed_notebook_shows_the_synthetic_label_and_nothing_foreign(notebook):
    texts = _output_texts(notebook)
    assert any(SYNTHETIC_LABEL in t for t in texts), "the cohort label is not printed"
    for text in texts:
        for foreign in FOREIGN:
            assert foreign not in text, f"{notebook.name} shows {foreign!r}"


def test_committed_notebooks_show_only_the_bundled_synthetic_patients():
    """No row of a private run in notebooks/: ids are the bundled ones, no identifier columns."""
    bundled = set(pd.read_csv(paths.SYNTHETIC_PATIENTS, dtype=str)["patient_id"])
    for notebook in NOTEBOOKS:
        for text in _output_texts(notebook):
            for token in re.findall(r"\b[A-Za-z]{1,4}-?\d{2,}\b", text):
                if token in SURVIVAL_NOTATION:
                    continue
                assert token in bundled, f"{notebook.name}: {token!r} is not a bundled patient id"
            headers = re.findall(r"<th[^>]*>(.*?)</th>", text, re.S)
            for header in headers:
                kind = identifiers.header_kind(header.strip())
                assert kind is None, f"{notebook.name}: column {header!r} looks like {kind}"


def test_the_lab_working_copies_are_ignored_by_git():
    if shutil.which("git") is None or not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("lab/02_overall_survival.ipynb", "lab/solutions/x.md", "lab/.ipynb_checkpoints/a"):
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", path], cwd=paths.PROJECT_ROOT, check=False
        )
        assert result.returncode == 0, f"{path} is not git-ignored"


def test_make_lab_opens_the_working_copies_not_the_committed_notebooks():
    makefile = (paths.PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "jupyter lab $(LAB)" in recipe and "jupyter lab notebooks" not in recipe
