"""Local progression with death as a competing event.

The paper reads local progression-free survival as a Kaplan-Meier curve with deaths
censored, so ``1 - KM`` estimates the risk of local progression in a world where
nobody dies. With 89 of 100 patients dead, the quantity a clinician needs is the
*cumulative incidence*: the probability of having progressed by time t while alive.

The estimators are generic and live in :mod:`spinemets.methods.cmprsk` (Aalen-Johansen
cumulative incidence with Gray's variance, Gray's test, Fine-Gray by ``finegray`` +
the one Cox engine, all checked against R there). This module codes the cohort's
events and builds the study's tidy tables and figure from them:

* :func:`local_progression_events` -- cause 1 local progression, 2 death without it;
* :func:`cumulative_incidence_table`, :func:`cumulative_incidence_at`,
  :func:`gray_tests_table`, :func:`hazard_ratio_table` -- tidy tables of one grouping;
* :func:`event_counts`, :func:`milestone_risks`, :func:`risk_comparison`,
  :func:`gray_tests`, :func:`comparison_hazard_ratios`, :func:`reading` -- the same over
  the study's comparisons (surgery, adjuvant therapy), as notebook 06 shows them.

The figure (cumulative incidence beside 1 - Kaplan-Meier) is
:func:`spinemets.figures.cmprsk.cuminc_figure`. Tests: ``tests/study/test_competing_risks.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..cohort.spec import COMPARISONS, ENDPOINTS
from ..errors import SpinemetsError
from ..formatting import format_p
from ..methods._validate import check_time_cause, group_codes
from ..methods.cmprsk import cuminc, cuminc_band, finegray_cox, gray_test
from ..methods.cox import coxph
from ..methods.km import kaplan_meier, survival_at
from ..methods.logrank import logrank_test
from ..methods.timefix import timefix_times
from ..methods.tmerge import counting_origin
from .applicability import require_events, require_groups

__all__ = [
    "CAUSE_LABELS",
    "comparison_hazard_ratios",
    "cumulative_incidence_at",
    "cumulative_incidence_table",
    "event_counts",
    "gray_tests",
    "gray_tests_table",
    "group_labels",
    "hazard_ratio_table",
    "local_progression_events",
    "milestone_risks",
    "reading",
    "risk_comparison",
    "time_and_cause",
]

#: Cause codes used throughout: 0 censored, 1 local progression, 2 death without it.
CAUSE_LABELS: dict[int, str] = {
    0: "censored",
    1: "local_progression",
    2: "death_without_progression",
}


# ----------------------------------------------------------------------------- input


def time_and_cause(time: object, cause: object) -> tuple[np.ndarray, np.ndarray]:
    """Checked times (near-equal ones merged once, as R) and causes 0, 1 or 2.

    Tests: tests/study/test_competing_risks.py::test_bad_cause_is_refused.
    """
    t, c = check_time_cause(time, cause)
    bad = c > 2
    if bad.any():
        i = int(np.argmax(bad))
        name = getattr(cause, "name", None) or "cause"
        raise SpinemetsError(
            f"column {name!r}, row {i}: cause {int(c[i])}; expected 0 (censored), "
            "1 (local progression) or 2 (death without it)"
        )
    return timefix_times(t), c


def group_labels(group: object, n: int) -> np.ndarray:
    """Each row's group label as text (R's factor order is kept by the methods); ``"all"``
    for every row when ``group`` is None.
    Tests: tests/study/test_competing_risks.py::test_tables_have_contract_columns."""
    if group is None:
        return np.full(n, "all", dtype=object)
    labels, codes, _ = group_codes(group, n)
    text = np.array([str(v) for v in labels], dtype=object)
    return text[codes]


def local_progression_events(patients: pd.DataFrame) -> pd.DataFrame:
    """Competing-risks coding of the cohort: columns ``time`` (months) and ``cause``.

    ``local_progression == 1`` -> cause 1 at ``lp_months``; else ``death == 1`` ->
    cause 2 (death without local progression) at ``os_months``; else censored (0) at
    ``os_months``. The index is kept. A progressor must have ``lp_months <=
    os_months``; a row breaking that raises :class:`SpinemetsError` naming the row.
    Tested by tests/study/test_competing_risks.py::test_local_progression_events.
    """
    os_, lpfs = ENDPOINTS["os"], ENDPOINTS["lpfs"]
    need = [os_.time, os_.event, lpfs.time, lpfs.event]
    missing = [c for c in need if c not in patients.columns]
    if missing:
        raise SpinemetsError(f"patients table: missing column(s) {', '.join(missing)}")
    lp = patients[lpfs.event].to_numpy(dtype=np.float64)
    death = patients[os_.event].to_numpy(dtype=np.float64)
    os_m = patients[os_.time].to_numpy(dtype=np.float64)
    lp_m = patients[lpfs.time].to_numpy(dtype=np.float64)
    for name, values in ((lpfs.event, lp), (os_.event, death)):
        bad = ~np.isin(values, (0, 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"patients table, row {patients.index[i]!r}, column {name}: "
                f"value {values[i]:g}; expected 0 or 1"
            )
    late = (lp == 1) & ~(lp_m <= os_m)
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise SpinemetsError(
            f"patients table, row {patients.index[i]!r}, column lp_months: value {lp_m[i]:g} "
            f"is after os_months {os_m[i]:g}; expected local progression at or before "
            "death or last follow-up"
        )
    time = np.where(lp == 1, lp_m, os_m)
    cause = np.where(lp == 1, 1, np.where(death == 1, 2, 0))
    return pd.DataFrame({"time": time, "cause": cause.astype(np.int64)}, index=patients.index)


# ------------------------------------------------------------------------- tables


def cumulative_incidence_table(
    time: object,
    cause: object,
    group: object = None,
    strata: str = "all",
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Tidy step table of every curve: one row per jump (and time 0).

    Columns: strata, group, cause, cause_label, time, n_events (of the cause at that
    time), estimate, std_err, lower, upper, conf_type.
    Tests: tests/study/test_competing_risks.py::test_tables_have_contract_columns.
    """
    t, c = time_and_cause(time, cause)
    g = group_labels(group, t.size)
    rows = []
    for (label, k), curve in cuminc(t, c, g, timefix=False).items():
        keep = curve.jumps
        x, f, v = curve.time[keep], curve.est[keep], curve.var[keep]
        lower, upper = cuminc_band(f, v, conf_level, conf_type)
        in_g = g == label
        n_ev = [int(np.sum((t[in_g] == xi) & (c[in_g] == k))) if i else 0 for i, xi in enumerate(x)]
        rows.append(
            pd.DataFrame(
                {
                    "strata": strata,
                    "group": label,
                    "cause": k,
                    "cause_label": CAUSE_LABELS.get(k, str(k)),
                    "time": x,
                    "n_events": n_ev,
                    "estimate": f,
                    "std_err": np.sqrt(v),
                    "lower": lower,
                    "upper": upper,
                    "conf_type": conf_type,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def gray_tests_table(
    time: object, cause: object, group: object, strata: str, rho: float = 0.0
) -> pd.DataFrame:
    """Tidy Gray's tests, one row per cause: strata, cause, cause_label, chisq, df, p, rho.

    Tests: tests/study/test_competing_risks.py::test_tables_have_contract_columns (values: the
    gray_test parity tests).
    """
    t, c = time_and_cause(time, cause)
    rows = []
    for k in sorted(int(x) for x in np.unique(c[c != 0])):
        res = gray_test(t, c, group, k, rho, timefix=False)
        rows.append(
            {
                "strata": strata,
                "cause": k,
                "cause_label": CAUSE_LABELS.get(k, str(k)),
                "chisq": res.stat,
                "df": res.df,
                "p": res.p,
                "rho": rho,
            }
        )
    return pd.DataFrame(rows)


def cumulative_incidence_at(
    time: object,
    cause: object,
    group: object,
    times: Sequence[float],
    strata: str,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Milestone table: per group, cause and time, the cumulative incidence with its
    band and, for the same cause, ``1 - Kaplan-Meier`` with the other causes censored.
    Values past a group's last follow-up are empty (cmprsk's timepoints).
    Columns: strata, group, cause, cause_label, time, estimate, lower, upper, conf_type,
    one_minus_km.
    Tests: tests/study/test_competing_risks.py::test_milestone_table_matches_r_timepoints.
    """
    t, c = time_and_cause(time, cause)
    g = group_labels(group, t.size)
    rows = []
    for (label, k), curve in cuminc(t, c, g, timefix=False).items():
        est, var = curve.at(times)
        lower, upper = cuminc_band(est, var, conf_level, conf_type)
        m = g == label
        km = kaplan_meier(t[m], (c[m] == k).astype(int), timefix=False)
        s = survival_at(km, times)["survival"].to_numpy(dtype=float)
        rows.append(
            pd.DataFrame(
                {
                    "strata": strata,
                    "group": label,
                    "cause": k,
                    "cause_label": CAUSE_LABELS.get(k, str(k)),
                    "time": np.asarray(times, dtype=float),
                    "estimate": est,
                    "lower": lower,
                    "upper": upper,
                    "conf_type": conf_type,
                    "one_minus_km": 1 - s,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def hazard_ratio_table(
    time: object,
    cause: object,
    covariates: dict[str, np.ndarray],
    conf_level: float = 0.95,
    cause_of_interest: int = 1,
) -> pd.DataFrame:
    """Fine-Gray subdistribution HR beside the cause-specific HR, one binary covariate at a time.

    For each named 0/1 covariate: the Fine-Gray model
    (:func:`spinemets.methods.cmprsk.finegray_cox`, Breslow ties, robust SE clustered
    on patient, as R's ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x + cluster(id),
    weights = fgwt, data = finegray(...), ties = "breslow")``) and the cause-specific
    Cox model (competing events censored, Efron ties, model-based SE, as R's
    ``coxph(Surv(time, cause == 1) ~ x)``). Columns: covariate, model, hr, lower,
    upper, p, se_type, events, conf_level.
    Tests: tests/study/test_immortal_time.py::test_hazard_ratio_table_matches_r.
    """
    t, c = time_and_cause(time, cause)
    event = (c == cause_of_interest).astype(np.int64)
    origin = np.full(t.size, counting_origin(t))
    rows = []
    for name, values in covariates.items():
        x = np.asarray(values, dtype=np.float64).ravel()
        fg = finegray_cox(
            t,
            c,
            x,
            cause_of_interest=cause_of_interest,
            ties="breslow",
            names=("x",),
            timefix=False,
        )
        cs = coxph(t, event, x, start=origin, names=("x",), timefix=False)
        for model, tab, se_type in (
            ("fine_gray", fg.cox.table(conf_level), "robust (cluster = patient)"),
            ("cause_specific", cs.table(conf_level), "model-based"),
        ):
            first = tab.iloc[0]
            rows.append(
                {
                    "covariate": name,
                    "model": model,
                    "hr": first["hr"],
                    "lower": first["lower"],
                    "upper": first["upper"],
                    "p": first["p"],
                    "se_type": se_type,
                    "events": int(event.sum()),
                    "conf_level": conf_level,
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------- over the study's comparisons

#: The comparisons of notebook 06: column -> the level compared with the other one.
STUDIED_LEVELS: dict[str, str] = {column: levels[0] for column, levels in COMPARISONS.items()}
#: The pooled stratum.
ALL = "all"


def event_counts(
    patients: pd.DataFrame, strata: Sequence[str] = tuple(STUDIED_LEVELS)
) -> pd.DataFrame:
    """Patients per competing-risks outcome, overall and by each column of ``strata``.

    Columns: strata (``all`` or the column), group, cause, cause_label, n; sorted by
    strata, group and cause. Tests: tests/study/test_competing_risks.py::test_event_counts.
    """
    events = local_progression_events(patients)
    parts = [
        pd.DataFrame({"strata": column, "group": patients[column], "cause": events["cause"]})
        for column in strata
    ]
    parts.append(pd.DataFrame({"strata": ALL, "group": ALL, "cause": events["cause"]}))
    counts = pd.concat(parts)
    counts["cause_label"] = counts["cause"].map(CAUSE_LABELS)
    keys = ["strata", "group", "cause", "cause_label"]
    return counts.groupby(keys, as_index=False).size().rename(columns={"size": "n"})


def milestone_risks(
    patients: pd.DataFrame,
    milestones: Sequence[float],
    strata: Sequence[str] = tuple(STUDIED_LEVELS),
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """:func:`cumulative_incidence_at` of the cohort's local progressions and deaths, for
    each column of ``strata`` stacked (columns as there).
    Tests: tests/study/test_competing_risks.py::test_milestone_risks_and_comparison.
    """
    events = local_progression_events(patients)
    tables = [
        cumulative_incidence_at(
            events["time"],
            events["cause"],
            patients[column],
            milestones,
            column,
            conf_level,
            conf_type,
        )
        for column in strata
    ]
    return pd.concat(tables, ignore_index=True)


def risk_comparison(
    milestones: pd.DataFrame, published_lpfs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The risk of local progression three ways, in percent, per stratum, group and time.

    From :func:`milestone_risks` (cause 1): ``one_minus_km_pct`` (1 - Kaplan-Meier with
    deaths censored, the paper's reading) and ``cumulative_incidence_pct`` (deaths as a
    competing event). ``published_lpfs`` (columns strata, group, time, value: the
    paper's LPFS percentages, plain data from the claims file) adds
    ``published_risk_pct`` = 100 - LPFS after ``time``, empty where the paper prints
    none. Tests: tests/study/test_competing_risks.py::test_milestone_risks_and_comparison.
    """
    rows = milestones[milestones["cause"] == 1]
    out = rows[["strata", "group", "time"]].copy()
    if published_lpfs is not None:
        keys = published_lpfs[["strata", "group", "time"]].astype({"time": float})
        lookup = {
            tuple(k): 100.0 - float(v)
            for k, v in zip(keys.itertuples(index=False), published_lpfs["value"], strict=True)
        }
        out["published_risk_pct"] = [
            lookup.get((s, g, float(t)), np.nan)
            for s, g, t in zip(out["strata"], out["group"], out["time"], strict=True)
        ]
    out["one_minus_km_pct"] = 100 * rows["one_minus_km"]
    out["cumulative_incidence_pct"] = 100 * rows["estimate"]
    return out


def gray_tests(
    patients: pd.DataFrame,
    strata: Sequence[str] = tuple(STUDIED_LEVELS),
    published_p: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Gray's test per column of ``strata`` and cause, beside the log-rank test of local
    progression with deaths censored (the paper's test; cause 1 rows only).

    Columns of :func:`gray_tests_table`, then ``logrank_p_deaths_censored`` and, when
    ``published_p`` is given (columns strata, value: the paper's LPFS log-rank p-values),
    ``published_logrank_p`` on the cause 1 rows.
    A column with one group, or a cohort without local progressions, raises
    :class:`~spinemets.errors.NotApplicable`.
    Tests: tests/study/test_competing_risks.py::test_gray_tests_and_reading.
    """
    events = local_progression_events(patients)
    progressed = (events["cause"] == 1).astype(int)
    require_events(progressed, "local progressions")
    tables = []
    for column in strata:
        require_groups(patients, column)
        table = gray_tests_table(events["time"], events["cause"], patients[column], column)
        logrank_p = logrank_test(events["time"], progressed, patients[column]).p
        table["logrank_p_deaths_censored"] = np.where(table["cause"] == 1, logrank_p, np.nan)
        tables.append(table)
    out = pd.concat(tables, ignore_index=True)
    if published_p is not None:
        lookup = dict(zip(published_p["strata"], published_p["value"], strict=True))
        out["published_logrank_p"] = [
            lookup.get(s, np.nan) if k == 1 else np.nan
            for s, k in zip(out["strata"], out["cause"], strict=True)
        ]
    return out


def comparison_hazard_ratios(
    patients: pd.DataFrame,
    strata: Sequence[str] = tuple(STUDIED_LEVELS),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`hazard_ratio_table` of local progression for each comparison of the study:
    the studied level (metastasectomy, targeted) against the other.

    Columns: strata, term (``"<level> vs other"``), then those of :func:`hazard_ratio_table`
    without ``covariate``. Tests:
    tests/study/test_competing_risks.py::test_comparison_hazard_ratios.
    """
    events = local_progression_events(patients)
    require_events(events["cause"] == 1, "local progressions")
    for column in strata:
        require_groups(patients, column)
    covariates = {
        column: (patients[column] == STUDIED_LEVELS[column]).astype(float).to_numpy()
        for column in strata
    }
    table = hazard_ratio_table(events["time"], events["cause"], covariates, conf_level)
    table = table.rename(columns={"covariate": "strata"})
    table.insert(1, "term", [f"{STUDIED_LEVELS[s]} vs other" for s in table["strata"]])
    return table


def reading(gray: pd.DataFrame, hazard_ratios: pd.DataFrame) -> str:
    """One line per comparison in plain numbers: Gray's test, the log-rank test with deaths
    censored, the subdistribution HR and the cause-specific HR with their intervals.

    ``gray`` is :func:`gray_tests`, ``hazard_ratios`` :func:`comparison_hazard_ratios`.
    Tests: tests/study/test_competing_risks.py::test_gray_tests_and_reading.
    """
    lines = []
    for column in dict.fromkeys(hazard_ratios["strata"]):
        g = gray[(gray["strata"] == column) & (gray["cause"] == 1)].iloc[0]
        rows = hazard_ratios[hazard_ratios["strata"] == column].set_index("model")
        fg, cs = rows.loc["fine_gray"], rows.loc["cause_specific"]
        lines.append(
            f"{column}: {STUDIED_LEVELS.get(column, column)} vs other — Gray's test "
            f"{format_p(g['p'], prefix=True)} (log-rank, deaths censored: "
            f"{format_p(g['logrank_p_deaths_censored'], prefix=True)}); "
            f"SHR = {fg['hr']:.2f} ({fg['lower']:.2f}-{fg['upper']:.2f}); "
            f"cause-specific HR = {cs['hr']:.2f} ({cs['lower']:.2f}-{cs['upper']:.2f})"
        )
    return "\n".join(lines)
