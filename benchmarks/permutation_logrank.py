"""Time the Monte Carlo permutation log-rank test on one core.

Target (issue #9): 10,000 relabellings of a 100-patient, two-group comparison in under
2 seconds on one core.  The data set is simulated here with a fixed seed (39 vs 61
patients, 89 deaths, like the study) so that the benchmark does not change when the
bundled cohort is regenerated.  Writes benchmarks/results/permutation_logrank.json and
.md; the timing is measured, never asserted by a test.

Run from anywhere:   .venv/bin/python benchmarks/permutation_logrank.py
"""

from __future__ import annotations

import os

# One core: keep numpy's BLAS from spreading (must precede the numpy import).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from spinemets.methods.permutation import PERMUTATION_SEED, permutation_logrank  # noqa: E402

DATA_SEED = 2020
N1, N2, EVENTS = 39, 61, 89
N_PERMUTATIONS = 10_000
REPEATS = 5
TARGET_SECONDS = 2.0
RESULTS = Path(__file__).resolve().parent / "results"


def benchmark_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """100 exponential survival times, censored after the 89th death, group sizes 39/61."""
    rng = np.random.default_rng(DATA_SEED)
    latent = np.round(rng.exponential(24.0, N1 + N2))  # whole months: tied times, as in the study
    cutoff = np.sort(latent)[EVENTS - 1]
    event = (latent <= cutoff).astype(int)
    group = np.r_[np.ones(N1, dtype=int), np.zeros(N2, dtype=int)]
    return np.minimum(latent, cutoff), event, group


def main() -> dict:
    time_, event, group = benchmark_data()
    permutation_logrank(time_, event, group, n_permutations=100)  # warm-up
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = permutation_logrank(time_, event, group, n_permutations=N_PERMUTATIONS)
        seconds.append(time.perf_counter() - start)
    record = {
        "benchmark": "permutation_logrank",
        "n_patients": N1 + N2,
        "group_sizes": [N1, N2],
        "events": int(event.sum()),
        "n_permutations": N_PERMUTATIONS,
        "method": result.method,
        "seed": PERMUTATION_SEED,
        "repeats": REPEATS,
        "seconds_median": round(float(np.median(seconds)), 4),
        "seconds_min": round(float(np.min(seconds)), 4),
        "target_seconds": TARGET_SECONDS,
        "meets_target": bool(np.median(seconds) < TARGET_SECONDS),
        "threads": 1,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "permutation_logrank.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Benchmark: permutation log-rank test",
        "",
        f"{N_PERMUTATIONS:,} Monte Carlo relabellings of a {N1 + N2}-patient comparison "
        f"({N1} vs {N2}, {record['events']} deaths), one core, {REPEATS} repeats.",
        "",
        "| quantity | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in record.items() if k != "benchmark"),
        "",
    ]
    (RESULTS / "permutation_logrank.md").write_text("\n".join(lines))
    return record


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
