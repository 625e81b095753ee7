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

Proportional hazards are checked by :func:`cox_zph`, which re-implements R
``cox.zph(fit, transform = "km", terms = TRUE)`` of survival >= 3.0 (checked against
survival 3.5.3): a score test, per term and global, of adding ``x * g(t)`` to the
model, with ``g(t) = 1 - S(t-)`` (left-continuous Kaplan-Meier of all subjects),
centred over the events; and the scaled Schoenfeld residuals
``r_i V^-1 + beta`` with ``V`` the information matrix divided by the number of
events.  (Survival < 3.0 used a different, approximate test based on
``fit$var``; its numbers differ.)

R parity: ``tests/test_cox_models.py`` against ``tests/fixtures/r_cox_models/``
(written by ``tests/fixtures/r_cox_models.R``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError
from matplotlib.figure import Figure
from scipy import stats

from .errors import SpinemetsError

__all__ = [
    "INTERACTION_TERM",
    "MAIN_TERMS",
    "MODELS",
    "NONAMBULATORY_GRADES",
    "VISCERAL_SITES",
    "CoxFit",
    "CoxZph",
    "cox_zph",
    "events_per_variable",
    "fit_cox",
    "fit_os_models",
    "forest_plot",
    "format_hr_axis",
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
#: Newton-Raphson tolerance given to lifelines (its default, 1e-7, is looser than R's).
FIT_PRECISION = 1e-12

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


def _term_column(data: pd.DataFrame, term: str) -> np.ndarray:
    """A term's column; ``a:b`` is the product of columns ``a`` and ``b`` (as R's formula)."""
    parts = term.split(":")
    missing = [p for p in parts if p not in data.columns]
    if missing:
        raise SpinemetsError(f"Cox model: no column {', '.join(missing)} for term {term!r}")
    out = np.ones(len(data))
    for p in parts:
        out = out * data[p].astype(float).to_numpy()
    return out


# ----------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model (Efron ties): R ``coxph``'s ``coefficients``, ``var``, ``loglik``.

    The data used (``time``, ``event``, covariate matrix ``x``) are kept for
    :func:`cox_zph`.
    """

    model: str
    terms: tuple[str, ...]
    coef: np.ndarray
    var: np.ndarray
    loglik: float
    time: np.ndarray
    event: np.ndarray
    x: np.ndarray

    @property
    def n(self) -> int:
        return len(self.time)

    @property
    def events(self) -> int:
        return int(self.event.sum())


def fit_cox(
    data: pd.DataFrame,
    terms: Sequence[str],
    duration_col: str = "time",
    event_col: str = "event",
    model: str = "",
) -> CoxFit:
    """Fit ``Surv(duration, event) ~ terms`` by partial likelihood with Efron ties.

    Matches R ``coxph(..., ties = "efron")`` (lifelines ``CoxPHFitter`` with its
    Newton-Raphson tolerance tightened to :data:`FIT_PRECISION`); ``a:b`` terms are
    products.  Checked by ``tests/test_cox_models.py::test_coefficients_match_r``.
    """
    terms = tuple(terms)
    if not terms:
        raise SpinemetsError("Cox model: no terms given")
    for col in (duration_col, event_col):
        if col not in data.columns:
            raise SpinemetsError(f"Cox model: no column {col!r}")
    time = data[duration_col].astype(float).to_numpy()
    event = data[event_col].astype(float).to_numpy()
    x = np.column_stack([_term_column(data, t) for t in terms])
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise SpinemetsError(f"Cox model: column {duration_col} must be finite and >= 0")
    if not np.isin(event, (0, 1)).all():
        raise SpinemetsError(f"Cox model: column {event_col} must be 0 or 1")
    if event.sum() == 0:
        raise SpinemetsError("Cox model: there are no events")
    if not np.all(np.isfinite(x)):
        raise SpinemetsError("Cox model: covariates must be finite (no missing values)")
    for j, t in enumerate(terms):
        if np.ptp(x[:, j]) == 0:
            raise SpinemetsError(f"Cox model: term {t!r} is constant, its effect is not estimable")
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(len(terms))])
    frame["_time"], frame["_event"] = time, event
    fitter = CoxPHFitter(penalizer=0.0)
    try:
        fitter.fit(
            frame,
            duration_col="_time",
            event_col="_event",
            fit_options={"precision": FIT_PRECISION, "r_precision": 0.0, "max_steps": 200},
        )
    except ConvergenceError as error:
        raise SpinemetsError(f"Cox model {model!r} did not converge: {error}") from error
    return CoxFit(
        model=model,
        terms=terms,
        coef=fitter.params_.to_numpy().copy(),
        var=fitter.variance_matrix_.to_numpy().copy(),
        loglik=float(fitter.log_likelihood_),
        time=time,
        event=event.astype(int),
        x=x,
    )


def tidy(fit: CoxFit, conf_level: float = 0.95) -> pd.DataFrame:
    """One row per term: term, coef, hr, se, lower, upper, z, p, model.

    As R ``summary(coxph)``: ``se = sqrt(diag(var))``, Wald ``z = coef / se``,
    two-sided ``p``, ``lower, upper = exp(coef -/+ qnorm(1 - (1 - conf_level)/2) se)``.
    """
    se = np.sqrt(np.diag(fit.var))
    z = fit.coef / se
    q = stats.norm.ppf(1 - (1 - conf_level) / 2)
    return pd.DataFrame(
        {
            "term": list(fit.terms),
            "coef": fit.coef,
            "hr": np.exp(fit.coef),
            "se": se,
            "lower": np.exp(fit.coef - q * se),
            "upper": np.exp(fit.coef + q * se),
            "z": z,
            "p": 2 * stats.norm.sf(np.abs(z)),
            "model": fit.model,
        }
    )


def events_per_variable(fit: CoxFit) -> float:
    """Events divided by the number of estimated coefficients (rule of thumb: >= 10)."""
    return fit.events / len(fit.terms)


def fit_os_models(patients: pd.DataFrame) -> dict[str, CoxFit]:
    """Both overall-survival models of :data:`MODELS`, fitted on one patients table."""
    design = os_design(patients)
    return {name: fit_cox(design, terms, model=name) for name, terms in MODELS.items()}


# ----------------------------------------------------------------------------- cox.zph


@dataclass(frozen=True)
class CoxZph:
    """R ``cox.zph``: ``table`` (term, chisq, df, p; last row GLOBAL), the transformed
    event times ``x``, the event ``time``s and the scaled Schoenfeld ``residuals``
    (one column per term, one row per event in time order); ``coef`` is the fit's."""

    table: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    residuals: pd.DataFrame
    transform: str
    coef: np.ndarray


def _transform_times(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    """``g(t)`` for each subject, as cox.zph's ``ttimes``."""
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        return np.log(time)
    if transform == "rank":
        return stats.rankdata(time, method="average")
    if transform == "km":
        # 1 - S(t-): the Kaplan-Meier of all subjects just before t.
        utimes = np.unique(time)
        n_risk = len(time) - np.searchsorted(np.sort(time), utimes, side="left")
        deaths = np.array([event[time == u].sum() for u in utimes])
        surv = np.cumprod(1 - deaths / n_risk)
        before = np.searchsorted(utimes, time, side="left")  # times strictly below t
        return 1.0 - np.concatenate([[1.0], surv])[before]
    raise SpinemetsError(
        f"cox_zph: unknown transform {transform!r}, expected km, rank, identity or log"
    )


def _zph_score(fit: CoxFit, gtime: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score ``u`` (2p), information ``imat`` (2p x 2p) of the model with ``x`` and
    ``x * g(t)`` at ``(beta, 0)``, and unscaled Schoenfeld residuals (events x p),
    with Efron's handling of tied deaths (R survival's C routine ``zph1``)."""
    p = len(fit.terms)
    x = fit.x - fit.x.mean(axis=0)
    risk = np.exp(x @ fit.coef)
    order = np.argsort(fit.time, kind="stable")
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    schoen = np.zeros((fit.events, p))
    a, cmat, denom = np.zeros(p), np.zeros((p, p)), 0.0
    row = fit.events
    utimes = np.unique(fit.time)
    for t in utimes[::-1]:  # backwards in time, growing risk set
        at = order[fit.time[order] == t]
        dead = at[fit.event[at] == 1]
        alive = at[fit.event[at] == 0]
        a += risk[alive] @ x[alive]
        cmat += (x[alive] * risk[alive, None]).T @ x[alive]
        denom += risk[alive].sum()
        d = len(dead)
        if d == 0:
            continue
        g = gtime[dead[0]]
        a2 = risk[dead] @ x[dead]
        cmat2 = (x[dead] * risk[dead, None]).T @ x[dead]
        denom2 = risk[dead].sum()
        u[:p] += x[dead].sum(axis=0)
        u[p:] += g * x[dead].sum(axis=0)
        fractions = np.arange(1, d + 1) / d
        means = (a + np.outer(fractions, a2)) / (denom + fractions * denom2)[:, None]
        row -= d
        schoen[row : row + d] = x[dead] - means.mean(axis=0)
        for _ in range(d):
            denom += denom2 / d
            a += a2 / d
            cmat += cmat2 / d
            mean = a / denom
            u[:p] -= mean
            u[p:] -= g * mean
            block = (cmat - np.outer(mean, a)) / denom
            imat[:p, :p] += block
            imat[:p, p:] += g * block
            imat[p:, p:] += g * g * block
    imat[p:, :p] = imat[:p, p:].T
    return u, imat, schoen


def cox_zph(fit: CoxFit, transform: str = "km") -> CoxZph:
    """Test of proportional hazards, as R ``cox.zph(fit, transform)`` (survival >= 3.0).

    For term j the statistic is the score test ``U' I^-1 U`` of adding
    ``x_j * g(t)``, where ``U = (0, u_j)`` and ``I`` is the information for
    ``(beta, gamma_j)`` at ``(beta_hat, 0)``; the GLOBAL row adds all ``x * g(t)``
    (df = number of terms).  ``g`` is ``transform`` of time (``km`` = 1 - S(t-),
    R's default; ``rank``, ``identity``, ``log``), centred over the events.
    Checked against R 4.2 / survival 3.5.3 by ``tests/test_cox_models.py``.
    """
    p = len(fit.terms)
    ttimes = _transform_times(fit.time, fit.event, transform)
    gtime = ttimes - ttimes[fit.event == 1].mean()
    u, imat, schoen = _zph_score(fit, gtime)
    rows = []
    for j, term in enumerate(fit.terms):
        kk = [*range(p), p + j]
        score = np.concatenate([np.zeros(p), [u[p + j]]])
        chisq = float(score @ np.linalg.solve(imat[np.ix_(kk, kk)], score))
        rows.append((term, chisq, 1, float(stats.chi2.sf(chisq, 1))))
    score = np.concatenate([np.zeros(p), u[p:]])
    chisq = float(score @ np.linalg.solve(imat, score))
    rows.append(("GLOBAL", chisq, p, float(stats.chi2.sf(chisq, p))))
    table = pd.DataFrame(rows, columns=["term", "chisq", "df", "p"])
    vmean = imat[:p, :p] / fit.events
    scaled = np.linalg.solve(vmean, schoen.T).T + fit.coef
    order = np.argsort(fit.time, kind="stable")
    event_order = order[fit.event[order] == 1]
    return CoxZph(
        table=table,
        x=ttimes[event_order],
        time=fit.time[event_order],
        residuals=pd.DataFrame(scaled, columns=list(fit.terms)),
        transform=transform,
        coef=fit.coef.copy(),
    )


def zph_table(fit: CoxFit, transform: str = "km") -> pd.DataFrame:
    """:func:`cox_zph`'s table with a ``model`` column, ready to write."""
    table = cox_zph(fit, transform).table
    table["model"] = fit.model
    return table


# ----------------------------------------------------------------------------- figure

#: Tick positions for hazard-ratio axes (log scale, labelled as plain numbers).
HR_TICKS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 20.0)
#: Extra ticks when the axis spans less than a factor of 10.
HR_TICKS_FINE = (0.75, 1.5, 3.0)


def format_hr_axis(ax: plt.Axes, low: float, high: float) -> None:
    """Log-scaled x axis from ``low`` to ``high`` with ticks labelled 0.5, 1, 2 (not 10^x)."""
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    candidates = HR_TICKS + (HR_TICKS_FINE if high / low < 10 else ())
    ticks = sorted(t for t in candidates if low <= t <= high)
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())


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
