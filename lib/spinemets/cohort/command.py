"""``spinemets validate``: check a cohort and list every problem.

Exit code 0 and one ``OK: ...`` line for a valid cohort; exit code 2 and one
line per problem otherwise. Tested in ``tests/cohort/test_cli.py``.
"""

from __future__ import annotations

import argparse

from .load import LoadOptions, run

HELP = "check a cohort's two tables against the cohort format (data/README.md)"


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand to the ``spinemets`` command line."""
    parser = subparsers.add_parser(
        "validate",
        help=HELP,
        description=(
            "Check a cohort against the cohort format (data/README.md) and list every "
            "problem with its file, row, column, value and what was expected. Without "
            "options, checks the bundled SYNTHETIC cohort. Exits 0 when the cohort is "
            "valid, 2 when it is not."
        ),
    )
    parser.add_argument(
        "--patients",
        metavar="FILE",
        default="",
        help="the patients table (CSV or .xlsx), one row per patient; relative paths are "
        "taken from the project root; default: the bundled synthetic cohort",
    )
    parser.add_argument(
        "--complications",
        metavar="FILE",
        default="",
        help="the complications table (CSV or .xlsx), one row per complication; required "
        "with --patients",
    )
    parser.add_argument(
        "--sheet",
        metavar="NAME",
        default=None,
        help="Excel sheet of the patients table, any case (default: a sheet named "
        "'patients', else the first sheet that is not blank)",
    )
    parser.add_argument(
        "--complications-sheet",
        metavar="NAME",
        default=None,
        help="Excel sheet of the complications table, any case (default: a sheet named "
        "'complications', else the first sheet that is not blank)",
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        default=None,
        help="a YAML column mapping from your column names and codes to the cohort format "
        "(see data/README.md, 'Column mapping'); your files are not modified",
    )
    parser.add_argument(
        "--allow-identifiers",
        action="store_true",
        help="accept columns whose names or values look like direct identifiers (names, record "
        "numbers, birth dates, addresses, phone numbers, e-mail, identity numbers); they are "
        "dropped on loading, and a patient_id holding identifiers is replaced by study codes",
    )
    parser.set_defaults(func=_validate)


def _validate(args: argparse.Namespace) -> int:
    options = LoadOptions(
        args.sheet, args.complications_sheet, args.mapping, args.allow_identifiers
    )
    cohort, report = run(args.patients, args.complications, options)
    if cohort is None:
        print(report)
        return 2
    kind = "synthetic cohort" if cohort.is_synthetic else "user cohort"
    n, m = len(cohort.patients), len(cohort.complications)
    print(f"OK: {n} patients, {m} complications; {kind} ({cohort.label})")
    for note in cohort.notes:
        print(f"note: {note}")
    return 0
