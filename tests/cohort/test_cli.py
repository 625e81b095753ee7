"""`spinemets validate` (spinemets.cohort.command): output and exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from spinemets import paths
from spinemets.cli import main

from .test_load import TEN_LINES, ten_mistakes, write


def test_validate_bundled_cohort_says_ok(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 100 patients, 51 complications; synthetic cohort (")
    assert "SYNTHETIC" in out


def test_validate_user_cohort_ok(tmp_path, capsys):
    p, c = write(tmp_path)
    assert main(["validate", "--patients", str(p), "--complications", str(c)]) == 0
    assert capsys.readouterr().out == (
        "OK: 6 patients, 4 complications; user cohort (user cohort patients.csv)\n"
    )


def test_validate_lists_every_problem_and_exits_2(tmp_path, capsys):
    p, c = write(tmp_path, *ten_mistakes())
    assert main(["validate", "--patients", str(p), "--complications", str(c)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "10 problems in the cohort (patients.csv, complications.csv):"
    assert [line.strip() for line in out[1:]] == TEN_LINES


def test_validate_help_explains_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--patients", "--complications", "--sheet", "--complications-sheet"):
        assert option in text
    assert "bundled synthetic cohort" in text and "Exits 0" in text


def test_validate_as_a_subprocess_exits_2_without_a_traceback(tmp_path):
    p, c = write(tmp_path, *ten_mistakes())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "spinemets.cli",
            "validate",
            "--patients",
            str(p),
            "--complications",
            str(c),
        ],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "row 2, column age: value 'abc'" in result.stdout
