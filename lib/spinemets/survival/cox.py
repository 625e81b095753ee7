"""Cox proportional-hazards regression (Efron ties), converged to R's precision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ._validate import as_time_event


def cox_ph(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cox model h(t | x) = h0(t) exp(x'beta), partial likelihood with Efron's ties.

    Returns one row per covariate: ``term, coef, hr, se, lower, upper, z, p`` with
    hr = exp(coef), Wald limits exp(coef -+ z se) and two-sided Wald p. Rows with a
    missing value in any column used are dropped (R's na.omit). Fitted by
    :func:`spinemets.cox_models.fit_cox` (the package's one Efron Cox fit: lifelines'
    CoxPHFitter with its tolerance tightened), which matches R ``coxph(Surv(time,
    event) ~ ..., ties = "efron")`` to better than 1e-6 relative.
    Tests: tests/test_survival_r_parity.py::test_cox (lung, veteran, colon).
    """
    from ..cox_models import fit_cox, tidy  # one Cox engine for the package

    columns = [duration_col, event_col, *covariates]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SpinemetsError(f"cox_ph: column(s) {missing} not in the data")
    data = df[columns].dropna().astype(np.float64)
    as_time_event(data[duration_col], data[event_col])
    fit = fit_cox(data, covariates, duration_col=duration_col, event_col=event_col)
    return tidy(fit, conf_level).drop(columns="model")
