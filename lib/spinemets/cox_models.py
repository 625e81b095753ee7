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

R parity on this study's design: ``tests/test_cox_models.py`` against
``tests/fixtures/r_cox_models/`` (written by ``tests/fixtures/r_cox_models.R``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .errors import SpinemetsError
from .methods.cox import CoxFit, coxph_frame
from .methods.cox_zph import CoxZph, cox_zph
from .plots import format_hr_axis

__all__ = [
    "INTERACTION_TERM",
    "MAIN_TERMS",
    "MODELS",
    "NONAMBULATORY_GRADES",
    "VISCERAL_SITES",
    "events_per_variable",
    "fit_cox",
    "fit_os_models",
    "forest_plot",
    "os_design",
    "tidy",
    "zph_plot",
    "zph_table",
]

#: Sites whose metastases count as visceral (bone and lymph nodes do not).
VISCERAL_SITES: tuple[str, ...] = ("mets_lung", "mets_liver", "mets_kidney", "mets_brain")
#: Frankel grades before surgery that mean the patient cannot walk.
NONAMBULATORY_GRADES: tuple[str, ...] = ("A", "B", "C")
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

_CODES = {
    "surgery": ("metastasectomy", "decompression"),
    "adjuvant_therapy": ("targeted", "cytokine"),
}


# ----------------------------------------------------------------------------- design


def _row_name(patients: pd.DataFrame, position: int) -> str:
    pid = patients["patient_id"].iloc[position] if "patient_id" in patients else None
    return f"row {position + 1}" + (f" (patient_id {pid})" if pid is not None else "")


def os_design(
    patients: pd.DataFrame, duration_col: str = "os_months", event_col: str = "death"
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
    for col, codes in _CODES.items():
        values = patients[col].astype(str).str.lower()
        bad = ~values.isin(codes).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"patients: {_row_name(patients, i)}, column {col}: value "
                f"{patients[col].iloc[i]!r}, expected one of {', '.join(codes)}"
            )
    frankel = patients["frankel_pre"].astype(str).str.upper()
    bad = ~frankel.isin(list("ABCDE")).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"patients: {_row_name(patients, i)}, column frankel_pre: value "
            f"{patients['frankel_pre'].iloc[i]!r}, expected one of A, B, C, D, E"
        )
    visceral = (patients[list(VISCERAL_SITES)].astype(float) == 1).any(axis=1)
    return pd.DataFrame(
        {
            "time": patients[duration_col].astype(float).to_numpy(),
            "event": patients[event_col].astype(int).to_numpy(),
            "metastasectomy": (patients["surgery"].str.lower() == "metastasectomy")
            .astype(int)
            .to_numpy(),
            "targeted_therapy": (patients["adjuvant_therapy"].str.lower() == "targeted")
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
    ``tests/test_cox_models.py::test_coefficients_match_r``.
    """
    terms = tuple(terms)
    if not terms:
        raise SpinemetsError("Cox model: no terms given")
    fit = coxph_frame(data, duration_col, event_col, terms, na_omit=False)
    return dataclasses.replace(fit, label=model)


def tidy(fit: CoxFit, conf_level: float = 0.95) -> pd.DataFrame:
    """One row per term: term, coef, hr, se, lower, upper, z, p, model.

    As R ``summary(coxph)`` (:meth:`spinemets.methods.cox.CoxFit.table`), with the
    model's name.
    """
    table = fit.table(conf_level)
    table["model"] = fit.label
    return table[["term", "coef", "hr", "se", "lower", "upper", "z", "p", "model"]]


def events_per_variable(fit: CoxFit) -> float:
    """Events divided by the number of estimated coefficients (rule of thumb: >= 10)."""
    return fit.events / len(fit.names)


def fit_os_models(patients: pd.DataFrame) -> dict[str, CoxFit]:
    """Both overall-survival models of :data:`MODELS`, fitted on one patients table."""
    design = os_design(patients)
    return {name: fit_cox(design, terms, model=name) for name, terms in MODELS.items()}


def zph_table(fit: CoxFit, transform: str = "km") -> pd.DataFrame:
    """:func:`spinemets.methods.cox_zph.cox_zph`'s table with a ``model`` column."""
    table = cox_zph(fit, transform).table
    table["model"] = fit.label
    return table


# ----------------------------------------------------------------------------- figure


def forest_plot(table: pd.DataFrame, title: str = "") -> Figure:
    """Hazard ratios with confidence intervals on a log axis, one marker per model.

    ``table`` is :func:`tidy` output (one or several models stacked).
    """
    models = list(dict.fromkeys(table["model"]))
    terms = list(dict.fromkeys(table["term"]))
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(terms) + 1.4))
    offsets = np.linspace(-0.18, 0.18, len(models)) if len(models) > 1 else [0.0]
    markers = ["o", "s", "D", "^"]
    for k, (model, offset) in enumerate(zip(models, offsets, strict=True)):
        sub = table[table["model"] == model]
        y = np.array([len(terms) - 1 - terms.index(t) for t in sub["term"]]) + offset
        ax.errorbar(
            sub["hr"],
            y,
            xerr=[sub["hr"] - sub["lower"], sub["upper"] - sub["hr"]],
            fmt=markers[k % len(markers)],
            color=f"C{k}",
            capsize=3,
            label=f"model: {model}",
        )
    ax.axvline(1.0, color="0.4", linewidth=0.8, linestyle="--")
    lo, hi = float(table["lower"].min()), float(table["upper"].max())
    format_hr_axis(ax, min(lo, 1.0) / 1.2, max(hi, 1.0) * 1.2)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([TERM_LABELS.get(t, t) for t in reversed(terms)])
    ax.set_xlabel("hazard ratio (log scale), 95% CI; < 1 = lower hazard of death")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def zph_plot(zph: CoxZph, terms: Sequence[str] | None = None) -> Figure:
    """Scaled Schoenfeld residuals against transformed time, one panel per term, as R
    ``plot(cox.zph(fit))``: the points scatter around beta(t); means of fifths of the
    events that stay near the fitted (constant) beta are what proportional hazards look
    like.  The dotted line is 0 (no effect)."""
    terms = list(terms or zph.residuals.columns)
    fig, axes = plt.subplots(1, len(terms), figsize=(3.2 * len(terms), 3.2), squeeze=False)
    edges = np.quantile(zph.x, np.linspace(0, 1, 6))
    bins = np.clip(np.searchsorted(edges, zph.x, side="right") - 1, 0, 4)
    for ax, term in zip(axes[0], terms, strict=True):
        y = zph.residuals[term].to_numpy()
        ax.scatter(zph.x, y, s=8, color="C0", alpha=0.6)
        centres = [zph.x[bins == b].mean() for b in range(5) if np.any(bins == b)]
        means = [y[bins == b].mean() for b in range(5) if np.any(bins == b)]
        ax.plot(centres, means, color="C1", marker="o", label="mean of each fifth")
        j = list(zph.residuals.columns).index(term)
        ax.axhline(zph.coef[j], color="0.3", linewidth=0.8, linestyle="--", label="fitted beta")
        ax.axhline(0.0, color="0.6", linewidth=0.7, linestyle=":")
        ax.set_title(TERM_LABELS.get(term, term), fontsize=8)
        ax.set_xlabel(f"time ({zph.transform} scale)")
    axes[0][0].set_ylabel("beta(t): scaled Schoenfeld residual")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig
