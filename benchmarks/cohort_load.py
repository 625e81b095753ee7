"""How long loading and validating a cohort takes, up to 100,000 patients (CSV and .xlsx).

For n = 1,000, 10,000 and 100,000 patients, a cohort is made by drawing rows of
the bundled synthetic cohort with replacement (named seed), with study codes
``P000001``... and half as many complications as patients; it is written as CSV
and as an .xlsx workbook (sheets ``patients`` and ``complications``) in a
temporary folder. Timed (time.perf_counter, best of REPEATS; one run for the
largest workbook):

- ``read_csv_s``: ``pandas.read_csv(dtype=str)`` of both files, the floor any
  loader that reads text pays;
- ``load_csv_s``: ``spinemets.cohort.load_cohort`` on the CSV files: reading,
  the identifier guard, validation of every cell, conversion;
- ``identifiers_s``: the identifier guard alone (headers and every screened value)
  on the patients table as read;
- ``load_xlsx_s``: ``load_cohort`` on the workbook (read with python-calamine);
- ``openpyxl_s``: for comparison, reading the patients sheet's values alone with
  openpyxl's read-only mode (the reader spinemets used before python-calamine).

The machine may be shared: the 1-minute load average is recorded before and
after each size. Results go to benchmarks/results/cohort_load.json and .md;
nothing is asserted. Run: ``.venv/bin/python benchmarks/cohort_load.py``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pandera
from spinemets.cohort import load_cohort
from spinemets.cohort.prepare import FORMAT_NAMES, TEXT_COLUMNS, flagged_values
from spinemets.cohort.read import read_table

SEED = 20201982  # named seed, as in the notebooks
SIZES = (1_000, 10_000, 100_000)
REPEATS = 3
RESULTS = Path(__file__).parent / "results"


def make_cohort(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n patients drawn from the bundled cohort, and n // 2 complications."""
    rng = np.random.default_rng(SEED)
    bundled = load_cohort()
    patients = bundled.patients.iloc[rng.integers(0, len(bundled.patients), n)].copy()
    patients["patient_id"] = [f"P{i:06d}" for i in range(1, n + 1)]
    events = bundled.complications.iloc[rng.integers(0, len(bundled.complications), n // 2)]
    complications = events.copy()
    complications["patient_id"] = patients["patient_id"].to_numpy()[rng.integers(0, n, n // 2)]
    return patients.reset_index(drop=True), complications.reset_index(drop=True)


def write_files(folder: Path, patients: pd.DataFrame, complications: pd.DataFrame) -> None:
    patients.to_csv(folder / "patients.csv", index=False)
    complications.to_csv(folder / "complications.csv", index=False)
    book = openpyxl.Workbook(write_only=True)
    for title, frame in (("patients", patients), ("complications", complications)):
        sheet = book.create_sheet(title)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    book.save(folder / "cohort.xlsx")


def openpyxl_values(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return list(book["patients"].iter_rows(values_only=True))
    finally:
        book.close()


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(n: int, folder: Path) -> dict:
    patients, complications = make_cohort(n)
    write_files(folder, patients, complications)
    p, c, xlsx = folder / "patients.csv", folder / "complications.csv", folder / "cohort.xlsx"
    row: dict = {"n": n, "complications": len(complications), "load_before": load()}
    cohort = load_cohort(p, c)  # also a check that the cohort is valid
    assert len(cohort.patients) == n and len(cohort.complications) == n // 2
    table, _ = read_table(p, "patients.csv", known=FORMAT_NAMES)
    assert table is not None
    screened = [name for name in table.frame.columns if name in TEXT_COLUMNS]
    row["read_csv_s"] = best_of(
        lambda: (pd.read_csv(p, dtype=str), pd.read_csv(c, dtype=str)), REPEATS
    )
    row["load_csv_s"] = best_of(lambda: load_cohort(p, c), REPEATS)
    row["identifiers_s"] = best_of(lambda: flagged_values(table.frame, screened), REPEATS)
    once = 1 if n >= 100_000 else REPEATS
    row["load_xlsx_s"] = best_of(lambda: load_cohort(xlsx, xlsx), once)
    row["openpyxl_s"] = best_of(lambda: openpyxl_values(xlsx), once)
    row["load_after"] = load()
    row["ratio_to_read_csv"] = row["load_csv_s"] / row["read_csv_s"]
    return row


def markdown(machine: dict, rows: list[dict]) -> str:
    lines = [
        "# cohort_load: load_cohort (read + identifier guard + validation + conversion)",
        "",
        f"Cohorts drawn from the bundled one (seed {machine['seed']}), n // 2 complications. "
        f"Best of {machine['repeats']} runs (one for the largest workbook), seconds "
        f"(Python {machine['python']}, pandas {machine['pandas']}, pandera "
        f"{machine['pandera']}, python-calamine as pinned in requirements.lock, openpyxl "
        f"{machine['openpyxl']}, {machine['processor']}, "
        f"{machine['cores']} cores). The machine may be shared: the 1-minute load average "
        "before/after each size is given.",
        "",
        "| n | load | pandas.read_csv (floor) | load_cohort CSV | x floor | identifier guard "
        "| load_cohort .xlsx | openpyxl, patients sheet only |",
        "|---:|:---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['load_before']}/{r['load_after']} | {r['read_csv_s']:.3f} | "
            f"{r['load_csv_s']:.3f} | {r['ratio_to_read_csv']:.1f} | {r['identifiers_s']:.3f} | "
            f"{r['load_xlsx_s']:.2f} | {r['openpyxl_s']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    machine = {
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "pandera": pandera.__version__,
        "openpyxl": openpyxl.__version__,
        "processor": platform.machine(),
        "cores": os.cpu_count(),
        "repeats": REPEATS,
        "seed": SEED,
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="spinemets-bench-") as tmp:
        for n in SIZES:
            rows.append(measure(n, Path(tmp)))
            print(rows[-1])
    result = {"benchmark": "cohort_load", "machine": machine, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cohort_load.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "cohort_load.md").write_text(markdown(machine, rows))


if __name__ == "__main__":
    main()
