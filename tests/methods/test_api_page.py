"""The API page of spinemets.methods lists every public name (the tests it cites exist:
tests/test_docs.py checks every citation of the package)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import spinemets.methods

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
