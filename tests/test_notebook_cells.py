"""Notebooks hold narrative, parameters and calls only (CONTRIBUTING.md, "Notebook conventions").

Every code cell of every committed notebook is parsed: it may not define a function, a
class or a lambda, it may import only ``spinemets`` (and ``IPython.display``), and it
may not be longer than the number of lines CONTRIBUTING.md states (the parameters cell
is exempt: it lists the parameters, one a line). The set-up call is the third cell.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from spinemets import paths
from spinemets.reports.story import OPTIONAL_TABLES, read_story

CONTRIBUTING = paths.PROJECT_ROOT / "CONTRIBUTING.md"
NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
ALLOWED_IMPORTS = ("spinemets", "IPython.display")
SET_UP_CALL = "nb = notebook.start(patients_file, complications_file, output_dir, min_cell)"


def _max_lines() -> int:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    match = re.search(r"at most\s+\*\*(\d+) lines\*\*", text)
    assert match, "CONTRIBUTING.md must state the longest code cell: 'at most **N lines**'"
    return int(match.group(1))


def _code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def _allowed(module: str) -> bool:
    return any(module == a or module.startswith(a + ".") for a in ALLOWED_IMPORTS)


def _problems(cell) -> list[str]:
    """What makes a code cell more than calls: definitions, foreign imports, length."""
    found = []
    for node in ast.walk(ast.parse(cell.source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            found.append(f"defines a {type(node).__name__}: move it into lib/spinemets")
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if not _allowed(a.name)]
        if isinstance(node, ast.ImportFrom) and not (
            node.level == 0 and _allowed(node.module or "")
        ):
            found.append(f"imports from {node.module!r}")
    lines = cell.source.strip().splitlines()
    if "parameters" not in cell.metadata.get("tags", []) and len(lines) > _max_lines():
        found.append(f"has {len(lines)} lines (at most {_max_lines()})")
    return found


def _cells():
    for path in NOTEBOOKS:
        for k, cell in enumerate(_code_cells(path)):
            yield pytest.param(path, k, cell, id=f"{path.stem}-code{k + 1}")


@pytest.mark.parametrize(("path", "k", "cell"), list(_cells()))
def test_code_cells_are_calls_only(path, k, cell) -> None:
    problems = _problems(cell)
    assert not problems, f"{path.name}, code cell {k + 1}: {'; '.join(problems)}"


def _starts_right(path) -> bool:
    first, parameters, setup = _code_cells(path)[:3]
    imports_only = all(
        isinstance(n, ast.Import | ast.ImportFrom) for n in ast.parse(first.source).body
    )
    body = ast.parse(setup.source).body
    return (
        imports_only
        and "parameters" in parameters.metadata.get("tags", [])
        and bool(body)
        and ast.unparse(body[0]) == SET_UP_CALL
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_one_set_up_call(path) -> None:
    """Imports, then the parameters, then ``nb = notebook.start(...)``."""
    assert _starts_right(path), (
        f"{path.name}: code cells 1-3 must be the imports, the parameters cell and {SET_UP_CALL!r}"
    )


#: Calls that write a table or figure, and the position of the name among their arguments.
WRITERS = {"show": 1, "write_table": 1, "save": 1, "write_figure": 1, "write_characteristics": 2}


def _written(path) -> set[str]:
    """The literal names a notebook writes tables and figures under (``nb.show(t, "x")``,
    ``nb.save(fig, "x")``; ``write_characteristics`` writes ``x`` and ``x_wide``)."""
    names = set()
    for cell in _code_cells(path):
        for node in ast.walk(ast.parse(cell.source)):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            k = WRITERS.get(node.func.attr)
            if k is not None and len(node.args) > k and isinstance(node.args[k], ast.Constant):
                names.add(node.args[k].value)
                if node.func.attr == "write_characteristics":
                    names.add(f"{node.args[k].value}_wide")
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_index_names_only_what_the_notebook_writes(path) -> None:
    """Every key figure and key table of a notebook's story (reports.story) is written by
    a call of the notebook under that name; real runs check the files themselves
    (tests/reports/test_pipeline.py, for the notebook it runs)."""
    story = read_story(path)
    written = _written(path)
    named = [f.name for f in story.key_figures]
    named += [n.table for n in story.key_numbers if n.table not in OPTIONAL_TABLES]
    missing = [name for name in named if name not in written]
    assert named and not missing, f"{path.name}: the index names {missing}, never written"
