"""The environment files agree with each other, so conda and make give the same versions."""

from __future__ import annotations

import re
import tomllib

import yaml
from spinemets import paths


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    pins = {}
    for spec in specs:
        name, sep, version = spec.partition("==")
        assert sep, f"pyproject.toml: {spec!r} is not an exact pin (name==version)"
        pins[name.lower()] = version
    return pins


def _environment_pins() -> dict[str, str]:
    env = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for spec in pip_block:
        if spec.startswith("-e"):
            continue
        name, _, version = spec.partition("==")
        pins[name.lower()] = version
    return pins


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (paths.PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_environment_yml_installs_exactly_the_pyproject_pins():
    assert _environment_pins() == _pyproject_pins()


def test_lock_file_agrees_with_every_direct_pin():
    lock = _lock_pins()
    for name, version in _pyproject_pins().items():
        key = name.replace("_", "-")
        assert key in lock, f"{name} is pinned in pyproject.toml but missing from requirements.lock"
        assert lock[key] == version, f"{name}: pyproject.toml {version} vs lock {lock[key]}"


def test_environment_yml_uses_python_311():
    env = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


#: Runtime pins the package does not import, and why each is pinned all the same.
NOT_IMPORTED = {
    "jupyterlab": "make lab opens the notebooks in it",
    "ipykernel": "the notebooks' kernel (spinemets), registered by make",
    "tabulate": "pandas' DataFrame.to_markdown, the Markdown twin of every table",
}
#: Import names of distributions whose name differs.
IMPORT_NAMES = {"pyyaml": "yaml", "python-calamine": "python_calamine", "beautifulsoup4": "bs4"}


def test_every_runtime_pin_is_used():
    """No pinned package goes unused: each is imported by lib/spinemets, or has a reason."""
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (paths.PROJECT_ROOT / "lib" / "spinemets").rglob("*.py")
    )
    for spec in project["dependencies"]:
        name = spec.partition("==")[0].lower()
        if name in NOT_IMPORTED:
            continue
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        pattern = rf"^\s*(import|from) {re.escape(module)}\b"
        assert re.search(pattern, sources, flags=re.MULTILINE), (
            f"{name} is pinned in pyproject.toml's dependencies but lib/spinemets never "
            "imports it: use it, move it to the dev extra, or drop it"
        )
