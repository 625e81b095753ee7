"""Fixtures of the runner's tests (helpers: runner_helpers.py)."""

from __future__ import annotations

import tempfile

import psutil
import pytest
from runner_helpers import alive


@pytest.fixture(autouse=True)
def private_temporary_folder(tmp_path_factory, monkeypatch):
    """Batches run in this process put their private folders in a folder of the test's own.

    Other tests (tests/reports/test_byoc.py) look for leftovers in the system's temporary
    folder while these run beside them (pytest -n 2).
    """
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("tmp")))


@pytest.fixture
def kill_leftovers():
    """Processes a test registers are killed at its end, whatever happened (no orphans)."""
    registered: list[psutil.Process] = []
    yield registered
    for p in alive(registered):
        try:
            p.kill()
        except psutil.Error:
            pass
