"""Hostile or careless runs files are refused fast and clearly, before any kernel starts.

The alias bomb of the issue (nine levels of nine aliases: 387 million items once
expanded) used to pass the type check and grow a worker by megabytes a second; it
must now be refused while reading, in a fraction of the memory a Python process
already uses. Merge keys, which used to be rejected as "not valid YAML", work.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runner_helpers import FIXTURES
from spinemets import cli
from spinemets.errors import ParameterError
from spinemets.reports.notebooks import NotebookSpec, check_parameters
from spinemets.reports.runs import (
    MAX_PARAMETER_ITEMS,
    MAX_YAML_NODES,
    RunsFileError,
    check_parameter_value,
    load_runs,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "runs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs document, under a list parameter of a run."""
    lines = ["runs:", "  r:", "    notebooks: ['03']", "    parameters:"]
    lines.append(f"      a0: &a0 [{', '.join(['lol'] * width)}]")
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"      a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_is_refused_fast_without_building_it(tmp_path):
    path = write(tmp_path, alias_bomb())
    tracemalloc.start()
    try:
        with pytest.raises(RunsFileError) as info:
            load_runs(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert message == (
        f"runs.yaml: refused: its aliases and merge keys expand to more than {MAX_YAML_NODES:,} "
        "values (write the values out, or use fewer aliases)"
    )
    assert peak < 20_000_000, f"reading the bomb took {peak / 1e6:.0f} MB"


def test_the_alias_bomb_through_the_command_line_is_one_line_and_starts_nothing(tmp_path, capsys):
    path = write(tmp_path, alias_bomb())
    out = tmp_path / "out"
    code = cli.main(
        ["report", str(path), "--output-dir", str(out), "--notebooks-dir", str(FIXTURES)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "refused: its aliases" in err and "Traceback" not in err
    assert not out.exists()


def test_a_merge_bomb_is_refused_too(tmp_path):
    lines = ["x-a0: &a0 {k: 1}"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"x-a{level}: &a{level} {{<<: [{refs}]}}")
    path = write(tmp_path, "\n".join(lines) + "\nruns:\n  r: {<<: *a9}\n")
    with pytest.raises(RunsFileError, match="refused: its aliases and merge keys expand"):
        load_runs(path)


def test_merge_keys_and_templates_work(tmp_path):
    path = write(
        tmp_path,
        "x-defaults: &defaults\n"
        "  notebooks: ['02', '03']\n"
        "  parameters: {conf_type: log-log, min_cell: 10}\n"
        "runs:\n"
        "  site-a:\n"
        "    <<: *defaults\n"
        "    description: Site A\n"
        "  site-b:\n"
        "    <<: *defaults\n"
        "    parameters: {conf_type: plain}\n",
    )
    a, b = load_runs(path).runs
    assert (a.name, a.description, a.notebooks) == ("site-a", "Site A", ("02", "03"))
    assert a.parameters == {"conf_type": "log-log", "min_cell": 10}
    assert b.parameters == {"conf_type": "plain"}  # a key of the run itself wins over a merged one


def test_small_aliases_are_fine(tmp_path):
    text = "runs:\n  a:\n    parameters: {g: &g [x, y]}\n  b:\n    parameters: {g: *g}\n"
    path = write(tmp_path, text)
    assert [r.parameters["g"] for r in load_runs(path).runs] == [["x", "y"], ["x", "y"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("runs: &r\n  a: {parameters: {x: *r}}\n", "an alias refers to a collection that contains"),
        # refused while scanning (PyYAML alone takes minutes over 5000 brackets)
        ("runs: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 20 levels deep"),
        ("runs:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 400)), "nested more than 20"),
        ("runs:\n  a: {parameters: {x: " + "9" * 5000 + "}}\n", "a number has too many digits"),
        ("runs:\n  a: {parameters: {x: 2020-01-01}}\n", "is a date, not text"),
        ("runs:\n  a: {parameters: {x: !!binary aGVsbG8=}}\n", "is a bytes, not text"),
        ("runs:\n  a: {parameters: {x: !!set {p: null}}}\n", "is a set, not text"),
        ("runs:\n  a: {parameters: {x: .inf}}\n", "expected a finite number"),
        ("runs:\n  a: {parameters: {x: 9007199254740993}}\n", "the integer is larger than 2**53"),
        ("runs:\n  a: {parameters: {x: {1: a}}}\n", "the mapping key 1 is not text"),
        ("runs:\n  a: {parameters: {x: !!python/name:os.system ''}}\n", "not valid YAML"),
        ("runs:\n  ? [a]\n  : {}\n", "line 2, column 5: a key is a list or a mapping"),
        ("runs:\n  a: {description: x\n", "not valid YAML: line 3, column 1: expected ','"),
        ("runs:\n\ta: {}\n", "not valid YAML: line 2, column 1: found character '\\t'"),
        ("base: &b {}\nruns:\n  a: *b\n", "keys starting with 'x-'"),
    ],
)
def test_hostile_or_careless_values_are_refused_in_one_line(tmp_path, text, message):
    with pytest.raises(RunsFileError) as info:
        load_runs(write(tmp_path, text))
    assert message in str(info.value)
    assert str(info.value).startswith("runs.yaml: ")
    assert "\n" not in str(info.value)


def test_a_large_file_is_refused_before_parsing(tmp_path):
    path = write(tmp_path, "runs:\n  a: {}\n" + "#" * 1_100_000 + "\n")
    with pytest.raises(RunsFileError, match="larger than 1,000,000 bytes"):
        load_runs(path)


def test_a_large_parameter_is_refused(tmp_path):
    items = ", ".join(["1"] * (MAX_PARAMETER_ITEMS + 1))
    with pytest.raises(RunsFileError, match=r"runs\.a\.parameters\.x: more than 1,000 items"):
        load_runs(write(tmp_path, f"runs:\n  a: {{parameters: {{x: [{items}]}}}}\n"))
    text = "y" * 10_001
    with pytest.raises(RunsFileError, match="a text longer than 10,000 characters"):
        load_runs(write(tmp_path, f"runs:\n  a: {{parameters: {{x: {text}}}}}\n"))


def test_list_items_must_match_the_kind_of_the_defaults_items(tmp_path):
    spec = NotebookSpec(Path("/nb/03_c.ipynb"), {"groups": '["x", "y"]', "anything": "[]"})
    text = "runs:\n  r: {parameters: {groups: [1, 2], anything: [1]}}\n"
    run = load_runs(write(tmp_path, text)).runs[0]
    with pytest.raises(ParameterError, match=r"groups: \[1, 2\] is a list, but 03_c declares"):
        check_parameters(run, [spec])
    fine = load_runs(write(tmp_path, "runs:\n  r: {parameters: {groups: [a], anything: [1, x]}}\n"))
    check_parameters(fine.runs[0], [spec])


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=50,
)


@given(value=PLAIN)
@settings(max_examples=150, deadline=None)
def test_parameter_values_are_checked_without_crashing(value):
    try:
        check_parameter_value(value, "runs.yaml: runs.r.parameters.x")
    except RunsFileError as error:
        assert str(error).startswith("runs.yaml: runs.r.parameters.x: ")


@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_as_a_runs_file_loads_or_is_refused_clearly(tmp_path, text):
    path = tmp_path / "runs.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        runs = load_runs(path)
    except RunsFileError as error:
        assert str(error).startswith("runs.yaml: ")
        return
    assert runs.runs


@given(
    doc=st.dictionaries(
        st.sampled_from(["runs", "x-a", "other"]),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
            max_leaves=30,
        ),
        max_size=3,
    )
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_yaml_document_loads_or_is_refused_clearly(tmp_path, doc):
    path = tmp_path / "runs.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        load_runs(path)
    except RunsFileError as error:
        assert str(error).startswith("runs.yaml: ")
