"""The kernel server: one process imports the notebooks' libraries once and forks kernels.

A fresh kernel spends about 2 s of CPU starting ipykernel and importing what every
notebook's first cell imports (pandas, scipy, statsmodels, lifelines, matplotlib,
pandera, and spinemets' layers below the ``notebook`` module). A worker of the
runner executes many notebooks, one after another. Instead of paying that for
each one, it starts this script once (:class:`spinemets.reports.kernels.KernelServer`),
which imports them and then, for each kernel the worker asks for, forks a child
that becomes the kernel: ``python -m ipykernel_launcher <arguments>`` as
jupyter_client would start it, with the kernel's own working folder, environment
and command line, in a session of its own, with the server as ``JPY_PARENT_PID``
(a kernel whose server is gone exits: ipykernel's parent poller). The child runs
ipykernel from its start; no code of the worker runs in it, and every kernel is
forked from the same server, which never runs a notebook. Two things a fresh
kernel does in another order are put in that order: ``MPLBACKEND`` is set as
ipykernel sets it before matplotlib is imported, and the warning filters the
imports add are moved in front of those the kernel's start adds
(:func:`_start_kernel`). The outputs are the bytes a fresh kernel gives
(``tests/reports/test_kernels.py`` compares a kernel's state and real notebooks'
outputs both ways).

Run as ``python kernel_server.py <fd>``: ``<fd>`` is one end of a socket pair
whose other end the worker holds. Requests and replies are JSON lines. A request
is ``{"arguments": [...], "env": {...}, "cwd": "..."}``; the reply is
``{"pid": N}``. When a kernel exits, the server reaps it and sends
``{"exit": N, "code": C}`` (``C`` as ``subprocess`` gives it: negative for a
signal). When an import fails, the server sends ``{"error": "..."}`` and exits:
the worker then starts its kernels as separate processes, where the notebook
shows the error itself. The server exits when the worker closes its end.

Why not :mod:`multiprocessing`'s forkserver: its children start inside
multiprocessing's bootstrap, with the parent's ``sys.path``, working folder and
``__main__`` re-created, standard input replaced and an exit through its own
handling; a kernel must start as ``python -m ipykernel_launcher`` does, from a
clean interpreter state, with the file descriptors jupyter_client gives it.
"""

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # As ipykernel_launcher removes its folder: this folder's html.py and others must
    # not shadow the standard library's modules.
    del sys.path[0]

import json
import os
import select
import signal
import socket
import warnings

# ipykernel reads its parent's process id when it is imported (its kernels' parent is
# this server).
os.environ["JPY_PARENT_PID"] = str(os.getpid())
# ipykernel sets the inline backend when the kernel starts, unless the environment
# names one; matplotlib reads it when it is imported, here.
if not os.environ.get("MPLBACKEND"):
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

# What a kernel and the notebooks' first cells import (notebooks/*.ipynb): imported
# once here, so that each kernel finds them loaded.
try:
    import ipykernel_launcher
    from ipykernel import kernelapp

    #: The warning filters once ipykernel is imported (see :func:`_start_kernel`).
    KERNEL_FILTERS = list(warnings.filters)
    import matplotlib.pyplot
    from IPython import display

    # spinemets.notebook, a layer above this one, is left to the kernel: what it
    # imports is here (paths, cohort, figures, output, paper)
    from spinemets import cohort, figures, output, paths, study
    from spinemets.paper import claims, consistency, recompute, referee, scorecard
except Exception as error:  # reported to the worker, which then starts kernels itself
    PRELOAD_ERROR = f"{type(error).__name__}: {error}"
else:
    PRELOAD_ERROR = ""
    PRELOADED = (matplotlib.pyplot, display, cohort, figures, output, paths, study)
    PRELOADED_PAPER = (claims, consistency, recompute, referee, scorecard)
    #: The filters the notebooks' imports put in front of ipykernel's (statsmodels'
    #: "always", ...).
    IMPORT_FILTERS = warnings.filters[: len(warnings.filters) - len(KERNEL_FILTERS)]

#: Bytes read from the socket at a time.
CHUNK = 1 << 16


def _send(control: socket.socket, message: dict) -> None:
    control.sendall(json.dumps(message).encode() + b"\n")


def _report_exits(control: socket.socket) -> None:
    """Reap every kernel that has exited and tell the worker its exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _become_kernel(request: dict, control: socket.socket, pipe: tuple[int, int]) -> int:
    """In the forked child: become the kernel of ``request``; return its exit code."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control.close()
    for fd in pipe:
        os.close(fd)
    os.setsid()  # as jupyter_client's start_new_session: signals reach the kernel's group
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    sys.argv = [ipykernel_launcher.__file__, *request["arguments"]]
    try:
        _start_kernel()
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def _start_kernel() -> None:
    """``ipykernel.kernelapp.launch_new_instance()``, with the warning filters in the order
    of a fresh kernel: the kernel's start puts its filters in front of those the
    imports made here; in a fresh kernel, the notebook's imports come after the start,
    so their filters are moved in front again."""
    app = kernelapp.IPKernelApp.instance()
    app.initialize()
    started = [f for f in warnings.filters if f not in IMPORT_FILTERS]
    warnings.filters[:] = [*IMPORT_FILTERS, *started]
    warnings._filters_mutated()  # the filters' cache, as warnings.filterwarnings resets it
    app.start()


def serve(control: socket.socket) -> int:
    """Fork a kernel for each request until the worker closes the socket.

    Returns the exit code of the process: 0 for the server; in a forked child, the
    kernel's (the child never returns to the loop).
    """
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # wakes the select below
    pending = b""
    while True:
        ready, _, _ = select.select([control, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, CHUNK)
        _report_exits(control)
        if control not in ready:
            continue
        data = control.recv(CHUNK)
        if not data:
            return 0  # the worker is gone
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                return _become_kernel(request, control, (wake_read, wake_write))
            _send(control, {"pid": pid})


def main() -> int:
    """Serve the socket whose descriptor is the first argument."""
    control = socket.socket(fileno=int(sys.argv[1]))
    if PRELOAD_ERROR:
        _send(control, {"error": PRELOAD_ERROR})
        return 1
    return serve(control)


if __name__ == "__main__":
    sys.exit(main())
