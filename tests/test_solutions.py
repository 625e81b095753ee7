"""The exercise solutions of notebooks/solutions/ run: each solution's code blocks are
executed after the code cells of its notebook, on the bundled cohort, with the heavy
parameters made light (fewer permutations and simulated studies) and the outputs in a
temporary folder. A solution that no longer matches its notebook's names fails here."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: Notebook -> parameters overridden after its parameters cell (cheaper, same code paths).
LIGHT: dict[str, dict[str, object]] = {
    "06_competing_risks": {},
    "07_immortal_time": {"n_simulations": 10},
    "08_modelling_and_power": {
        "n_permutations": 500,
        "simulation_replicates": 20,
        "target_replicates": 50,
        "simulation_workers": 1,
    },
}
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*_solutions.md"))


def test_every_solution_has_a_notebook_and_a_run() -> None:
    names = [path.name.removesuffix("_solutions.md") for path in SOLUTIONS]
    assert names == sorted(LIGHT)
    assert all((NOTEBOOKS / f"{name}.ipynb").exists() for name in names)


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_solution_runs_after_its_notebook(solution: Path, tmp_path: Path) -> None:
    name = solution.name.removesuffix("_solutions.md")
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    namespace: dict[str, object] = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{name}:{cell.id}", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(LIGHT[name], output_dir=str(tmp_path))
        plt.close("all")
    blocks = _blocks(solution)
    assert blocks, f"{solution.name} has no code"
    for k, block in enumerate(blocks):
        exec(compile(block, f"{solution.name}:block {k + 1}", "exec"), namespace)
        plt.close("all")
