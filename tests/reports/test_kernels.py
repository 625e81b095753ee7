"""Warm kernels (spinemets.reports.kernels): forked by a server that has imported the
notebooks' libraries, a kernel starts as a fresh one does and gives the same bytes.

Each test compares a forked kernel with a fresh one (jupyter_client's own
AsyncKernelManager) started with the same command, folder and environment, or checks
what the worker sees of it: its exit code, its process tree, a server that cannot
serve. The runner's tests (tests/reports/) all run their notebooks in forked kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path

import papermill
import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from runner_helpers import wait_gone
from spinemets import paths
from spinemets.reports import execute, kernels
from spinemets.reports.execute import (
    KERNEL_ARGUMENTS,
    KERNEL_NAME,
    NotebookTask,
    clean_executed,
    execute_task,
)
from spinemets.reports.kernels import (
    KernelServer,
    KernelServerError,
    WarmKernelManager,
    interpreter,
)
from spinemets.reports.pool import WorkerPool

pytestmark = pytest.mark.slow

#: What a kernel reports of its own start: everything a forked kernel could inherit
#: from its server instead of getting it as a fresh process.
PROBE = """
import json, os, signal, sys, warnings
from spinemets import figures, notebook, study
import matplotlib
print(json.dumps({
    "path": sys.path,
    "cwd": os.getcwd(),
    "env": sorted((k, v) for k, v in os.environ.items() if k != "JPY_PARENT_PID"),
    "parent_is_jpy_parent": os.environ.get("JPY_PARENT_PID") == str(os.getppid()),
    "own_session": os.getsid(0) == os.getpid() == os.getpgid(0),
    "argv": sys.argv[1:2] + sys.argv[3:],
    "signals": {s.name: str(signal.getsignal(s)) for s in signal.valid_signals()
                if isinstance(s, signal.Signals) and s not in (signal.SIGKILL, signal.SIGSTOP)},
    "flags": str(sys.flags),
    "warnings": [str(f[:3]) for f in warnings.filters],
    "main": sys.modules["__main__"].__name__,
    "stdout": type(sys.stdout).__name__,
    "stdin": os.read(0, 1) == b"",
    "backend": matplotlib.get_backend(),
    "inline": "matplotlib_inline.backend_inline" in sys.modules,
    "fds": sorted(os.listdir("/proc/self/fd"), key=int)[:3],
}))
"""


@pytest.fixture(autouse=True)
def no_server_left():
    yield
    kernels.stop_server()


async def _start(manager_class: type, cwd: Path, env: dict[str, str]) -> AsyncKernelManager:
    km = manager_class(kernel_name=KERNEL_NAME)
    await km.start_kernel(extra_arguments=KERNEL_ARGUMENTS, cwd=str(cwd), env=env)
    return km


async def _run(km: AsyncKernelManager, code: str) -> str:
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=120)
        printed: list[str] = []
        reply = await client.execute_interactive(
            code,
            output_hook=lambda m: printed.append(m["content"].get("text", "")),
            timeout=120,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed)
    finally:
        client.stop_channels()


async def _probe(manager_class: type, cwd: Path, env: dict[str, str]) -> tuple[dict, int]:
    km = await _start(manager_class, cwd, env)
    try:
        return json.loads(await _run(km, PROBE)), km.provisioner.pid
    finally:
        await km.shutdown_kernel(now=True)


def test_a_forked_kernel_starts_as_a_fresh_kernel_does(tmp_path):
    env = {**os.environ, paths.PATIENT_ROWS_ENV: "0"}
    fresh, fresh_pid = asyncio.run(_probe(AsyncKernelManager, tmp_path, env))
    forked, forked_pid = asyncio.run(_probe(WarmKernelManager, tmp_path, env))
    again, again_pid = asyncio.run(_probe(WarmKernelManager, tmp_path, env))
    assert kernels._server is not None, "the kernels were not forked"
    server = kernels._server.process.pid
    assert psutil.Process(server).parent().pid == os.getpid()  # the server: a child of ours
    assert forked_pid != fresh_pid and again_pid != forked_pid
    assert forked == fresh
    assert again == fresh  # a second kernel of the same server: nothing carried over
    assert fresh["parent_is_jpy_parent"] and fresh["own_session"] and fresh["stdin"]
    assert fresh["cwd"] == str(tmp_path)
    assert (paths.PATIENT_ROWS_ENV, "0") in [tuple(kv) for kv in fresh["env"]]
    assert not fresh["inline"] or fresh["backend"].endswith("backend_inline")


def test_a_per_notebook_setting_reaches_the_forked_kernel_and_another_environment_gets_a_new_server(
    tmp_path,
):
    base = dict(os.environ)

    async def rows_setting(env: dict[str, str]) -> str:
        km = await _start(WarmKernelManager, tmp_path, env)
        try:
            code = f"import os; print(os.environ.get({paths.PATIENT_ROWS_ENV!r}))"
            return (await _run(km, code)).strip()
        finally:
            await km.shutdown_kernel(now=True)

    assert asyncio.run(rows_setting({**base, paths.PATIENT_ROWS_ENV: "1"})) == "1"
    first = kernels._server
    assert asyncio.run(rows_setting({**base, paths.PATIENT_ROWS_ENV: "0"})) == "0"
    assert kernels._server is first  # a setting read at run time: the same server
    assert asyncio.run(rows_setting({**base, "SPINEMETS_TEST_OTHER": "x"})) == "None"
    assert kernels._server is not first and first is not None and first.closed
    assert first.process.wait(timeout=10) == 0  # the old server exited


def test_the_worker_gets_the_exit_code_of_a_forked_kernel(tmp_path):
    async def exit_code(code: str) -> int | None:
        km = await _start(WarmKernelManager, tmp_path, dict(os.environ))
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            client.execute(code)
            end = time.monotonic() + 30
            while await km.is_alive() and time.monotonic() < end:
                await asyncio.sleep(0.05)
            return await km.provisioner.poll()
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    assert asyncio.run(exit_code("import os; os._exit(3)")) == 3
    assert asyncio.run(exit_code("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")) == -9


def test_kernels_whose_server_is_killed_exit(tmp_path):
    async def start() -> int:
        km = await _start(WarmKernelManager, tmp_path, dict(os.environ))
        await _run(km, "1")
        return km.provisioner.pid

    pid = asyncio.run(start())
    kernel = psutil.Process(pid)
    server = kernels._server
    assert server is not None and kernel.ppid() == server.process.pid
    server.process.kill()
    server.process.wait()
    left, _ = wait_gone([kernel], timeout=10)  # ipykernel's parent poller: about a second
    assert not left, "a kernel outlived its server"


def test_closing_a_server_still_importing_leaves_no_process():
    # (an idle server exits with code 0 when closed: see the environment test above)
    server = KernelServer(interpreter(_kernel_command()), dict(os.environ))
    server.close()
    assert server.closed and server.process.poll() is not None


def test_a_server_that_cannot_import_the_libraries_says_why(tmp_path):
    broken = tmp_path / "site" / "spinemets"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('the package is broken here')\n")
    env = {**os.environ, "PYTHONPATH": str(broken.parent)}
    server = KernelServer(interpreter(_kernel_command()), env)
    with pytest.raises(KernelServerError, match="the package is broken here"):
        server.fork(["-f", str(tmp_path / "kernel.json")], env, str(tmp_path))
    assert server.closed and server.process.wait(timeout=10) == 1


def test_a_server_that_cannot_serve_leaves_kernels_to_start_as_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    broken = tmp_path / "site" / "spinemets"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('broken')\n")
    monkeypatch.setattr(kernels, "_disabled", False)
    # the server fails to import; the kernel itself starts as a process (spinemets is
    # shadowed there too, which the notebook would show as its first cell's error)
    printed = asyncio.run(_first_output(tmp_path, "print('started')"))
    assert printed.strip() == "started"
    assert kernels._disabled and kernels._server is None


async def _first_output(cwd: Path, code: str) -> str:
    km = await _start(WarmKernelManager, cwd, dict(os.environ))
    try:
        assert not isinstance(km.provisioner.process, kernels.ForkedKernel)
        return await _run(km, code)
    finally:
        await km.shutdown_kernel(now=True)


def test_only_an_ipykernel_launcher_command_is_forked():
    python = sys.executable
    assert interpreter([python, "-m", "ipykernel_launcher", "-f", "c.json"]) == [python]
    assert interpreter([python, "-Xfrozen_modules=off", "-m", "ipykernel_launcher"]) == [
        python,
        "-Xfrozen_modules=off",
    ]
    assert interpreter([python, "-I", "-m", "ipykernel_launcher"]) is None  # not a -X option
    assert interpreter([python, "-m", "other_kernel", "-f", "c.json"]) is None
    assert interpreter(["ipykernel_launcher"]) is None


def test_a_real_notebook_gives_the_same_bytes_in_a_forked_and_a_fresh_kernel(tmp_path):
    # 02: tables, Markdown and figures (matplotlib's inline backend is set up in the
    # kernel, after the server imported pyplot). All nine notebooks, compared once by
    # hand through `spinemets report`, gave byte-identical reports.
    name = "02_overall_survival"
    source = paths.NOTEBOOKS_DIR / f"{name}.ipynb"
    if not source.is_file():
        pytest.skip(f"notebooks/{name}.ipynb is not there")
    out = tmp_path / "out"
    results = {}
    for label, manager in (("fresh", AsyncKernelManager), ("forked", WarmKernelManager)):
        out.mkdir()
        executed = tmp_path / f"{label}.ipynb"
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters={"output_dir": str(out)},
            kernel_name=KERNEL_NAME,
            cwd=str(tmp_path),
            progress_bar=False,
            log_output=False,
            shutdown_kernel="immediate",
            extra_arguments=KERNEL_ARGUMENTS,
            kernel_manager_class=manager,
        )
        clean_executed(executed, ((str(out), "<out>"),))
        written = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        results[label] = (executed.read_bytes(), written)
        shutil.rmtree(out)
    assert kernels._server is not None, "the notebook was not run in a forked kernel"
    assert results["forked"][0] == results["fresh"][0]
    assert sorted(results["forked"][1]) == sorted(results["fresh"][1])
    for file, data in results["fresh"][1].items():
        assert results["forked"][1][file] == data, file


def _kernel_command() -> list[str]:
    return KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv


def _notebook(path: Path, *sources: str) -> Path:
    cells = [
        {"id": f"c{i}", "cell_type": "code", "metadata": {}, "source": s, "outputs": []}
        | {"execution_count": None}
        for i, s in enumerate(sources)
    ]
    kernelspec = {"name": KERNEL_NAME, "display_name": "Python (spinemets)", "language": "python"}
    document = {"cells": cells, "metadata": {"kernelspec": kernelspec}}
    path.write_text(json.dumps({**document, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_only_a_notebook_that_imports_spinemets_gets_a_forked_kernel(tmp_path):
    assert kernels.kernel_manager_class(paths.NOTEBOOKS_DIR / "02_overall_survival.ipynb") is (
        WarmKernelManager
    )
    plain = _notebook(tmp_path / "plain.ipynb", "import json\n# import spinemets", "x = 1")
    assert kernels.kernel_manager_class(plain) is AsyncKernelManager
    late = _notebook(tmp_path / "late.ipynb", "x = 1", "if True:\n    from spinemets import paths")
    assert kernels.kernel_manager_class(late) is WarmKernelManager


def test_a_worker_s_forked_kernels_time_out_end_and_leave_nothing_behind(tmp_path):
    pids = tmp_path / "pids"
    record = f"import os\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}} {{os.getppid()}}\\n')"
    stuck = _notebook(
        tmp_path / "stuck.ipynb", "import spinemets", record, "import time; time.sleep(600)"
    )
    quick = _notebook(tmp_path / "quick.ipynb", "import spinemets", record, "print('done')")
    tasks = [
        NotebookTask("stuck", stuck, tmp_path / "out-stuck.ipynb", tmp_path, timeout=12.0),
        NotebookTask("quick", quick, tmp_path / "out-quick.ipynb", tmp_path, timeout=120.0),
    ]
    with WorkerPool(execute_task, jobs=1) as pool:
        results = {r.label: r for r in pool.run(tasks)}
        worker = psutil.Process(pool.retired[0].process.pid) if pool.retired else None
    assert not results["stuck"].ok and "timed out after 12 s" in results["stuck"].error
    assert results["quick"].ok, results["quick"].error
    kernel_pids = [tuple(map(int, line.split())) for line in pids.read_text().splitlines()]
    (first, server), (second, same_server) = kernel_pids
    assert first != second and server == same_server  # both forked by the worker's one server
    left, _ = wait_gone([p for p in _processes(first, second, server)], timeout=10)
    assert not left, f"left running after the pool: {left}"
    assert worker is None or not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE


def _processes(*pids: int) -> list[psutil.Process]:
    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.parametrize("failures", [1, 2])
def test_a_kernel_that_dies_while_starting_is_started_once_more(tmp_path, monkeypatch, failures):
    # (a TCP port jupyter_client chose, taken by another process before the kernel bound it)
    notebook = _notebook(tmp_path / "nb.ipynb", "print('ran')")
    real, calls = papermill.execute_notebook, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= failures:
            raise RuntimeError(execute.KERNEL_START_FAILED)
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    result = execute_task(NotebookTask("nb", notebook, tmp_path / "out.ipynb", tmp_path))
    if failures == 1:  # once more, and it ran
        assert result.ok and len(calls) == 2, result.error
        assert "ran" in (tmp_path / "out.ipynb").read_text()
    else:  # only once more: the second death is the notebook's error
        assert not result.ok and len(calls) == 2
        assert result.error == f"RuntimeError: {execute.KERNEL_START_FAILED}"


def test_a_missing_working_folder_gives_the_error_of_a_fresh_kernel(tmp_path):
    async def start() -> None:
        km = await _start(WarmKernelManager, tmp_path / "gone", dict(os.environ))
        await km.shutdown_kernel(now=True)

    with pytest.raises(FileNotFoundError, match="gone"):
        asyncio.run(start())
    assert kernels._server is None  # no server was started for it
