"""The one input checker of :mod:`spinemets.methods`: times, events, causes, groups.

Every estimator in ``methods/`` checks its arrays here, so every bad value gets the
same kind of message: :class:`~spinemets.errors.SpinemetsError` naming the column
(a pandas Series' name, or the argument's name), the 0-based row, the value and what
was expected, e.g. ``column 'os_months', row 2: duration -1.0; expected a finite
number >= 0``. The checks are vectorised (a few reductions on the fast path): the
calibration search and the benchmarks call the estimators on large arrays.
Tests: tests/methods/test_validate.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpinemetsError

ArrayLike = np.ndarray | pd.Series | Sequence[Any]

#: Transforms of a survival curve's pointwise band (R's ``conf.type``).
CONF_TYPES: tuple[str, ...] = ("log", "log-log", "plain")


def name_of(values: object, default: str) -> str:
    """The column name of ``values`` (a pandas Series' name), else ``default``."""
    name = getattr(values, "name", None)
    return str(name) if name is not None else default


def _first_bad(mask: np.ndarray, values: np.ndarray) -> tuple[int, Any]:
    row = int(np.argmax(mask))
    return row, values[row].item()


def _as_float(values: ArrayLike, name: str, what: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise SpinemetsError(f"column {name!r}: {what} must be numbers ({err})") from None
    if out.ndim != 1:
        raise SpinemetsError(f"column {name!r}: expected one value per row, got shape {out.shape}")
    return out


def _same_length(names: Sequence[str], arrays: Sequence[np.ndarray]) -> None:
    sizes = {a.size for a in arrays}
    if len(sizes) > 1:
        shapes = " and ".join(str(a.shape) for a in arrays)
        listed = " and ".join(repr(n) for n in names)
        raise SpinemetsError(f"columns {listed} must be 1-d and of equal length (got {shapes})")


def check_durations(values: ArrayLike, name: str = "time", what: str = "duration") -> np.ndarray:
    """Finite numbers >= 0 as float64 (a duration, a start or a stop time)."""
    t = _as_float(values, name, what + "s")
    if t.size and not (t.min() >= 0 and t.max() < np.inf):  # NaN fails both
        row, value = _first_bad(~np.isfinite(t) | (t < 0), t)
        raise SpinemetsError(
            f"column {name!r}, row {row}: {what} {value!r}; expected a finite number >= 0"
        )
    return t


def check_indicator(values: ArrayLike, name: str = "event") -> np.ndarray:
    """0/1 indicators; keeps an integer or boolean dtype (no float copy)."""
    e = np.asarray(values)
    if e.dtype.kind not in "biuf":
        try:
            e = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise SpinemetsError(f"column {name!r}: events must be 0 or 1 ({err})") from None
    if e.ndim != 1:
        raise SpinemetsError(f"column {name!r}: expected one value per row, got shape {e.shape}")
    # a value other than 0/1 (NaN included) makes the non-zeros outnumber the ones
    if np.count_nonzero(e) != np.count_nonzero(e == 1):
        e = e.astype(np.float64)
        row, value = _first_bad((e != 0) & (e != 1), e)
        raise SpinemetsError(f"column {name!r}, row {row}: event {value!r}; expected 0 or 1")
    return e


def check_time_event(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Durations (float64, finite, >= 0) and 0/1 events (numeric dtype kept).

    Raises SpinemetsError for unequal lengths, an empty sample, a missing, negative
    or non-numeric duration, or an event indicator other than 0/1.
    """
    tname, ename = name_of(time, "time"), name_of(event, "event")
    t = _as_float(time, tname, "durations")
    e = check_indicator(event, ename)
    _same_length((tname, ename), (t, e))
    if t.size == 0:
        raise SpinemetsError(f"column {tname!r}: no observations")
    check_durations(t, tname)
    return t, e


def as_time_event(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`check_time_event`, with the events as float64 0.0/1.0."""
    t, e = check_time_event(time, event)
    return t, e.astype(np.float64, copy=False)


def check_counting(
    start: ArrayLike, stop: ArrayLike, event: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, stop] intervals with start < stop (both finite) and 0/1 events.

    Start times may be negative (R's ``finegray`` and ``tmerge`` put the origin below
    a time of 0). Events come back as float64.
    """
    aname, bname = name_of(start, "start"), name_of(stop, "stop")
    a = _as_float(start, aname, "start times")
    b = _as_float(stop, bname, "stop times")
    e = check_indicator(event, name_of(event, "event")).astype(np.float64, copy=False)
    _same_length((aname, bname, name_of(event, "event")), (a, b, e))
    if a.size == 0:
        raise SpinemetsError(f"column {bname!r}: no observations")
    bad = ~np.isfinite(a) | ~np.isfinite(b) | ~(a < b)
    if bad.any():
        row = int(np.argmax(bad))
        raise SpinemetsError(
            f"columns {aname!r} and {bname!r}, row {row}: interval ({float(a[row])!r}, "
            f"{float(b[row])!r}]; "
            "expected finite times with start < stop"
        )
    return a, b, e


def check_time_cause(time: ArrayLike, cause: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Durations and competing-risks causes: 0 = censored, 1, 2, ... = the event's cause."""
    tname, cname = name_of(time, "time"), name_of(cause, "cause")
    t = _as_float(time, tname, "durations")
    c = _as_float(cause, cname, "causes")
    _same_length((tname, cname), (t, c))
    if t.size == 0:
        raise SpinemetsError(f"column {tname!r}: no observations")
    check_durations(t, tname)
    bad = ~np.isfinite(c) | (c < 0) | (c != np.round(c))
    if bad.any():
        row, value = _first_bad(bad, c)
        raise SpinemetsError(
            f"column {cname!r}, row {row}: cause {value!r}; expected 0 (censored) or a "
            "positive whole number (the cause of the event)"
        )
    return t, c.astype(np.int64)


def check_groups(group: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique group labels and each row's integer code into them."""
    labels, codes, _ = group_codes(group, n)
    return labels, codes


def group_codes(
    group: ArrayLike, n: int, default: str = "group"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique labels, each row's code into them, and the size of each group.

    Labels sort as values (numbers numerically, text alphabetically), as R's
    ``factor``; a pandas Categorical keeps its categories' order (R's factor levels),
    unused categories dropped. The codes may share memory with ``group`` (labels
    already 0..k-1): read them only.
    """
    gname = name_of(group, default)
    if isinstance(getattr(group, "dtype", None), pd.CategoricalDtype):
        return _categorical_codes(pd.Categorical(group), n, gname, default)
    g = np.asarray(group)
    if g.ndim != 1 or g.size != n:
        raise SpinemetsError(f"column {gname!r}: {g.size} labels for {n} observations")
    if g.dtype.kind in "biu" and g.size:  # cannot be missing; small ranges skip hashing
        small = _small_int_groups(g)
        if small is not None:
            return small
    missing = np.isnan(g) if g.dtype.kind == "f" else pd.isna(g)
    if missing.any():
        row = int(np.argmax(missing))
        raise SpinemetsError(f"column {gname!r}, row {row}: missing {default} label")
    try:
        codes, labels = pd.factorize(g, sort=True)
    except TypeError as err:  # labels of mixed types that do not sort
        raise SpinemetsError(f"column {gname!r}: labels of mixed types ({err})") from None
    codes = codes.astype(np.intp)
    return np.asarray(labels, dtype=object), codes, np.bincount(codes, minlength=len(labels))


def _categorical_codes(
    cat: pd.Categorical, n: int, gname: str, default: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if cat.size != n:
        raise SpinemetsError(f"column {gname!r}: {cat.size} labels for {n} observations")
    codes = np.asarray(cat.codes, dtype=np.intp)
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise SpinemetsError(f"column {gname!r}, row {row}: missing {default} label")
    counts = np.bincount(codes, minlength=len(cat.categories))
    present = counts > 0
    remap = np.cumsum(present) - 1
    labels = np.asarray(list(cat.categories[present]), dtype=object)
    return labels, remap[codes].astype(np.intp), counts[present]


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


def check_weights(weights: ArrayLike | None, n: int, name: str = "weights") -> np.ndarray:
    """Case weights: finite and > 0 (R's coxph refuses others); ones when None."""
    if weights is None:
        return np.ones(n)
    name = name_of(weights, name)
    w = _as_float(weights, name, "weights")
    if w.size != n:
        raise SpinemetsError(f"column {name!r}: {w.size} weights for {n} observations")
    bad = ~np.isfinite(w) | ~(w > 0)
    if bad.any():
        row, value = _first_bad(bad, w)
        raise SpinemetsError(f"column {name!r}, row {row}: weight {value!r}; expected > 0")
    return w


def check_offset(offset: ArrayLike | None, n: int) -> np.ndarray:
    """An offset of the linear predictor: finite numbers; zeros when None."""
    if offset is None:
        return np.zeros(n)
    name = name_of(offset, "offset")
    o = _as_float(offset, name, "offsets")
    if o.size != n:
        raise SpinemetsError(f"column {name!r}: {o.size} offsets for {n} observations")
    bad = ~np.isfinite(o)
    if bad.any():
        row, value = _first_bad(bad, o)
        raise SpinemetsError(f"column {name!r}, row {row}: offset {value!r}; expected a number")
    return o


def check_covariates(
    x: ArrayLike | pd.DataFrame, n: int, names: Sequence[str] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """A covariate matrix (n rows, float64, finite) and its column names.

    ``x`` may be a DataFrame (its column names are used), a 2-d array or a 1-d array
    (one covariate). Names default to ``x1, x2, ...``.
    """
    if isinstance(x, pd.DataFrame):
        names = tuple(str(c) for c in x.columns) if names is None else tuple(names)
        frame = x
        try:
            m = x.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise SpinemetsError(f"covariates must be numbers ({err})") from None
    else:
        frame = None
        try:
            m = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise SpinemetsError(f"covariates must be numbers ({err})") from None
        if m.ndim == 1:
            m = m[:, None]
    if m.ndim != 2 or m.shape[0] != n:
        raise SpinemetsError(f"covariates: expected {n} rows, got shape {m.shape}")
    if m.shape[1] == 0:
        raise SpinemetsError("covariates: no columns given")
    names = tuple(f"x{j + 1}" for j in range(m.shape[1])) if names is None else tuple(names)
    if len(names) != m.shape[1]:
        raise SpinemetsError(f"covariates: {len(names)} names for {m.shape[1]} columns")
    bad = ~np.isfinite(m)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        label = frame.index[row] if frame is not None else row
        raise SpinemetsError(
            f"column {names[col]!r}, row {label!r}: value {float(m[row, col])!r}; "
            "expected a finite number"
        )
    return m, names


def check_conf(conf_type: str, conf_level: float, types: Sequence[str] = CONF_TYPES) -> None:
    """Raise SpinemetsError unless ``conf_type`` is one of ``types`` and 0 < level < 1."""
    if conf_type not in types:
        raise SpinemetsError(
            f"conf_type {conf_type!r} is not supported; expected one of "
            + ", ".join(repr(c) for c in types)
        )
    check_fraction("conf_level", conf_level)


def check_fraction(name: str, value: float) -> float:
    """A number strictly between 0 and 1 (a level, a power, a share)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SpinemetsError(f"{name} {value!r}; expected a number between 0 and 1") from None
    if not 0.0 < v < 1.0:
        raise SpinemetsError(f"{name} {value!r}; expected a number between 0 and 1")
    return v
