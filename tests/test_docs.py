"""What the package's documentation says is true: every test a docstring or page cites
exists, and CONTRIBUTING.md's module table lists every module of every layer."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from spinemets import paths

ROOT = paths.PROJECT_ROOT
PACKAGE = ROOT / "lib" / "spinemets"
#: Where citations of tests are checked: every module and page of the package, and the
#: pages that point into it.
SOURCES = sorted(
    [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.md"), ROOT / "CONTRIBUTING.md", ROOT / "README.md"]
)
CITATION = re.compile(r"(tests/[\w/]+\.py)(?:::(test_\w+))?|::(test_\w+)")


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _citations() -> list[tuple[str, str | None, str | None]]:
    """(source, test file, test name) of every citation; ``::test_x`` alone continues
    the file cited last (as on the API page: "tests/a.py::test_x, ::test_y")."""
    found = []
    for source in SOURCES:
        last = None
        for match in CITATION.finditer(source.read_text(encoding="utf-8")):
            if match.group(1):
                last = match.group(1)
                found.append((source.relative_to(ROOT).as_posix(), last, match.group(2)))
            else:
                found.append((source.relative_to(ROOT).as_posix(), last, match.group(3)))
    return found


@pytest.mark.parametrize(("source", "path", "name"), _citations())
def test_cited_tests_exist(source: str, path: str | None, name: str | None) -> None:
    assert path is not None, f"{source}: '::{name}' without a test file before it"
    file = ROOT / path
    assert file.exists(), f"{source} cites {path}, which does not exist"
    if name is not None:
        assert name in _defined(file), f"{source} cites {path}::{name}, which does not exist"


def _modules() -> set[str]:
    """Every module of the package, dotted from ``spinemets`` (packages by their name)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.add(".".join(parts))
    return names


def _table_modules() -> set[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([\w.]+)` \|", text, flags=re.MULTILINE))


def test_the_module_table_lists_every_module() -> None:
    missing = sorted(_modules() - _table_modules())
    assert not missing, f"CONTRIBUTING.md's module table misses {missing}"


def test_the_module_table_names_only_modules_that_exist() -> None:
    stale = sorted(_table_modules() - _modules())
    assert not stale, f"CONTRIBUTING.md's module table lists {stale}, which do not exist"
