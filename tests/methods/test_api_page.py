"""The API page of spinemets.methods lists every public name, and every test it (or a
docstring of methods/) cites exists."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import spinemets.methods

ROOT = Path(__file__).parents[2]
PACKAGE = Path(spinemets.methods.__file__).parent
PAGE = PACKAGE / "README.md"
MODULES = sorted(
    p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")
)  # _validate is internal


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_is_on_the_api_page(module: str) -> None:
    page = PAGE.read_text(encoding="utf-8")
    names = importlib.import_module(f"spinemets.methods.{module}").__all__
    missing = [n for n in names if f"`{n}`" not in page]
    assert not missing, f"{module}: {missing} not listed in {PAGE.name}"


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _citations() -> list[tuple[str, str | None, str | None]]:
    """(source, test file, test name) of every citation; ``::test_x`` alone continues
    the file cited last (as on the API page: "tests/a.py::test_x, ::test_y")."""
    pattern = re.compile(r"(tests/[\w/]+\.py)(?:::(test_\w+))?|::(test_\w+)")
    found = []
    for source in [PAGE, *sorted(PACKAGE.glob("*.py"))]:
        last = None
        for match in pattern.finditer(source.read_text(encoding="utf-8")):
            if match.group(1):
                last = match.group(1)
                found.append((source.name, last, match.group(2)))
            else:
                found.append((source.name, last, match.group(3)))
    return found


@pytest.mark.parametrize(("source", "path", "name"), _citations())
def test_cited_tests_exist(source: str, path: str | None, name: str | None) -> None:
    assert path is not None, f"{source}: '::{name}' without a test file before it"
    file = ROOT / path
    assert file.exists(), f"{source} cites {path}, which does not exist"
    if name is not None:
        assert name in _defined(file), f"{source} cites {path}::{name}, which does not exist"
