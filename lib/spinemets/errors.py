"""Exceptions that carry a message meant for the user, not a traceback.

The command line prints ``str(error)`` of any :class:`SpinemetsError` and exits
with ``error.exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class SpinemetsError(Exception):
    """An error the user can fix (bad input, bad parameters); exit code 2."""

    exit_code = 2


class ParameterError(SpinemetsError):
    """A runs file or command-line parameter that is unknown or of the wrong kind."""
