"""Fixtures of the runner's tests (helpers: runner_helpers.py)."""

from __future__ import annotations

import psutil
import pytest
from runner_helpers import alive


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
