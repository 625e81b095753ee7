"""Time the calibrated reconstruction (spinemets.paper.calibrate) and record its accuracy.

Runs the full fit with the committed seed and settings on 2 workers, checks the
result equals the committed data/synthetic/survival_times.csv, and writes
benchmarks/results/reconstruct.json and .md. Timing varies with the machine and
its load; it is recorded, never asserted: wall time, CPU time of this process and
of its worker processes (less sensitive to other load on the machine), and the
1-minute load average before and after the fit; per stage of the search (its
``on_stage`` hook), the wall and CPU seconds, the loss and the targets met.

    .venv/bin/python benchmarks/reconstruct.py [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np
from spinemets import paths
from spinemets.paper.calibrate import (
    CALIBRATION_SEED,
    DEFAULT_RESTARTS,
    SURVIVAL_TIMES_FILE,
    TARGETS,
    evaluate,
    to_frame,
)
from spinemets.paper.calibrate.evaluator import ApproximateEvaluator, statistics
from spinemets.paper.calibrate.search import (
    CELL,
    HORIZON,
    State,
    initial_state,
    met_targets,
    run_search,
)
from spinemets.paper.calibrate.table import table_csv_text

RESULTS = paths.PROJECT_ROOT / "benchmarks" / "results"


def evaluator_speed(batch: int, repeats: int, approximate: bool = False) -> float:
    """Microseconds per candidate cohort for the vectorised evaluator (exact, or the
    annealing's approximate one)."""
    rng = np.random.default_rng(0)
    states = [initial_state(rng) for _ in range(batch)]
    arrays = [np.stack([getattr(s, f) for s in states]) for f in ("os", "death", "lp", "prog")]
    evaluator = ApproximateEvaluator(CELL, HORIZON)
    start = time.perf_counter()
    for _ in range(repeats):
        if approximate:
            evaluator.values(*arrays)
        else:
            statistics(*arrays, CELL)
    return (time.perf_counter() - start) / (repeats * batch) * 1e6


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    stages: list[dict] = []
    start = time.perf_counter()
    cpu_start = cpu_seconds()
    last = [start, cpu_start]

    def on_stage(name: str, state: State, loss: float) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        stages.append(
            {
                "stage": name,
                "wall_seconds": round(wall - last[0], 1),
                "cpu_seconds": round(cpu - last[1], 1),
                "loss": round(loss, 4),
                "targets_within_rounding": int(met_targets(state).sum()),
            }
        )
        last[:] = [time.perf_counter(), cpu_seconds()]

    state, loss, _ = run_search(CALIBRATION_SEED, DEFAULT_RESTARTS, args.workers, None, on_stage)
    times = to_frame(state.os, state.death, state.lp, state.prog)
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    load_after = os.getloadavg()[0]
    report = evaluate(times)
    survival = report.iloc[: len(TARGETS)]
    result = {
        "seed": CALIBRATION_SEED,
        "restarts": DEFAULT_RESTARTS,
        "workers": args.workers,
        "fit_seconds": round(seconds, 1),
        "fit_cpu_seconds": round(cpu, 1),
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(load_after, 2),
        "reproduces_committed_file": table_csv_text(times)
        == SURVIVAL_TIMES_FILE.read_text(encoding="utf-8"),
        "targets_within_rounding": int(survival["within_rounding"].sum()),
        "targets": len(TARGETS),
        "loss": round(loss, 4),
        "largest_rate_miss_pp": round(
            float(survival.loc[~survival["within_rounding"], "error"].abs().max() or 0.0), 3
        ),
        "evaluator_us_per_cohort_batch1": round(evaluator_speed(1, 200), 1),
        "evaluator_us_per_cohort_batch256": round(evaluator_speed(256, 10), 1),
        "annealing_evaluator_us_per_cohort_batch16": round(evaluator_speed(16, 500, True), 1),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "stages": stages,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reconstruct.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Calibrated reconstruction benchmark", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in result.items() if k != "stages"]
    lines += ["", "| stage | wall s | CPU s | loss | targets met |", "|---|---|---|---|---|"]
    lines += [
        "| {stage} | {wall_seconds} | {cpu_seconds} | {loss} | {targets_within_rounding} |".format(
            **s
        )
        for s in stages
    ]
    (RESULTS / "reconstruct.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
