"""How fast is ``spinemets report``: against the floor of executing notebooks, and on reruns.

Measured in one run of this script, 2 notebooks at a time:

- ``floor``: one generated notebook per real notebook whose only cell imports the
  libraries the real ones load, as they load them (:data:`IMPORTS`: numpy, pandas,
  matplotlib's pyplot, scipy, statsmodels' modules, lifelines, seaborn, pandera, the
  spreadsheet readers, yaml, and spinemets' output layer), executed with plain
  papermill by 2 worker processes. Every batch pays at least that: a kernel start and
  the imports per notebook;
- ``runner_on_floor``: ``spinemets report`` on those import-only notebooks, nothing
  cached: the runner's own overhead (process start, checks, the cohort's validation,
  workers, cleaning, HTML export, the index). Aim: within 1.1x the floor;
- ``cold``: ``spinemets report reports/runs.yaml`` on the real notebooks, nothing
  cached. Aim: within 1.3x the floor (what the notebooks compute is theirs: reported);
- ``noop``: the same again, nothing changed (every notebook reused). Aim: within
  0.1x the cold run;
- ``one_changed``: the same after a code cell of one notebook changed (the
  notebook that took longest in the cold run: the worst case). Aim: within 0.4x;
- ``text_changed``: the same after a Markdown cell of that notebook changed (it is
  re-rendered without a kernel).

The floor and the runner on the floor are measured twice, alternately, and the
shorter time of each is used (the machine is shared: another process's burst
lengthens one measurement, never shortens it). Besides wall time, the CPU time of
each measurement's processes (user + system, the command and everything it
started) is recorded: less sensitive to other processes than wall time. The load
average before and after is recorded with the results.

Results: benchmarks/results/report_batch.json and .md. Run: ``make bench`` or
``.venv/bin/python benchmarks/report_batch.py``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat
import papermill
import yaml
from spinemets import paths
from spinemets.errors import ParameterError
from spinemets.reports.notebooks import (
    check_parameters,
    discover_notebooks,
    inspect_notebooks,
    select_notebooks,
)
from spinemets.reports.runs import load_runs

JOBS = 2
REPEATS = 2
AIMS = {
    "runner_on_floor / floor": 1.1,
    "cold / floor": 1.3,
    "noop / cold": 0.1,
    "one_changed / cold": 0.4,
}
RESULTS = paths.PROJECT_ROOT / "benchmarks" / "results"
DEFAULT_RUNS_FILE = paths.REPORTS_DIR / "runs.yaml"
#: The third-party libraries the notebooks' set-up loads, imported as the package imports
#: them (statsmodels' modules, not ``statsmodels.api``; pyplot), then spinemets' output layer.
IMPORTS = "\n".join(
    f"import {name}"
    for name in (
        "lifelines",
        "matplotlib.pyplot",
        "numpy",
        "openpyxl",
        "pandas",
        "pandera.pandas",
        "python_calamine",
        "scipy.stats",
        "seaborn",
        "statsmodels.genmod.generalized_linear_model",
        "statsmodels.stats.contingency_tables",
        "yaml",
        "spinemets",
        "spinemets.output",
    )
)
SPINEMETS = Path(sys.executable).with_name("spinemets")
PROGRESS = re.compile(r"\] \S+/(\S+)\s+(?:ok|reused|re-rendered)\s+([\d.]+) s")


def floor_notebooks(folder: Path, count: int) -> list[Path]:
    """``count`` notebooks whose only cell imports the libraries (kernel spinemets)."""
    folder.mkdir(parents=True)
    made = []
    for i in range(count):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS)])
        nb.metadata["kernelspec"] = {
            "name": "spinemets",
            "display_name": "Python (spinemets)",
            "language": "python",
        }
        path = folder / f"{i:02d}_floor.ipynb"
        nbformat.write(nb, path)
        made.append(path)
    return made


def _papermill(path: str) -> None:
    papermill.execute_notebook(path, path, kernel_name="spinemets", progress_bar=False)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and their children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(action: Callable[[], str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the processes it started, what it printed)."""
    cpu, start = children_cpu(), time.perf_counter()
    printed = action()
    return time.perf_counter() - start, children_cpu() - cpu, printed


def run_floor(notebooks: list[Path]) -> str:
    with ProcessPoolExecutor(JOBS, mp_context=get_context("spawn")) as pool:
        list(pool.map(_papermill, map(str, notebooks)))
    return ""


def run_report(runs: Path, notebooks: Path, out: Path) -> str:
    args = [str(SPINEMETS), "report", str(runs), "--notebooks-dir", str(notebooks)]
    args += ["--output-dir", str(out), "--jobs", str(JOBS)]
    done = subprocess.run(args, cwd=paths.PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"spinemets report failed (exit code {done.returncode})")
    return done.stdout


def runs_file_for_benchmark(folder: Path) -> tuple[Path, list[str]]:
    """The default runs file; parameters no existing notebook declares yet are dropped.

    (The floor's worker processes import this module: it imports papermill and the
    light parts of the runner only, as a floor's worker would.)
    """
    specs = inspect_notebooks(discover_notebooks(paths.NOTEBOOKS_DIR))
    try:
        for run in load_runs(DEFAULT_RUNS_FILE).select(None):
            check_parameters(run, select_notebooks(run, specs))
        return DEFAULT_RUNS_FILE, []
    except ParameterError:
        declared = set()
        for spec in specs:
            declared |= set(spec.parameters)
        data = yaml.safe_load(DEFAULT_RUNS_FILE.read_text(encoding="utf-8"))
        dropped = []
        for run in data["runs"].values():
            params = run.get("parameters") or {}
            dropped += sorted(k for k in params if k not in declared)
            run["parameters"] = {k: v for k, v in params.items() if k in declared}
        path = folder / "runs.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        return path, dropped


def seconds_per_notebook(printed: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in PROGRESS.finditer(printed)}


def change_code(path: Path) -> None:
    """Append a comment to the notebook's last code cell: its code changes, its results not."""
    nb = nbformat.read(path, as_version=4)
    cell = [c for c in nb.cells if c.cell_type == "code"][-1]
    cell.source += "\n# changed by benchmarks/report_batch.py"
    nbformat.write(nb, path)


def change_text(path: Path) -> None:
    """Add a sentence to the notebook's first Markdown cell."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown")
    cell.source += "\n\nA sentence added by benchmarks/report_batch.py."
    nbformat.write(nb, path)


def main() -> int:
    notebooks = discover_notebooks(paths.NOTEBOOKS_DIR)
    if not notebooks:
        print("no numbered notebooks in notebooks/: nothing to measure", file=sys.stderr)
        return 1
    load_before = os.getloadavg()
    timings: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="report-batch-") as tmp:
        tmp = Path(tmp)
        runs, dropped = runs_file_for_benchmark(tmp)
        floor_dir = tmp / "floor"
        floor_nbs = floor_notebooks(floor_dir, len(notebooks))
        floor_runs = tmp / "floor-runs.yaml"
        floor_runs.write_text("runs:\n  floor:\n    notebooks: all\n", encoding="utf-8")
        floors, runners = [], []
        for i in range(REPEATS):
            floors.append(measured(lambda: run_floor(floor_nbs))[:2])
            out = tmp / f"out-floor-{i}"
            runners.append(measured(lambda out=out: run_report(floor_runs, floor_dir, out))[:2])
        timings["floor"] = min(floors)
        timings["runner_on_floor"] = min(runners)

        real = tmp / "notebooks"
        real.mkdir()
        for path in notebooks:
            shutil.copy(path, real)
        out = tmp / "out"
        wall, cpu, printed = measured(lambda: run_report(runs, real, out))
        timings["cold"] = (wall, cpu)
        per_notebook = seconds_per_notebook(printed)
        slowest = max(per_notebook, key=per_notebook.__getitem__)
        timings["noop"] = measured(lambda: run_report(runs, real, out))[:2]
        change_code(real / f"{slowest}.ipynb")
        timings["one_changed"] = measured(lambda: run_report(runs, real, out))[:2]
        change_text(real / f"{slowest}.ipynb")
        wall, cpu, printed = measured(lambda: run_report(runs, real, out))
        timings["text_changed"] = (wall, cpu)
        rerendered = "re-rendered" in printed
    load_after = os.getloadavg()

    seconds = {k: round(v[0], 2) for k, v in timings.items()}
    cpu = {k: round(v[1], 2) for k, v in timings.items()}
    ratios = {
        "runner_on_floor / floor": seconds["runner_on_floor"] / seconds["floor"],
        "cold / floor": seconds["cold"] / seconds["floor"],
        "noop / cold": seconds["noop"] / seconds["cold"],
        "one_changed / cold": seconds["one_changed"] / seconds["cold"],
        "text_changed / cold": seconds["text_changed"] / seconds["cold"],
    }
    cpu_ratios = {
        "runner_on_floor / floor": cpu["runner_on_floor"] / cpu["floor"],
        "cold / floor": cpu["cold"] / cpu["floor"],
    }
    result = {
        "benchmark": "spinemets report: vs the import-only floor, and reruns vs a cold run",
        "notebooks": [p.stem for p in notebooks],
        "jobs": JOBS,
        "cores": os.cpu_count(),
        "repeats_of_floor_and_runner_on_floor": REPEATS,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "cpu_ratios": {k: round(v, 3) for k, v in cpu_ratios.items()},
        "aims": AIMS,
        "within_aims": {k: ratios[k] <= aim for k, aim in AIMS.items()},
        "changed_notebook": slowest,
        "changed_notebook_cold_seconds": per_notebook[slowest],
        "text_change_rerendered": rerendered,
        "cold_seconds_per_notebook": per_notebook,
        "runs_file": "reports/runs.yaml",
        "parameters_dropped_as_undeclared": dropped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_json = RESULTS / "report_batch.json"
    out_json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "report_batch.md").write_text(markdown(result), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


def markdown(r: dict) -> str:
    s, c = r["seconds"], r["cpu_seconds"]
    aims, met = r["aims"], r["within_aims"]

    def verdict(key: str) -> str:
        return f"{aims[key]} ({'met' if met[key] else 'NOT met'})" if key in aims else ""

    rows = [
        ("floor: import-only notebooks, plain papermill", "floor", ""),
        ("`spinemets report` on the import-only notebooks", "runner_on_floor", "floor"),
        ("`spinemets report` on the real notebooks, cold", "cold", "floor"),
        ("rerun, nothing changed (all reused)", "noop", "cold"),
        (f"rerun, code of `{r['changed_notebook']}` changed", "one_changed", "cold"),
        (f"rerun, text of `{r['changed_notebook']}` changed", "text_changed", "cold"),
    ]
    lines = [
        "# `spinemets report`: the floor, and reruns",
        "",
        f"{len(r['notebooks'])} notebooks ({', '.join(r['notebooks'])}), {r['jobs']} at a time, "
        f"{r['cores']} cores, shared with other work: load average "
        f"{' / '.join(map(str, r['load_average_before']))} (1 / 5 / 15 min) before, "
        f"{' / '.join(map(str, r['load_average_after']))} after. The floor and the runner on "
        f"it: the shorter of {r['repeats_of_floor_and_runner_on_floor']} alternating runs.",
        "",
        "| measurement | wall s | CPU s | ratio | of | aim |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for label, key, base in rows:
        ratio = f"{s[key] / s[base]:.2f}" if base else "1.00" if key == "floor" else ""
        aim_key = f"{key} / {base}"
        lines.append(
            f"| {label} | {s[key]} | {c[key]} | {ratio} | {base or '-'} | {verdict(aim_key)} |"
        )
    lines += [
        "",
        "The runner on the floor is under 1: each of its workers forks the kernel of every "
        "notebook that imports spinemets from a server that has imported the libraries once "
        "(reports/README.md), where plain papermill starts a fresh kernel per notebook, "
        "which imports them again. The floor stays what a batch of fresh kernels costs. "
        "What the cold run takes beyond the runner on the floor is the notebooks' own "
        "computing.",
        "",
        f"CPU ratios (less sensitive to other processes): runner on the floor / floor "
        f"{r['cpu_ratios']['runner_on_floor / floor']}, cold / floor "
        f"{r['cpu_ratios']['cold / floor']}.",
        "",
        f"The changed notebook, `{r['changed_notebook']}`, took "
        f"{r['changed_notebook_cold_seconds']} s of the cold run (the longest). Its text "
        + ("change was re-rendered without a kernel." if r["text_change_rerendered"] else "")
        + ("change was executed." if not r["text_change_rerendered"] else ""),
        "",
        "Seconds per notebook in the cold run (from its start, kernel start included): "
        + ", ".join(f"{k} {v}" for k, v in r["cold_seconds_per_notebook"].items())
        + ".",
    ]
    if r["parameters_dropped_as_undeclared"]:
        lines += [
            "",
            "Parameters of reports/runs.yaml that no existing notebook declared yet were "
            f"dropped for this measurement: {', '.join(r['parameters_dropped_as_undeclared'])}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
