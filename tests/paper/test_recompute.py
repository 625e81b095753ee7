"""Claims recomputed from a cohort (spinemets.paper.recompute).

The cohorts are hand-made ones whose numbers are worked out below, so expected
values come from arithmetic, not from the code under test.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from spinemets import paths
from spinemets.cohort import Cohort
from spinemets.errors import SpinemetsError
from spinemets.paper import recompute, scorecard
from spinemets.paper.claims import COMPUTATIONS, Claim, load_claims
from spinemets.paper.recompute import recompute_survival

# Group a: deaths at 10, 20, 30, 40 (S = .75, .5, .25, 0) -> median (20 + 30) / 2 = 25.
# Group b: deaths at 5 and 50, censored at 15, 70 -> S(36) = .75 * (1 - 1/2) ... see below.
PATIENTS = pd.DataFrame(
    {
        "surgery": ["a"] * 4 + ["b"] * 4,
        "os_months": [10, 20, 30, 40, 5, 15, 50, 70],
        "death": [1, 1, 1, 1, 1, 0, 1, 0],
        "lp_months": [10, 20, 30, 40, 5, 15, 50, 70],
        "local_progression": [0] * 8,
    }
)


def claim(computation: str, printed: str = "1", id_: str = "", **args) -> Claim:
    value = None if computation == "km_median_ci" else float(printed.lstrip("."))
    interval = (16.0, 32.0) if computation == "km_median_ci" else None
    return Claim(
        id=id_ or f"test_{computation}",
        section="results",
        quote="test",
        printed=printed,
        unit="months",
        tolerance=0.5,
        computation=computation,
        args=args,
        value=value,
        interval=interval,
    )


def test_median_by_hand() -> None:
    c = claim("km_median", "25", endpoint="os", strata="surgery", group="a")
    assert recompute_survival(c, PATIENTS) == 25.0  # flat at exactly 0.5: midpoint


def test_survival_percent_by_hand() -> None:
    # group b: S = 3/4 after t = 5; at 50, 2 at risk, 1 dies: 3/4 * 1/2 = 37.5 %
    c = claim("km_survival", "37.5", endpoint="os", strata="surgery", group="b", time=60)
    assert recompute_survival(c, PATIENTS) == pytest.approx(37.5)
    past = claim("km_survival", endpoint="os", strata="surgery", group="a", time=60)
    assert recompute_survival(past, PATIENTS) is None  # group a followed to 40 only


def test_median_ci_limit_not_reached_is_nan() -> None:
    c = claim("km_median_ci", "16–32", endpoint="os", strata="surgery", group="b")
    lower, upper = recompute_survival(c, PATIENTS)
    assert math.isnan(upper)


def test_comparison_table() -> None:
    # all 8: S = 7/8, 6/8, (censored 15), 6/8 * 4/5 = .6, .6 * 3/4 = .45 at 30 -> 30
    claims = [
        claim("km_median", "25", id_="a", endpoint="os", strata="surgery", group="a"),
        claim("km_median", "29", id_="all", endpoint="os", strata="all", group="all"),
        claim("km_median_ci", "16–32", id_="b", endpoint="os", strata="surgery", group="b"),
    ]
    cohort = Cohort(PATIENTS, PATIENTS.iloc[:0], is_synthetic=False, label="t", source_files=())
    table = scorecard.compare(cohort, ["all", "a", "b"], claims)
    assert table.claim.tolist() == ["all", "a", "b"]
    assert table.reproduced.tolist()[:2] == ["30", "25"]
    assert table.reproduced[2].endswith("–NR")
    assert table.status.tolist() == ["close", "exact", "differs"]


def test_non_survival_claim_is_refused() -> None:
    with pytest.raises(SpinemetsError, match="not a survival one"):
        recompute_survival(claim("median", column="age"), PATIENTS)


# --- descriptive claims ------------------------------------------------------------------


def test_recompute_descriptive_on_a_tiny_cohort():
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "surgery": ["metastasectomy", "decompression", "decompression", "decompression"],
            "vas_pre": [8, 6, 7, 9],
            "vas_post": [2, 6, 3, 1],
        }
    )
    complications = pd.DataFrame(
        {"patient_id": ["a", "a", "c"], "category": ["wound", "implant", "wound"]}
    )

    def claim(computation, args, interval=False):
        base = {"id": "t", "section": "results", "quote": "q", "printed": "q", "unit": "count"}
        extra = {"interval": (0.0, 0.0)} if interval else {"value": 0.0}
        return Claim(tolerance=0.5, computation=computation, args=args, **base, **extra)

    def run(c):
        return recompute.recompute_descriptive(c, patients, complications)

    assert run(claim("count", {"where": {"surgery": "decompression"}})) == 3
    assert run(claim("percent", {"where": {"surgery": "metastasectomy"}})) == 25
    assert run(claim("count", {"table": "complications", "where": {"category": "wound"}})) == 2
    distinct = claim("count_distinct", {"table": "complications", "column": "patient_id"})
    assert run(distinct) == 2
    assert run(claim("count_greater", {"column": "vas_post", "than": "vas_pre"})) == 0
    assert run(claim("mean", {"column": "vas_pre"})) == 7.5
    assert run(claim("median", {"column": "vas_post"})) == 2.5
    # mean 7.5, sd sqrt(5/3), t(0.975, 3) = 3.182446305284263
    half = 3.182446305284263 * math.sqrt(5 / 3) / 2
    lo, hi = run(claim("mean_ci", {"column": "vas_pre", "conf_level": 0.95}, interval=True))
    assert (lo, hi) == pytest.approx((7.5 - half, 7.5 + half))
    assert run(claim("km_median", {"endpoint": "os", "strata": "all", "group": "all"})) is None


def test_bundled_cohort_meets_every_followed_descriptive_claim():
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS)
    complications = pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)
    checked = 0
    for c in load_claims():
        got = recompute.recompute_descriptive(c, patients, complications)
        if got is None or c.id == "lp_median_time":  # survival-time dependent
            continue
        assert c.agrees(got) == c.followed, (c.id, got)
        checked += 1
    assert checked >= 50


def test_descriptive_check_statuses():
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS)
    complications = pd.read_csv(paths.SYNTHETIC_COMPLICATIONS)
    check = recompute.descriptive_check(patients, complications).set_index("id")
    assert check.loc["n_targeted_methods", "status"] == recompute.STATUS_NOT_FOLLOWED
    assert check.loc["n_targeted_methods", "reproduced"] == "26"
    assert check.loc["age_range", "reproduced"] == "23–74"
    assert "os_median_all" not in check.index  # survival claims: the scorecard's job
    worse = patients.assign(vas_post=patients["vas_pre"] + 1)
    check = recompute.descriptive_check(worse, complications).set_index("id")
    assert check.loc["vas_worse_n", "status"] == recompute.STATUS_DIFFERS
    assert check.loc["vas_worse_n", "reproduced"] == "100"


def test_every_computation_of_the_vocabulary_is_recomputed():
    implemented = recompute.DESCRIPTIVE_COMPUTATIONS | recompute.SURVIVAL_COMPUTATIONS
    assert implemented == set(COMPUTATIONS) - {"context"}
    assert not recompute.DESCRIPTIVE_COMPUTATIONS & recompute.SURVIVAL_COMPUTATIONS


def test_recompute_dispatches_by_computation():
    c = claim("km_median", "25", endpoint="os", strata="surgery", group="a")
    assert recompute.recompute(c, PATIENTS, PATIENTS.iloc[:0]) == 25.0
    count = Claim("n", "results", "q 8", "8", "patients", 0.5, "count", {}, value=8.0)
    assert recompute.recompute(count, PATIENTS, PATIENTS.iloc[:0]) == 8.0
    context = Claim("y", "methods", "q 3", "3", "level", 0.0, "context", {}, value=3.0)
    assert recompute.recompute(context, PATIENTS, PATIENTS.iloc[:0]) is None
