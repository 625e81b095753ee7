"""Every user-facing failure of ``spinemets report`` is one line naming the path and the fix.

No Python traceback reaches the terminal unless ``--debug`` asks for one. The
interruption cases are in test_signals.py, the busy run in test_concurrency.py and
test_folders.py, the alias bomb in test_runs_file_safety.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from runner_helpers import FIXTURES, write_runs
from spinemets import cli
from spinemets.reports import batch


def report(*args: str) -> int:
    return cli.main(["report", *args, "--notebooks-dir", str(FIXTURES), "--jobs", "1"])


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def make_read_only(folder: Path) -> bool:
    """Make ``folder`` read-only for this process, really; False when that cannot be done.

    ``chmod`` binds ordinary users; root ignores it, so for root the immutable attribute
    (``chattr +i``, ext4/xfs) is set as well. Undo with :func:`make_writable`.
    """
    folder.chmod(0o555)
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    try:
        (folder / ".probe").touch()
    except OSError:
        return True
    (folder / ".probe").unlink()
    return False


def make_writable(folder: Path) -> None:
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


def test_a_read_only_output_folder(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    out = tmp_path / "out"
    out.mkdir()
    if not make_read_only(out):
        make_writable(out)
        pytest.skip("cannot make a folder read-only here")
    try:
        code = report(str(runs), "--output-dir", str(out))
    finally:
        make_writable(out)
    assert code == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"spinemets report: error: {out}/.r.lock: cannot write (")
    assert line.endswith("choose a folder you can write to (--output-dir)")
    assert list(out.iterdir()) == []


def test_an_output_folder_inside_a_read_only_folder(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    parent = tmp_path / "locked"
    parent.mkdir()
    if not make_read_only(parent):
        make_writable(parent)
        pytest.skip("cannot make a folder read-only here")
    try:
        code = report(str(runs), "--output-dir", str(parent / "out"))
    finally:
        make_writable(parent)
    assert code == 2
    line = one_line(capsys.readouterr().err)
    assert f"{parent}/out: cannot write (" in line
    assert line.endswith("choose a folder you can write to (--output-dir)")


def test_an_output_path_below_a_file(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01']\n")
    (tmp_path / "file").write_text("x")
    assert report(str(runs), "--output-dir", str(tmp_path / "file" / "out")) == 2
    line = one_line(capsys.readouterr().err)
    assert line.endswith("file/out: is below a file (a part of the path is a file), not a folder; "
                         "choose a folder for --output-dir")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  r:\n    notebooks: ['07_missing']\n", "runs.r.notebooks: no numbered notebook 07_"),
        ("  r:\n    notebooks: ['01'\n", "runs.yaml: not valid YAML: line 4, column 1: expected"),
        ("  r:\n    patients: p.csv\n    complications: c.csv\n", "runs.r.patients: not found"),
        ("  r:\n    paramters: {}\n", "runs.r: unknown key(s) 'paramters'"),
    ],
    ids=["missing-notebook", "bad-yaml", "missing-cohort", "unknown-key"],
)
def test_input_problems(tmp_path, capsys, body, expected):
    runs = write_runs(tmp_path, body)
    assert report(str(runs), "--output-dir", str(tmp_path / "out")) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("spinemets report: error: ") and expected in line
    assert not (tmp_path / "out").exists()


def test_a_missing_runs_file_and_notebooks_folder(tmp_path, capsys):
    assert report(str(tmp_path / "nope.yaml"), "--output-dir", str(tmp_path)) == 2
    assert one_line(capsys.readouterr().err).endswith("nope.yaml: runs file not found")
    runs = write_runs(tmp_path, "  r: {}\n")
    code = cli.main(["report", str(runs), "--notebooks-dir", str(tmp_path / "none")])
    assert code == 2
    assert one_line(capsys.readouterr().err).endswith("none: notebooks folder not found")


def test_debug_adds_the_traceback(tmp_path, capsys):
    runs = write_runs(tmp_path, "  r:\n    notebooks: ['01'\n")
    assert report(str(runs), "--output-dir", str(tmp_path / "out"), "--debug") == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.strip().splitlines()[-1].startswith("spinemets report: error:")
    assert cli.main(["--debug", "report", str(runs), "--notebooks-dir", str(FIXTURES)]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_bug_is_one_line_too(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(batch, "plan_runs", broken)
    runs = write_runs(tmp_path, "  r: {}\n")
    assert report(str(runs), "--output-dir", str(tmp_path / "out")) == cli.INTERNAL_ERROR_EXIT
    line = one_line(capsys.readouterr().err)
    assert line.startswith("spinemets report: internal error: KeyError: 'a bug' (a bug: run")
