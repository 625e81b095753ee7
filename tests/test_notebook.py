"""spinemets.notebook: the one set-up call and the claims a notebook sets beside its results."""

from __future__ import annotations

import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from spinemets import notebook, paths
from spinemets.cohort import CohortValidationError
from spinemets.figures.style import PALETTE
from spinemets.methods.cox import CoxConvergenceError, coxph
from spinemets.paper.claims import load_claims
from spinemets.paper.recompute import SURVIVAL_COMPUTATIONS


@pytest.fixture(scope="module")
def nb(tmp_path_factory) -> notebook.Notebook:
    with mpl.rc_context(), warnings.catch_warnings():
        return notebook.start(output_dir=tmp_path_factory.mktemp("run"))


def test_start_gives_every_notebook_the_same_objects(nb, capsys) -> None:
    assert nb.reproduces_paper is True
    assert nb.cohort.is_synthetic and nb.label == "SYNTHETIC cohort"
    assert len(nb.patients) == 100 and nb.complications is nb.cohort.complications
    assert isinstance(nb.claims, list) and nb.claims == load_claims()
    assert nb.min_cell == 0
    lines = nb.header().splitlines()
    assert lines[0] == f"Cohort: {nb.cohort.label}"
    deaths = int(nb.patients.death.sum())
    assert lines[1].startswith(f"100 patients ({deaths} deaths, ")
    assert lines[1].endswith(f"writing to {nb.out!r}")


def test_a_users_cohort_is_labelled_by_its_file_and_not_the_paper(tmp_path, capsys) -> None:
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS).drop(columns=["synthetic"], errors="ignore")
    patients.to_csv(tmp_path / "patients.csv", index=False)
    complications = tmp_path / "complications.csv"
    complications.write_bytes(paths.SYNTHETIC_COMPLICATIONS.read_bytes())
    with mpl.rc_context(), warnings.catch_warnings():
        mine = notebook.start(tmp_path / "patients.csv", complications, tmp_path / "out", 5)
    printed = capsys.readouterr().out
    assert mine.label == "user cohort patients.csv" and not mine.reproduces_paper
    assert printed.splitlines()[0] == "Cohort: user cohort patients.csv"
    assert "SYNTHETIC" not in printed and mine.min_cell == 5
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id\nx\n")
    with pytest.raises(CohortValidationError), mpl.rc_context(), warnings.catch_warnings():
        notebook.start(bad, complications, tmp_path / "out")


def test_show_and_save_write_the_run_outputs(nb, monkeypatch) -> None:
    table = pd.DataFrame({"group": ["a"], "n": [3]})
    assert nb.show(table, "toy") is table
    assert (nb.out.tables / "toy.csv").read_text() == "group,n\na,3\n"
    fig, _ = plt.subplots(figsize=(3, 2))
    shown = []
    monkeypatch.setattr(notebook, "display", shown.append)
    assert nb.save(fig, "toy") is None
    png = nb.out.figures / "toy.png"
    assert png.is_file() and (nb.out.figures / "toy.svg").is_file()
    # the notebook shows the PNG written, at figure.dpi; the figure is closed (drawn once)
    [image] = shown
    assert image.data == png.read_bytes() and image.format == "png"
    pixels = int.from_bytes(image.data[16:20], "big")
    assert image.width == round(pixels * plt.rcParams["figure.dpi"] / 150)
    assert not plt.fignum_exists(fig.number)


def test_claim_queries(nb) -> None:
    os_ids = nb.survival_claim_ids("os")
    expected = [
        c.id
        for c in nb.claims
        if c.computation in SURVIVAL_COMPUTATIONS and c.args.get("endpoint") == "os"
    ]
    assert os_ids == expected and "os_logrank_p_therapy" in os_ids
    assert nb.claim_ids("logrank_p", endpoint="lpfs", strata="surgery")[0] == (
        "lpfs_logrank_p_surgery_abstract"
    )
    rates = nb.published("km_survival", endpoint="lpfs", strata="surgery")
    assert list(rates.columns) == ["id", "endpoint", "strata", "group", "time", "value"]
    row = rates.set_index(["group", "time"]).loc[("metastasectomy", 36)]
    assert row["id"] == "lpfs_3y_metastasectomy" and row["value"] == nb.value(row["id"])
    # a number printed twice (abstract and results) is given once, the first
    p = nb.published("logrank_p", endpoint="os")
    assert p["strata"].tolist() == ["surgery", "adjuvant_therapy"]
    assert p["id"].tolist() == ["os_logrank_p_surgery_abstract", "os_logrank_p_therapy_abstract"]
    assert nb.published("logrank_p", endpoint="pfs").empty
    assert nb.values("design") == [nb.value(i) for i in notebook.CLAIMS_SHOWN["design"]]
    with pytest.raises(KeyError, match="no_such_claim"):
        nb.value("no_such_claim")


def test_every_section_names_claims_of_the_file(nb) -> None:
    ids = {c.id for c in nb.claims}
    for section, shown in notebook.CLAIMS_SHOWN.items():
        assert shown and set(shown) <= ids, section


def test_compare_a_section(nb) -> None:
    table = nb.compare("frankel")
    assert table["claim"].tolist() == list(notebook.CLAIMS_SHOWN["frankel"])
    assert nb.compare(["vas_pre_mean"])["claim"].tolist() == ["vas_pre_mean"]


def test_setup_never_hides_a_failed_fit() -> None:
    """Warnings are silenced for stable outputs; a Cox model without a finite estimate
    still raises (a group without deaths: the coefficient runs off to -infinity)."""
    with mpl.rc_context(), warnings.catch_warnings():
        notebook.setup()
        assert [c["color"] for c in mpl.rcParams["axes.prop_cycle"]] == list(PALETTE)
        with pytest.raises(CoxConvergenceError):
            coxph([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0])
