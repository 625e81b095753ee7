"""Run names and the paths made from them, including property tests (hypothesis).

A run name becomes a folder name in the output folder: whatever a runs file says,
the runner's paths stay directly inside the output folder, never collide with each
other, with the project's files or with the index, and a bad name is refused when
the runs file is read, with a message naming the file.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from runner_helpers import FIXTURES, snapshot, write_runs
from spinemets import cli, paths
from spinemets.reports.batch import runner_path
from spinemets.reports.folders import INDEX_NAME, run_folders
from spinemets.reports.runs import (
    PROJECT_FILES,
    RUN_NAME_PATTERN,
    RunsFileError,
    check_run_name,
    load_runs,
)

VALID_NAMES = st.from_regex(RUN_NAME_PATTERN, fullmatch=True)
ANY_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=80
)
NAMEISH = st.text(string.ascii_letters + string.digits + "._-/\\ ~$:*?\"'<>|\n", max_size=70)


@pytest.mark.parametrize(
    "name",
    ["paper", "site-a", "Site_B", "2020", "a", "x" * 64, "our-centre_2010-2020"],
)
def test_good_names(name):
    assert check_run_name(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("README.md", "must be 1 to 64 letters"),
        ("runs.yaml", "must be 1 to 64 letters"),
        ("index.html", "must be 1 to 64 letters"),
        (".hidden", "must be 1 to 64 letters"),
        ("-flag", "must be 1 to 64 letters"),
        ("_private", "must be 1 to 64 letters"),
        ("a/b", "must be 1 to 64 letters"),
        ("..", "must be 1 to 64 letters"),
        ("a b", "must be 1 to 64 letters"),
        ("é", "must be 1 to 64 letters"),
        ("", "must be 1 to 64 letters"),
        ("x" * 65, "must be 1 to 64 letters"),
        ("interactive", "is reserved"),
        ("Interactive", "is reserved"),
        ("CON", "is reserved"),
        ("lpt9", "is reserved"),
        (3, "is not text"),
        (None, "is not text"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, why):
    assert why in check_run_name(name)


def test_no_file_the_project_keeps_in_reports_can_be_a_run_name():
    kept = {p.name for p in paths.REPORTS_DIR.iterdir() if p.is_file()} | PROJECT_FILES
    assert {"README.md", "runs.yaml"} <= kept
    for name in kept:
        assert check_run_name(name) is not None, name


@pytest.mark.parametrize("name", ["README.md", "runs.yaml", "index.html"])
def test_a_run_named_after_a_kept_file_changes_nothing(tmp_path, capsys, name):
    """The issue's case: a run called README.md replaced the file with a folder."""
    out = tmp_path / "reports"
    out.mkdir()
    (out / "README.md").write_text("# reports/\n", encoding="utf-8")
    (out / "runs.yaml").write_text("runs: {paper: {}}\n", encoding="utf-8")
    before = snapshot(out)
    runs = write_runs(tmp_path / "config", f"  {name}:\n    notebooks: ['01']\n")
    code = cli.main(
        ["report", str(runs), "--output-dir", str(out), "--notebooks-dir", str(FIXTURES)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"runs.yaml: runs: run name '{name}' must be 1 to 64 letters" in err
    assert err.rstrip().endswith("rename the run")
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "runs.yaml"]


def test_names_differing_only_in_case_are_refused(tmp_path):
    with pytest.raises(RunsFileError, match="'Site' and 'site' differ only in case"):
        load_runs(write_runs(tmp_path, "  Site: {}\n  site: {}\n"))


# -- properties --------------------------------------------------------------------------


@given(name=st.one_of(ANY_TEXT, NAMEISH, VALID_NAMES))
@example(name="..")
@example(name=".")
@example(name="a/../b")
@example(name="con")
@settings(max_examples=300, deadline=None)
def test_a_name_is_accepted_only_if_it_is_one_plain_folder_name(name):
    problem = check_run_name(name)
    if problem is not None:
        assert isinstance(problem, str) and problem
        return
    assert RUN_NAME_PATTERN.fullmatch(name)
    assert 1 <= len(name) <= 64
    assert not name.startswith((".", "-", "_"))
    assert "/" not in name and "\\" not in name and "." not in name
    assert name.lower() not in {"interactive", "con", "prn", "aux", "nul"}
    assert name not in PROJECT_FILES


@given(name=VALID_NAMES, other=VALID_NAMES)
@settings(max_examples=300, deadline=None)
def test_the_runners_paths_stay_inside_the_output_folder_and_never_collide(name, other):
    if check_run_name(name) or check_run_name(other):
        return  # a reserved name
    out = Path("/srv/out")
    mine, theirs = run_folders(out, name), run_folders(out, other)
    for path in mine.all():
        assert path.parent == out
        assert path.name not in PROJECT_FILES | {INDEX_NAME, f".{INDEX_NAME}.lock"}
    assert len(set(mine.all())) == 5
    # the hidden names of one run are never the folder of another, nor its hidden names
    assert mine.final not in theirs.all()[1:]
    if name != other:
        assert not set(mine.all()) & set(theirs.all())


@given(key=st.one_of(ANY_TEXT, NAMEISH, st.integers(), st.booleans(), st.none()))
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_run_key_in_a_runs_file_is_accepted_exactly_or_refused_clearly(tmp_path, key):
    path = tmp_path / "runs.yaml"
    path.write_text(yaml.safe_dump({"runs": {key: {}}}, allow_unicode=True), encoding="utf-8")
    try:
        runs = load_runs(path)
    except RunsFileError as error:
        assert str(error).startswith("runs.yaml: ")
        return
    assert [r.name for r in runs.runs] == [key]
    assert check_run_name(key) is None


@given(
    parts=st.lists(
        st.text(string.ascii_letters + string.digits + "_-. ", min_size=1, max_size=12).filter(
            lambda p: p not in (".", "..")
        ),
        min_size=1,
        max_size=5,
    )
)
@settings(max_examples=200, deadline=None)
def test_runner_paths_inside_the_project_are_relative_and_outside_absolute(parts):
    inside = paths.PROJECT_ROOT.joinpath(*parts)
    shown = runner_path(inside)
    assert not Path(shown).is_absolute() and ".." not in Path(shown).parts
    assert paths.PROJECT_ROOT / shown == inside.resolve()
    outside = Path("/nonexistent-spinemets-test").joinpath(*parts)
    assert runner_path(outside) == str(outside.resolve())
