"""Checks shared by the survival functions: durations, event indicators, groups.

Every bad value raises :class:`~spinemets.errors.SpinemetsError` naming the column,
the (0-based) row, the value and what was expected. The checks are vectorised: a
reconstruction search calls the estimators many times on large arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpinemetsError

ArrayLike = np.ndarray | pd.Series | Sequence[Any]


def _name(values: ArrayLike, default: str) -> str:
    name = getattr(values, "name", None)
    return str(name) if name is not None else default


def _first_bad(mask: np.ndarray, values: np.ndarray) -> tuple[int, Any]:
    row = int(np.argmax(mask))
    return row, values[row].item()


def as_time_event(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Durations (finite, >= 0) and event indicators (0/1) as float64 arrays.

    Raises SpinemetsError for unequal lengths, an empty sample, a missing, negative
    or non-numeric duration, or an event indicator other than 0/1.
    """
    tname, ename = _name(time, "time"), _name(event, "event")
    try:
        t = np.asarray(time, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SpinemetsError(f"column {tname!r}: durations must be numbers ({err})") from None
    try:
        e = np.asarray(event, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SpinemetsError(f"column {ename!r}: events must be 0 or 1 ({err})") from None
    if t.ndim != 1 or e.ndim != 1 or t.shape != e.shape:
        raise SpinemetsError(
            f"columns {tname!r} and {ename!r} must be 1-d and of equal length "
            f"(got {t.shape} and {e.shape})"
        )
    if t.size == 0:
        raise SpinemetsError(f"column {tname!r}: no observations")
    bad_t = ~np.isfinite(t) | (t < 0)
    if bad_t.any():
        row, value = _first_bad(bad_t, t)
        raise SpinemetsError(
            f"column {tname!r}, row {row}: duration {value!r}; expected a finite number >= 0"
        )
    bad_e = (e != 0) & (e != 1)
    if bad_e.any():
        row, value = _first_bad(bad_e, e)
        raise SpinemetsError(f"column {ename!r}, row {row}: event {value!r}; expected 0 or 1")
    return t, e


def as_groups(group: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique group labels and each row's integer code into them."""
    gname = _name(group, "group")
    g = np.asarray(group)
    if g.ndim != 1 or g.size != n:
        raise SpinemetsError(f"column {gname!r}: {g.size} group labels for {n} observations")
    missing = np.isnan(g) if g.dtype.kind == "f" else pd.isna(g)
    if missing.any():
        row = int(np.argmax(missing))
        raise SpinemetsError(f"column {gname!r}, row {row}: missing group label")
    codes, labels = pd.factorize(g, sort=True)
    return np.asarray(labels, dtype=object), codes.astype(np.intp)
