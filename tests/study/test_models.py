"""spinemets.study.models (the study's Cox models) against R's coxph and cox.zph.

Fixtures: tests/fixtures/r_cox_models.R (lung, veteran and the synthetic cohort's
design); the engine itself is tested against R in tests/methods/test_cox.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods.cox import CoxConvergenceError, CoxFit
from spinemets.methods.cox_zph import cox_zph
from spinemets.study import models as cm

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_cox_models"
COEF = pd.read_csv(FIXTURES / "coef.csv")
ZPH = pd.read_csv(FIXTURES / "zph.csv")
RESID = pd.read_csv(FIXTURES / "zph_resid.csv")
REL = 1e-9


def _data(dataset: str) -> pd.DataFrame:
    data = pd.read_csv(FIXTURES / f"data_{dataset}.csv")
    return cm.os_design(data) if dataset == "synthetic" else data


def _fit(dataset: str, model: str) -> CoxFit:
    terms = COEF[(COEF.dataset == dataset) & (COEF.model == model)]["term"].tolist()
    return cm.fit_cox(_data(dataset), terms, model=model)


MODELS = sorted(set(zip(COEF.dataset, COEF.model, strict=True)))


@pytest.mark.parametrize(("dataset", "model"), MODELS)
def test_coefficients_match_r(dataset: str, model: str) -> None:
    ref = COEF[(COEF.dataset == dataset) & (COEF.model == model)].reset_index(drop=True)
    fit = _fit(dataset, model)
    got = cm.tidy(fit)
    assert got["term"].tolist() == ref["term"].tolist()
    assert (got["model"] == model).all()
    for col in ("coef", "hr", "se", "lower", "upper", "z", "p"):
        np.testing.assert_allclose(got[col], ref[col], rtol=REL, err_msg=col)
    assert fit.loglik[1] == pytest.approx(ref["loglik"].iloc[0], rel=REL)
    assert (fit.n, fit.events) == (ref["n"].iloc[0], ref["nevent"].iloc[0])


@pytest.mark.parametrize(("dataset", "model"), MODELS)
def test_ph_test_matches_r_cox_zph(dataset: str, model: str) -> None:
    fit = _fit(dataset, model)
    refs = ZPH[(ZPH.dataset == dataset) & (ZPH.model == model)]
    for transform, ref in refs.groupby("transform"):
        got = cox_zph(fit, transform=str(transform)).table
        assert got["term"].tolist() == ref["term"].tolist()
        assert got["df"].tolist() == ref["df"].tolist()
        np.testing.assert_allclose(got["chisq"], ref["chisq"], rtol=REL, err_msg=str(transform))
        np.testing.assert_allclose(got["p"], ref["p"], rtol=REL, err_msg=str(transform))
        stacked = cm.zph_tables({model: fit}, str(transform))
        assert (stacked["transform"] == transform).all() and (stacked["model"] == model).all()
        np.testing.assert_allclose(stacked["chisq"], ref["chisq"], rtol=REL)


@pytest.mark.parametrize("dataset", sorted(set(RESID.dataset)))
def test_scaled_schoenfeld_residuals_match_r(dataset: str) -> None:
    zph = cox_zph(_fit(dataset, "main"))
    ref = RESID[(RESID.dataset == dataset) & (RESID.model == "main")]
    for term in zph.residuals.columns:
        r = ref[ref.term == term].sort_values("row")
        np.testing.assert_allclose(zph.residuals[term], r["value"], rtol=REL, atol=1e-9)
        np.testing.assert_allclose(zph.x, r["x"], rtol=REL, atol=1e-12)
        np.testing.assert_allclose(zph.time, r["time"], rtol=0)


def test_os_design_matches_r() -> None:
    """Visceral = lung/liver/kidney/brain, non-ambulatory = Frankel A-C: built in R too."""
    ref = pd.read_csv(FIXTURES / "design_synthetic.csv")
    got = cm.os_design(pd.read_csv(FIXTURES / "data_synthetic.csv"))
    assert list(got.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_events_per_variable() -> None:
    fit = _fit("synthetic", "main")
    n_events = int(COEF[COEF.dataset == "synthetic"]["nevent"].iloc[0])
    assert cm.events_per_variable(fit) == n_events / 5  # five terms in the main model
    table = cm.epv_table({"main": fit}).iloc[0]
    assert (table["events"], table["coefficients"]) == (n_events, 5)
    assert table["events_per_variable"] == n_events / 5


def test_fit_os_models_and_tables() -> None:
    patients = pd.read_csv(FIXTURES / "data_synthetic.csv")
    fits = cm.fit_os_models(patients)
    assert list(fits) == ["main", "interaction"]
    assert fits["interaction"].names[-1] == cm.INTERACTION_TERM
    assert fits["interaction"].label == "interaction"
    table = cm.zph_table(fits["main"])
    assert table["term"].iloc[-1] == "GLOBAL" and (table["model"] == "main").all()
    stacked = cm.model_table(fits)
    row = cm.hazard_ratio_of(stacked, "metastasectomy", "interaction")
    assert row["hr"] == cm.tidy(fits["interaction"]).set_index("term").loc["metastasectomy", "hr"]
    with pytest.raises(SpinemetsError, match="no term 'age' in model 'main'"):
        cm.hazard_ratio_of(stacked, "age")
    assert list(stacked["model"].unique()) == ["main", "interaction"]
    assert len(stacked) == 5 + 6
    pd.testing.assert_frame_equal(
        stacked.iloc[:5].reset_index(drop=True), cm.tidy(fits["main"]).reset_index(drop=True)
    )
    design = cm.os_design(patients)
    counts = cm.covariate_counts(design)
    assert counts["term"].tolist() == list(cm.MAIN_TERMS[:4])
    assert counts["patients"].tolist() == [int(design[t].sum()) for t in cm.MAIN_TERMS[:4]]
    assert counts["percent"].tolist() == pytest.approx(
        [100 * design[t].mean() for t in cm.MAIN_TERMS[:4]]
    )


def test_unadjusted_hr_is_the_logrank_model() -> None:
    """The surgery-only model of R (coxph(Surv(time, event) ~ metastasectomy))."""
    ref = COEF[(COEF.dataset == "synthetic") & (COEF.model == "surgery_only")].iloc[0]
    row = cm.unadjusted_hr(cm.os_design(_patients()), "metastasectomy")
    assert row["term"] == ref["term"] == "metastasectomy"
    for col in ("coef", "hr", "se", "lower", "upper", "z", "p"):
        assert row[col] == pytest.approx(ref[col], rel=REL), col


def _patients() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "data_synthetic.csv")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("surgery", "laminectomy", "row 3 (patient_id S003), column surgery: value 'laminectomy'"),
        ("frankel_pre", "F", "column frankel_pre: value 'F', expected one of A, B, C, D, E"),
        ("age", np.nan, "row 3 (patient_id S003), column age: value is missing"),
    ],
)
def test_bad_cohort_values_are_named(column: str, value: object, expected: str) -> None:
    patients = _patients()
    patients[column] = patients[column].astype(object)
    patients.loc[2, column] = value
    with pytest.raises(SpinemetsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        cm.os_design(patients)


def test_missing_column_and_constant_term() -> None:
    with pytest.raises(SpinemetsError, match="missing column.*mets_brain"):
        cm.os_design(_patients().drop(columns="mets_brain"))
    design = cm.os_design(_patients())
    design["visceral_mets"] = 1
    with pytest.raises(CoxConvergenceError, match="collinear or constant.*'visceral_mets'"):
        cm.fit_cox(design, cm.MAIN_TERMS)
    with pytest.raises(SpinemetsError, match="unknown transform"):
        cm.zph_table(cm.fit_cox(cm.os_design(_patients()), ["age_per_10y"]), transform="sqrt")
