"""How spinemets.survival scales: KM + CIs + medians + milestone rates + log-rank.

For n = 1e4, 1e5, 1e6 synthetic patients (continuous exponential times, ~30%
censored, two groups) the same estimates are computed three ways in one run:

- ``spinemets``: kaplan_meier per group (log CI), median_survival, survival_at at
  12/36/60 months, logrank_test across the two groups;
- ``lifelines``: KaplanMeierFitter per group (its log-log band; lifelines has no
  log band) + median_survival_times + median CI via qth_survival_times on the band +
  survival_function_at_times + lifelines.statistics.logrank_test;
- ``sort``: numpy.sort of the same times (the floor any estimator must pay).

Each timing is the best of REPEATS runs (time.perf_counter). Results go to
benchmarks/results/survival_scale.json and .md; nothing is asserted.
Run: ``.venv/bin/python benchmarks/survival_scale.py``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from spinemets.survival import kaplan_meier, logrank_test, median_survival, survival_at

SEED = 20201  # named seed: the paper's year and issue
SIZES = (10_000, 100_000, 1_000_000)
REPEATS = 3
MILESTONES = (12.0, 36.0, 60.0)
RESULTS = Path(__file__).parent / "results"


def make_data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    group = rng.integers(0, 2, n)
    death = rng.exponential(np.where(group == 1, 30.0, 22.0))
    censor = rng.exponential(70.0, n)
    return np.minimum(death, censor), (death <= censor).astype(np.int8), group


def with_spinemets(t: np.ndarray, e: np.ndarray, g: np.ndarray) -> dict:
    out = {}
    for k in (0, 1):
        km = kaplan_meier(t[g == k], e[g == k], conf_type="log")
        out[k] = (median_survival(km), survival_at(km, MILESTONES))
    return {"groups": out, "logrank": logrank_test(t, e, g).chisq}


def with_lifelines(t: np.ndarray, e: np.ndarray, g: np.ndarray) -> dict:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test as lifelines_logrank
    from lifelines.utils import median_survival_times

    out = {}
    for k in (0, 1):
        fitter = KaplanMeierFitter().fit(t[g == k], e[g == k])
        median = fitter.median_survival_time_
        median_ci = median_survival_times(fitter.confidence_interval_)
        rates = fitter.survival_function_at_times(list(MILESTONES))
        out[k] = (median, median_ci, rates)
    lr = lifelines_logrank(t[g == 0], t[g == 1], e[g == 0], e[g == 1])
    return {"groups": out, "logrank": lr.test_statistic}


def best_of(fn: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rows = []
    for n in SIZES:
        t, e, g = make_data(n)
        ours = with_spinemets(t, e, g)
        theirs = with_lifelines(t, e, g)
        agree = math.isclose(ours["logrank"], theirs["logrank"], rel_tol=1e-8) and all(
            math.isclose(ours["groups"][k][0].median, theirs["groups"][k][0], rel_tol=1e-12)
            for k in (0, 1)
        )
        row = {
            "n": n,
            "sort_s": best_of(lambda t=t: np.sort(t)),
            "spinemets_s": best_of(lambda t=t, e=e, g=g: with_spinemets(t, e, g)),
            "lifelines_s": best_of(lambda t=t, e=e, g=g: with_lifelines(t, e, g)),
            "median_and_logrank_agree": agree,
        }
        row["speedup_vs_lifelines"] = row["lifelines_s"] / row["spinemets_s"]
        row["ratio_to_sort"] = row["spinemets_s"] / row["sort_s"]
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    for prev, row in zip(rows, rows[1:], strict=False):
        # growth exponent between sizes: n log n gives a little above 1
        row["growth_exponent"] = math.log(row["spinemets_s"] / prev["spinemets_s"]) / math.log(
            row["n"] / prev["n"]
        )
    machine = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "processor": platform.machine(),
        "repeats": REPEATS,
        "seed": SEED,
        "cores": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 1),
    }
    RESULTS.mkdir(exist_ok=True)
    result = {"benchmark": "survival_scale", "machine": machine, "rows": rows}
    (RESULTS / "survival_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# survival_scale: KM + log CI + median + 12/36/60-month rates + log-rank, two groups",
        "",
        "Best of {repeats} runs, seconds (Python {python}, numpy {numpy}, {processor}, "
        "{cores} cores, 1-min load average {load_average_1min_at_end} at the end: the machine "
        "was shared, so absolute times are inflated; ratios measured in the same run).".format(
            **machine
        ),
        "",
        "| n | numpy.sort | spinemets | lifelines | x faster than lifelines "
        "| x slower than sort | growth exponent | estimates agree |",
        "|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for r in rows:
        growth = f"{r['growth_exponent']:.2f}" if "growth_exponent" in r else ""
        lines.append(
            f"| {r['n']:,} | {r['sort_s']:.4f} | {r['spinemets_s']:.4f} | "
            f"{r['lifelines_s']:.3f} | {r['speedup_vs_lifelines']:.1f} | "
            f"{r['ratio_to_sort']:.1f} | {growth} | {r['median_and_logrank_agree']} |"
        )
    (RESULTS / "survival_scale.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
