"""Multivariable Cox models of overall survival and their proportional-hazards test.

The study compared survival only by log-rank tests, one factor at a time. Here each
treatment is put in one Cox model with the prognostic factors the paper records
(Efron ties, as R ``coxph``), following notebook 07: a factor measured *after* time 0
must not enter as a baseline covariate.

* Model ``main`` (the surgery model): ``metastasectomy`` adjusted for
  :data:`PREOPERATIVE_TERMS` only. Adjuvant therapy starts after surgery and may lie
  on the path from surgery to survival (a mediator), so adjusting the surgery effect
  for it would remove part of the effect and, as a baseline covariate, would credit
  the treated with immortal time.
* Model ``therapy_time_dependent``: targeted therapy as a *time-dependent* covariate
  ``treated`` (0 from surgery to its start, 1 after; :func:`therapy_models`, start
  times from :func:`spinemets.study.immortal_time.adjuvant_starts`), adjusted for
  surgery (which precedes it) and the pre-operative factors.
* Model ``therapy_interaction`` adds ``metastasectomy:treated``: does the effect of
  the therapy differ after the two operations?

The covariates:

* ``metastasectomy``: 1 = en bloc metastasectomy, 0 = palliative decompression;
* ``targeted_therapy``: 1 = adjuvant targeted therapy, 0 = cytokine therapy;
* ``visceral_mets``: 1 = metastases in any of lung, liver, kidney or brain
  (``mets_lung``, ``mets_liver``, ``mets_kidney``, ``mets_brain``); bone and lymph-node
  metastases are not visceral;
* ``nonambulatory``: 1 = Frankel grade A, B or C before surgery (cannot walk),
  0 = grade D or E (the paper's own split of "nonambulatory" patients);
* ``age_per_10y``: age at surgery / 10, so its hazard ratio is per 10 years.

``targeted_therapy`` (the first adjuvant drug) stays in the design for tables and for
the counting-process rows; it is not a term of any model.

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
from .immortal_time import START_COL, time_dependent_design

__all__ = [
    "INTERACTION_TERM",
    "MAIN_TERMS",
    "MODELS",
    "NONAMBULATORY_GRADES",
    "PREOPERATIVE_TERMS",
    "THERAPY_MODELS",
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
    "therapy_models",
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
#: Factors known before the operation: the only adjustment of the surgery effect.
PREOPERATIVE_TERMS: tuple[str, ...] = ("visceral_mets", "nonambulatory", "age_per_10y")
#: Terms of model ``main`` (surgery adjusted for pre-operative factors), in table order.
MAIN_TERMS: tuple[str, ...] = ("metastasectomy", *PREOPERATIVE_TERMS)
#: Model name -> terms of the baseline (one row per patient) models.
MODELS: dict[str, tuple[str, ...]] = {"main": MAIN_TERMS}
#: The surgery x therapy product term of model ``therapy_interaction`` (R's name for it).
INTERACTION_TERM = "metastasectomy:treated"
#: Model name -> terms of the counting-process models (``treated`` time-dependent).
THERAPY_MODELS: dict[str, tuple[str, ...]] = {
    "therapy_time_dependent": ("treated", *MAIN_TERMS),
    "therapy_interaction": ("treated", *MAIN_TERMS, INTERACTION_TERM),
}
#: Human-readable labels for tables and the forest plot.
TERM_LABELS: dict[str, str] = {
    "metastasectomy": "Metastasectomy (vs decompression)",
    "targeted_therapy": "Targeted therapy (vs cytokine)",
    "treated": "Targeted therapy, from its start (time-dependent)",
    "visceral_mets": "Visceral metastases (lung, liver, kidney, brain)",
    "nonambulatory": "Non-ambulatory before surgery (Frankel A-C vs D-E)",
    "age_per_10y": "Age (per 10 years)",
    INTERACTION_TERM: "Metastasectomy x targeted therapy (time-dependent)",
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
    start_col: str | None = None,
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
    fit = coxph_frame(data, duration_col, event_col, terms, start=start_col, na_omit=False)
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
    """Events divided by the number of estimated coefficients.

    The "at least 10 events per variable" rule is a rough guide, not a law: bias and
    coverage depend on more than the ratio, and 5-9 can be acceptable while 10 or more
    does not guarantee a stable model (Vittinghoff & McCulloch 2007, Am J Epidemiol
    165:710; Riley et al. 2019, Stat Med 38:1276).

    Tests: tests/study/test_models.py::test_events_per_variable.
    """
    return fit.events / len(fit.names)


def fit_os_models(patients: pd.DataFrame) -> dict[str, CoxFit]:
    """Both overall-survival models of :data:`MODELS`, fitted on one patients table.

    Tests: tests/study/test_models.py::test_fit_os_models_and_tables.
    """
    design = os_design(patients)
    return {name: fit_cox(design, terms, model=name) for name, terms in MODELS.items()}


def therapy_models(patients: pd.DataFrame, start_col: str = START_COL) -> dict[str, CoxFit]:
    """The two counting-process models of :data:`THERAPY_MODELS`: targeted therapy as a
    time-dependent covariate ``treated`` (from ``start_col``, months from surgery;
    :func:`spinemets.study.immortal_time.time_dependent_design`, R ``tmerge`` + ``tdc``),
    with the baseline design of :func:`os_design` on every row; Efron ties.
    Tests: tests/study/test_models.py::test_therapy_models.
    """
    design = os_design(patients).drop(columns=["time", "event"])
    rows = time_dependent_design(patients, design, start_col=start_col)
    return {
        name: fit_cox(rows, terms, "tstop", "event", model=name, start_col="tstart")
        for name, terms in THERAPY_MODELS.items()
    }


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


def epv_table(fits: Mapping[str, CoxFit], n_patients: int | None = None) -> pd.DataFrame:
    """Per model: patients, rows, events, coefficients and :func:`events_per_variable`.

    ``rows`` is the model's data rows (more than the patients for counting-process
    data); ``patients`` is ``n_patients`` when given, else the rows.
    Tests: tests/study/test_models.py::test_events_per_variable.
    """
    return pd.DataFrame(
        [
            {
                "model": name,
                "patients": fit.n if n_patients is None else n_patients,
                "rows": fit.n,
                "events": fit.events,
                "coefficients": len(fit.terms),
                "events_per_variable": events_per_variable(fit),
            }
            for name, fit in fits.items()
        ]
    )


def covariate_counts(
    design: pd.DataFrame,
    terms: Sequence[str] = ("metastasectomy", "targeted_therapy", "visceral_mets", "nonambulatory"),
) -> pd.DataFrame:
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
