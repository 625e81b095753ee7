"""The ``spinemets`` command line.

Each subcommand lives in the module of its concern, which exposes
``register_cli(subparsers)``; this module only assembles them and turns
:class:`~spinemets.errors.SpinemetsError` into a clear message and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import SpinemetsError

#: Modules that contribute subcommands, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "spinemets.paper.reconstruct",
    "spinemets.paper.calibrate",
    "spinemets.cohort",
    "spinemets.reports",
    "spinemets.paper.scorecard",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinemets",
        description=(
            "Reproduce Ptashnikov et al. 2020 (spinal metastases of renal cell carcinoma) "
            "on the bundled synthetic cohort or on your own cohort in the same format."
        ),
    )
    parser.add_argument("--version", action="version", version=f"spinemets {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register_cli(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpinemetsError as error:
        print(f"spinemets {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
