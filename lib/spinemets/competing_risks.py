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
  :func:`gray_tests_table`, :func:`hazard_ratio_table` -- tidy tables;
* :func:`plot_cuminc` -- the figure (cumulative incidence beside 1 - Kaplan-Meier).

Tests: ``tests/test_competing_risks.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import SpinemetsError
from .methods._validate import check_time_cause, group_codes
from .methods.cmprsk import cuminc, cuminc_band, finegray_cox, gray_test
from .methods.cox import coxph
from .methods.km import kaplan_meier, survival_at
from .methods.timefix import timefix_times
from .methods.tmerge import counting_origin
from .notebook import PALETTE

__all__ = [
    "CAUSE_LABELS",
    "cumulative_incidence_at",
    "cumulative_incidence_table",
    "gray_tests_table",
    "hazard_ratio_table",
    "local_progression_events",
    "plot_cuminc",
]

#: Cause codes used throughout: 0 censored, 1 local progression, 2 death without it.
CAUSE_LABELS: dict[int, str] = {
    0: "censored",
    1: "local_progression",
    2: "death_without_progression",
}


# ----------------------------------------------------------------------------- input


def _time_cause(time: object, cause: object) -> tuple[np.ndarray, np.ndarray]:
    """Checked times (near-equal ones merged once, as R) and causes 0, 1 or 2."""
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


def _group_labels(group: object, n: int) -> np.ndarray:
    """Each row's group label as text (R's factor order is kept by the methods)."""
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
    Tested by tests/test_competing_risks.py::test_local_progression_events.
    """
    need = ["os_months", "death", "lp_months", "local_progression"]
    missing = [c for c in need if c not in patients.columns]
    if missing:
        raise SpinemetsError(f"patients table: missing column(s) {', '.join(missing)}")
    lp = patients["local_progression"].to_numpy(dtype=np.float64)
    death = patients["death"].to_numpy(dtype=np.float64)
    os_m = patients["os_months"].to_numpy(dtype=np.float64)
    lp_m = patients["lp_months"].to_numpy(dtype=np.float64)
    for name, values in (("local_progression", lp), ("death", death)):
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
    Tests: tests/test_competing_risks.py::test_tables_have_contract_columns.
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
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

    Tests: tests/test_competing_risks.py::test_tables_have_contract_columns (values: the
    gray_test parity tests).
    """
    t, c = _time_cause(time, cause)
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


# ------------------------------------------------------------------------- figure


def plot_cuminc(
    ax: object,
    time: object,
    cause: object,
    group: object,
    cause_of_interest: int = 1,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    one_minus_km: bool = True,
    title: str | None = None,
) -> None:
    """Draw on ``ax``, per group, the cumulative incidence of ``cause_of_interest``
    (solid step, shaded ``conf_type`` band) and, dashed, ``1 - Kaplan-Meier`` with the
    other causes censored (the paper's reading), so the gap between them is visible.
    Tests: tests/test_competing_risks.py::test_plot_cuminc_draws (smoke test).
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
    curves = cuminc(t, c, g, timefix=False)
    for i, label in enumerate(dict.fromkeys(label for label, _ in curves)):
        color = PALETTE[i % len(PALETTE)]
        curve = curves.get((label, cause_of_interest))
        if curve is None:
            continue
        n = int(np.sum(g == label))
        ax.step(
            curve.time,
            curve.est,
            where="post",
            color=color,
            lw=1.8,
            label=f"{label} (n = {n}): cumulative incidence",
        )
        jumps = curve.jumps
        lower, upper = cuminc_band(curve.est[jumps], curve.var[jumps], conf_level, conf_type)
        xs = np.r_[curve.time[jumps], curve.time[-1]]
        lo = np.nan_to_num(np.r_[lower, lower[-1]], nan=0.0)
        hi = np.nan_to_num(np.r_[upper, upper[-1]], nan=0.0)
        ax.fill_between(xs, lo, hi, step="post", color=color, alpha=0.15, lw=0)
        if one_minus_km:
            m = g == label
            km = kaplan_meier(t[m], (c[m] == cause_of_interest).astype(int), timefix=False)
            ax.step(
                np.r_[0, km.time],
                np.r_[0, 1 - km.surv],
                where="post",
                color=color,
                ls="--",
                lw=1.2,
                label=f"{label}: 1 - Kaplan-Meier (deaths censored)",
            )
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    ax.set_xlabel("Months since spinal surgery")
    ax.set_ylabel(
        f"Probability of {CAUSE_LABELS.get(cause_of_interest, 'event')}".replace("_", " ")
    )
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=11)


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
    one_minus_km. Tests: tests/test_competing_risks.py::test_milestone_table_matches_r_timepoints.
    """
    t, c = _time_cause(time, cause)
    g = _group_labels(group, t.size)
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
    Tests: tests/test_landmark.py::test_hazard_ratio_table_matches_r.
    """
    t, c = _time_cause(time, cause)
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
