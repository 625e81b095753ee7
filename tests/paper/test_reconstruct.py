"""The bundled synthetic cohort reproduces every count the paper's text prints.

Expected values are written by hand from Ptashnikov et al. 2020 (never read from
``spinemets.paper.reconstruct``) and recomputed here with pandas and scipy directly.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from spinemets import paths
from spinemets.cli import main
from spinemets.errors import SpinemetsError
from spinemets.paper import reconstruct

AMBULATORY = {"D", "E"}


@pytest.fixture(scope="module")
def committed() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(paths.SYNTHETIC_PATIENTS), pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)


@pytest.fixture(scope="module")
def patients(committed) -> pd.DataFrame:
    return committed[0]


@pytest.fixture(scope="module")
def complications(committed) -> pd.DataFrame:
    return committed[1]


# --- determinism ---------------------------------------------------------------------------


def test_committed_files_equal_a_fresh_build():
    assert reconstruct.check_cohort() == []


def test_writing_twice_gives_identical_bytes(tmp_path):
    first = {f.name: f.read_bytes() for f in reconstruct.write_cohort(tmp_path / "a")}
    second = {f.name: f.read_bytes() for f in reconstruct.write_cohort(tmp_path / "b")}
    assert first == second
    assert set(first) == {"patients.csv", "complications.csv"}
    assert b"\r\n" not in first["patients.csv"]


def test_another_seed_gives_another_cohort_with_the_same_counts():
    p1, _ = reconstruct.build_cohort(survival_times=None)
    p2, _ = reconstruct.build_cohort(seed=1, survival_times=None)
    assert not p1.equals(p2)
    assert int(p2["death"].sum()) == 89
    assert (p2["surgery"] == "metastasectomy").sum() == 39


def test_covariates_do_not_depend_on_the_survival_times_source(tmp_path):
    plain, plain_c = reconstruct.build_cohort(survival_times=None)
    times = reconstruct.plausible_survival_times()
    times["os_months"] += 1  # any other valid times file
    times["lp_months"] += 1
    f = tmp_path / "survival_times.csv"
    times.to_csv(f, index=False)
    other, other_c = reconstruct.build_cohort(survival_times=f)
    covariates = [c for c in plain.columns if c not in reconstruct.SURVIVAL_COLUMNS[2:]]
    pd.testing.assert_frame_equal(plain[covariates], other[covariates])
    pd.testing.assert_frame_equal(plain_c, other_c)
    assert (other["os_months"] == plain["os_months"] + 1).all()


def test_times_file_rows_go_to_the_cell_patients_by_a_fixed_permutation(tmp_path):
    times = reconstruct.plausible_survival_times()
    cell = (times["surgery"] == "metastasectomy") & (times["adjuvant_therapy"] == "targeted")
    times.loc[cell, "os_months"] = [101, 102, 103, 104, 105, 106, 107]
    times.loc[cell, "lp_months"] = 1
    f = tmp_path / "survival_times.csv"
    times.to_csv(f, index=False)
    p, _ = reconstruct.build_cohort(survival_times=f)
    mt = p[(p["surgery"] == "metastasectomy") & (p["adjuvant_therapy"] == "targeted")]
    assert sorted(mt["os_months"]) == [101, 102, 103, 104, 105, 106, 107]
    order = reconstruct.survival_assignment()[("metastasectomy", "targeted")]
    assert sorted(order.tolist()) == list(range(7))
    # the k-th file row goes to the order[k]-th patient (by id) of the cell
    assert [mt["os_months"].iloc[order[k]] for k in range(7)] == list(range(101, 108))
    assert not mt["os_months"].is_monotonic_increasing  # ids do not follow the file's sort


def test_a_bad_times_file_is_refused_with_file_row_and_column(tmp_path):
    times = reconstruct.plausible_survival_times()
    times.loc[3, "lp_months"] = times.loc[3, "os_months"] + 5
    f = tmp_path / "survival_times.csv"
    times.to_csv(f, index=False)
    with pytest.raises(SpinemetsError, match=r"survival_times.csv, row 5, column lp_months"):
        reconstruct.build_cohort(survival_times=f)
    times.drop(index=0).to_csv(f, index=False)
    with pytest.raises(SpinemetsError, match="expected 7"):
        reconstruct.build_cohort(survival_times=f)


# --- format --------------------------------------------------------------------------------


def test_patients_have_the_design_columns_and_ids(patients):
    assert list(patients.columns) == [
        "patient_id", "age", "surgery", "adjuvant_therapy", "spine_region",
        "nephrectomy", "synchronous", "biopsy", "solitary_spine",
        "mets_bone", "mets_lung", "mets_liver", "mets_lymph_node", "mets_kidney", "mets_brain",
        "radiotherapy_preop", "radiotherapy_postop", "frankel_pre", "frankel_post",
        "vas_pre", "vas_post", "os_months", "death", "lp_months", "local_progression",
    ]  # fmt: skip
    assert patients["patient_id"].tolist() == [f"S{i:03d}" for i in range(1, 101)]
    binary = ["nephrectomy", "synchronous", "biopsy", "solitary_spine", "death"]
    binary += [c for c in patients.columns if c.startswith(("mets_", "radiotherapy_"))]
    binary += ["local_progression"]
    for col in binary:
        assert set(patients[col]) <= {0, 1}, col


def test_complications_have_the_design_columns(complications, patients):
    assert list(complications.columns) == ["patient_id", "category", "detail"]
    assert set(complications["patient_id"]) <= set(patients["patient_id"])


# --- the paper's numbers -------------------------------------------------------------------


def test_age_median_56_range_23_to_74(patients):
    assert patients["age"].dtype.kind == "i"
    assert patients["age"].median() == 56
    assert (patients["age"].min(), patients["age"].max()) == (23, 74)


def test_surgery_and_adjuvant_therapy_cells(patients):
    cells = pd.crosstab(patients["surgery"], patients["adjuvant_therapy"])
    assert cells.loc["metastasectomy"].sum() == 39
    assert cells.loc["decompression"].sum() == 61
    assert cells.loc["metastasectomy", "targeted"] == 7
    assert cells.loc["decompression", "targeted"] == 19
    assert cells["targeted"].sum() == 26  # abstract (methods say 34)
    assert cells["cytokine"].sum() == 74  # methods say 75


def test_deaths_89_alive_11(patients):
    assert patients["death"].sum() == 89
    assert (patients["death"] == 0).sum() == 11


def test_local_progressions_16_in_cells_1_2_0_13(patients):
    lp = patients.groupby(["surgery", "adjuvant_therapy"])["local_progression"].sum()
    assert lp.sum() == 16
    assert lp["metastasectomy"].sum() == 3
    assert lp["decompression"].sum() == 13
    assert lp[("metastasectomy", "targeted")] == 1
    assert lp[("metastasectomy", "cytokine")] == 2
    assert lp[("decompression", "targeted")] == 0
    assert lp[("decompression", "cytokine")] == 13


def test_local_progression_chisq_2_35_p_125(patients):
    table = pd.crosstab(patients["surgery"], patients["local_progression"])
    chisq, p, _, _ = stats.chi2_contingency(table, correction=True)
    assert round(chisq, 2) == 2.35
    assert round(p, 3) == 0.125


def test_survival_times_are_consistent(patients):
    assert (patients["os_months"] > 0).all()
    assert (patients["lp_months"] > 0).all()
    assert (patients["lp_months"] <= patients["os_months"]).all()
    no_lp = patients["local_progression"] == 0
    assert (patients.loc[no_lp, "lp_months"] == patients.loc[no_lp, "os_months"]).all()
    alive = patients["death"] == 0
    assert patients.loc[alive, "os_months"].between(12, 144).all()


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("nephrectomy", 87),
        ("synchronous", 66),
        ("biopsy", 44),
        ("solitary_spine", 8),
        ("mets_bone", 42),
        ("mets_lung", 33),
        ("mets_liver", 7),
        ("mets_lymph_node", 5),
        ("mets_kidney", 3),
        ("mets_brain", 2),
        ("radiotherapy_preop", 0),
        ("radiotherapy_postop", 23),
    ],
)
def test_percentages_of_100_patients(patients, column, expected):
    assert 100 * patients[column].mean() == pytest.approx(expected)


def test_spine_region_48_37_15(patients):
    counts = patients["spine_region"].value_counts().to_dict()
    assert counts == {"thoracic": 48, "lumbar": 37, "cervical": 15}


def test_radiotherapy_after_surgery_5_metastasectomy_18_decompression(patients):
    by = patients.groupby("surgery")["radiotherapy_postop"].sum()
    assert (by["metastasectomy"], by["decompression"]) == (5, 18)


def test_solitary_spine_patients_have_no_other_site(patients):
    sites = [c for c in patients.columns if c.startswith("mets_")]
    assert (patients.loc[patients["solitary_spine"] == 1, sites].sum(axis=1) == 0).all()


def test_frankel_50_nonambulatory_before_79_ambulatory_after(patients):
    pre_amb = patients["frankel_pre"].isin(AMBULATORY)
    post_amb = patients["frankel_post"].isin(AMBULATORY)
    assert (~pre_amb).sum() == 50
    assert post_amb.sum() == 79
    assert (patients["frankel_post"] >= patients["frankel_pre"]).all()  # "A" < "B" < ...
    # McNemar on the discordant pairs (29 improved, 0 worse): P < .0001
    b, c = int((~pre_amb & post_amb).sum()), int((pre_amb & ~post_amb).sum())
    assert (b, c) == (29, 0)
    assert stats.binomtest(c, b + c, 0.5).pvalue < 1e-4


def _mean_ci_1_decimal(x: pd.Series) -> tuple[float, float, float]:
    n = len(x)
    half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return round(x.mean(), 1), round(x.mean() - half, 1), round(x.mean() + half, 1)


def test_vas_before_7_1_ci_6_7_to_7_4(patients):
    assert patients["vas_pre"].dtype.kind == "i"
    assert patients["vas_pre"].between(1, 10).all()  # all patients had pain
    assert _mean_ci_1_decimal(patients["vas_pre"]) == (7.1, 6.7, 7.4)


def test_vas_day7_2_6_ci_2_3_to_2_8(patients):
    assert patients["vas_post"].between(0, 10).all()
    assert _mean_ci_1_decimal(patients["vas_post"]) == (2.6, 2.3, 2.8)


def test_vas_nobody_worse_and_wilcoxon_p_below_1e_4(patients):
    assert (patients["vas_post"] <= patients["vas_pre"]).all()
    p = stats.wilcoxon(patients["vas_pre"], patients["vas_post"]).pvalue
    assert p < 1e-4


def test_complications_51_events_in_38_patients(complications):
    assert len(complications) == 51
    assert complications["patient_id"].nunique() == 38


def test_complications_by_category(complications):
    counts = complications["category"].value_counts().to_dict()
    assert counts == {"wound": 17, "implant": 14, "medical": 12, "neurological": 8}
    # each category's events are in as many distinct patients ("8 patients", "12 patients")
    per_patient = complications.groupby("category")["patient_id"].nunique().to_dict()
    assert per_patient == counts


def test_complication_details(complications):
    neuro = complications.loc[complications["category"] == "neurological", "detail"]
    assert neuro.value_counts().to_dict() == {"temporary": 7, "irreversible": 1}
    allowed = {
        "wound": {"surgical site infection", "wound hematoma", "liquorrhea"},
        "implant": {"implant failure", "junctional disorder"},
        "medical": {"cardiac event", "ileus", "pneumonia", "thrombosis", "urinary tract infection"},
    }
    for category, details in allowed.items():
        got = set(complications.loc[complications["category"] == category, "detail"])
        assert got <= details, category


def test_no_nan_anywhere(patients, complications):
    assert not patients.isna().any().any()
    assert not complications.isna().any().any()
    assert np.issubdtype(patients["os_months"].dtype, np.number)


def test_cli_writes_and_checks(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["reconstruct", "--check", "--out", str(out)]) == 1  # nothing written yet
    assert main(["reconstruct", "--out", str(out)]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert main(["reconstruct", "--check", "--out", str(out)]) == 0
    (out / "patients.csv").write_text("patient_id\nS001\n", encoding="utf-8")
    assert main(["reconstruct", "--check", "--out", str(out)]) == 1
    assert "patients.csv" in capsys.readouterr().out
