"""The ``spinemets`` command line.

Each subcommand lives in the module of its concern, which exposes
``register_cli(subparsers)``; this module imports them (statically, like every import
of the package) and only assembles them and turns every
failure into one line on standard error and a non-zero exit:

- :class:`~spinemets.errors.SpinemetsError`: ``spinemets <command>: error: <message>``
  (``<kind>`` instead of ``error`` when the exception names one, e.g.
  ``interrupted``), exit ``error.exit_code``;
- an operating-system error not handled by the command (a file that cannot be
  read or written): its path and cause, exit 2;
- Ctrl-C outside a command's own handling: ``interrupted``, exit 130;
- anything else is a bug: one line naming it, exit 70.

``--debug`` (before or after the subcommand) adds the Python traceback.
Tested in ``tests/reports/test_cli_failures.py``.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from . import __version__, cohort
from .errors import SpinemetsError
from .paper import calibrate, reconstruct, scorecard
from .reports import command as reports

#: Modules that contribute subcommands, in the order ``--help`` lists them; each
#: exposes ``register_cli(subparsers)``.
COMMAND_MODULES: tuple[ModuleType, ...] = (reconstruct, calibrate, cohort, reports, scorecard)
#: Exit code of an unexpected error (a bug), as sysexits' EX_SOFTWARE.
INTERNAL_ERROR_EXIT = 70
DEBUG_HELP = "show the Python traceback of a failure (for bug reports)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinemets",
        description=(
            "Reproduce Ptashnikov et al. 2020 (spinal metastases of renal cell carcinoma) "
            "on the bundled synthetic cohort or on your own cohort in the same format."
        ),
    )
    parser.add_argument("--version", action="version", version=f"spinemets {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register_cli(subparsers)
    for subparser in subparsers.choices.values():
        # also after the subcommand; SUPPRESS keeps a --debug given before it
        subparser.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
    return parser


def _fail(command: str, kind: str, message: str) -> None:
    print(f"spinemets {command}: {kind}: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return int(args.func(args) or 0)
    except SpinemetsError as error:
        if debug:
            traceback.print_exc()
        _fail(args.command, getattr(error, "kind", "error"), str(error))
        return error.exit_code
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        _fail(args.command, "interrupted", "stopped by Ctrl-C")
        return 130
    except OSError as error:
        if debug:
            traceback.print_exc()
        where = f"{error.filename}: " if error.filename else ""
        _fail(args.command, "error", f"{where}{error.strerror or error}")
        return 2
    except Exception as error:
        if debug:
            traceback.print_exc()
        message = " ".join(str(error).split())[:200]
        _fail(
            args.command,
            "internal error",
            f"{type(error).__name__}: {message} (a bug: run again with --debug and report "
            "the traceback)",
        )
        return INTERNAL_ERROR_EXIT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
