"""``spinemets calibrate``: re-fit the survival times, or check the committed fit."""

from __future__ import annotations

import argparse

from ... import paths
from ...errors import SpinemetsError
from .search import CALIBRATION_SEED, DEFAULT_RESTARTS, fit_survival_times
from .table import CALIBRATION_REPORT_FILE, SURVIVAL_TIMES_FILE, evaluate, table_csv_text


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``spinemets calibrate [--seed N] [--restarts N] [--workers N] [--check]``."""
    p = subparsers.add_parser(
        "calibrate",
        help="fit the synthetic cohort's survival times to the paper's published numbers",
        description=(
            "Fit whole-month survival times of the 100 synthetic patients to the paper's "
            "published medians, rates and log-rank p-values (seeded simulated annealing), "
            "write data/synthetic/survival_times.csv and calibration_report.csv; with "
            "--check, re-fit and verify the committed file is reproduced byte for byte."
        ),
    )
    p.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    p.add_argument("--restarts", type=int, default=DEFAULT_RESTARTS)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--check", action="store_true", help="re-fit and compare with the committed file"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit, then write the two files (or, with ``--check``, compare with the committed one)."""
    if args.restarts < 1 or args.workers < 1:
        raise SpinemetsError("--restarts and --workers must be at least 1")
    times = fit_survival_times(seed=args.seed, restarts=args.restarts, workers=args.workers)
    text = table_csv_text(times)
    report = evaluate(times)
    survival = report[report["kind"] != "count"]
    hits = int(survival["within_rounding"].sum())
    if args.check:
        committed = SURVIVAL_TIMES_FILE.read_text(encoding="utf-8")
        if committed != text:
            raise SpinemetsError(
                f"{paths.display_path(SURVIVAL_TIMES_FILE)} differs from a re-fit with "
                f"seed {args.seed} and {args.restarts} restarts"
            )
        print(f"{paths.display_path(SURVIVAL_TIMES_FILE)}: reproduced byte for byte")
        return 0
    SURVIVAL_TIMES_FILE.parent.mkdir(parents=True, exist_ok=True)
    SURVIVAL_TIMES_FILE.write_text(text, encoding="utf-8")
    CALIBRATION_REPORT_FILE.write_text(table_csv_text(report), encoding="utf-8")
    print(
        f"wrote {paths.display_path(SURVIVAL_TIMES_FILE)} "
        f"({hits} of {len(survival)} targets within rounding)"
    )
    return 0
