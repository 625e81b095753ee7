"""How close is ``spinemets report`` to the floor of executing the same number of notebooks?

The floor: one generated notebook per real notebook whose only cell imports the
libraries the real ones use (numpy, pandas, matplotlib, lifelines, statsmodels,
spinemets), executed with plain papermill, 2 at a time. Every batch pays at
least that: a kernel start and the imports per notebook. Measured, once each:

- ``floor``: the import-only notebooks with plain papermill, 2 worker processes;
- ``runner_on_floor``: ``spinemets report --jobs 2`` on the same import-only
  notebooks (the runner's own overhead: process start, checks, HTML export);
- ``batch``: ``spinemets report reports/runs.yaml --jobs 2`` on the real notebooks.

Aim: ``batch / floor`` within 1.3 (the rest is the notebooks' own computing).
Results: benchmarks/results/report_batch.json and .md. Run: ``make bench`` or
``.venv/bin/python benchmarks/report_batch.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat
import yaml
from spinemets import paths
from spinemets.errors import ParameterError
from spinemets.reports.batch import DEFAULT_RUNS_FILE, plan_runs
from spinemets.reports.notebooks import discover_notebooks, inspect_notebooks

JOBS = 2
AIM = 1.3
RESULTS = paths.PROJECT_ROOT / "benchmarks" / "results"
IMPORTS = (
    "import lifelines\nimport matplotlib\nimport numpy\nimport pandas\nimport statsmodels.api\n"
)
IMPORTS += "\nimport spinemets\nimport spinemets.output"
SPINEMETS = Path(sys.executable).with_name("spinemets")


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
    import papermill

    papermill.execute_notebook(path, path, kernel_name="spinemets", progress_bar=False)


def time_floor(notebooks: list[Path]) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(JOBS, mp_context=get_context("spawn")) as pool:
        list(pool.map(_papermill, map(str, notebooks)))
    return time.perf_counter() - start


def time_command(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=paths.PROJECT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
    return seconds, done.returncode


def runs_file_for_benchmark(folder: Path) -> tuple[Path, list[str]]:
    """The default runs file; parameters no existing notebook declares yet are dropped."""
    try:
        plan_runs(DEFAULT_RUNS_FILE, output_dir=folder / "unused")
        return DEFAULT_RUNS_FILE, []
    except ParameterError:
        declared = set()
        for spec in inspect_notebooks(discover_notebooks(paths.NOTEBOOKS_DIR)):
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


def main() -> int:
    notebooks = discover_notebooks(paths.NOTEBOOKS_DIR)
    if not notebooks:
        print("no numbered notebooks in notebooks/: nothing to measure", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="report-batch-") as tmp:
        tmp = Path(tmp)
        runs, dropped = runs_file_for_benchmark(tmp)
        floor_dir = tmp / "floor"
        floor_nbs = floor_notebooks(floor_dir, len(notebooks))
        floor = time_floor(floor_nbs)
        (tmp / "floor-runs.yaml").write_text("runs:\n  floor:\n    notebooks: all\n")
        runner_on_floor, code_floor = time_command(
            [str(SPINEMETS), "report", str(tmp / "floor-runs.yaml"), "--notebooks-dir"]
            + [str(floor_dir), "--output-dir", str(tmp / "out-floor"), "--jobs", str(JOBS)]
        )
        batch, code = time_command(
            [str(SPINEMETS), "report", str(runs), "--output-dir", str(tmp / "out")]
            + ["--jobs", str(JOBS)]
        )
    result = {
        "benchmark": "spinemets report vs the import-only floor",
        "notebooks": [p.stem for p in notebooks],
        "jobs": JOBS,
        "cores": os.cpu_count(),
        "floor_seconds": round(floor, 1),
        "runner_on_floor_seconds": round(runner_on_floor, 1),
        "runner_on_floor_exit_code": code_floor,
        "batch_seconds": round(batch, 1),
        "batch_exit_code": code,
        "batch_over_floor": round(batch / floor, 2),
        "runner_overhead_over_floor": round(runner_on_floor / floor, 2),
        "aim": AIM,
        "within_aim": batch / floor <= AIM,
        "runs_file": "reports/runs.yaml",
        "parameters_dropped_as_undeclared": dropped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "report_batch.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "report_batch.md").write_text(markdown(result), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if code == 0 and code_floor == 0 else 1


def markdown(r: dict) -> str:
    lines = [
        "# `spinemets report` vs the floor",
        "",
        f"{len(r['notebooks'])} notebooks ({', '.join(r['notebooks'])}), {r['jobs']} at a time, "
        f"{r['cores']} cores (shared: other processes may have been running).",
        "",
        "| measurement | seconds | / floor |",
        "|---|---:|---:|",
        f"| floor: import-only notebooks, plain papermill | {r['floor_seconds']} | 1.00 |",
        f"| `spinemets report` on the import-only notebooks | {r['runner_on_floor_seconds']} "
        f"| {r['runner_overhead_over_floor']} |",
        f"| `spinemets report` on the real notebooks | {r['batch_seconds']} "
        f"| {r['batch_over_floor']} |",
        "",
        f"Aim: batch within {r['aim']}x of the floor: **{'met' if r['within_aim'] else 'not met'}**"
        f" (batch exit code {r['batch_exit_code']}).",
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
