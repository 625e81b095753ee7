"""Ctrl-C and ``kill``: SIGINT and SIGTERM become one exception, raised once.

While :func:`interruptible` is active (``spinemets report`` runs inside it), the
first SIGINT or SIGTERM raises :class:`RunInterrupted` in the main thread; the
batch then stops its workers and kernels, removes its staging folders and its
private cohort copy, and the command line prints one line and exits with
128 + the signal's number (130 for SIGINT, 143 for SIGTERM). Further signals are
ignored while that clean-up runs, so it is never cut short. Inside
:func:`deferred_signals` (the swap of a run's folders) a signal is held and
raised when the block ends, so a swap is never cut in two.
Tested in ``tests/reports/test_signals.py``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..errors import SpinemetsError

#: The signals that stop a batch cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(SpinemetsError):
    """The batch was stopped by SIGINT or SIGTERM; exit code 128 + the signal's number."""

    #: The command line prints ``spinemets report: interrupted: <message>``.
    kind = "interrupted"

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(f"{name}{': ' + message if message else ''}")


class _State:
    """Whether signals are being held, and the one that arrived meanwhile."""

    deferring = 0
    pending: int | None = None
    stopping = False


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.stopping:
        return  # the clean-up of the first signal is running: let it finish
    if _State.deferring:
        _State.pending = _State.pending or signum
        return
    _State.stopping = True
    raise RunInterrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`RunInterrupted` in the block (main thread only).

    The previous handlers are restored on leaving. Outside the main thread (where
    Python cannot set handlers) the block runs with the handlers it has.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal ignored by whoever started us (SIGINT of a background job) stays ignored
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    previous = {s: h for s, h in previous.items() if h is not signal.SIG_IGN}
    _State.deferring, _State.pending, _State.stopping = 0, None, False
    for s in previous:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _State.deferring, _State.pending, _State.stopping = 0, None, False


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise :class:`RunInterrupted`.

    Used around steps that must not be cut in two (two renames that swap a
    run's folders). Without :func:`interruptible` active it changes nothing.
    """
    _State.deferring += 1
    try:
        yield
    finally:
        _State.deferring -= 1
    if not _State.deferring and _State.pending is not None and not _State.stopping:
        signum, _State.pending = _State.pending, None
        _State.stopping = True
        raise RunInterrupted(signum)


def stopping() -> bool:
    """True once a stop signal has been received (the clean-up is running)."""
    return _State.stopping
