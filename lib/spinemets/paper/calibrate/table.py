"""The survival-times table and its accuracy table.

``survival_times.csv`` has one row per patient: ``surgery``,
``adjuvant_therapy``, ``os_months``, ``death``, ``lp_months``,
``local_progression``; rows grouped by cell in the order of
:data:`~spinemets.paper.calibrate.targets.CELLS`, sorted within a cell by
(os_months, death, lp_months, local_progression) so the bytes are fixed.
``calibration_report.csv`` is its accuracy table (:func:`evaluate`). Both live in
``data/synthetic/``. Tested by ``tests/paper/test_calibrate_fit.py`` and
``tests/paper/test_calibrate_r.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import paths
from ...errors import SpinemetsError
from ...output import table_to_csv_text
from ..consistency import audit, contested_claims
from .evaluator import MAX_MONTH, statistics
from .targets import CELLS, COUNT_TARGETS, TARGETS, Target

COLUMNS = ("surgery", "adjuvant_therapy", "os_months", "death", "lp_months", "local_progression")
SURVIVAL_TIMES_NAME = "survival_times.csv"
#: The committed survival times.
SURVIVAL_TIMES_FILE = paths.SYNTHETIC_DIR / SURVIVAL_TIMES_NAME
#: The committed accuracy table.
CALIBRATION_REPORT_FILE = paths.SYNTHETIC_DIR / "calibration_report.csv"
#: Columns of :func:`evaluate`.
REPORT_COLUMNS = (
    "target",
    "claim",
    "kind",
    "published",
    "reconstructed",
    "error",
    "printed_step",
    "within_rounding",
    "note",
)


def to_frame(os_: np.ndarray, death: np.ndarray, lp: np.ndarray, prog: np.ndarray) -> pd.DataFrame:
    """Patient arrays (grouped by cell, in CELLS order) as the canonical table."""
    sizes = [c[2] for c in CELLS]
    cell = np.repeat(np.arange(len(CELLS)), sizes)
    df = pd.DataFrame(
        {
            "cell": cell,
            "surgery": [CELLS[c][0] for c in cell],
            "adjuvant_therapy": [CELLS[c][1] for c in cell],
            "os_months": np.asarray(os_, dtype=np.int64),
            "death": np.asarray(death, dtype=np.int64),
            "lp_months": np.asarray(lp, dtype=np.int64),
            "local_progression": np.asarray(prog, dtype=np.int64),
        }
    )
    df = df.sort_values(["cell", "os_months", "death", "lp_months", "local_progression"])
    return df.drop(columns="cell").reset_index(drop=True)


def _bad(name: str, row: int, column: str, value: object, expected: str) -> SpinemetsError:
    return SpinemetsError(
        f"{name}: row {row + 2}, column {column!r}: value {value!r}; expected {expected}"
    )


def to_arrays(df: pd.DataFrame, name: str = SURVIVAL_TIMES_NAME) -> tuple[np.ndarray, ...]:
    """Validate a survival-times table; return (cell, os, death, lp, prog) arrays.

    Raises SpinemetsError naming row (as in the CSV file, header = row 1), column,
    value and what was expected.
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise SpinemetsError(f"{name}: missing column(s) {missing}; expected {list(COLUMNS)}")
    cell_of = {(s, t): k for k, (s, t, _, _) in enumerate(CELLS)}
    cell = np.empty(len(df), dtype=np.int64)
    ints = {}
    for col in COLUMNS[2:]:
        values = pd.to_numeric(df[col], errors="coerce")
        ints[col] = values
    for row in range(len(df)):
        key = (df["surgery"].iat[row], df["adjuvant_therapy"].iat[row])
        if key not in cell_of:
            col = "surgery" if key[0] not in {c[0] for c in CELLS} else "adjuvant_therapy"
            raise _bad(name, row, col, df[col].iat[row], "a surgery x therapy cell of CELLS")
        cell[row] = cell_of[key]
        for col in COLUMNS[2:]:
            v = ints[col].iat[row]
            binary = col in ("death", "local_progression")
            lo, hi = (0, 1) if binary else (1, MAX_MONTH)
            if pd.isna(v) or v != int(v) or not lo <= v <= hi:
                raise _bad(name, row, col, df[col].iat[row], f"an integer in {lo}..{hi}")
        os_v, lp_v = ints["os_months"].iat[row], ints["lp_months"].iat[row]
        if lp_v > os_v or (ints["local_progression"].iat[row] == 0 and lp_v != os_v):
            raise _bad(
                name,
                row,
                "lp_months",
                df["lp_months"].iat[row],
                "<= os_months, and = os_months without local progression",
            )
    arrays = [ints[c].to_numpy(dtype=np.int64) for c in COLUMNS[2:]]
    return (cell, *arrays)


def count_values(cell: np.ndarray, death: np.ndarray, prog: np.ndarray) -> list[float]:
    """Reconstructed value of each of COUNT_TARGETS."""
    met = np.isin(cell, [k for k, c in enumerate(CELLS) if c[0] == "metastasectomy"])
    targ = np.isin(cell, [k for k, c in enumerate(CELLS) if c[1] == "targeted"])
    values = [
        death.sum(),
        (death == 0).sum(),
        prog.sum(),
        prog[met].sum(),
        prog[~met].sum(),
        prog[targ].sum(),
    ] + [(cell == k).sum() for k in range(len(CELLS))]
    assert len(values) == len(COUNT_TARGETS)
    return [float(v) for v in values]


def _report_note(target: Target, impossible_checks: list[str]) -> str:
    parts = [target.note] if target.note else []
    parts += [f"cannot all hold (consistency: {check})" for check in impossible_checks]
    return "; ".join(parts)


def evaluate(times_df: pd.DataFrame) -> pd.DataFrame:
    """Accuracy table: each published number next to the reconstructed one.

    Columns :data:`REPORT_COLUMNS`: target, claim (its id in the claims file),
    kind, published, reconstructed, error (reconstructed - published),
    printed_step, within_rounding (|error| <= printed_step / 2), note (how it
    was printed; for a number in a set the paper's numbers cannot all meet, the
    consistency check that proves it). The 37 survival targets first, then the
    counts. Survival statistics follow R's survival package (see
    :mod:`spinemets.paper.calibrate.evaluator`).
    """
    cell, os_, death, lp, prog = to_arrays(times_df)
    values = list(statistics(os_, death, lp, prog, cell)[0])
    values += count_values(cell, death, prog)
    impossible = contested_claims(audit(), verdicts=("impossible",))
    rows = []
    for t, v in zip(TARGETS + COUNT_TARGETS, values, strict=True):
        err = v - t.published
        rows.append(
            {
                "target": t.name,
                "claim": t.claim,
                "kind": t.kind,
                "published": t.published,
                "reconstructed": float(v),
                "error": float(err),
                "printed_step": t.printed_step,
                "within_rounding": bool(abs(err) <= t.tolerance + 1e-9),
                "note": _report_note(t, impossible.get(t.claim, [])),
            }
        )
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))


def accuracy_by_kind(report: pd.DataFrame) -> pd.DataFrame:
    """Survival targets within rounding, per kind, from an accuracy table (:func:`evaluate`).

    Columns: kind, targets, within_rounding; kinds in order of first appearance,
    counts (``kind == "count"``) left out.
    """
    targets = report[report["kind"] != "count"]
    by_kind = targets.groupby("kind", sort=False)["within_rounding"].agg(["size", "sum"])
    return (
        by_kind.rename(columns={"size": "targets", "sum": "within_rounding"})
        .astype(int)
        .reset_index()
    )


def committed_report() -> pd.DataFrame:
    """The committed accuracy table, ``data/synthetic/calibration_report.csv``
    (:func:`evaluate` of the committed survival times)."""
    return pd.read_csv(CALIBRATION_REPORT_FILE, keep_default_na=False)


def accuracy_statement(report: pd.DataFrame) -> str:
    """One Markdown paragraph: how many survival targets an accuracy table meets within
    printed rounding, and each miss with the audit check proving it forced, if any.

    A miss counts as forced only if the consistency audit gives a check involving its
    claim the verdict ``impossible``; any other miss is said to be where the fit stops.
    Tests: tests/paper/test_calibrate_fit.py::test_accuracy_statement.
    """
    targets = report[report["kind"] != "count"]
    met = int(targets["within_rounding"].astype(bool).sum())
    text = f"The fit meets **{met} of {len(targets)}** survival targets within printed rounding."
    misses = targets[~targets["within_rounding"].astype(bool)]
    if misses.empty:
        return text + " It has no miss."
    impossible = contested_claims(audit(), verdicts=("impossible",))
    parts = []
    for row in misses.itertuples(index=False):
        found = f"`{row.claim}` (published {row.published:g}, fitted {row.reconstructed:.4g})"
        checks = impossible.get(str(row.claim), [])
        if checks:
            named = "; ".join(f"*{c}*" for c in checks)
            found += f", proven impossible together with the paper's other numbers ({named})"
        else:
            found += ", not proven forced: where this fit stops"
        parts.append(found)
    label = "Its one miss" if len(parts) == 1 else f"Its {len(parts)} misses"
    return f"{text} {label}: " + "; ".join(parts) + "."


def table_csv_text(df: pd.DataFrame) -> str:
    """CSV text as committed: ``\\n`` line ends, floats to 10 significant digits."""
    return table_to_csv_text(df)
