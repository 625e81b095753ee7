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
    t, e = checked_time_event(time, event)
    return t, e.astype(np.float64, copy=False)


def checked_time_event(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`as_time_event`, but the events keep their numeric dtype (no float copy)."""
    tname, ename = _name(time, "time"), _name(event, "event")
    try:
        t = np.asarray(time, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SpinemetsError(f"column {tname!r}: durations must be numbers ({err})") from None
    e = np.asarray(event)
    if e.dtype.kind not in "biuf":
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
    # Fast checks first (two reductions each, no full-length temporaries): a NaN makes
    # min() NaN, so ``min >= 0`` fails for it as for a negative value; an event other
    # than 0/1 (NaN included) makes the count of non-zeros exceed the count of ones.
    if not (t.min() >= 0 and t.max() < np.inf):
        bad_t = ~np.isfinite(t) | (t < 0)
        row, value = _first_bad(bad_t, t)
        raise SpinemetsError(
            f"column {tname!r}, row {row}: duration {value!r}; expected a finite number >= 0"
        )
    if np.count_nonzero(e) != np.count_nonzero(e == 1):
        e = e.astype(np.float64)  # the message shows the value as a float, as before
        bad_e = (e != 0) & (e != 1)
        row, value = _first_bad(bad_e, e)
        raise SpinemetsError(f"column {ename!r}, row {row}: event {value!r}; expected 0 or 1")
    return t, e


def as_groups(group: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique group labels and each row's integer code into them."""
    labels, codes, _ = group_codes(group, n)
    return labels, codes


def group_codes(group: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`as_groups`, plus the number of rows in each group.

    The codes may share memory with ``group`` (labels already 0..k-1): read them only.
    """
    gname = _name(group, "group")
    g = np.asarray(group)
    if g.ndim != 1 or g.size != n:
        raise SpinemetsError(f"column {gname!r}: {g.size} group labels for {n} observations")
    if g.dtype.kind in "biu" and g.size:  # cannot be missing; small ranges skip hashing
        small = _small_int_groups(g)
        if small is not None:
            return small
    missing = np.isnan(g) if g.dtype.kind == "f" else pd.isna(g)
    if missing.any():
        row = int(np.argmax(missing))
        raise SpinemetsError(f"column {gname!r}, row {row}: missing group label")
    codes, labels = pd.factorize(g, sort=True)
    codes = codes.astype(np.intp)
    return np.asarray(labels, dtype=object), codes, np.bincount(codes, minlength=len(labels))


def _small_int_groups(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """group_codes for integer or boolean labels spanning a small range, without hashing.

    Gives what ``pd.factorize(g, sort=True)`` gives (labels in g's dtype, then as
    Python objects) from a bincount; None when the range is too wide for that.
    """
    dtype = g.dtype
    if dtype.kind == "b":
        g = g.view(np.uint8)
    lo, hi = int(g.min()), int(g.max())
    if hi - lo > max(g.size, 1024) or hi >= 2**62 or lo <= -(2**62):
        return None
    shifted = g if lo == 0 and dtype != np.uint64 else g.astype(np.int64) - lo
    counts = np.bincount(shifted, minlength=hi - lo + 1)
    present = counts > 0
    values = np.flatnonzero(present) + lo
    if values.size == hi - lo + 1:  # every value in the range occurs: codes = shifted
        codes = shifted.astype(np.intp, copy=False)
    else:
        codes = (np.cumsum(present) - 1)[shifted]
        counts = counts[present]
    labels = np.asarray(values.astype(dtype), dtype=object)
    return labels, codes.astype(np.intp, copy=False), counts
