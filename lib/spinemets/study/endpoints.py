"""The study's survival endpoints on a cohort, as the tidy tables of the output contract.

The endpoints (OS, LPFS: which columns hold their times and events) are declared once,
in :data:`spinemets.cohort.spec.ENDPOINTS`. DESIGN.md fixes three tables that other
tools read: ``survival_medians``, ``survival_rates`` and ``logrank_tests``.
:func:`survival_tables` builds all three for any choice of endpoints, strata and
milestone times; :func:`interval_transforms` sets the three confidence-interval
transforms side by side; :func:`permutation_table` puts the permutation log-rank test
beside the asymptotic one; :func:`progressions_by_group` and :func:`progression_timing`
describe the local progressions themselves (notebook 03). The estimators are those of
:mod:`spinemets.methods`. Tests: ``tests/study/test_endpoints.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from ..cohort.spec import ENDPOINTS, Endpoint
from ..errors import SpinemetsError
from ..methods import contingency
from ..methods._validate import CONF_TYPES, check_conf, check_time_event
from ..methods.km import kaplan_meier, median_survival, survival_at
from ..methods.logrank import logrank_test
from ..methods.permutation import (
    DEFAULT_MAX_ENUMERATION,
    PERMUTATION_SEED,
    PermutationResult,
    permutation_logrank,
)
from ..methods.timefix import timefix_times
from .applicability import require_groups
from .outcomes import tests_frame

__all__ = [
    "ALL",
    "SurvivalTables",
    "endpoint",
    "endpoint_data",
    "interval_transforms",
    "lifelines_defaults",
    "permutation_table",
    "progression_timing",
    "progressions_by_group",
    "survival_tables",
]

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


def endpoint(name: str) -> Endpoint:
    """The columns and label of an endpoint (a key of :data:`~spinemets.cohort.spec.ENDPOINTS`).

    Tests: tests/study/test_endpoints.py::test_endpoint_columns.
    """
    if name not in ENDPOINTS:
        raise SpinemetsError(
            f"endpoint {name!r} is not known; expected one of {', '.join(ENDPOINTS)}"
        )
    return ENDPOINTS[name]


def endpoint_data(patients: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    """Durations and event indicators of one endpoint (a key of ``ENDPOINTS``).

    Tests: tests/study/test_endpoints.py::test_endpoint_columns.
    """
    spec = endpoint(name)
    _require_columns(patients, [spec.time, spec.event])
    return patients[spec.time], patients[spec.event]


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
    Tests: tests/study/test_endpoints.py (hand-checked toy cohort and R fixtures of
    the synthetic cohort).
    """
    check_conf(conf_type, conf_level)
    medians, rates, tests = [], [], []
    for name in endpoints:
        time, event = endpoint_data(patients, name)
        # near-equal times merged once over the endpoint, as R's survfit(Surv ~ group)
        fixed = timefix_times(check_time_event(time, event)[0])
        for stratum in strata:
            groups = _groups(patients, stratum)
            for label, mask in groups:
                km = kaplan_meier(fixed[mask], event[mask], conf_type, conf_level, timefix=False)
                med = median_survival(km)
                key = {"endpoint": name, "strata": stratum, "group": label}
                medians.append({**key, "n": km.n, "events": km.events, **med._asdict()})
                at = survival_at(km, milestones)
                rates.extend({**key, **row} for row in at.to_dict("records"))
            if stratum != ALL:
                codes = np.empty(len(patients), dtype=object)
                for label, mask in groups:
                    codes[mask] = label
                lr = logrank_test(time, event, codes)
                row = {"endpoint": name, "strata": stratum}
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
    published_p: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[tuple[str, str], PermutationResult]]:
    """The permutation log-rank test beside the asymptotic one, per endpoint and strata.

    One row per (endpoint, strata): endpoint, strata, n, events, chisq, df (from
    :func:`spinemets.methods.logrank.logrank_test`, R's ``survdiff``), p_asymptotic,
    p_permutation, mc_se, method, n_permutations, n_labellings, seed; every
    comparison uses the same ``seed``
    (:func:`spinemets.methods.permutation.permutation_logrank`). ``published_p``
    (columns endpoint, strata, value: the paper's log-rank p-values, plain data) adds
    ``p_published``, empty where the paper prints none. Also returns the full results by
    (endpoint, strata), for plotting the permutation distributions. A column with one
    group raises :class:`~spinemets.errors.NotApplicable`.
    Tests: tests/study/test_endpoints.py::test_permutation_table.
    """
    results: dict[tuple[str, str], PermutationResult] = {}
    rows = []
    for name in endpoints:
        time, event = endpoint_data(patients, name)
        for column in strata:
            _require_columns(patients, [column])
            require_groups(patients, column)
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
                    f"{name} by {column}: permutation statistic {res.chisq} differs from "
                    f"the log-rank chi-square {asymptotic.chisq}"
                )
            results[name, column] = res
            rows.append(
                {
                    "endpoint": name,
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
    table = pd.DataFrame(rows)
    if published_p is not None:
        keys = zip(published_p["endpoint"], published_p["strata"], strict=True)
        lookup = dict(zip(keys, published_p["value"], strict=True))
        table["p_published"] = [
            lookup.get(key, np.nan) for key in zip(table["endpoint"], table["strata"], strict=True)
        ]
    return table, results


def interval_transforms(
    patients: pd.DataFrame,
    endpoint: str,
    strata: str,
    milestones: Sequence[float] = (12, 36, 60),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The milestone rates of one endpoint with the three interval transforms side by side.

    One row per group and milestone: group, time, n_risk, survival, then ``lower_<t>`` and
    ``upper_<t>`` for ``t`` in log, loglog and plain (R ``survfit(conf.type = "log" |
    "log-log" | "plain")``; the estimates do not depend on the transform, only the
    limits do). Tests: tests/study/test_endpoints.py::test_interval_transforms.
    """
    tables = {
        conf_type: survival_tables(
            patients, [strata], [endpoint], milestones, conf_type, conf_level
        ).rates
        for conf_type in CONF_TYPES
    }
    out = tables["log"].drop(columns=["endpoint", "strata", "lower", "upper", "conf_type"])
    for conf_type, rates in tables.items():
        suffix = conf_type.replace("-", "")
        out[f"lower_{suffix}"] = rates["lower"].to_numpy()
        out[f"upper_{suffix}"] = rates["upper"].to_numpy()
    return out


def lifelines_defaults(
    patients: pd.DataFrame,
    endpoint: str = "os",
    strata: Sequence[str] = ("surgery", "adjuvant_therapy"),
    time: float = 36,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """What a reader using lifelines' defaults would get, beside R's (this package's).

    Per group of each column of ``strata``: the median, its confidence limits, and the
    survival at ``time`` with its limits, as R's ``survfit`` gives them by default
    (``conf.type = "log"``: :func:`survival_tables`) and as lifelines'
    ``KaplanMeierFitter`` gives them by default (its band is R's ``log-log``; its median
    is the first time S <= 0.5, without R's midpoint where S is exactly 0.5 over an
    interval; its median limits are read off its band). Columns: strata, group,
    quantity, r_default, lifelines_default, differs. For readers who know lifelines:
    the package never uses it for a result (``tests/`` use it as a second oracle).
    Tests: tests/study/test_endpoints.py::test_lifelines_defaults.
    """
    ours = survival_tables(patients, list(strata), [endpoint], [time], "log", conf_level)
    medians = ours.medians.set_index(["strata", "group"])
    rates = ours.rates.set_index(["strata", "group"])
    times, events = endpoint_data(patients, endpoint)
    rows = []
    for column in strata:
        for group in sorted(patients[column].astype(str).unique()):
            mask = (patients[column].astype(str) == group).to_numpy()
            fitter = KaplanMeierFitter(alpha=1 - conf_level).fit(times[mask], events[mask])
            limits = median_survival_times(fitter.confidence_interval_).to_numpy().ravel()
            band = fitter.confidence_interval_.loc[:time].iloc[-1].to_numpy()
            at = float(fitter.survival_function_at_times(time).iloc[0])
            m, r = medians.loc[(column, group)], rates.loc[(column, group)]
            theirs = (fitter.median_survival_time_, *limits, at, *band)
            mine = (m["median"], m["lower"], m["upper"], r["survival"], r["lower"], r["upper"])
            names = ("median", "median lower", "median upper")
            names += (f"survival at {time:g}", f"survival at {time:g} lower")
            names += (f"survival at {time:g} upper",)
            for name, a, b in zip(names, mine, theirs, strict=True):
                rows.append(
                    {
                        "strata": column,
                        "group": group,
                        "quantity": name,
                        "r_default": float(a),
                        "lifelines_default": float(b),
                        "differs": not np.isclose(a, b, rtol=1e-9, equal_nan=True),
                    }
                )
    return pd.DataFrame(rows)


def progressions_by_group(
    patients: pd.DataFrame, by: str = "surgery"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Local progressions per group and the chi-square test the paper used on them.

    Returns the counts (``by``, patients, progressions; groups sorted) and a one-row
    test table (:func:`spinemets.study.outcomes.tests_frame`): Pearson's chi-square
    with Yates' correction on the groups x (no progression, progression) table, as
    R's ``chisq.test(table(group, local_progression))``. A column with one group
    raises :class:`~spinemets.errors.NotApplicable`.
    Tests: tests/study/test_endpoints.py::test_progressions_by_group.
    """
    _require_columns(patients, [by, "local_progression"])
    counts = (
        patients.groupby(by)["local_progression"]
        .agg(patients="size", progressions="sum")
        .reset_index()
        .astype({"patients": "int64", "progressions": "int64"})
    )
    require_groups(patients, by)
    table = [counts["patients"] - counts["progressions"], counts["progressions"]]
    test = contingency.chisq_test(table, correct=True)
    return counts, tests_frame({f"local_progression_by_{by}": test})


def progression_timing(patients: pd.DataFrame, within: float = 12) -> pd.DataFrame:
    """When the observed local progressions happened, among the patients who progressed.

    Rows (statistic, lp_months): count, min, 25%, 50%, 75% (R type 7 quantiles), max, and
    ``within <within> months``, the number that progressed by then. A description of
    the progressors only, not a survival estimate (censored patients are not in it).
    Tests: tests/study/test_endpoints.py::test_progression_timing.
    """
    _require_columns(patients, ["local_progression", "lp_months"])
    times = patients.loc[patients["local_progression"] == 1, "lp_months"].astype(float)
    summary = times.describe()[["count", "min", "25%", "50%", "75%", "max"]]
    summary[f"within {within:g} months"] = float((times <= within).sum())
    return summary.rename_axis("statistic").reset_index(name="lp_months")


def _frame(
    rows: list[dict], columns: list[str], conf_type: str | None, ints: Sequence[str] = ()
) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col in ints:
        df[col] = df[col].astype(np.int64)
    if conf_type is not None:
        df["conf_type"] = conf_type
    return df
