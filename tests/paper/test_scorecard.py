"""The reproduction scorecard: statuses by hand-made claims, the bundled cohort, the guard.

Expected statuses come from the definitions in ``spinemets.paper.scorecard``'s
docstring applied by hand to hand-made claims (e.g. 29.7 printed, tolerance
0.05: 29.70 is within rounding, 30.5 close, 31 differs); values on the bundled
cohort are recomputed here with plain pandas, not with the package.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pandas as pd
import pytest
import yaml
from spinemets import cli, paths
from spinemets.cohort import load_cohort
from spinemets.errors import SpinemetsError
from spinemets.paper import scorecard as sc
from spinemets.paper.claims import Claim, load_claims


def claim(**kw) -> Claim:
    base = dict(
        id="x",
        section="results",
        quote="q 29.7",
        printed="29.7",
        unit="percent",
        tolerance=0.05,
        computation="percent",
        args=MappingProxyType({}),
        value=29.7,
    )
    base.update(kw)
    return Claim(**base)


COUNT = dict(printed="39", unit="patients", tolerance=0.5, computation="count", value=39.0)
P_BOUND = dict(printed=".0001", unit="p", tolerance=0.0, computation="mcnemar_p", value=0.0001)
CI = dict(
    printed="17–29",
    unit="months",
    tolerance=0.5,
    computation="km_median_ci",
    value=None,
    interval=(17.0, 29.0),
)


@pytest.mark.parametrize(
    ("kw", "reproduced", "status"),
    [
        ({}, 29.7, sc.STATUS_EXACT),
        ({}, 29.74, sc.STATUS_WITHIN_ROUNDING),
        ({}, 29.66, sc.STATUS_WITHIN_ROUNDING),
        ({}, 29.76, sc.STATUS_CLOSE),  # 0.06 > 0.05 but <= 1 point
        ({}, 30.7, sc.STATUS_CLOSE),  # exactly 1 point
        ({}, 30.71, sc.STATUS_DIFFERS),
        ({}, None, sc.STATUS_DIFFERS),  # e.g. past the last follow-up
        ({}, float("nan"), sc.STATUS_DIFFERS),
        (COUNT, 39.0, sc.STATUS_EXACT),
        (COUNT, 40.0, sc.STATUS_DIFFERS),  # counts have no close band
        (P_BOUND | {"bound": "upper"}, 2e-7, sc.STATUS_EXACT),
        (P_BOUND | {"bound": "upper"}, 0.0001, sc.STATUS_DIFFERS),  # not strictly below
        (CI, (17.0, 29.0), sc.STATUS_EXACT),
        (CI, (17.0, 29.4), sc.STATUS_WITHIN_ROUNDING),
        (CI, (17.0, 30.0), sc.STATUS_CLOSE),  # one end 1 month off
        (CI, (16.0, 31.0), sc.STATUS_DIFFERS),  # one end 2 months off
        (CI, (17.0, float("nan")), sc.STATUS_DIFFERS),  # upper limit not reached
        ({"computation": "context", "tolerance": 0.0}, None, sc.STATUS_NOT_COMPUTABLE),
    ],
)
def test_classify_by_hand(kw, reproduced, status):
    assert sc.status_of(claim(**kw), reproduced) == status


def test_p_value_close_band():
    p = claim(printed=".750", unit="p", tolerance=0.0005, computation="logrank_p", value=0.75)
    assert sc.status_of(p, 0.7504) == sc.STATUS_WITHIN_ROUNDING
    assert sc.status_of(p, 0.759) == sc.STATUS_CLOSE
    assert sc.status_of(p, 0.667) == sc.STATUS_DIFFERS


def test_not_followed_only_when_unmet():
    c = claim(**COUNT, followed=False)
    assert sc.status_of(c, 26.0) == sc.STATUS_NOT_FOLLOWED
    assert sc.status_of(c, 39.0) == sc.STATUS_EXACT


def test_difference_is_the_end_further_off():
    assert sc.difference(claim(**CI), (16.0, 29.5)) == -1.0
    assert sc.difference(claim(), 30.0) == pytest.approx(0.3)
    assert sc.difference(claim(**P_BOUND, bound="upper"), 1e-7) is None


# --------------------------------------------------------------------------- bundled cohort


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def card(cohort) -> pd.DataFrame:
    return sc.scorecard(cohort)


def test_every_claim_of_the_file_is_a_row(card):
    raw = yaml.safe_load(paths.CLAIMS_FILE.read_text(encoding="utf-8"))["claims"]
    assert len(card) == len(raw)
    assert list(card["id"]) == [entry["id"] for entry in raw]
    assert list(card.columns) == list(sc.COLUMNS)
    assert set(card["status"]) <= set(sc.STATUSES)


def test_descriptive_values_against_plain_pandas(card, cohort):
    p = cohort.patients
    by_id = card.set_index("id")
    assert by_id.loc["n_metastasectomy", "reproduced"] == str((p.surgery == "metastasectomy").sum())
    assert by_id.loc["n_metastasectomy", "status"] == sc.STATUS_EXACT
    assert by_id.loc["vas_pre_mean", "reproduced"] == f"{p.vas_pre.mean():.1f}"
    assert by_id.loc["vas_pre_mean", "difference"] == pytest.approx(p.vas_pre.mean() - 7.1)
    assert by_id.loc["deaths_n", "reproduced"] == str(int(p.death.sum()))
    assert by_id.loc["complications_n", "reproduced"] == str(len(cohort.complications))


def test_unranked_statuses_on_the_bundled_cohort(card):
    by_id = card.set_index("id")
    assert by_id.loc["n_targeted_methods", "status"] == sc.STATUS_NOT_FOLLOWED
    assert by_id.loc["n_targeted_methods", "reproduced"] == "26"
    assert "34" in by_id.loc["n_targeted_methods", "conflict"]
    assert not by_id.loc["n_targeted_methods", "followed"]
    context = card[card["status"] == sc.STATUS_NOT_COMPUTABLE]
    assert set(context["id"]) == {
        "level_of_evidence",
        "study_period",
        "operative_treatment_types",
        "vas_scale",
        "significance_level",
        "metastasectomy_before_nephrectomy_n",
        "vas_post_day",
    }
    assert (context["reproduced"] == "").all()


def test_every_row_not_reproduced_says_why(card):
    rest = card[~card["status"].isin(sc.REPRODUCED)]
    assert (rest["note"].str.len() > 10).all()


def test_cytokine_lpfs_points_to_the_consistency_proof(card):
    row = card.set_index("id").loc["lpfs_5y_cytokine"]
    assert row["status"] not in sc.REPRODUCED  # impossible (tests/paper/test_consistency.py)
    assert "cannot all hold here (consistency: cytokine LPFS" in row["note"]


def test_a_users_cohort_is_compared_with_the_paper(cohort):
    p = cohort.patients.copy()
    p.loc[p.index[0], "age"] = 90  # range 23-74 no longer holds
    own = dataclasses.replace(cohort, patients=p, is_synthetic=False, label="own")
    row = sc.scorecard(own).set_index("id").loc["age_range"]
    assert row.status == sc.STATUS_DIFFERS and "this cohort differs" in row.note
    assert row.reproduced.endswith("90")


def test_summary_counts_by_hand():
    df = pd.DataFrame(
        {
            "section": ["abstract", "abstract", "results", "results", "results", "methods"],
            "status": [
                sc.STATUS_EXACT,
                sc.STATUS_NOT_COMPUTABLE,
                sc.STATUS_WITHIN_ROUNDING,
                sc.STATUS_DIFFERS,
                sc.STATUS_CLOSE,
                sc.STATUS_NOT_FOLLOWED,
            ],
        }
    )
    s = sc.summarise(df).set_index("section")
    assert list(s.index) == ["all", "abstract", "results", "methods"]
    assert s.loc["all", "claims"] == 6 and s.loc["all", "assessed"] == 4
    assert s.loc["all", "reproduced"] == 2 and s.loc["all", "reproduced_pct"] == 50.0
    assert s.loc["results", "reproduced_pct"] == pytest.approx(33.3)
    assert s.loc["methods", "assessed"] == 0 and pd.isna(s.loc["methods", "reproduced_pct"])
    assert sc.reproduction_rate(df) == 0.5


def test_summary_of_the_bundled_cohort_adds_up(card):
    s = sc.summarise(card).set_index("section")
    assert s.loc["all", "claims"] == len(card)
    assert s.loc["all", list(sc.STATUSES)].sum() == len(card)
    assert s.drop(index="all")["claims"].sum() == len(card)


@pytest.mark.skipif(
    not (paths.SYNTHETIC_DIR / "survival_times.csv").exists(),
    reason="survival times not calibrated yet (spinemets.paper.calibrate)",
)
def test_calibrated_cohort_reproduces_at_least_90_percent(card):
    assert sc.reproduction_rate(card) >= 0.9


# --------------------------------------------------------------------------- regression guard


def test_no_claim_is_worse_than_the_committed_baseline(card):
    worse = sc.regressions(card, sc.read_baseline())
    assert worse.empty, (
        f"scorecard statuses got worse than {paths.display_path(sc.BASELINE_FILE)}:\n"
        + worse.to_string()
        + "\nIf intended, regenerate with `spinemets scorecard --write-baseline` and commit."
    )


def test_baseline_covers_every_claim(card):
    assert list(sc.read_baseline()["id"]) == list(card["id"])


def test_baseline_lives_beside_the_claims_it_scores():
    # the package never writes into tests/: the baseline belongs to the paper layer's data
    assert sc.BASELINE_FILE.parent == paths.CLAIMS_FILE.parent
    assert paths.PROJECT_ROOT / "tests" not in sc.BASELINE_FILE.parents


def test_regressions_by_hand():
    base = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "section": ["results"] * 6,
            "status": [
                sc.STATUS_WITHIN_ROUNDING,
                sc.STATUS_CLOSE,
                sc.STATUS_NOT_COMPUTABLE,
                sc.STATUS_EXACT,
                sc.STATUS_DIFFERS,
                sc.STATUS_EXACT,
            ],
        }
    )
    now = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "g"],
            "status": [
                sc.STATUS_EXACT,  # better: fine
                sc.STATUS_DIFFERS,  # worse
                sc.STATUS_DIFFERS,  # left an unranked status
                sc.STATUS_EXACT,  # same
                sc.STATUS_NOT_FOLLOWED,  # entered an unranked status
                sc.STATUS_EXACT,  # new claim
            ],
        }
    )
    got = sc.regressions(now, base).set_index("id")
    assert sorted(got.index) == ["b", "c", "e", "f", "g"]
    assert got.loc["b", "problem"] == "worse than the baseline"
    assert "not in the baseline" in got.loc["g", "problem"]
    assert "not in the scorecard" in got.loc["f", "problem"]


def test_baseline_bytes_are_deterministic(card, tmp_path):
    a = sc.write_baseline(card, tmp_path / "a.csv").read_bytes()
    b = sc.write_baseline(card, tmp_path / "b.csv").read_bytes()
    assert a == b and a.startswith(b"id,section,status\n") and b"\r" not in a
    assert sc.read_baseline(tmp_path / "a.csv").equals(sc.baseline_frame(card))


def test_bad_baseline_names_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,section,status\nx,results,great\n", encoding="utf-8")
    with pytest.raises(SpinemetsError, match=r"row 2, column 'status': 'great'"):
        sc.read_baseline(bad)


def test_cli_check_and_refusal(monkeypatch, tmp_path, capsys):
    assert cli.main(["scorecard", "--check"]) == 0
    assert "no claim is worse" in capsys.readouterr().out
    worse = tmp_path / "baseline.csv"
    text = sc.BASELINE_FILE.read_text(encoding="utf-8")
    # pretend every claim was exact: anything less is a regression
    lines = text.splitlines()
    lines = [lines[0]] + [",".join([*ln.split(",")[:2], "exact"]) for ln in lines[1:]]
    worse.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(sc, "BASELINE_FILE", worse)
    assert cli.main(["scorecard", "--check"]) == 1
    assert cli.main(["scorecard", "--write-baseline", "--patients", "x.csv"]) == 2


def test_with_conf_type_changes_only_survival_ci_claims():
    original = load_claims()
    plain = sc.with_conf_type(original, "plain")
    changed = [a.id for a, b in zip(original, plain, strict=True) if a != b]
    assert changed and all(plain_id.endswith("_ci") for plain_id in changed)
    assert all(c.args["conf_type"] == "plain" for c in plain if c.id in changed)
    assert "vas_pre_ci" not in changed  # a t interval has no conf_type
    with pytest.raises(SpinemetsError, match="conf_type 'logit'"):
        sc.with_conf_type(original, "logit")


def test_compare_is_the_scorecard_for_those_claims() -> None:
    cohort = load_cohort()
    ids = ["os_median_all", "n_metastasectomy", "vas_pre_ci"]
    table = sc.compare(cohort, ids)
    assert table.columns.tolist() == ["claim", "quote", "published", "reproduced", "status"]
    assert table["claim"].tolist() == ids
    # the bundled cohort has 39 metastasectomy patients, as the paper says (a count: exact)
    row = table.set_index("claim").loc["n_metastasectomy"]
    assert (row["published"], row["reproduced"], row["status"]) == ("39", "39", "exact")
    full = sc.scorecard(cohort).set_index("id")
    assert table["status"].tolist() == full.loc[ids, "status"].tolist()
    # every claim, in another order and one twice: the same rows as the whole scorecard
    # (compare recomputes only the claims asked for)
    every = full.index.tolist()[::-1] + ["os_median_all"]
    shown = ["quote", "published", "reproduced", "status"]
    expected = full.loc[every, shown].rename_axis("claim").reset_index()
    pd.testing.assert_frame_equal(sc.compare(cohort, every), expected)
    with pytest.raises(SpinemetsError, match="no claim with id 'nope'"):
        sc.compare(cohort, ["nope"])


def test_close_bands() -> None:
    table = sc.close_bands()
    assert list(table.columns) == ["unit", "close_band"]
    assert table["unit"].tolist() == sorted(sc.CLOSE_TOLERANCES)
    # percentages: within 1 percentage point is close (module docstring's table)
    assert table.set_index("unit").loc["percent", "close_band"] == 1.0
