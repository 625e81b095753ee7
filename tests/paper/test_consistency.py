"""The paper audit: every expected number below is hand arithmetic on the paper's text.

The paper (Ptashnikov et al. 2020) prints: 39 metastasectomy + 61 decompression;
26 targeted (7 + 19) in the abstract, 34 targeted and 75 cytokine in the
methods; 66% synchronous and "the other 44%"; 3/39 vs 13/61 local progressions
with chi2 = 2.35, P = .125; LPFS 90.6 -> 82.4 (metastasectomy), 77.4 -> 72.9
(cytokine) with 3-year cytokine OS 21%; 95.8% targeted LPFS.
"""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets import audit as au
from spinemets.errors import SpinemetsError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return au.audit()


def row(table: pd.DataFrame, check: str) -> pd.Series:
    hits = table[table["check"] == check]
    assert len(hits) == 1, check
    return hits.iloc[0]


def test_columns_and_types(table):
    assert list(table.columns) == list(au.AUDIT_COLUMNS)
    assert table["consistent"].map(type).eq(bool).all()
    assert table["check"].is_unique
    assert (table["paper_says"].str.len() > 0).all()
    assert (table["arithmetic_shows"].str.len() > 0).all()


def test_exactly_the_known_contradictions_are_flagged(table):
    flagged = set(table.loc[~table["consistent"], "check"])
    assert flagged == {
        "targeted therapy: abstract vs methods",
        "therapy groups add up to the cohort",
        'synchronous 66% and "the other 44%"',
        "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS",
    }


def test_parts_and_totals(table):
    assert "39 + 61 = 100" in row(table, "surgery groups add up").arithmetic_shows
    assert "7 + 19 = 26" in row(table, "targeted therapy split (abstract)").arithmetic_shows
    groups = row(table, "therapy groups add up to the cohort").arithmetic_shows
    assert "34 + 75 = 109" in groups and "26 + 75 = 101" in groups and "74 cytokine" in groups
    assert "66 + 44 = 110%" in row(table, 'synchronous 66% and "the other 44%"').arithmetic_shows
    assert "8 + 17 + 14 + 12 = 51" in row(table, "complication categories add up").arithmetic_shows
    assert "7 + 1 = 8" in row(table, "neurological complications split").arithmetic_shows
    assert "48 + 37 + 15 = 100%" in row(table, "spine regions add up to 100%").arithmetic_shows


def test_chisq_recomputed_from_the_papers_counts(table):
    # 2 x 2 table [[3, 36], [13, 48]]: margins 16/84 and 39/61; E11 = 16 x 39 / 100 = 6.24;
    # |O - E| = 3.24 everywhere; Yates: (3.24 - 0.5)^2 = 7.5076;
    # X2 = 7.5076 x (1/6.24 + 1/32.76 + 1/9.76 + 1/51.24) = 2.3481; P(chi2_1 > 2.3481) = 0.1254
    r = row(table, "local progression chi-square from its own counts")
    assert r.consistent
    assert "[[3, 36], [13, 48]]" in r.arithmetic_shows
    assert "chi2 = 2.3481" in r.arithmetic_shows and "P = 0.1254" in r.arithmetic_shows


def test_frankel(table):
    # 79 ambulatory after - 50 before = 29; McNemar with 29 vs 0: (29 - 1)^2 / 29 = 27.03,
    # P = 2.0e-07. With c who lost walking: (28)^2 / (29 + 2c) > 15.14 (chi2_1 at P = 1e-4)
    # needs 29 + 2c < 51.8, c <= 11.
    r = row(table, "Frankel: ambulatory before vs after")
    assert r.consistent
    assert "= 29 more" in r.arithmetic_shows and "2.0e-07" in r.arithmetic_shows
    assert "at most 11 did" in r.arithmetic_shows


def test_vas_mean_inside_centre_of_ci(table):
    # mean 7.1 -> [7.05, 7.15]; CI 6.7-7.4 -> centre in [(6.65 + 7.35)/2, (6.75 + 7.45)/2]
    # = [7.0, 7.1]; overlap [7.05, 7.1]
    assert "[7.05, 7.1]" in row(table, "VAS before surgery: mean vs its 95% CI").arithmetic_shows
    # 2.6 -> [2.55, 2.65]; 2.3-2.8 -> [2.5, 2.6]; overlap [2.55, 2.6]
    assert "[2.55, 2.6]" in row(table, "VAS on day 7: mean vs its 95% CI").arithmetic_shows


def test_km_rates_as_fractions(table):
    # 11/39 = 28.205 -> 28.2; 5/39 = 12.82 -> 12.8; 12/100 = 12
    assert (
        "11/39" in row(table, "OS metastasectomy 3-year rate as a fraction of 39").arithmetic_shows
    )
    assert (
        "5/39" in row(table, "OS metastasectomy 5-year rate as a fraction of 39").arithmetic_shows
    )
    # 26 x 0.536 = 13.94: 14/26 = 53.85 does not round to 53.6 -> censoring needed
    targeted = row(table, "OS targeted 3-year rate as a fraction of 26")
    assert "no k/26" in targeted.arithmetic_shows and "14/26" in targeted.arithmetic_shows
    assert "censored" in targeted.note


def test_metastasectomy_lpfs_needs_exactly_eleven_at_risk(table):
    # 90.6 x 10/11 = 82.36 -> 82.4; 9/10 gives 81.54 and 11/12 gives 83.05
    r = row(table, "metastasectomy LPFS 3 -> 5 years")
    assert r.consistent
    assert "n = 11 at risk" in r.arithmetic_shows and "82.36" in r.arithmetic_shows


def test_targeted_lpfs_is_23_of_24(table):
    # 23/24 = 95.83; 22/23 = 95.65; 24/25 = 96.00
    r = row(table, "targeted LPFS: one progression, 95.8% at 3 and 5 years")
    assert r.consistent and "n = 24" in r.arithmetic_shows and "2 left" in r.arithmetic_shows


def test_cytokine_lpfs_cannot_hold(table):
    # 72.9 / 77.4 = 0.9419 -> one event with n = 1 / (1 - 0.9419) = 17.2 -> n = 17;
    # at most floor(74 x 0.215) = floor(15.91) = 15 followed past 36 months; 14/15 = 93.3%;
    # 77.4 x 14/15 = 72.24, 0.66 below 72.9
    r = row(table, "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS")
    assert not r.consistent
    assert "n = 17" in r.arithmetic_shows and "= 15 patients" in r.arithmetic_shows
    assert "14/15 = 93.3%" in r.arithmetic_shows
    assert "72.24" in r.note and "0.66" in r.note


def test_pooled_rates(table):
    # (39 x 28.2 + 61 x 30.7) / 100 = 29.725; (26 x 53.6 + 74 x 21) / 100 = 29.476
    assert "29.73%" in row(table, "OS 3-year rate: pooled vs surgery groups").arithmetic_shows
    assert (
        "29.48%" in row(table, "OS 3-year rate: pooled vs adjuvant therapy groups").arithmetic_shows
    )


def test_helpers_by_hand():
    assert au.fractions_of_group(28.2, 0.05, 39) == [11]
    assert au.fractions_of_group(53.6, 0.05, 26) == []
    assert au.single_event_at_risk((90.55, 90.65), (82.35, 82.45), 39) == [11]
    assert au.single_event_at_risk((77.35, 77.45), (72.85, 72.95), 74) == [17]


def test_claims_named_by_checks_exist(table):
    from spinemets.claims import load_claims

    ids = {c.id for c in load_claims()}
    named = {i for text in table["claims"] for i in text.split()}
    assert named and named <= ids


def test_missing_claim_is_a_clear_error():
    from spinemets.claims import load_claims

    claims = [c for c in load_claims() if c.id != "lp_surgery_chisq"]
    with pytest.raises(SpinemetsError, match="lp_surgery_chisq"):
        au.audit(claims)


def test_inconsistent_claims_maps_ids_to_checks(table):
    found = au.inconsistent_claims(table)
    assert "lpfs_5y_cytokine" in found and "n_targeted_methods" in found
    assert "n_patients_abstract" not in found
