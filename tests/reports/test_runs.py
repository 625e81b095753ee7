"""The runs file and the parameter checks: parsing, and an error naming file and key.

No kernel is started here; the runner itself is tested in test_reports.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from spinemets import paths
from spinemets.errors import ParameterError, SpinemetsError
from spinemets.reports import runs as runs_module
from spinemets.reports.notebooks import (
    NotebookSpec,
    check_parameters,
    clean_metadata,
    discover_notebooks,
    inspect_notebooks,
    notebook_parameters,
    select_notebooks,
)
from spinemets.reports.runs import RunsFileError, load_runs

FIXTURE_NOTEBOOKS = Path(__file__).parents[1] / "fixtures" / "notebooks"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_runs_file_is_the_paper_on_the_bundled_cohort():
    runs = load_runs(paths.REPORTS_DIR / "runs.yaml")
    assert [r.name for r in runs.runs] == ["paper"]
    paper = runs.runs[0]
    assert paper.bundled_cohort
    assert paper.cohort_files() == (paths.SYNTHETIC_PATIENTS, paths.SYNTHETIC_COMPLICATIONS)
    assert paper.notebooks is None
    assert "SYNTHETIC" in paper.description
    assert paper.where == "reports/runs.yaml: runs.paper"


def test_a_users_cohort_is_relative_to_the_runs_files_folder(tmp_path):
    path = write(
        tmp_path,
        "runs:\n  mine:\n    patients: data/p.csv\n    complications: /abs/c.csv\n"
        "    notebooks: [02_overall_survival, 3]\n    parameters:\n      conf_type: log-log\n",
    )
    run = load_runs(path).runs[0]
    assert run.patients == (tmp_path / "data" / "p.csv").resolve()
    assert run.complications == Path("/abs/c.csv")
    assert not run.bundled_cohort
    assert run.notebooks == ("02_overall_survival", "03")
    assert run.parameters == {"conf_type": "log-log"}
    assert run.description == ""
    # outside the project only file names are shown, never absolute paths
    assert run.cohort_label() == "p.csv + c.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("runs: [a, b]\n", "runs: expected a non-empty mapping"),
        ("runs: {}\n", "runs: expected a non-empty mapping"),
        ("paper: {}\n", "expected one top-level key 'runs'"),
        ("runs:\n  a: {}\nextra: 1\n", "expected one top-level key 'runs'"),
        ("runs:\n  a: {description: x\n", "not valid YAML"),
        ("runs:\n  a: {}\n  a: {}\n", "duplicate key 'a'"),
        ("runs:\n  .hidden: {}\n", "run name '.hidden'"),
        ("runs:\n  a/b: {}\n", "run name 'a/b'"),
        ("runs:\n  interactive: {}\n", "runs: the name 'interactive' is reserved"),
        ("runs:\n  README.md: {}\n", "run name 'README.md' must be 1 to 64 letters"),
        ("runs:\n  a: 3\n", "runs.a: expected a mapping of settings"),
        ("runs:\n  a:\n    min_cells: 5\n", "runs.a: unknown key(s) 'min_cells'"),
        ("runs:\n  a:\n    description: [x]\n", "runs.a.description: expected text"),
        ("runs:\n  a:\n    patients: 3\n", "runs.a.patients: expected a file path"),
        ("runs:\n  a:\n    patients: p.csv\n", "runs.a: give both 'patients' and 'complications'"),
        ("runs:\n  a:\n    parameters: [x]\n", "runs.a.parameters: expected a mapping"),
        ("runs:\n  a:\n    notebooks: []\n", 'runs.a.notebooks: expected "all" or a non-empty'),
        ("runs:\n  a:\n    notebooks: {x: 1}\n", "runs.a.notebooks: expected"),
    ],
)
def test_bad_runs_files_name_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(RunsFileError) as info:
        load_runs(write(tmp_path, text))
    assert str(info.value).startswith("runs.yaml: ")
    assert message in str(info.value)
    assert isinstance(info.value, SpinemetsError)


def test_unknown_key_error_lists_the_keys_a_run_may_have(tmp_path):
    with pytest.raises(RunsFileError, match="a run may have: description, patients, complic"):
        load_runs(write(tmp_path, "runs:\n  a:\n    paramters: {}\n"))


def test_missing_runs_file(tmp_path):
    with pytest.raises(RunsFileError, match="nope.yaml: runs file not found"):
        load_runs(tmp_path / "nope.yaml")


def test_extra_keys_are_accepted_once_registered(tmp_path, monkeypatch):
    def min_cell(value, where):
        if not isinstance(value, int) or value < 1:
            raise RunsFileError(f"{where}: expected a positive integer, found {value!r}")
        return value

    monkeypatch.setitem(runs_module.EXTRA_RUN_KEYS, "min_cell", min_cell)
    run = load_runs(write(tmp_path, "runs:\n  a:\n    min_cell: 5\n")).runs[0]
    assert run.extras == {"min_cell": 5}
    with pytest.raises(RunsFileError, match=r"runs\.a\.min_cell: expected a positive integer"):
        load_runs(write(tmp_path, "runs:\n  a:\n    min_cell: 0\n"))


def test_select_runs_by_name(tmp_path):
    runs = load_runs(write(tmp_path, "runs:\n  a: {}\n  b: {}\n"))
    assert [r.name for r in runs.select(None)] == ["a", "b"]
    assert [r.name for r in runs.select(["b", "a", "b"])] == ["b", "a"]
    with pytest.raises(RunsFileError, match="no run named 'c'; the file defines: a, b"):
        runs.select(["c"])


# -- notebooks and parameters ------------------------------------------------------------


def spec(stem: str, **parameters: str) -> NotebookSpec:
    common = {"patients_file": '""', "complications_file": '""', "output_dir": '""'}
    return NotebookSpec(Path(f"/nb/{stem}.ipynb"), {**common, **parameters})


def run_with(tmp_path: Path, parameters: str, notebooks: str = "all"):
    text = f"runs:\n  r:\n    notebooks: {notebooks}\n    parameters:\n{parameters}"
    return load_runs(write(tmp_path, text)).runs[0]


SPECS = [
    spec("01_a"),
    spec("02_b", conf_type='"log"', alpha="0.05", landmark="None"),
    spec("03_c", conf_type='"log"', n_boot="200", plot="True", groups='["x", "y"]'),
]


def test_fixture_notebooks_declare_their_parameters():
    specs = inspect_notebooks(discover_notebooks(FIXTURE_NOTEBOOKS))
    assert [s.stem for s in specs] == ["01_ok", "02_raises", "03_param", "04_sleeps", "05_gate"]
    param = specs[2]
    assert param.own_parameters == ["threshold", "label", "repeats", "verbose"]
    assert param.parameters["threshold"] == "0.5"
    assert param.parameters["label"] == '"default"'


def test_known_parameters_of_the_right_type_pass(tmp_path):
    run = run_with(
        tmp_path,
        "      conf_type: plain\n      alpha: 1\n      landmark: 6\n      n_boot: 10\n"
        "      plot: false\n      groups: [a]\n",
    )
    assert check_parameters(run, SPECS) is None  # accepted: an int for a float default too
    assert run.parameters == {
        "conf_type": "plain",
        "alpha": 1,
        "landmark": 6,
        "n_boot": 10,
        "plot": False,
        "groups": ["a"],
    }
    # and each value reaches exactly the notebooks that declare it, as given
    common = {"patients_file": "", "complications_file": "", "output_dir": "out"}
    assert notebook_parameters(SPECS[0], run.parameters, common) == common
    assert notebook_parameters(SPECS[1], run.parameters, common) == {
        **common,
        "conf_type": "plain",
        "alpha": 1,
        "landmark": 6,
    }
    assert notebook_parameters(SPECS[2], run.parameters, common) == {
        **common,
        "conf_type": "plain",
        "n_boot": 10,
        "plot": False,
        "groups": ["a"],
    }


def test_unknown_parameter_is_an_error_naming_run_and_known_parameters(tmp_path):
    run = run_with(tmp_path, "      conf_typo: log\n")
    with pytest.raises(ParameterError) as info:
        check_parameters(run, SPECS)
    message = str(info.value)
    assert message.startswith("runs.yaml: runs.r.parameters.conf_typo: no selected notebook")
    assert "alpha (02_b); conf_type (02_b, 03_c); groups (03_c)" in message


def test_a_parameter_of_an_unselected_notebook_is_unknown(tmp_path):
    run = run_with(tmp_path, "      n_boot: 5\n", notebooks="[01_a, 2]")
    selected = select_notebooks(run, SPECS)
    assert [s.stem for s in selected] == ["01_a", "02_b"]
    with pytest.raises(ParameterError, match="n_boot: no selected notebook declares"):
        check_parameters(run, selected)


@pytest.mark.parametrize(
    ("yaml_value", "message"),
    [
        ("3", '3 is an integer, but 02_b declares conf_type = "log" (text)'),
        ("true", "True is a boolean, but 02_b declares conf_type"),
        ("null", "None is null, but 02_b declares conf_type"),
    ],
)
def test_type_mismatch_is_an_error(tmp_path, yaml_value, message):
    run = run_with(tmp_path, f"      conf_type: {yaml_value}\n")
    with pytest.raises(ParameterError) as info:
        check_parameters(run, SPECS)
    assert message in str(info.value)
    # both declaring notebooks are named
    assert "03_c declares conf_type" in str(info.value)


@pytest.mark.parametrize(
    ("name", "yaml_value"),
    [("alpha", "'0.1'"), ("alpha", "true"), ("n_boot", "2.5"), ("plot", "1"), ("groups", "x")],
)
def test_numbers_booleans_and_lists_keep_their_kind(tmp_path, name, yaml_value):
    run = run_with(tmp_path, f"      {name}: {yaml_value}\n")
    with pytest.raises(ParameterError, match=f"parameters.{name}: "):
        check_parameters(run, SPECS)


def test_runner_parameters_cannot_be_set_in_the_runs_file(tmp_path):
    run = run_with(tmp_path, "      output_dir: elsewhere\n      bogus: 1\n")
    with pytest.raises(ParameterError) as info:
        check_parameters(run, SPECS)
    lines = str(info.value).splitlines()
    assert len(lines) == 2  # every problem is reported at once
    assert "output_dir: set by the runner" in lines[0]
    assert "bogus: no selected notebook declares" in lines[1]


def test_unknown_notebook_in_selection(tmp_path):
    run = run_with(tmp_path, "      {}\n", notebooks="[07_missing]")
    with pytest.raises(RunsFileError, match="no numbered notebook 07_missing; available: 01_a"):
        select_notebooks(run, SPECS)


def test_each_notebook_gets_only_what_it_declares():
    common = {"patients_file": "", "complications_file": "", "output_dir": "reports/.r.partial"}
    values = notebook_parameters(SPECS[1], {"conf_type": "plain", "n_boot": 5}, common)
    assert values == {**common, "conf_type": "plain"}
    assert notebook_parameters(NotebookSpec(Path("x.ipynb"), {}), {"a": 1}, common) == {}


def test_clean_metadata_strips_time_stamps_and_paths():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata["papermill"] = {
        "start_time": "2026-01-01T00:00:00",
        "input_path": "/home/user/x.ipynb",
        "parameters": {"conf_type": "log"},
    }
    nb.cells[0].metadata.update(
        papermill={"duration": 1.0, "status": "completed"},
        execution={"iopub.execute_input": "2026-01-01T00:00:00"},
        tags=["parameters"],
    )
    clean_metadata(nb)
    assert nb.metadata["papermill"] == {"parameters": {"conf_type": "log"}}
    assert nb.cells[0].metadata == {"tags": ["parameters"]}


def test_cohort_options_of_a_run(tmp_path):
    text = (
        "runs:\n  a:\n    patients: in/c.xlsx\n    complications: in/c.xlsx\n"
        "    mapping: in/map.yaml\n    sheet: Patients\n    complications_sheet: 2020\n"
        "    allow_identifiers: true\n"
    )
    run = load_runs(write(tmp_path, text)).runs[0]
    assert run.mapping == (tmp_path / "in" / "map.yaml").resolve()  # from the runs file's folder
    assert (run.sheet, run.complications_sheet, run.allow_identifiers) == ("Patients", "2020", True)
    plain = load_runs(write(tmp_path, "runs:\n  a:\n    patients: p.csv\n    complications: c\n"))
    assert plain.runs[0].mapping is None and plain.runs[0].allow_identifiers is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("    allow_identifiers: yes please\n", "runs.a.allow_identifiers: expected true or false"),
        ("    sheet: [x]\n", "runs.a.sheet: expected a sheet name"),
        ("    mapping: 3\n", "runs.a.mapping: expected a file path"),
    ],
)
def test_bad_cohort_options(tmp_path, text, message):
    cohort = "runs:\n  a:\n    patients: p.csv\n    complications: c.csv\n"
    with pytest.raises(RunsFileError, match=re.escape(message)):
        load_runs(write(tmp_path, cohort + text))


def test_cohort_options_need_a_cohort_of_ones_own(tmp_path):
    with pytest.raises(RunsFileError, match=r"runs\.a\.mapping: applies to your own cohort"):
        load_runs(write(tmp_path, "runs:\n  a:\n    mapping: m.yaml\n"))
