"""The paper's survival claims recomputed from a cohort, beside the printed numbers.

The claims file (:mod:`spinemets.claims`) names each survival number by a
computation -- ``km_median``, ``km_median_ci``, ``km_survival`` (percent) or
``logrank_p`` -- and its endpoint, stratum, group and time. This module evaluates
those computations with this package, honouring the claim's ``conf_type`` (the
paper's, R's default ``log``, when the claim gives none).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import SpinemetsError
from .endpoints import ALL, endpoint_data
from .km import kaplan_meier, survival_at
from .logrank import logrank_test
from .median import median_survival

if TYPE_CHECKING:
    from ..claims import Claim

#: Claim computations evaluated here.
SURVIVAL_COMPUTATIONS: frozenset[str] = frozenset(
    {"km_median", "km_median_ci", "km_survival", "logrank_p"}
)


def recompute_survival(claim: Claim, patients: pd.DataFrame) -> float | tuple[float, float] | None:
    """The value of a survival claim on ``patients``; None where it does not exist.

    ``km_median``: median (R print.survfit); ``km_median_ci``: (lower, upper), a
    limit not reached is NaN; ``km_survival``: 100 x S(time) (R summary.survfit);
    ``logrank_p``: survdiff p. A median not reached, or a time past the last
    follow-up, gives None.
    Tests: tests/test_survival_published.py.
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
