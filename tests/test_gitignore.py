"""What git must never see (a user's cohort, generated reports) and what it must see.

The usual Python .gitignore template ignores ``lib/``, which would silently drop
the package from commits; this test catches that as well as a private cohort or a
report slipping into the repository.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from spinemets import paths

IGNORED = [
    "data/private/patients.csv",
    "data/private/cohort.xlsx",
    "data/private/runs.yaml",
    "reports/paper/tables/survival_medians.csv",
    "reports/paper/01_cohort_description.html",
    "reports/index.html",
    "reports/.paper.partial/00_data_and_reconstruction.ipynb",
]
TRACKED = [
    "lib/spinemets/__init__.py",
    "lib/spinemets/methods/km.py",
    "reports/runs.yaml",
    "reports/README.md",
    "data/synthetic/patients.csv",
    "notebooks/02_overall_survival.ipynb",
]


def _ignored(path: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path],
        cwd=paths.PROJECT_ROOT,
        check=False,
    )
    assert result.returncode in (0, 1), f"git check-ignore failed for {path}"
    return result.returncode == 0


@pytest.fixture(autouse=True)
def _needs_git() -> None:
    if shutil.which("git") is None or not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")


@pytest.mark.parametrize("path", IGNORED)
def test_private_and_generated_files_are_ignored(path: str) -> None:
    assert _ignored(path)


@pytest.mark.parametrize("path", TRACKED)
def test_package_and_sources_are_not_ignored(path: str) -> None:
    assert not _ignored(path)
