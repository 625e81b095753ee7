"""The ``report`` and ``refresh-notebooks`` subcommands (see :mod:`spinemets.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import paths
from .batch import DEFAULT_RUNS_FILE, run_reports
from .execute import DEFAULT_TIMEOUT
from .refresh import refresh_notebooks


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs", "-j", type=_positive_int, default=None, metavar="N",
        help="notebooks executed at the same time (default: number of cores)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=_positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"time budget per notebook, from its start, kernel start included "
        f"(default: {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    # For tests and development: execute the numbered notebooks of another folder.
    parser.add_argument("--notebooks-dir", type=Path, default=None, help=argparse.SUPPRESS)


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``refresh-notebooks`` to the ``spinemets`` command."""
    report = subparsers.add_parser(
        "report",
        help="execute the notebooks for every run of a runs file into reports/",
        description=(
            "Execute every numbered notebook for every run of RUNS_FILE into "
            "OUTPUT/<run>/ (executed notebooks, HTML, tables/, figures/), then write "
            "OUTPUT/index.html. A notebook is executed only when something it depends on "
            "changed (its code, parameters, the cohort's bytes, the package, the "
            "environment); otherwise its stored result is reused (--force: execute all). "
            "A run's folder is replaced only when all its notebooks "
            "succeed, and only if spinemets made it (its run.json); anything else in the "
            "way is refused before any work. One report at a time per run (a lock). "
            "Exit codes: 0 all good, 1 a notebook failed, 2 bad input or an output folder "
            "that cannot be used, 3 the run is being written by another spinemets report, "
            "130/143 interrupted (SIGINT/SIGTERM). See reports/README.md."
        ),
    )
    report.add_argument(
        "runs_file", nargs="?", type=Path, default=None, metavar="RUNS_FILE",
        help="the runs file (default: reports/runs.yaml)",
    )  # fmt: skip
    report.add_argument(
        "--run", action="append", dest="runs", metavar="NAME",
        help="execute only this run (repeat for several)",
    )  # fmt: skip
    report.add_argument(
        "--output-dir", type=Path, default=None, metavar="DIR",
        help="where run folders and index.html go (default: reports/)",
    )  # fmt: skip
    report.add_argument(
        "--force", action="store_true",
        help="execute every notebook, even those whose inputs did not change since their "
        "stored result (the new results are stored)",
    )  # fmt: skip
    report.add_argument(
        "--no-cache", action="store_true",
        help="execute every notebook, delete the runs' cached results and store none",
    )  # fmt: skip
    _common(report)
    report.set_defaults(func=_report)

    refresh = subparsers.add_parser(
        "refresh-notebooks",
        help="re-execute the committed notebooks in place (maintainers)",
        description=(
            "Re-execute every numbered notebook in notebooks/ in place with its default "
            "parameters (bundled synthetic cohort) and strip execution time stamps."
        ),
    )
    _common(refresh)
    refresh.set_defaults(func=_refresh)


def _report(args: argparse.Namespace) -> int:
    summary = run_reports(
        args.runs_file or DEFAULT_RUNS_FILE,
        output_dir=args.output_dir or paths.REPORTS_DIR,
        jobs=args.jobs,
        timeout=args.timeout,
        run_names=args.runs,
        notebooks_dir=args.notebooks_dir or paths.NOTEBOOKS_DIR,
        force=args.force,
        no_cache=args.no_cache,
    )
    return summary.exit_code


def _refresh(args: argparse.Namespace) -> int:
    return refresh_notebooks(
        args.notebooks_dir or paths.NOTEBOOKS_DIR, jobs=args.jobs, timeout=args.timeout
    )
