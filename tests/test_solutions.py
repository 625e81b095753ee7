"""The solutions of the notebooks' exercises run, and every exercise has one.

Each solutions file (``notebooks/solutions/<notebook>_solutions.md``) says after which cells
of its notebook its ``python`` blocks run:

* notebooks 02 and 03: after the set-up cells alone (the imports, the parameters and
  ``nb = notebook.start(...)``), with the notebook's default parameters;
* notebooks 06, 07 and 08: after all the notebook's code cells, with the heavy parameters
  made light (fewer permutations and simulated studies; same code paths).

Outputs go to a temporary folder, on the bundled cohort. A solution that no longer matches
its notebook's names fails here. The notebooks themselves are executed by nbval.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest
from spinemets import paths

matplotlib.use("Agg")

NOTEBOOKS = paths.PROJECT_ROOT / "notebooks"
#: Notebooks whose solutions run after the set-up cells alone.
AFTER_SET_UP = ("02_overall_survival", "03_local_control")
#: Notebooks whose solutions run after all their code cells -> parameters overridden after
#: the parameters cell (cheaper, same code paths).
AFTER_ALL_CELLS: dict[str, dict[str, object]] = {
    "06_competing_risks": {},
    "07_immortal_time": {"n_simulations": 10},
    "08_modelling_and_power": {
        "n_permutations": 500,
        "simulation_replicates": 20,
        "target_replicates": 50,
        "simulation_workers": 1,
    },
}
SOLVED = sorted((*AFTER_SET_UP, *AFTER_ALL_CELLS))
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _solutions(stem: str) -> str:
    return (NOTEBOOKS / "solutions" / f"{stem}_solutions.md").read_text(encoding="utf-8")


def _code_cells(stem: str) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    return [c for c in notebook.cells if c.cell_type == "code"]


def _exercises(stem: str) -> list[str]:
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    section = text.split("## Exercises", 1)[1]
    return re.findall(r"^(\d+)\. \*\*", section, flags=re.MULTILINE)


def _run_blocks(stem: str, namespace: dict[str, object]) -> None:
    blocks = BLOCK.findall(_solutions(stem))
    assert blocks, f"{stem}: no python block in its solutions"
    try:
        for k, block in enumerate(blocks):
            exec(compile(block, f"{stem}_solutions.md:block {k + 1}", "exec"), namespace)
            plt.close("all")
    finally:
        plt.close("all")


def test_every_solutions_file_is_run() -> None:
    files = sorted(
        p.name.removesuffix("_solutions.md")
        for p in (NOTEBOOKS / "solutions").glob("*_solutions.md")
    )
    assert files == SOLVED
    assert all((NOTEBOOKS / f"{stem}.ipynb").exists() for stem in SOLVED)


@pytest.mark.parametrize("stem", SOLVED)
def test_every_exercise_has_a_solution(stem: str) -> None:
    headings = re.findall(r"^## (\d+)\. ", _solutions(stem), flags=re.MULTILINE)
    exercises = _exercises(stem)
    assert exercises and headings == exercises


@pytest.mark.parametrize("stem", AFTER_SET_UP)
def test_solutions_run_after_the_set_up_cells(stem: str, tmp_path: Path) -> None:
    assert "runs after the\nnotebook's set-up cells" in _solutions(stem)
    imports, parameters, set_up = (c.source for c in _code_cells(stem)[:3])
    namespace: dict[str, object] = {}
    exec(imports, namespace)
    exec(parameters, namespace)
    namespace["output_dir"] = str(tmp_path / "out")
    exec(set_up, namespace)
    _run_blocks(stem, namespace)


@pytest.mark.parametrize("stem", sorted(AFTER_ALL_CELLS))
def test_solutions_run_after_all_cells(stem: str, tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    for cell in _code_cells(stem):
        exec(compile(cell.source, f"{stem}:{cell.id}", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(AFTER_ALL_CELLS[stem], output_dir=str(tmp_path))
        plt.close("all")
    _run_blocks(stem, namespace)
