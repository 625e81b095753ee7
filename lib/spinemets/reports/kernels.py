"""Warm kernels: each worker forks its notebooks' kernels from a process that has imported
the notebooks' libraries (:mod:`~spinemets.reports.kernel_server`).

:class:`WarmKernelManager` is the jupyter_client kernel manager the runner gives
papermill and nbclient. Its provisioner (:class:`WarmProvisioner`) starts a kernel as
jupyter_client's local provisioner does, with one difference: when the kernel's
command is ``<python> [-X options] -m ipykernel_launcher ...``, the kernel is forked by the
worker's :class:`KernelServer` (started with that Python and that environment at
the worker's first kernel) instead of a new interpreter. Each kernel then skips
ipykernel's start and the imports of pandas, scipy, statsmodels, lifelines,
matplotlib and spinemets (about 2 s of CPU); the worker pays them once.

What stays as it was:

- the kernel's command-line arguments, working folder and environment (the run's
  per-notebook settings, :data:`RUNTIME_ENV`, are read when the code runs, so they
  may differ from the server's; any other difference starts a new server with the
  new environment, so that an import never sees another environment than its kernel);
- the process tree: the server is a child of the worker and the kernels are its
  children, so the pool's kill of a worker's tree, and a worker's kill of its
  children when the runner is gone, reach them (:mod:`~spinemets.reports.pool`);
  a kernel in a session of its own, signalled by process group; a kernel whose
  server is gone exits (ipykernel's parent poller);
- exit codes: the server reaps its kernels and reports their codes.

A notebook whose code does not import spinemets gets a fresh kernel
(:func:`kernel_manager_class`): it would not use what the server imports. A kernel
whose command has another shape (another kernel, interpreter options), a
server that cannot import the libraries (the notebook then shows the error in its
own kernel) or a server that is gone: the kernel is started as a new process, as
before. Tested in ``tests/reports/test_kernels.py``.
"""

from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from .. import paths

#: The server's program (run as a script: see its docstring).
SERVER_SCRIPT = Path(__file__).with_name("kernel_server.py")
#: Environment variables a kernel may have with other values than its server: read by
#: the notebooks' code when it runs, never when a module is imported (the run's
#: per-notebook settings), and those jupyter_client sets per kernel.
RUNTIME_ENV = frozenset(
    {
        paths.WRITTEN_FILES_ENV,
        paths.PATIENT_ROWS_ENV,
        paths.REPRODUCES_PAPER_ENV,
        "JPY_PARENT_PID",
        "JPY_SESSION_NAME",
    }
)
#: A line of a notebook's code that imports spinemets (and with it what the server imports).
IMPORTS_PACKAGE = re.compile(r"^[ \t]*(from|import)[ \t]+spinemets\b", re.MULTILINE)
#: Seconds the server may take to import the libraries and fork the first kernel.
SERVER_ALLOWANCE = 120.0
#: The module a kernel command runs.
LAUNCHER_MODULE = "ipykernel_launcher"


class KernelServerError(Exception):
    """The kernel server cannot fork kernels (it is gone, or failed to import)."""


class KernelServer:
    """The worker's end of a running :mod:`~spinemets.reports.kernel_server`.

    ``python`` (the interpreter and its options, as in the kernel's command) runs the
    server with ``env`` as its environment (the environment of the first kernel it serves).
    """

    def __init__(self, python: list[str], env: dict[str, str]) -> None:
        self.python = list(python)
        self.env = dict(env)
        self.control, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [*python, str(SERVER_SCRIPT), str(theirs.fileno())],
                stdin=subprocess.PIPE,  # closed below: a kernel's stdin, as jupyter_client's
                env=self.env,
                pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            self.control.close()
            raise
        finally:
            theirs.close()
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.exit_codes: dict[int, int] = {}
        self._pending = b""
        self.closed = False

    def serves(self, python: list[str], env: dict[str, str]) -> bool:
        """Whether a kernel with this interpreter and environment may be forked here."""
        if self.closed or python != self.python:
            return False
        keys = (set(env) | set(self.env)) - RUNTIME_ENV
        return all(env.get(key) == self.env.get(key) for key in keys)

    def fork(self, arguments: list[str], env: dict[str, str], cwd: str) -> int:
        """Fork a kernel: ``python -m ipykernel_launcher <arguments>`` in ``cwd`` with ``env``.

        Returns its process id. Raises :class:`KernelServerError` when the server cannot.
        """
        request = {"arguments": arguments, "env": env, "cwd": cwd}
        try:
            self.control.sendall(json.dumps(request).encode() + b"\n")
        except OSError as error:
            self.close()
            raise KernelServerError(f"the kernel server is gone ({error})") from error
        end = time.monotonic() + SERVER_ALLOWANCE
        while True:
            for message in self._messages(max(0.0, end - time.monotonic())):
                if "pid" in message:
                    return int(message["pid"])
                if "error" in message:
                    self.close()
                    raise KernelServerError(message["error"])
            if self.closed or time.monotonic() >= end:
                self.close()
                raise KernelServerError("the kernel server did not answer")

    def exit_code(self, pid: int) -> int | None:
        """The exit code of kernel ``pid``, or None while it runs."""
        if pid not in self.exit_codes and not self.closed:
            list(self._messages(0.0))
        if pid in self.exit_codes:
            return self.exit_codes[pid]
        if self.closed:  # its exit will not be reported: ask the system
            try:
                running = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                running = False
            return None if running else 1
        return None

    def _messages(self, timeout: float) -> list[dict[str, Any]]:
        """The messages that arrive within ``timeout`` seconds (exit codes are recorded)."""
        messages = []
        ready, _, _ = select.select([self.control], [], [], timeout)
        while ready:
            try:
                data = self.control.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.close()
                break
            self._pending += data
            ready, _, _ = select.select([self.control], [], [], 0.0)
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            message = json.loads(line)
            if "exit" in message:
                self.exit_codes[int(message["exit"])] = int(message["code"])
            else:
                messages.append(message)
        return messages

    def close(self) -> None:
        """Close the worker's end: the server exits, and so do kernels left to it."""
        if not self.closed:
            self.closed = True
            self.control.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ForkedKernel:
    """A kernel forked by a :class:`KernelServer`, with what jupyter_client's local
    provisioner uses of :class:`subprocess.Popen`."""

    stdin = stdout = stderr = None

    def __init__(self, server: KernelServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(LAUNCHER_MODULE, timeout or 0.0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(9)

    def terminate(self) -> None:
        self.send_signal(15)


#: This process's kernel server (a worker runs one kernel at a time).
_server: KernelServer | None = None
#: Set when a server could not serve: this process then starts kernels as processes.
_disabled = False


def interpreter(cmd: list[str]) -> list[str] | None:
    """The interpreter and its options of a kernel command
    ``<python> [options] -m ipykernel_launcher ...``; None for a command of another shape."""
    if LAUNCHER_MODULE not in cmd:
        return None
    at = cmd.index(LAUNCHER_MODULE)
    prefix = cmd[: at - 1]
    if at < 2 or cmd[at - 1] != "-m" or not all(o.startswith("-X") for o in prefix[1:]):
        return None
    return prefix


def forking_server(cmd: list[str], env: dict[str, str]) -> KernelServer | None:
    """The server to fork a kernel of command ``cmd`` with ``env``, started if needed;
    None when the command is not ``<python> [-X options] -m ipykernel_launcher ...`` or a
    server has failed in this process."""
    global _server
    python = interpreter(cmd)
    if _disabled or python is None:
        return None
    if _server is not None and not _server.serves(python, env):
        _server.close()
        _server = None
    if _server is None:
        try:
            _server = KernelServer(python, env)
        except OSError:
            return None
    return _server


def stop_server() -> None:
    """Close this process's kernel server, if any (the next kernel starts a new one)."""
    global _server
    if _server is not None:
        _server.close()
        _server = None


def _disable() -> None:
    global _disabled, _server
    _disabled = True
    if _server is not None:
        _server.close()
        _server = None


class WarmProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, forking kernels from the worker's server."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        # a working folder that is not there: started as a process, whose error says so
        # (a forked child would die with a traceback on the terminal instead)
        server = forking_server(cmd, env) if Path(cwd).is_dir() else None
        if server is None:
            return await super().launch_kernel(cmd, **kwargs)
        try:
            pid = server.fork(cmd[cmd.index(LAUNCHER_MODULE) + 1 :], env, cwd)
        except KernelServerError:
            _disable()
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(server, pid)  # type: ignore[assignment]
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


def kernel_manager_class(notebook: Path) -> type[AsyncKernelManager]:
    """The kernel manager for a notebook file: :class:`WarmKernelManager` when its code
    imports spinemets (its kernel then needs what the server imports), jupyter_client's
    :class:`~jupyter_client.manager.AsyncKernelManager` (a fresh process) otherwise: a
    notebook that imports none of it would pay for the server's imports."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    code = "\n".join(
        "".join(cell.get("source", "")) for cell in cells if cell.get("cell_type") == "code"
    )
    return WarmKernelManager if IMPORTS_PACKAGE.search(code) else AsyncKernelManager


class WarmKernelManager(AsyncKernelManager):
    """An :class:`~jupyter_client.manager.AsyncKernelManager` whose kernels are forked
    (:class:`WarmProvisioner`), for papermill's and nbclient's ``kernel_manager_class``."""

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = WarmProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)


__all__ = [
    "ForkedKernel",
    "KernelServer",
    "KernelServerError",
    "WarmKernelManager",
    "WarmProvisioner",
    "forking_server",
    "interpreter",
    "kernel_manager_class",
    "stop_server",
]
