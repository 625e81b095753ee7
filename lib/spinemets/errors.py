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


class NotApplicable(SpinemetsError):
    """An analysis that cannot apply to this cohort, with the one-line reason why.

    Raised by :mod:`spinemets.study` (and the figures drawn from it) when the data
    cannot support an analysis -- one group where two are compared, no events, too few
    patients, a model without a finite estimate -- rather than an internal error.
    ``str(error)`` is the reason a notebook or report shows, e.g. ``"surgery: one group
    (metastasectomy) in this cohort; nothing to compare"``. Tested in
    ``tests/study/test_endpoints.py::test_progressions_by_group`` and
    ``tests/study/test_characteristics.py::test_more_than_two_groups_refused``.
    """

    kind = "cannot apply"
