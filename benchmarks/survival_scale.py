"""How spinemets.methods (km, logrank) scales: KM + CIs + medians + milestone rates + log-rank.

For n = 1e4, 1e5, 1e6 synthetic patients (continuous exponential times, ~30%
censored, two groups) the same estimates are computed three ways in one run:

- ``spinemets``: for each group kaplan_meier (log-log band, the band lifelines
  computes), median_survival (median and its CI), survival_at 12/36/60 months
  (S, band, number at risk); then logrank_test on the pooled times with the group
  labels (it does its own grouping);
- ``lifelines``: for each group KaplanMeierFitter (its band is log-log, the
  "exponential Greenwood" one) + median_survival_time_ + the median CI from
  median_survival_times(confidence_interval_) + survival_function_at_times; then
  lifelines.statistics.logrank_test on the two groups' arrays;
- ``sort``: numpy.sort of the same (pooled) times, the floor any estimator pays.

Both sides get the data already split by group (one boolean mask per group, made
before timing) and the pooled arrays. Before timing, the two sides' estimates are
compared: medians, median CI limits, survival at the milestones and the log-rank
chi-square must agree; lifelines does not merge near-equal times, so this check runs
spinemets with ``timefix=False``. The timings use R's default, ``timefix=True``
(continuous times of 10^6 patients hold some 2,000 pairs closer than R's tolerance,
which R and spinemets merge); ``spinemets_no_timefix_s`` shows what the merging
costs. ``spinemets_log_s`` times the same spinemets work with the default log band
(R's default, which lifelines does not offer); ``km_s`` and ``logrank_s`` split the
log-log spinemets time into its two parts.

Each timing is the best of REPEATS runs (LIFELINES_REPEATS for lifelines, which is
slow; time.perf_counter) on a machine that may be
shared: the 1-minute load average is recorded before and after each size. Results go
to benchmarks/results/survival_scale.json and .md; nothing is asserted.
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
from spinemets.methods.km import kaplan_meier, median_survival, survival_at
from spinemets.methods.logrank import logrank_test

SEED = 20201  # named seed: the paper's year and issue
SIZES = (10_000, 100_000, 1_000_000)
REPEATS = 7  # spinemets and sort: cheap, and the machine is noisy
LIFELINES_REPEATS = 3
MILESTONES = (12.0, 36.0, 60.0)
BAND = "log-log"  # the band both libraries compute
RESULTS = Path(__file__).parent / "results"

Data = tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]


def make_data(n: int) -> Data:
    """Pooled times, events, groups, and each group's (times, events)."""
    rng = np.random.default_rng(SEED)
    group = rng.integers(0, 2, n)
    death = rng.exponential(np.where(group == 1, 30.0, 22.0))
    censor = rng.exponential(70.0, n)
    t, e = np.minimum(death, censor), (death <= censor).astype(np.int8)
    return t, e, group, [(t[group == k], e[group == k]) for k in (0, 1)]


def spinemets_km(data: Data, band: str = BAND, timefix: bool = True) -> list[tuple]:
    out = []
    for tk, ek in data[3]:
        km = kaplan_meier(tk, ek, conf_type=band, timefix=timefix)
        out.append((median_survival(km), survival_at(km, MILESTONES)))
    return out


def spinemets_logrank(data: Data, timefix: bool = True) -> float:
    t, e, g, _ = data
    return logrank_test(t, e, g, timefix=timefix).chisq


def with_spinemets(data: Data, band: str = BAND, timefix: bool = True) -> dict:
    return {
        "groups": spinemets_km(data, band, timefix),
        "logrank": spinemets_logrank(data, timefix),
    }


def with_lifelines(data: Data) -> dict:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test as lifelines_logrank
    from lifelines.utils import median_survival_times

    out = []
    for tk, ek in data[3]:
        fitter = KaplanMeierFitter().fit(tk, ek)
        median = fitter.median_survival_time_
        median_ci = median_survival_times(fitter.confidence_interval_)
        rates = fitter.survival_function_at_times(list(MILESTONES))
        out.append((median, median_ci, rates))
    (t0, e0), (t1, e1) = data[3]
    return {"groups": out, "logrank": lifelines_logrank(t0, t1, e0, e1).test_statistic}


def disagreements(ours: dict, theirs: dict) -> list[str]:
    """What differs between the two sides' estimates (empty: they agree)."""
    bad = []
    if not math.isclose(ours["logrank"], theirs["logrank"], rel_tol=1e-8):
        bad.append(f"log-rank chisq {ours['logrank']} vs {theirs['logrank']}")
    for k, ((med, rates), (l_med, l_ci, l_rates)) in enumerate(
        zip(ours["groups"], theirs["groups"], strict=True)
    ):
        l_lower, l_upper = (float(v) for v in l_ci.to_numpy()[0])
        for what, a, b in (
            ("median", med.median, l_med),
            ("median lower", med.lower, l_lower),
            ("median upper", med.upper, l_upper),
        ):
            if not (math.isclose(a, b, rel_tol=1e-12) or (math.isnan(a) and math.isinf(b))):
                bad.append(f"group {k} {what} {a} vs {b}")
        if not np.allclose(rates["survival"], l_rates.to_numpy(), rtol=1e-12, atol=0):
            bad.append(f"group {k} milestone survival {list(rates['survival'])}")
    return bad


def best_of(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(n: int) -> dict:
    data = make_data(n)
    # lifelines does not merge near-equal times: compare with R's timefix off
    bad = disagreements(with_spinemets(data, timefix=False), with_lifelines(data))
    row = {"n": n, "load_before": load()}
    row["sort_s"] = best_of(lambda: np.sort(data[0]))
    row["spinemets_s"] = best_of(lambda: with_spinemets(data))
    row["spinemets_no_timefix_s"] = best_of(lambda: with_spinemets(data, timefix=False))
    row["km_s"] = best_of(lambda: spinemets_km(data))
    row["logrank_s"] = best_of(lambda: spinemets_logrank(data))
    row["spinemets_log_s"] = best_of(lambda: with_spinemets(data, "log"))
    row["lifelines_s"] = best_of(lambda: with_lifelines(data), LIFELINES_REPEATS)
    row["load_after"] = load()
    row["estimates_agree"] = not bad
    row["disagreements"] = bad
    row["speedup_vs_lifelines"] = row["lifelines_s"] / row["spinemets_s"]
    row["ratio_to_sort"] = row["spinemets_s"] / row["sort_s"]
    return row


def main() -> None:
    rows = []
    for n in SIZES:
        rows.append(measure(n))
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()})
    for prev, row in zip(rows, rows[1:], strict=False):
        # growth exponent between sizes: n log n gives a little above 1 (1.08 from 1e5 to
        # 1e6); the sort's own exponent shows what the memory hierarchy adds on top
        for key in ("spinemets", "sort"):
            row[f"{key}_growth_exponent"] = math.log(row[f"{key}_s"] / prev[f"{key}_s"]) / math.log(
                row["n"] / prev["n"]
            )
    machine = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "processor": platform.machine(),
        "repeats": REPEATS,
        "lifelines_repeats": LIFELINES_REPEATS,
        "seed": SEED,
        "cores": os.cpu_count(),
        "band": BAND,
    }
    RESULTS.mkdir(exist_ok=True)
    result = {"benchmark": "survival_scale", "machine": machine, "rows": rows}
    (RESULTS / "survival_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "survival_scale.md").write_text(markdown(machine, rows))


def markdown(machine: dict, rows: list[dict]) -> str:
    lines = [
        "# survival_scale: KM + log-log CI + median with CI + 12/36/60-month rates + log-rank",
        "",
        "Two groups, continuous times. Best of {repeats} runs ({lifelines_repeats} for "
        "lifelines), seconds (Python {python}, "
        "numpy {numpy}, {processor}, {cores} cores). Both libraries compute the same "
        "estimates (log-log band) and agree on them (last column). The machine was shared "
        "and noisy: the 1-minute load average before/after each size is given; ratios are "
        "measured in the same run, absolute times are inflated by the load.".format(**machine),
        "",
        "- spinemets: per group kaplan_meier (log-log band), median_survival (median and "
        "CI), survival_at 12/36/60 months (S, band, number at risk); logrank_test on the "
        "pooled times with the group labels.",
        "- lifelines: per group KaplanMeierFitter, median_survival_time_, "
        "median_survival_times(confidence_interval_), survival_function_at_times; "
        "statistics.logrank_test on the two groups.",
        "- numpy.sort: np.sort of the pooled times (the floor). Both libraries get the "
        "data already split by group; the agreement check compares medians, median CI "
        "limits, milestone survival and the log-rank chi-square (spinemets with "
        "timefix=False: lifelines does not merge near-equal times; the timings use R's "
        "default, timefix=True).",
        "",
        "| n | load | numpy.sort | spinemets | lifelines | x faster than lifelines "
        "| x slower than sort | growth exponent (sort's) | estimates agree |",
        "|---:|:---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for r in rows:
        growth = (
            f"{r['spinemets_growth_exponent']:.2f} ({r['sort_growth_exponent']:.2f})"
            if "sort_growth_exponent" in r
            else ""
        )
        lines.append(
            f"| {r['n']:,} | {r['load_before']:.1f}/{r['load_after']:.1f} | {r['sort_s']:.4f} "
            f"| {r['spinemets_s']:.4f} | {r['lifelines_s']:.3f} "
            f"| {r['speedup_vs_lifelines']:.1f} | {r['ratio_to_sort']:.1f} | {growth} "
            f"| {r['estimates_agree']} |"
        )
    lines += [
        "",
        "Where the spinemets time goes (seconds; each part timed on its own):",
        "",
        "| n | 2 x (KM + median + rates) | log-rank | all, log band (R default) "
        "| all, timefix off |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['km_s']:.4f} | {r['logrank_s']:.4f} "
            f"| {r['spinemets_log_s']:.4f} | {r['spinemets_no_timefix_s']:.4f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
