"""When an analysis cannot apply to a cohort, one line that says why.

A validated cohort may still not support an analysis: a comparison needs two groups,
a survival comparison needs events. The study's functions check this first with the
helpers here and raise :class:`spinemets.errors.NotApplicable`, whose message is the
reason a reader sees ("surgery: one group (decompression) in this cohort; nothing to
compare"), instead of an error from deep inside a method. Tests:
``tests/study/test_applicability.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import NotApplicable

__all__ = ["require_events", "require_groups"]


def require_groups(patients: pd.DataFrame, column: str, at_least: int = 2) -> list[str]:
    """The groups of ``column`` present in the cohort (sorted); NotApplicable with fewer
    than ``at_least``. Tests: tests/study/test_applicability.py::test_require_groups."""
    groups = sorted(str(g) for g in patients[column].dropna().unique())
    if len(groups) < at_least:
        found = f"one group ({groups[0]})" if groups else "no group"
        raise NotApplicable(f"{column}: {found} in this cohort; nothing to compare")
    return groups


def require_events(event: Sequence[float] | pd.Series, what: str) -> int:
    """The number of events; NotApplicable when there is none (``what`` names them).

    Tests: tests/study/test_applicability.py::test_require_events.
    """
    n = int(np.nansum(np.asarray(event, dtype=float)))
    if n == 0:
        raise NotApplicable(f"no {what} in this cohort; nothing to estimate")
    return n
