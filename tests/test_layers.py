"""The package's layers (CONTRIBUTING.md, "Layers"): imports run one way, all static.

Every module of ``lib/spinemets`` is parsed (not imported): each ``import`` of another
spinemets module must go to the same layer or one below it; no import may sit inside a
function (the module graph would miss a real link) and nothing may use ``importlib``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import spinemets

PACKAGE = Path(spinemets.__file__).parent

#: Bottom to top. Each name is a module or subpackage directly under spinemets.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "paths", "errors", "formatting", "privacy", "output"),
    ("cohort",),
    ("methods",),
    ("study",),
    ("figures",),
    ("paper",),
    ("reports",),
    ("notebook", "cli"),
)
LAYER_OF = {name: k for k, names in enumerate(LAYERS) for name in names}
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _top(parts: list[str]) -> str:
    return parts[0] if parts else "__init__"


def _module_or_package(base: list[str], name: str) -> list[str]:
    folder = PACKAGE.joinpath(*base)
    is_module = (folder / f"{name}.py").exists() or (folder / name).is_dir()
    return [*base, name] if is_module else base


def _imports(path: Path) -> list[tuple[int, list[str]]]:
    """(line, spinemets-relative parts) of every spinemets module ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not node.module:  # from . import a, b: a name is a module or a name of base
                    found += [(node.lineno, _module_or_package(target, a.name)) for a in node.names]
                    continue
                found.append((node.lineno, target))
            elif node.module and node.module.split(".")[0] == "spinemets":
                # from spinemets(.x) import a, b: a name is a module or a name of the base
                base = node.module.split(".")[1:]
                found += [(node.lineno, _module_or_package(base, a.name)) for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "spinemets":
                    found.append((node.lineno, alias.name.split(".")[1:]))
    return found


def test_every_module_has_a_layer() -> None:
    tops = {_top(_dotted(p)) for p in MODULES}
    assert not tops - set(LAYER_OF), f"modules without a layer: {sorted(tops - set(LAYER_OF))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: ".".join(_dotted(p)) or "spinemets")
def test_imports_only_go_down(path: Path) -> None:
    mine = LAYER_OF[_top(_dotted(path))]
    for line, target in _imports(path):
        theirs = LAYER_OF.get(_top(target))
        assert theirs is not None, f"{path.name}:{line} imports unknown spinemets.{target}"
        assert theirs <= mine, (
            f"{'.'.join(_dotted(path))} (layer {mine}) imports spinemets.{'.'.join(target)} "
            f"(layer {theirs}) at line {line}: imports go down only"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: ".".join(_dotted(p)) or "spinemets")
def test_imports_are_static(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = [n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)]
            assert not inner, f"{path.name}:{inner[0].lineno}: import inside {fn.name}()"
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        assert "importlib" not in names, f"{path.name}:{node.lineno}: importlib"
