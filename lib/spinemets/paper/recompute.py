"""Each of the paper's claims recomputed from a cohort.

A claim (:mod:`spinemets.paper.claims`) names its recomputation; this module
evaluates it on a cohort's two tables with the same functions the notebooks use:

* descriptive claims (:func:`recompute_descriptive`): counts, percentages,
  medians, means with t intervals, Pearson chi-square with Yates' correction,
  McNemar, the paired Wilcoxon test (R ``sum``, ``median``, ``mean``,
  ``t.test``, ``chisq.test``, ``mcnemar.test``, ``wilcox.test``, via
  :mod:`spinemets.methods.contingency`);
* survival claims (:func:`recompute_survival`): Kaplan-Meier medians, their
  confidence limits and milestone rates (R ``survfit``, ``print.survfit``,
  ``summary.survfit(times=)``) and log-rank p-values (R ``survdiff``), via
  :mod:`spinemets.methods.km` and :mod:`spinemets.methods.logrank`, honouring the
  claim's ``conf_type`` (R's default ``log``, the paper's, when the claim gives none).

:func:`recompute` dispatches on the claim's computation; the scorecard
(:mod:`spinemets.paper.scorecard`) classifies what it returns. Tested by
``tests/paper/test_recompute.py`` (hand-made cohorts worked out by hand) and
``tests/paper/test_claims.py`` (the bundled cohort meets every followed claim).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from ..methods import contingency
from ..methods.km import kaplan_meier, median_survival, survival_at
from ..methods.logrank import logrank_test
from ..study.endpoints import ALL, endpoint_data
from .claims import Claim, load_claims

#: What a recomputation gives: a value, an interval (lower, upper), or None.
Recomputed = float | tuple[float, float] | None

#: Computations :func:`recompute_survival` evaluates.
SURVIVAL_COMPUTATIONS: frozenset[str] = frozenset(
    {"km_median", "km_median_ci", "km_survival", "logrank_p"}
)


#: Computations :func:`recompute_descriptive` evaluates (no survival analysis needed).
DESCRIPTIVE_COMPUTATIONS: frozenset[str] = frozenset(
    "count count_distinct count_greater percent median range mean mean_ci chisq_yates "
    "chisq_yates_p mcnemar_p wilcoxon_paired_p".split()
)


def _mask(df: pd.DataFrame, where: Mapping[str, Any] | None) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for column, wanted in (where or {}).items():
        values = list(wanted) if isinstance(wanted, tuple | list) else [wanted]
        mask &= df[column].isin(values)
    return mask


def recompute_descriptive(
    claim: Claim, patients: pd.DataFrame, complications: pd.DataFrame
) -> Recomputed:
    """Recompute a descriptive claim from a cohort; ``None`` for survival and context claims.

    ``count``/``percent``/``median``/``mean`` are the plain definitions (R
    ``sum``, ``median``, ``mean``); ``mean_ci`` is R ``t.test``'s interval,
    ``chisq_yates`` R ``chisq.test(correct = TRUE)``, ``mcnemar_p`` R
    ``mcnemar.test`` on the 2 x 2 table of ``positive`` before vs after,
    ``wilcoxon_paired_p`` R ``wilcox.test(paired = TRUE)`` (all via
    :mod:`spinemets.methods.contingency`). Tested by ``tests/paper/test_recompute.py``.
    """
    if claim.computation not in DESCRIPTIVE_COMPUTATIONS:
        return None
    a = claim.args
    table = complications if a.get("table") == "complications" else patients
    rows = table[_mask(table, a.get("where"))]
    name = claim.computation
    if name == "count":
        return float(len(rows))
    if name == "count_distinct":
        return float(rows[a["column"]].nunique())
    if name == "count_greater":
        return float((rows[a["column"]] > rows[a["than"]]).sum())
    if name == "percent":
        among = table[_mask(table, a.get("among"))]
        hits = _mask(among, a["where"]).sum()
        return 100.0 * float(hits) / len(among)
    if name == "median":
        return float(rows[a["column"]].median())
    if name == "range":
        return float(rows[a["column"]].min()), float(rows[a["column"]].max())
    if name == "mean":
        return float(rows[a["column"]].mean())
    if name == "mean_ci":
        ci = contingency.t_mean_ci(rows[a["column"]].to_numpy(float), float(a["conf_level"]))
        return ci.lower, ci.upper
    if name in ("chisq_yates", "chisq_yates_p"):
        counts = pd.crosstab(rows[a["row"]], rows[a["column"]]).to_numpy()
        result = contingency.chisq_test(counts, correct=True)
        return float(result.statistic) if name == "chisq_yates" else result.p_value
    if name == "mcnemar_p":
        before = rows[a["before"]].isin(list(a["positive"]))
        after = rows[a["after"]].isin(list(a["positive"]))
        counts = np.array(
            [
                [int((before & after).sum()), int((before & ~after).sum())],
                [int((~before & after).sum()), int((~before & ~after).sum())],
            ]
        )
        return contingency.mcnemar_test(counts, correct=True).p_value
    # wilcoxon_paired_p
    return contingency.wilcox_test(
        rows[a["before"]].to_numpy(float), rows[a["after"]].to_numpy(float), paired=True
    ).p_value


#: Status words of :func:`descriptive_check`.
STATUS_AGREES = "agrees"
STATUS_NOT_FOLLOWED = "differs (statement not followed)"
STATUS_DIFFERS = "differs"


def descriptive_check(
    patients: pd.DataFrame,
    complications: pd.DataFrame,
    claim_list: list[Claim] | None = None,
) -> pd.DataFrame:
    """Published vs reproduced for every claim :func:`recompute_descriptive` can evaluate.

    One row per claim, in file order: id, section, quote, published, reproduced
    (at the printed precision), unit, status (``agrees``; ``differs (statement not
    followed)`` for a statement the paper gives differently elsewhere, which the
    cohort deliberately does not follow; ``differs``). Survival claims are left to
    the scorecard. Tested by ``tests/paper/test_recompute.py``.
    """
    rows = []
    for c in load_claims() if claim_list is None else claim_list:
        got = recompute_descriptive(c, patients, complications)
        if got is None:
            continue
        if c.agrees(got):
            status = STATUS_AGREES
        else:
            status = STATUS_DIFFERS if c.followed else STATUS_NOT_FOLLOWED
        rows.append(
            {
                "id": c.id,
                "section": c.section,
                "quote": c.quote,
                "published": c.published,
                "reproduced": c.format_value(got),
                "unit": c.unit,
                "status": status,
            }
        )
    return pd.DataFrame(
        rows, columns=["id", "section", "quote", "published", "reproduced", "unit", "status"]
    )


def recompute_survival(claim: Claim, patients: pd.DataFrame) -> Recomputed:
    """The value of a survival claim on ``patients``; None where it does not exist.

    ``km_median``: median (R print.survfit); ``km_median_ci``: (lower, upper), a
    limit not reached is NaN; ``km_survival``: 100 x S(time) (R summary.survfit);
    ``logrank_p``: survdiff p. A median not reached, or a time past the last
    follow-up, gives None. Tested by ``tests/paper/test_recompute.py``.
    """
    if claim.computation not in SURVIVAL_COMPUTATIONS:
        raise SpinemetsError(
            f"claim {claim.id!r}: computation {claim.computation!r} is not a survival one; "
            f"expected one of {', '.join(sorted(SURVIVAL_COMPUTATIONS))}"
        )
    args = claim.args
    time, event = endpoint_data(patients, args["endpoint"])
    strata = args["strata"]
    if claim.computation == "logrank_p":
        return _exists(logrank_test(time, event, patients[strata]).p)
    mask = np.ones(len(patients), dtype=bool)
    if strata != ALL:
        mask = (patients[strata].astype(str) == str(args["group"])).to_numpy()
    km = kaplan_meier(time[mask], event[mask], conf_type=args.get("conf_type", "log"))
    if claim.computation == "km_survival":
        return _exists(100.0 * float(survival_at(km, [args["time"]]).survival.iloc[0]))
    med = median_survival(km)
    if claim.computation == "km_median":
        return _exists(med.median)
    return (med.lower, med.upper)


def _exists(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def recompute(claim: Claim, patients: pd.DataFrame, complications: pd.DataFrame) -> Recomputed:
    """The claim's value on a cohort (None for context claims and absent estimates).

    Dispatches to :func:`recompute_survival` or :func:`recompute_descriptive`;
    every computation of :data:`spinemets.paper.claims.COMPUTATIONS` but
    ``context`` is one of theirs (``tests/paper/test_recompute.py`` checks it).
    """
    if claim.computation in SURVIVAL_COMPUTATIONS:
        return recompute_survival(claim, patients)
    return recompute_descriptive(claim, patients, complications)
