"""The notebooks' own computing on 100,000 patients: CPU seconds of each main library call.

Issue 13 requires that a cohort of 100,000 patients works; the test of it
(``tests/reports/test_degenerate_cohorts.py``) runs every notebook on the bundled cohort
repeated 1,000 times, which is also what a user with a large registry pays. This script
builds the same cohort (the bundled patients and complications 1,000 times, new
patient codes; written to a temporary folder, removed afterwards) and times the calls
that dominate each notebook's own computing, with the notebooks' default parameters
(notebook 08's permutations cut to 200, as the test cuts them):

- every notebook: ``load_cohort`` of the two CSV files (the heart of ``notebook.start``);
- 01: Tables 1, 2 and 3 (``study.characteristics``);
- 02/03: hazard ratios and RMST of OS and LPFS (``study.endpoints``);
- 06: Fine-Gray hazard ratios and the cause-specific tests with profile intervals;
- 07: landmark analyses, the time-dependent Cox model and the tipping-point table;
- 08: the three Cox models, their ``cox.zph`` tests and the permutation log-rank test.

Times are CPU seconds (``time.process_time``: this process and its threads), the best
of REPEATS runs, because the machine is shared and wall-clock time measures the
neighbours too. The BLAS library's threads count in CPU time (OpenBLAS threads spin
while they wait for work): run with ``OPENBLAS_NUM_THREADS=1`` in the environment to
see what multi-threaded BLAS costs on the small vector products of these methods (the
run's name then says so; the notebooks run with the library's default). Results go to
``benchmarks/results/large_cohort.json`` and ``.md`` (``--label`` names the run,
e.g. ``before``/``after``; a run of another checkout merges into the same files);
nothing is asserted. Run: ``.venv/bin/python benchmarks/large_cohort.py --label after``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from spinemets import paths, study
from spinemets.cohort import load_cohort

COPIES = 1000  # the bundled 100 patients 1,000 times: 100,000 patients
REPEATS = 3
START_SEED = 20201982  # notebooks 07 and 08: the assumed therapy start times
PERMUTATION_SEED = 20201  # notebook 08's default
N_PERMUTATIONS = 200  # as tests/reports/test_degenerate_cohorts.py cuts them
RESULTS = Path(__file__).parent / "results"


def large_cohort(folder: Path, copies: int = COPIES) -> tuple[Path, Path]:
    """The bundled cohort ``copies`` times with new codes S0, S1... (as the test builds it)."""
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS).drop(columns=["synthetic"], errors="ignore")
    complications = pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)
    index = {pid: i for i, pid in enumerate(patients["patient_id"])}
    n = len(patients)

    def codes(ids: pd.Series, k: int) -> list[str]:
        return [f"S{k * n + index[i]}" for i in ids]

    big = [patients.assign(patient_id=codes(patients["patient_id"], k)) for k in range(copies)]
    events = [
        complications.assign(patient_id=codes(complications["patient_id"], k))
        for k in range(copies)
    ]
    pd.concat(big).to_csv(folder / "patients.csv", index=False)
    pd.concat(events).to_csv(folder / "complications.csv", index=False)
    return folder / "patients.csv", folder / "complications.csv"


def best_cpu(call: Callable[[], object], repeats: int = REPEATS) -> float:
    """The least CPU time of ``repeats`` runs of ``call``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return min(times)


def calls(files: tuple[Path, Path]) -> list[tuple[str, str, Callable[[], object]]]:
    """(notebook, what, call) for each timed call."""
    patients = load_cohort(*files).patients
    starts = study.immortal_time.adjuvant_starts(patients, seed=START_SEED)
    with_starts = starts.patients
    fits = study.models.fit_os_models(patients) | study.models.therapy_models(with_starts)
    endpoints = ["os", "lpfs"]
    competing = study.competing_risks
    lm = study.immortal_time
    return [
        ("all", "load_cohort (notebook.start)", lambda: load_cohort(*files)),
        ("01", "table1", lambda: study.characteristics.table1(patients)),
        ("01", "table2", lambda: study.characteristics.table2(patients)),
        ("01", "table3", lambda: study.characteristics.table3(patients)),
        ("03", "hazard_ratios os+lpfs", lambda: study.endpoints.hazard_ratios(patients, endpoints)),
        ("03", "rmst_table os+lpfs", lambda: study.endpoints.rmst_table(patients, endpoints)),
        ("06", "comparison_hazard_ratios", lambda: competing.comparison_hazard_ratios(patients)),
        ("06", "cause_specific_inference", lambda: competing.cause_specific_inference(patients)),
        ("07", "landmark_analyses", lambda: lm.landmark_analyses(with_starts, [1, 3, 6])),
        ("07", "time_dependent_cox", lambda: lm.time_dependent_cox(with_starts)),
        (
            "07",
            "tipping_point_table",
            lambda: lm.tipping_point_table(
                patients, [(1, 4), (1, 8), (1, 12), (1, 18), (1, 24)], [0, 8], seed=START_SEED
            ),
        ),
        (
            "08",
            "fit_os_models + therapy_models",
            lambda: study.models.fit_os_models(patients) | study.models.therapy_models(with_starts),
        ),
        ("08", "zph_tables", lambda: study.models.zph_tables(fits)),
        (
            "08",
            f"permutation_table ({N_PERMUTATIONS})",
            lambda: study.endpoints.permutation_table(
                patients, n_permutations=N_PERMUTATIONS, seed=PERMUTATION_SEED
            ),
        ),
    ]


def write(label: str, blas_threads: str | None, rows: list[dict]) -> None:
    RESULTS.mkdir(exist_ok=True)
    store = RESULTS / "large_cohort.json"
    runs = json.loads(store.read_text()) if store.exists() else {}
    key = label if blas_threads is None else f"{label}, BLAS threads {blas_threads}"
    runs[key] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 1),
        "repeats": REPEATS,
        "cpu_seconds": rows,
    }
    store.write_text(json.dumps(runs, indent=1) + "\n")
    keys = list(runs)
    whats = list(
        dict.fromkeys(f"{r['notebook']}|{r['what']}" for k in keys for r in runs[k]["cpu_seconds"])
    )
    table = {
        k: {f"{r['notebook']}|{r['what']}": r["cpu_s"] for r in runs[k]["cpu_seconds"]}
        for k in keys
    }
    lines = [
        "# large_cohort: the notebooks' main calls on 100,000 patients",
        "",
        f"The bundled cohort {COPIES} times. CPU seconds (time.process_time; this process "
        f"and its BLAS threads), best of {REPEATS}; a shared 2-core machine (1-minute load "
        "average per run below). Produced by benchmarks/large_cohort.py.",
        "",
        "| notebook | call | " + " | ".join(keys) + " |",
        "|---|---|" + "---:|" * len(keys),
    ]
    for w in whats:
        notebook, what = w.split("|", 1)
        cells = [f"{table[k][w]:.2f}" if w in table[k] else "" for k in keys]
        lines.append(f"| {notebook} | {what} | " + " | ".join(cells) + " |")
    totals = [f"**{sum(table[k].values()):.2f}**" for k in keys]
    lines.append("| | **sum** | " + " | ".join(totals) + " |")
    loads = [str(runs[k]["load_average"]) for k in keys]
    lines.append("| | load average | " + " | ".join(loads) + " |")
    (RESULTS / "large_cohort.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = large_cohort(Path(folder))
        rows = []
        for notebook, what, call in calls(files):
            seconds = best_cpu(call)
            rows.append({"notebook": notebook, "what": what, "cpu_s": round(seconds, 3)})
            print(f"{notebook:>3}  {what:<34} {seconds:7.2f} CPU-s", flush=True)
    write(args.label, os.environ.get("OPENBLAS_NUM_THREADS"), rows)


if __name__ == "__main__":
    main()
