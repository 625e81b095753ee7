"""The solutions of the notebooks' exercises run, and every exercise has one.

Each solutions file (``notebooks/solutions/<notebook>_solutions.md``) says that its code
blocks run after the notebook's set-up cells: the imports, the parameters and
``nb = notebook.start(...)``. This test runs exactly that, in-process, on the bundled
cohort with the notebook's default parameters (outputs to a temporary folder), then every
``python`` block of the solutions in order, so a solution that no longer runs fails here.
The notebook itself is executed once per ``make test``, by nbval, not here.
"""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest
from spinemets import paths

matplotlib.use("Agg")

NOTEBOOKS = paths.PROJECT_ROOT / "notebooks"
#: Notebooks whose solutions run after the set-up cells alone (08's need its own cells).
AFTER_SET_UP = ("02_overall_survival", "03_local_control")
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _set_up_cells(stem: str) -> list[str]:
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    return [c.source for c in notebook.cells if c.cell_type == "code"][:3]


def _exercises(stem: str) -> list[str]:
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    section = text.split("## Exercises", 1)[1]
    return re.findall(r"^(\d+)\. \*\*", section, flags=re.MULTILINE)


@pytest.mark.parametrize("stem", AFTER_SET_UP)
def test_every_exercise_has_a_solution(stem: str) -> None:
    solutions = (NOTEBOOKS / "solutions" / f"{stem}_solutions.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d+)\. ", solutions, flags=re.MULTILINE)
    assert _exercises(stem) and headings == _exercises(stem)
    assert "runs after the\nnotebook's set-up cells" in solutions


@pytest.mark.parametrize("stem", AFTER_SET_UP)
def test_solutions_run(stem: str, tmp_path) -> None:
    imports, parameters, set_up = _set_up_cells(stem)
    namespace: dict[str, object] = {}
    exec(imports, namespace)  # the notebook's own set-up cells
    exec(parameters, namespace)
    namespace["output_dir"] = str(tmp_path / "out")
    exec(set_up, namespace)
    solutions = (NOTEBOOKS / "solutions" / f"{stem}_solutions.md").read_text(encoding="utf-8")
    blocks = BLOCK.findall(solutions)
    assert blocks, f"{stem}: no python block in its solutions"
    try:
        for block in blocks:
            exec(block, namespace)
    finally:
        plt.close("all")
