"""The study's survival endpoints on a cohort, as the tidy tables of the output contract.

DESIGN.md fixes three tables that other tools read: ``survival_medians``,
``survival_rates`` and ``logrank_tests``. :func:`survival_tables` builds all three
for any choice of endpoints, strata and milestone times; :func:`permutation_table`
puts the permutation log-rank test beside the asymptotic one. The estimators are
those of :mod:`spinemets.methods`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ..methods._validate import check_conf, check_time_event
from ..methods.km import kaplan_meier, median_survival, survival_at
from ..methods.logrank import logrank_test
from ..methods.permutation import (
    DEFAULT_MAX_ENUMERATION,
    PERMUTATION_SEED,
    PermutationResult,
    permutation_logrank,
)
from ..methods.timefix import timefix_times

#: endpoint -> (duration column, event column) of the cohort's patients table.
#: LPFS counts local progression only: a death without progression is censored, as
#: in the paper (so 1 - LPFS is not the cumulative incidence of progression).
ENDPOINTS: dict[str, tuple[str, str]] = {
    "os": ("os_months", "death"),
    "lpfs": ("lp_months", "local_progression"),
}

#: The stratum that pools every patient; its single group is also called "all".
ALL = "all"

MEDIAN_COLUMNS = ["endpoint", "strata", "group", "n", "events", "median", "lower", "upper"]
RATE_COLUMNS = ["endpoint", "strata", "group", "time", "n_risk", "survival", "lower", "upper"]
LOGRANK_COLUMNS = ["endpoint", "strata", "chisq", "df", "p"]


class SurvivalTables(NamedTuple):
    """The three contract tables (DESIGN.md, "The output contract")."""

    medians: pd.DataFrame
    rates: pd.DataFrame
    logrank: pd.DataFrame


def endpoint_data(patients: pd.DataFrame, endpoint: str) -> tuple[pd.Series, pd.Series]:
    """Durations and event indicators of one endpoint (a key of ENDPOINTS)."""
    if endpoint not in ENDPOINTS:
        raise SpinemetsError(
            f"endpoint {endpoint!r} is not known; expected one of {', '.join(ENDPOINTS)}"
        )
    duration_col, event_col = ENDPOINTS[endpoint]
    _require_columns(patients, [duration_col, event_col])
    return patients[duration_col], patients[event_col]


def _require_columns(patients: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in patients.columns]
    if missing:
        raise SpinemetsError(
            f"patients table: column(s) {', '.join(missing)} missing; the cohort format "
            "is described in data/README.md"
        )


def _groups(patients: pd.DataFrame, strata: str) -> list[tuple[str, np.ndarray]]:
    """``(group label, row mask)`` pairs of a stratum, labels sorted."""
    if strata == ALL:
        return [(ALL, np.ones(len(patients), dtype=bool))]
    _require_columns(patients, [strata])
    column = patients[strata]
    if column.isna().any():
        row = int(np.argmax(column.isna().to_numpy()))
        raise SpinemetsError(f"patients table, column {strata!r}, row {row}: missing value")
    labels = sorted(column.astype(str).unique())
    return [(label, (column.astype(str) == label).to_numpy()) for label in labels]


def survival_tables(
    patients: pd.DataFrame,
    strata: Sequence[str] = (ALL, "surgery", "adjuvant_therapy"),
    endpoints: Sequence[str] = ("os", "lpfs"),
    milestones: Sequence[float] = (12, 36, 60),
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> SurvivalTables:
    """Medians with CI, milestone rates with CI and log-rank tests, tidy.

    For each endpoint and stratum: one Kaplan-Meier curve per group (groups in sorted
    order; stratum ``all`` has the one group ``all``), its median and CI
    (:func:`~spinemets.methods.km.median_survival`, R print.survfit), its rates at
    ``milestones`` (:func:`~spinemets.methods.km.survival_at`, R summary.survfit; NaN
    past the group's last follow-up) and,
    for strata other than ``all``, the log-rank test across the groups (R survdiff,
    rho = 0). Values that do not exist stay NaN (written empty). Columns follow
    DESIGN.md; every row carries ``conf_type``.
    Tests: tests/test_survival_endpoints.py (hand-checked toy cohort and R fixtures of
    the synthetic cohort).
    """
    check_conf(conf_type, conf_level)
    medians, rates, tests = [], [], []
    for endpoint in endpoints:
        time, event = endpoint_data(patients, endpoint)
        # near-equal times merged once over the endpoint, as R's survfit(Surv ~ group)
        fixed = timefix_times(check_time_event(time, event)[0])
        for stratum in strata:
            groups = _groups(patients, stratum)
            for label, mask in groups:
                km = kaplan_meier(fixed[mask], event[mask], conf_type, conf_level, timefix=False)
                med = median_survival(km)
                key = {"endpoint": endpoint, "strata": stratum, "group": label}
                medians.append({**key, "n": km.n, "events": km.events, **med._asdict()})
                at = survival_at(km, milestones)
                rates.extend({**key, **row} for row in at.to_dict("records"))
            if stratum != ALL:
                codes = np.empty(len(patients), dtype=object)
                for label, mask in groups:
                    codes[mask] = label
                lr = logrank_test(time, event, codes)
                row = {"endpoint": endpoint, "strata": stratum}
                tests.append({**row, "chisq": lr.chisq, "df": lr.df, "p": lr.p})
    return SurvivalTables(
        medians=_frame(medians, MEDIAN_COLUMNS, conf_type),
        rates=_frame(rates, RATE_COLUMNS, conf_type, ints=("n_risk",)),
        logrank=_frame(tests, LOGRANK_COLUMNS, None),
    )


def permutation_table(
    patients: pd.DataFrame,
    endpoints: Sequence[str] = ("os", "lpfs"),
    strata: Sequence[str] = ("surgery", "adjuvant_therapy"),
    n_permutations: int = 10_000,
    seed: int = PERMUTATION_SEED,
    max_enumeration: int = DEFAULT_MAX_ENUMERATION,
) -> tuple[pd.DataFrame, dict[tuple[str, str], PermutationResult]]:
    """The permutation log-rank test beside the asymptotic one, per endpoint and strata.

    One row per (endpoint, strata): endpoint, strata, n, events, chisq, df (from
    :func:`spinemets.methods.logrank.logrank_test`, R's ``survdiff``), p_asymptotic,
    p_permutation, mc_se, method, n_permutations, n_labellings, seed; every
    comparison uses the same ``seed``
    (:func:`spinemets.methods.permutation.permutation_logrank`). Also returns the full
    results by (endpoint, strata), for plotting the permutation distributions.
    Tests: tests/test_survival_endpoints.py::test_permutation_table.
    """
    results: dict[tuple[str, str], PermutationResult] = {}
    rows = []
    for endpoint in endpoints:
        time, event = endpoint_data(patients, endpoint)
        for column in strata:
            _require_columns(patients, [column])
            asymptotic = logrank_test(time, event, patients[column])
            res = permutation_logrank(
                time,
                event,
                patients[column],
                n_permutations=n_permutations,
                seed=seed,
                max_enumeration=max_enumeration,
            )
            if not math.isclose(res.chisq, asymptotic.chisq, rel_tol=1e-9):
                raise SpinemetsError(
                    f"{endpoint} by {column}: permutation statistic {res.chisq} differs from "
                    f"the log-rank chi-square {asymptotic.chisq}"
                )
            results[endpoint, column] = res
            rows.append(
                {
                    "endpoint": endpoint,
                    "strata": column,
                    "n": len(time),
                    "events": int(np.sum(event)),
                    "chisq": res.chisq,
                    "df": asymptotic.df,
                    "p_asymptotic": asymptotic.p,
                    "p_permutation": res.p_permutation,
                    "mc_se": res.mc_se,
                    "method": res.method,
                    "n_permutations": res.n_permutations,
                    "n_labellings": float(res.n_labellings),
                    "seed": res.seed if res.seed is not None else pd.NA,
                }
            )
    return pd.DataFrame(rows), results


def _frame(
    rows: list[dict], columns: list[str], conf_type: str | None, ints: Sequence[str] = ()
) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col in ints:
        df[col] = df[col].astype(np.int64)
    if conf_type is not None:
        df["conf_type"] = conf_type
    return df
