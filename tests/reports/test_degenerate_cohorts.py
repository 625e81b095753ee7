"""Every cohort that validates gets a complete report: the runner over degenerate cohorts.

The corpus's degenerate-but-valid cohorts (one therapy group, one surgery group, all
censored, all dead at month 0, one and three patients), its boundary values (age 0 and
120, VAS 0 and 10, follow-up of 600 months, the accepted maximum; values beyond are
refused at validation, ``tests/cohort/test_corpus.py``) and 100,000 patients (the bundled
cohort a thousand times) go through the real runner in one batch, every numbered notebook
each. Every notebook must complete without an error output or a traceback; an analysis
that cannot apply shows one line (``Cannot apply to this cohort: ...``) in the notebook
and in the index. The cheapest setup that runs every notebook on every cohort: one batch
(kernels started once per notebook, two at a time), notebook 08's permutations and
simulations cut by its parameters. It takes minutes; ``make test`` runs it (select it alone
with ``pytest -m reports_corpus``).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from spinemets import cli, paths
from spinemets.reports.notebooks import discover_notebooks

CORPUS = Path(__file__).parents[1] / "data" / "cohorts" / "corpus"
DEGENERATE = {
    "one-therapy-group": "ok_degenerate_one_therapy_group",
    "one-surgery-group": "ok_degenerate_one_surgery_group",
    "all-censored": "ok_degenerate_all_censored",
    "all-dead-at-month-0": "ok_degenerate_all_dead_at_month_0",
    "one-patient": "ok_degenerate_one_patient",
    "three-patients": "ok_degenerate_three_patients",
    "boundary-values": "ok_boundary_values",
}
LARGE = "patients-100000"
NUMBERED = [spec.stem for spec in discover_notebooks(paths.NOTEBOOKS_DIR)]
CHEAP = {
    "n_permutations": 200,
    "max_enumeration": 1000,
    "simulation_replicates": 20,
    "n_simulations": 10,
}
#: A reason each cohort must give somewhere in its report (not a list of every reason).
EXPECTED_REASON = {
    "one-therapy-group": "adjuvant_therapy: one group (targeted)",
    "one-surgery-group": "surgery: one group (decompression)",
    "all-censored": "no local progressions or deaths in this cohort",
    "one-patient": "one group",
    "three-patients": "Cox model",
}

pytestmark = [pytest.mark.slow, pytest.mark.reports_corpus]


def large_cohort(folder: Path, copies: int = 1000) -> tuple[Path, Path]:
    """The bundled cohort ``copies`` times (100,000 patients), new study codes S0, S1..."""
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS).drop(columns=["synthetic"], errors="ignore")
    complications = pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)
    index = {pid: i for i, pid in enumerate(patients["patient_id"])}
    n = len(patients)

    def codes(ids: pd.Series, k: int) -> list[str]:
        return [f"S{k * n + index[i]}" for i in ids]

    folder.mkdir(parents=True, exist_ok=True)
    big = [patients.assign(patient_id=codes(patients["patient_id"], k)) for k in range(copies)]
    events = [
        complications.assign(patient_id=codes(complications["patient_id"], k))
        for k in range(copies)
    ]
    pd.concat(big).to_csv(folder / "patients.csv", index=False)
    pd.concat(events).to_csv(folder / "complications.csv", index=False)
    return folder / "patients.csv", folder / "complications.csv"


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("degenerate")
    big = large_cohort(root / "large")
    # the large cohort's long notebooks first, the small cohorts' short ones after: the two
    # workers finish together instead of one running the last long notebook alone
    runs = {LARGE: {"patients": str(big[0]), "complications": str(big[1])}}
    for name, folder in DEGENERATE.items():
        runs[name] = {
            "patients": str(CORPUS / folder / "patients.csv"),
            "complications": str(CORPUS / folder / "complications.csv"),
        }
    for spec in runs.values():
        spec.update({"notebooks": "all", "parameters": {**CHEAP, "min_cell": 5}})
    (root / "runs.yaml").write_text(json.dumps({"runs": runs}), encoding="utf-8")
    out = root / "reports"
    cli.main(["report", str(root / "runs.yaml"), "--output-dir", str(out), "--jobs", "2"])
    return out


def outputs(ipynb: Path) -> list[dict]:
    cells = json.loads(ipynb.read_text(encoding="utf-8"))["cells"]
    return [o for c in cells for o in c.get("outputs", [])]


@pytest.mark.parametrize("run", [*DEGENERATE, LARGE])
def test_every_notebook_completes(reports, run) -> None:
    folder = reports / run
    assert (folder / "run.json").is_file(), f"{run}: no complete report (see .{run}.partial/)"
    reasons = []
    for stem in NUMBERED:
        shown = outputs(folder / f"{stem}.ipynb")
        errors = [o for o in shown if o["output_type"] == "error"]
        assert not errors, f"{run}/{stem}: {errors[0]['ename']}: {errors[0]['evalue']}"
        text = json.dumps(shown)
        assert "Traceback" not in text and "SYNTHETIC" not in text, f"{run}/{stem}"
        lines = [
            o["metadata"]["spinemets"]["not_applicable"]
            for o in shown
            if "not_applicable" in o.get("metadata", {}).get("spinemets", {})
        ]
        assert all("\n" not in line for line in lines)  # one line each
        page = (folder / f"{stem}.html").read_text(encoding="utf-8")
        page = html.unescape(re.sub(r"<[^>]+>", "", page))  # the page's text
        assert "Traceback" not in page
        assert all(f"Cannot apply to this cohort: {line}" in page for line in lines), stem
        reasons += lines
    index = (reports / "index.html").read_text(encoding="utf-8")
    [section] = [s for s in index.split("<section ") if f'id="run-{run}"' in s[:80]]
    shown_in_index = re.findall(r"Cannot apply to this cohort:</strong> ([^<]*)</li>", section)
    shown_in_index = {html.unescape(r) for r in shown_in_index}
    assert shown_in_index == set(reasons), "the index shows each notebook's reasons"
    if run in EXPECTED_REASON:
        assert any(EXPECTED_REASON[run] in r for r in reasons), reasons
