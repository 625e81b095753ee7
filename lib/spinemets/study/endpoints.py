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
from ..methods.cox import CoxConvergenceError, coxph
from ..methods.hazard import HAZARD_COLUMNS, interval_hazard
from ..methods.km import kaplan_meier, median_survival, reverse_kaplan_meier, survival_at
from ..methods.logrank import logrank_test
from ..methods.permutation import (
    DEFAULT_MAX_ENUMERATION,
    PERMUTATION_SEED,
    PermutationResult,
    permutation_logrank,
)
from ..methods.rmst import rmst, rmst_difference
from ..methods.timefix import timefix_times
from .applicability import require_events, require_groups
from .outcomes import tests_frame

__all__ = [
    "ALL",
    "COMPOSITE",
    "DERIVED_ENDPOINTS",
    "SurvivalTables",
    "endpoint",
    "endpoint_data",
    "follow_up_table",
    "hazard_ratios",
    "hazard_table",
    "interval_transforms",
    "lifelines_defaults",
    "permutation_table",
    "progression_timing",
    "progressions_by_group",
    "rmst_table",
    "survival_tables",
]

#: The stratum that pools every patient; its single group is also called "all".
ALL = "all"

#: The composite endpoint "local progression or death": the usual convention for LPFS
#: (a death without progression is an event), beside the paper's endpoint (freedom from
#: local progression, deaths censored: ``lpfs``).
COMPOSITE = "lpfs_or_death"
#: Endpoints derived from the cohort format's columns (not columns of their own): key ->
#: (time column, event column, label) of the derived data :func:`endpoint_data` builds.
DERIVED_ENDPOINTS: dict[str, Endpoint] = {
    COMPOSITE: Endpoint("lp_or_death_months", "lp_or_death", "Free of local progression and alive"),
}

MEDIAN_COLUMNS = ["endpoint", "strata", "group", "n", "events", "median", "lower", "upper"]
RATE_COLUMNS = ["endpoint", "strata", "group", "time", "n_risk", "survival", "lower", "upper"]
LOGRANK_COLUMNS = ["endpoint", "strata", "chisq", "df", "p"]


class SurvivalTables(NamedTuple):
    """The three contract tables (DESIGN.md, "The output contract")."""

    medians: pd.DataFrame
    rates: pd.DataFrame
    logrank: pd.DataFrame


def endpoint(name: str) -> Endpoint:
    """The columns and label of an endpoint (a key of :data:`~spinemets.cohort.spec.ENDPOINTS`
    or of :data:`DERIVED_ENDPOINTS`).

    Tests: tests/study/test_endpoints.py::test_endpoint_columns.
    """
    known = {**ENDPOINTS, **DERIVED_ENDPOINTS}
    if name not in known:
        raise SpinemetsError(f"endpoint {name!r} is not known; expected one of {', '.join(known)}")
    return known[name]


def endpoint_data(patients: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
    """Durations and event indicators of one endpoint (a key of ``ENDPOINTS`` or
    :data:`DERIVED_ENDPOINTS`).

    The composite ``lpfs_or_death`` is built from both endpoints of the format: the
    time to local progression for a patient who progressed, else the time to death or
    last follow-up (``os_months``); the event is progression or death.
    Tests: tests/study/test_endpoints.py::test_endpoint_columns,
    tests/study/test_endpoint_summaries.py::test_composite_endpoint.
    """
    spec = endpoint(name)
    if name == COMPOSITE:
        _require_columns(patients, ["lp_months", "local_progression", "os_months", "death"])
        progressed = patients["local_progression"] == 1
        time = patients["lp_months"].where(progressed, patients["os_months"])
        event = (progressed | (patients["death"] == 1)).astype(np.int64)
        return time.rename(spec.time), event.rename(spec.event)
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
                    "n_labellings": labellings_shown(res.n_labellings),
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
    R's ``chisq.test(table(group, local_progression))``. A column with one group, or a
    cohort without local progressions, raises :class:`~spinemets.errors.NotApplicable`.
    Tests: tests/study/test_endpoints.py::test_progressions_by_group.
    """
    _require_columns(patients, [by, "local_progression"])
    require_events(patients["local_progression"], "local progressions")
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


def labellings_shown(count: int) -> float | str:
    """A number of labellings as a table holds it: a float, or -- beyond a float's range
    (100,000 patients: C(100000, 39000) has some 29,000 digits) -- the text
    ``"<mantissa>e+<exponent>"`` to 10 significant digits, from ``log10`` (an exact
    integer that large has no float, and Python refuses to print it).
    Tests: tests/study/test_endpoints.py::test_labellings_shown.
    """
    try:
        return float(count)
    except OverflowError:
        exponent = math.log10(count)
        whole = math.floor(exponent)
        return f"{10 ** (exponent - whole):.10g}e+{whole}"


def progression_timing(patients: pd.DataFrame, within: float = 12) -> pd.DataFrame:
    """When the observed local progressions happened, among the patients who progressed.

    Rows (statistic): ``progressed`` and ``within <within> months`` give a number of
    patients (column ``patients``, a count: masked below ``min_cell`` like every count);
    min, 25%, 50%, 75% (R type 7 quantiles) and max give ``lp_months``. A description of
    the progressors only, not a survival estimate (censored patients are not in it).
    Tests: tests/study/test_endpoints.py::test_progression_timing.
    """
    _require_columns(patients, ["local_progression", "lp_months"])
    times = patients.loc[patients["local_progression"] == 1, "lp_months"].astype(float)
    quantiles = times.describe()[["min", "25%", "50%", "75%", "max"]]
    rows = [{"statistic": "progressed", "patients": len(times), "lp_months": np.nan}]
    rows += [{"statistic": k, "patients": pd.NA, "lp_months": v} for k, v in quantiles.items()]
    rows.append(
        {"statistic": f"within {within:g} months", "patients": int((times <= within).sum())}
    )
    table = pd.DataFrame(rows, columns=["statistic", "patients", "lp_months"])
    return table.astype({"patients": "Int64", "lp_months": float})


#: The contract columns of DESIGN.md first, then this package's additions.
HR_COLUMNS = [
    "endpoint",
    "strata",
    "group",
    "reference",
    "hr",
    "lower",
    "upper",
    "p_wald",
    "p_lr",
    "p_score",
    "n",
    "events",
    "conf_level",
    "note",
]
RMST_COLUMNS = ["endpoint", "strata", "group", "tau", "rmst", "se", "lower", "upper", "p"]
FOLLOW_UP_COLUMNS = ["endpoint", "strata", "group", "median", "lower", "upper", "n"]


def hazard_ratios(
    patients: pd.DataFrame,
    endpoints: Sequence[str] = ("os",),
    strata: Sequence[str] = ("surgery", "adjuvant_therapy"),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The hazard ratio of each group against the first (sorted) group, by a Cox model.

    One Cox model per endpoint and stratum with the stratum's groups as a factor (R
    ``coxph(Surv(time, event) ~ factor(group))``, Efron ties, treatment contrasts: the
    reference is the first group in sorted order, as R's factor levels): one row per
    non-reference group with ``hr`` and its Wald interval at ``conf_level``, the Wald p
    of its coefficient (``p_wald``) and the model's likelihood-ratio (``p_lr``) and score
    (``p_score``, the log-rank test for two groups) p-values, from
    :func:`spinemets.methods.cox.coxph`. A stratum with one group, no event or a fit
    that does not converge (e.g. no event in one group: the HR is 0 or infinite) gives
    one row with empty estimates and the reason in ``note``. Contract columns of
    DESIGN.md (``tables/hazard_ratios.csv``) plus n, events, conf_level, note.
    Tests: tests/study/test_endpoint_summaries.py::test_hazard_ratios_match_r,
    ::test_hazard_ratio_rows_say_why_they_are_empty.
    """
    check_conf("log", conf_level)
    rows = []
    for name in endpoints:
        time, event = endpoint_data(patients, name)
        for column in strata:
            groups = [label for label, _ in _groups(patients, column)]
            key = {"endpoint": name, "strata": column, "n": len(time), "events": int(event.sum())}
            empty = {"group": "", "reference": groups[0] if groups else ""}
            if len(groups) < 2:
                rows.append({**key, **empty, "note": f"{column}: one group; nothing to compare"})
                continue
            x = pd.get_dummies(patients[column].astype(str)).astype(float)[groups[1:]]
            try:
                fit = coxph(time, event, x)
            except CoxConvergenceError as err:
                rows.append({**key, **empty, "note": f"not estimable: {err}"})
                continue
            table = fit.table(conf_level)
            tests = fit.tests().set_index("test")["p"]
            for label, (_, coef) in zip(groups[1:], table.iterrows(), strict=True):
                rows.append(
                    {
                        **key,
                        "group": label,
                        "reference": groups[0],
                        "hr": coef["hr"],
                        "lower": coef["lower"],
                        "upper": coef["upper"],
                        "p_wald": coef["p"],
                        "p_lr": tests["likelihood_ratio"],
                        "p_score": tests["score"],
                        "note": "",
                    }
                )
    out = pd.DataFrame(rows, columns=HR_COLUMNS)
    out["conf_level"] = conf_level
    out["note"] = out["note"].fillna("")
    return out.astype({"n": "int64", "events": "int64"})


def rmst_table(
    patients: pd.DataFrame,
    endpoints: Sequence[str] = ("os",),
    strata: Sequence[str] = (ALL, "surgery", "adjuvant_therapy"),
    tau: float = 60,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Restricted mean survival time up to ``tau`` per group, and the difference of two groups.

    RMST(tau) is the area under the Kaplan-Meier curve from 0 to tau: the mean time
    lived (or free of the event) within the first tau months. Per endpoint, stratum
    and group: ``rmst``, its ``se`` and Wald interval (R ``summary(survfit(...), rmean
    = tau)``, :func:`spinemets.methods.rmst.rmst`); for a stratum of two groups a row
    with group ``difference``: the second group minus the first (sorted order, as the
    hazard ratio's group vs reference), its se, interval and ``p`` (survRM2's
    ``rmst2``, :func:`spinemets.methods.rmst.rmst_difference`). A group whose follow-up
    ends before tau gets empty values (R would carry its last value flat to tau; survRM2
    refuses): tau must lie within every group's follow-up.
    Contract columns of DESIGN.md (``tables/rmst.csv``) plus p and conf_level.
    Tests: tests/study/test_endpoint_summaries.py::test_rmst_table_matches_r.
    """
    check_conf("log", conf_level)
    rows = []
    for name in endpoints:
        time, event = endpoint_data(patients, name)
        fixed = timefix_times(check_time_event(time, event)[0])
        for stratum in strata:
            curves = {}
            for label, mask in _groups(patients, stratum):
                km = kaplan_meier(fixed[mask], event[mask], "log", conf_level, timefix=False)
                key = {"endpoint": name, "strata": stratum, "group": label, "tau": tau}
                if km.time[-1] < tau:
                    rows.append(key)
                    continue
                curves[label] = km
                r = rmst(km, tau, conf_level)
                rows.append({**key, "rmst": r.rmst, "se": r.se, "lower": r.lower, "upper": r.upper})
            labels = list(curves)
            if len(labels) == 2:
                d = rmst_difference(curves[labels[1]], curves[labels[0]], tau, conf_level)
                rows.append(
                    {
                        "endpoint": name,
                        "strata": stratum,
                        "group": "difference",
                        "tau": tau,
                        "rmst": d.difference,
                        "se": d.se,
                        "lower": d.lower,
                        "upper": d.upper,
                        "p": d.p,
                    }
                )
    out = pd.DataFrame(rows, columns=RMST_COLUMNS)
    out["conf_level"] = conf_level
    return out


def follow_up_table(
    patients: pd.DataFrame,
    endpoints: Sequence[str] = ("os",),
    strata: Sequence[str] = (ALL, "surgery", "adjuvant_therapy"),
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan-Meier method, per group.

    The reverse Kaplan-Meier treats being censored as the event and the endpoint's
    event as censoring: its median is the median *potential* follow-up, how long
    patients would have been followed had none died (Schemper and Smith 1996), R
    ``survfit(Surv(time, 1 - event) ~ group)`` and its median and CI. Empty when not
    reached. Contract columns of DESIGN.md (``tables/follow_up.csv``) plus n,
    conf_type and conf_level.
    Tests: tests/study/test_endpoint_summaries.py::test_follow_up_matches_r.
    """
    check_conf(conf_type, conf_level)
    rows = []
    for name in endpoints:
        time, event = endpoint_data(patients, name)
        fixed = timefix_times(check_time_event(time, event)[0])
        for stratum in strata:
            for label, mask in _groups(patients, stratum):
                km = reverse_kaplan_meier(
                    fixed[mask], event[mask], conf_type, conf_level, timefix=False
                )
                med = median_survival(km)
                key = {"endpoint": name, "strata": stratum, "group": label, "n": km.n}
                rows.append({**key, **med._asdict()})
    out = _frame(rows, FOLLOW_UP_COLUMNS, conf_type, ints=("n",))
    out["conf_level"] = conf_level
    return out


def hazard_table(
    patients: pd.DataFrame,
    endpoint: str = "os",
    strata: str = ALL,
    width: float = 12,
    until: float | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """The hazard per ``width``-month interval (events per patient-month), per group.

    Intervals (0, w], (w, 2w], ... up to ``until`` (default: the last follow-up of the
    cohort, rounded up to a whole interval); per interval
    the events, the patient-months at risk and their ratio with its exact Poisson
    interval (:func:`spinemets.methods.hazard.interval_hazard`, R ``survSplit`` and
    ``poisson.test``). Columns: endpoint, strata, group, then
    :data:`~spinemets.methods.hazard.HAZARD_COLUMNS`, conf_level.
    Tests: tests/study/test_endpoint_summaries.py::test_hazard_table.
    """
    if not (isinstance(width, int | float) and math.isfinite(width) and width > 0):
        raise SpinemetsError(f"width {width!r}; expected a positive number of months")
    time, event = endpoint_data(patients, endpoint)
    t, _ = check_time_event(time, event)
    end = float(t.max()) if until is None else float(until)
    breaks = np.arange(0.0, width * (math.ceil(end / width) + 1) - width / 2, width)
    if breaks.size < 2:
        breaks = np.array([0.0, float(width)])
    frames = []
    for label, mask in _groups(patients, strata):
        table = interval_hazard(time[mask], event[mask], breaks, conf_level)
        frames.append(table.assign(endpoint=endpoint, strata=strata, group=label))
    out = pd.concat(frames, ignore_index=True)
    out["conf_level"] = conf_level
    return out[["endpoint", "strata", "group", *HAZARD_COLUMNS, "conf_level"]]


def _frame(
    rows: list[dict], columns: list[str], conf_type: str | None, ints: Sequence[str] = ()
) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col in ints:
        df[col] = df[col].astype(np.int64)
    if conf_type is not None:
        df["conf_type"] = conf_type
    return df
