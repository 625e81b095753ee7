"""Multivariable Cox models of overall survival and their proportional-hazards test.

The study compared survival only by log-rank tests, one factor at a time. Here the
two treatment factors are put in one Cox model together with the prognostic factors
that the paper records (Efron ties, as R ``coxph``):

* ``metastasectomy``: 1 = en bloc metastasectomy, 0 = palliative decompression;
* ``targeted_therapy``: 1 = adjuvant targeted therapy, 0 = cytokine therapy;
* ``visceral_mets``: 1 = metastases in any of lung, liver, kidney or brain
  (``mets_lung``, ``mets_liver``, ``mets_kidney``, ``mets_brain``); bone and lymph-node
  metastases are not visceral;
* ``nonambulatory``: 1 = Frankel grade A, B or C before surgery (cannot walk),
  0 = grade D or E (the paper's own split of "nonambulatory" patients);
* ``age_per_10y``: age at surgery / 10, so its hazard ratio is per 10 years.

Model ``main`` holds these five terms; model ``interaction`` adds the product
``metastasectomy:targeted_therapy`` (does the effect of surgery depend on therapy?).

The models are fitted by the package's one Cox engine,
:func:`spinemets.methods.cox.coxph` (R's coxph to 1e-9; a model without a finite
estimate raises rather than being reported), and proportional hazards are checked by
:func:`spinemets.methods.cox_zph.cox_zph` (R ``cox.zph(fit, transform = "km", terms =
TRUE)``).

The forest and residual figures are in :mod:`spinemets.figures.models`. R parity on
this study's design: ``tests/study/test_models.py`` against
``tests/fixtures/r_cox_models/`` (written by ``tests/fixtures/r_cox_models.R``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..cohort.spec import (
    AMBULATORY_GRADES,
    COMPARISONS,
    ENDPOINTS,
    FRANKEL_GRADES,
    SURGERIES,
    THERAPIES,
)
from ..errors import SpinemetsError
from ..methods.cox import CoxFit, coxph_frame
from ..methods.cox_zph import cox_zph

__all__ = [
    "INTERACTION_TERM",
    "MAIN_TERMS",
    "MODELS",
    "NONAMBULATORY_GRADES",
    "TERM_LABELS",
    "VISCERAL_SITES",
    "covariate_counts",
    "epv_table",
    "events_per_variable",
    "fit_cox",
    "fit_os_models",
    "hazard_ratio_of",
    "model_table",
    "os_design",
    "tidy",
    "unadjusted_hr",
    "zph_table",
    "zph_tables",
]

#: Sites whose metastases count as visceral (bone and lymph nodes do not).
VISCERAL_SITES: tuple[str, ...] = ("mets_lung", "mets_liver", "mets_kidney", "mets_brain")
#: Frankel grades before surgery that mean the patient cannot walk (A-C).
NONAMBULATORY_GRADES: tuple[str, ...] = tuple(
    g for g in FRANKEL_GRADES if g not in AMBULATORY_GRADES
)
#: Terms of model ``main``, in table order.
MAIN_TERMS: tuple[str, ...] = (
    "metastasectomy",
    "targeted_therapy",
    "visceral_mets",
    "nonambulatory",
    "age_per_10y",
)
#: The surgery x therapy product term of model ``interaction`` (R's name for it).
INTERACTION_TERM = "metastasectomy:targeted_therapy"
#: Model name -> terms.
MODELS: dict[str, tuple[str, ...]] = {
    "main": MAIN_TERMS,
    "interaction": (*MAIN_TERMS, INTERACTION_TERM),
}
#: Human-readable labels for tables and the forest plot.
TERM_LABELS: dict[str, str] = {
    "metastasectomy": "Metastasectomy (vs decompression)",
    "targeted_therapy": "Targeted therapy (vs cytokine)",
    "visceral_mets": "Visceral metastases (lung, liver, kidney, brain)",
    "nonambulatory": "Non-ambulatory before surgery (Frankel A-C vs D-E)",
    "age_per_10y": "Age (per 10 years)",
    INTERACTION_TERM: "Metastasectomy x targeted therapy",
}


# ----------------------------------------------------------------------------- design


def _row_name(patients: pd.DataFrame, position: int) -> str:
    pid = patients["patient_id"].iloc[position] if "patient_id" in patients else None
    return f"row {position + 1}" + (f" (patient_id {pid})" if pid is not None else "")


def os_design(
    patients: pd.DataFrame,
    duration_col: str = ENDPOINTS["os"].time,
    event_col: str = ENDPOINTS["os"].event,
) -> pd.DataFrame:
    """The model frame: ``time``, ``event`` and the five covariates of :data:`MAIN_TERMS`.

    Definitions in the module docstring; R builds the same columns independently in
    ``tests/fixtures/r_cox_models.R`` (checked by ``test_os_design_matches_r``).
    Raises :class:`SpinemetsError` naming row, column and value for a missing column,
    a missing value or an unknown code.
    """
    needed = [
        duration_col,
        event_col,
        "surgery",
        "adjuvant_therapy",
        *VISCERAL_SITES,
        "frankel_pre",
        "age",
    ]
    missing = [c for c in needed if c not in patients.columns]
    if missing:
        raise SpinemetsError(f"patients: missing column(s) {', '.join(missing)}")
    for col in needed:
        bad = patients[col].isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"patients: {_row_name(patients, i)}, column {col}: value is missing; "
                "the Cox model needs every covariate"
            )
    for col, codes in COMPARISONS.items():
        values = patients[col].astype(str).str.lower()
        bad = ~values.isin(codes).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"patients: {_row_name(patients, i)}, column {col}: value "
                f"{patients[col].iloc[i]!r}, expected one of {', '.join(codes)}"
            )
    frankel = patients["frankel_pre"].astype(str).str.upper()
    bad = ~frankel.isin(FRANKEL_GRADES).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"patients: {_row_name(patients, i)}, column frankel_pre: value "
            f"{patients['frankel_pre'].iloc[i]!r}, expected one of {', '.join(FRANKEL_GRADES)}"
        )
    visceral = (patients[list(VISCERAL_SITES)].astype(float) == 1).any(axis=1)
    return pd.DataFrame(
        {
            "time": patients[duration_col].astype(float).to_numpy(),
            "event": patients[event_col].astype(int).to_numpy(),
            "metastasectomy": (patients["surgery"].str.lower() == SURGERIES[0])
            .astype(int)
            .to_numpy(),
            "targeted_therapy": (patients["adjuvant_therapy"].str.lower() == THERAPIES[0])
            .astype(int)
            .to_numpy(),
            "visceral_mets": visceral.astype(int).to_numpy(),
            "nonambulatory": frankel.isin(NONAMBULATORY_GRADES).astype(int).to_numpy(),
            "age_per_10y": patients["age"].astype(float).to_numpy() / 10.0,
        }
    )


# ----------------------------------------------------------------------------- fitting


def fit_cox(
    data: pd.DataFrame,
    terms: Sequence[str],
    duration_col: str = "time",
    event_col: str = "event",
    model: str = "",
) -> CoxFit:
    """Fit ``Surv(duration, event) ~ terms`` (Efron ties) with the one Cox engine.

    :func:`spinemets.methods.cox.coxph_frame` on the design (``a:b`` terms are
    products, as R's formula); ``model`` names the fit in tables. Missing values
    raise (the design has none). Checked by
    ``tests/study/test_models.py::test_coefficients_match_r``.
    """
    terms = tuple(terms)
    if not terms:
        raise SpinemetsError("Cox model: no terms given")
    fit = coxph_frame(data, duration_col, event_col, terms, na_omit=False)
    return dataclasses.replace(fit, label=model)


def tidy(fit: CoxFit, conf_level: float = 0.95) -> pd.DataFrame:
    """One row per term: term, coef, hr, se, lower, upper, z, p, model.

    As R ``summary(coxph)`` (:meth:`spinemets.methods.cox.CoxFit.table`), with the
    model's name. Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    table = fit.table(conf_level)
    table["model"] = fit.label
    return table[["term", "coef", "hr", "se", "lower", "upper", "z", "p", "model"]]


def events_per_variable(fit: CoxFit) -> float:
    """Events divided by the number of estimated coefficients (rule of thumb: >= 10).

    Tests: tests/study/test_models.py::test_events_per_variable.
    """
    return fit.events / len(fit.names)


def fit_os_models(patients: pd.DataFrame) -> dict[str, CoxFit]:
    """Both overall-survival models of :data:`MODELS`, fitted on one patients table.

    Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    design = os_design(patients)
    return {name: fit_cox(design, terms, model=name) for name, terms in MODELS.items()}


def zph_table(fit: CoxFit, transform: str = "km") -> pd.DataFrame:
    """:func:`spinemets.methods.cox_zph.cox_zph`'s table with a ``model`` column.

    Tests: tests/study/test_models.py::test_ph_test_matches_r_cox_zph.
    """
    table = cox_zph(fit, transform).table
    table["model"] = fit.label
    return table


def model_table(fits: Mapping[str, CoxFit], conf_level: float = 0.95) -> pd.DataFrame:
    """:func:`tidy` of every fit, stacked in the order given (columns as there).

    Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    return pd.concat([tidy(fit, conf_level) for fit in fits.values()], ignore_index=True)


def epv_table(fits: Mapping[str, CoxFit]) -> pd.DataFrame:
    """Per model: patients, events, coefficients and :func:`events_per_variable`.

    Tests: tests/study/test_models.py::test_events_per_variable.
    """
    return pd.DataFrame(
        [
            {
                "model": name,
                "patients": fit.n,
                "events": fit.events,
                "coefficients": len(fit.terms),
                "events_per_variable": events_per_variable(fit),
            }
            for name, fit in fits.items()
        ]
    )


def covariate_counts(design: pd.DataFrame, terms: Sequence[str] = MAIN_TERMS[:4]) -> pd.DataFrame:
    """Patients with each binary factor of the design (:func:`os_design`): term, label,
    patients, percent. Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    n = len(design)
    return pd.DataFrame(
        [
            {
                "term": term,
                "label": TERM_LABELS.get(term, term),
                "patients": int(design[term].sum()),
                "percent": 100 * float(design[term].sum()) / n if n else np.nan,
            }
            for term in terms
        ]
    )


def zph_tables(fits: Mapping[str, CoxFit], transform: str = "km") -> pd.DataFrame:
    """:func:`zph_table` of every fit, stacked, with the ``transform`` used (R cox.zph).

    Tests: tests/study/test_models.py::test_ph_test_matches_r_cox_zph.
    """
    table = pd.concat([zph_table(fit, transform) for fit in fits.values()], ignore_index=True)
    table.insert(1, "transform", transform)
    return table


def hazard_ratio_of(table: pd.DataFrame, term: str, model: str = "main") -> pd.Series:
    """The row of one term of one model in :func:`model_table` (hr, lower, upper, p, ...).

    Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    rows = table[(table["model"] == model) & (table["term"] == term)]
    if rows.empty:
        raise SpinemetsError(f"Cox models: no term {term!r} in model {model!r}")
    return rows.iloc[0]


def unadjusted_hr(design: pd.DataFrame, term: str, conf_level: float = 0.95) -> pd.Series:
    """The hazard ratio of one term alone (``Surv(time, event) ~ term``, Efron ties):
    the row of :meth:`~spinemets.methods.cox.CoxFit.table` (term, coef, hr, se, lower,
    upper, z, p). Tests: tests/study/test_models.py::test_unadjusted_hr_is_the_logrank_model.
    """
    return fit_cox(design, [term]).table(conf_level).iloc[0]
