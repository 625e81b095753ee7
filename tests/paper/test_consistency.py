"""The paper audit: every expected number below is hand arithmetic on the paper's text.

The paper (Ptashnikov et al. 2020) prints: 39 metastasectomy + 61 decompression;
26 targeted (7 + 19) in the abstract, 34 targeted and 75 cytokine in the
methods; 87% nephrectomy, 66% synchronous and "the other 44%" with a biopsy, 3
metastasectomies before nephrectomy; 3/39 vs 13/61 local progressions with
chi2 = 2.35, P = .125; LPFS 90.6 -> 82.4 (metastasectomy), 77.4 -> 72.9
(cytokine) with 3-year cytokine OS 21%; 95.8% targeted LPFS.
"""

from __future__ import annotations

import pandas as pd
import pytest
from spinemets import paths
from spinemets.errors import SpinemetsError
from spinemets.paper import consistency as au
from spinemets.paper.claims import load_claims


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return au.audit()


def row(table: pd.DataFrame, check: str) -> pd.Series:
    hits = table[table["check"] == check]
    assert len(hits) == 1, check
    return hits.iloc[0]


def test_columns_and_types(table):
    assert list(table.columns) == list(au.AUDIT_COLUMNS)
    assert set(table["verdict"]) <= set(au.VERDICTS)
    assert table["check"].is_unique
    assert (table["paper_says"].str.len() > 0).all()
    assert (table["arithmetic_shows"].str.len() > 0).all()
    # a reading is stated exactly where the verdict is ambiguous
    assert ((table["reading"] != "") == (table["verdict"] == au.VERDICT_AMBIGUOUS)).all()


def test_verdicts_of_the_paper(table):
    not_consistent = table[table["verdict"] != au.VERDICT_CONSISTENT].set_index("check")
    assert not_consistent["verdict"].to_dict() == {
        "adjuvant therapy groups: abstract vs methods": au.VERDICT_AMBIGUOUS,
        'synchronous and "the other" patients': au.VERDICT_AMBIGUOUS,
        "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS": au.VERDICT_IMPOSSIBLE,
    }


def test_parts_and_totals(table):
    assert "39 + 61 = 100" in row(table, "surgery groups add up").arithmetic_shows
    assert "7 + 19 = 26" in row(table, "targeted therapy split (abstract)").arithmetic_shows
    groups = row(table, "adjuvant therapy groups: abstract vs methods").arithmetic_shows
    assert "34 + 75 = 109" in groups and "26 + 75 = 101" in groups
    assert "66 + 44 = 110%" in row(table, 'synchronous and "the other" patients').arithmetic_shows
    assert "8 + 17 + 14 + 12 = 51" in row(table, "complication categories add up").arithmetic_shows
    assert "7 + 1 = 8" in row(table, "neurological complications split").arithmetic_shows
    assert "48 + 37 + 15 = 100%" in row(table, "spine regions add up to 100%").arithmetic_shows


def test_chisq_recomputed_from_the_papers_counts(table):
    # 2 x 2 table [[3, 36], [13, 48]]: margins 16/84 and 39/61; E11 = 16 x 39 / 100 = 6.24;
    # |O - E| = 3.24 everywhere; Yates: (3.24 - 0.5)^2 = 7.5076;
    # X2 = 7.5076 x (1/6.24 + 1/32.76 + 1/9.76 + 1/51.24) = 2.3481; P(chi2_1 > 2.3481) = 0.1254
    r = row(table, "local progression chi-square from its own counts")
    assert r.verdict == au.VERDICT_CONSISTENT
    assert "[[3, 36], [13, 48]]" in r.arithmetic_shows
    assert "chi2 = 2.3481" in r.arithmetic_shows and "P = 0.1254" in r.arithmetic_shows


def test_frankel(table):
    # 79 ambulatory after - 50 before = 29; McNemar with 29 vs 0: (29 - 1)^2 / 29 = 27.03,
    # P = 2.0e-07. With c who lost walking: (28)^2 / (29 + 2c) > 15.14 (chi2_1 at P = 1e-4)
    # needs 29 + 2c < 51.8, c <= 11.
    r = row(table, "Frankel: ambulatory before vs after")
    assert r.verdict == au.VERDICT_CONSISTENT
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
    assert r.verdict == au.VERDICT_CONSISTENT
    assert "n = 11 at risk" in r.arithmetic_shows and "82.36" in r.arithmetic_shows


def test_targeted_lpfs_is_23_of_24(table):
    # 23/24 = 95.83; 22/23 = 95.65; 24/25 = 96.00
    r = row(table, "targeted LPFS: one progression, one rate for 3 and 5 years")
    assert (
        r.verdict == au.VERDICT_CONSISTENT
        and "n = 24" in r.arithmetic_shows
        and "2 left" in r.arithmetic_shows
    )


def test_cytokine_lpfs_cannot_hold(table):
    # at most floor(74 x 0.215) = floor(15.91) = 15 cytokine patients followed past 36
    # months; any progression then multiplies LPFS by at most 14/15 = 0.9333, so from at
    # most 77.45 it ends at most at 77.45 x 14/15 = 72.287 < 72.85 (prints 72.9 from
    # 72.85); none keeps it >= 77.35 > 72.95. One step would need (n - 1)/n >= 72.85/77.45
    # = 0.94061, n >= 1/(1 - 0.94061) = 16.8 -> 17.
    r = row(table, "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS")
    assert r.verdict == au.VERDICT_IMPOSSIBLE
    assert "floor(74 x 0.215) = 15" in r.arithmetic_shows
    assert "14/15 = 0.9333" in r.arithmetic_shows and "= 72.29" in r.arithmetic_shows
    assert "n >= 17" in r.arithmetic_shows and "0.9406" in r.arithmetic_shows
    assert "0.56 percentage points" in r.note
    assert r.claims.split()[0] == "lpfs_5y_cytokine"  # the claim a reconstruction misses


def test_lpfs_window_bound_by_hand():
    b = au.lpfs_window_bound(74, (20.5, 21.5), (77.35, 77.45), (72.85, 72.95))
    assert b.followed_max == 15 and b.at_risk_needed == 17 and not b.possible
    assert b.best_with_events == pytest.approx(77.45 * 14 / 15)
    # with 3-year OS of 23% (17 followed), one step of 16/17 = 0.9412 would fit
    assert au.lpfs_window_bound(74, (22.5, 23.5), (77.35, 77.45), (72.85, 72.95)).possible
    # a flat curve fits equal printed values
    assert au.lpfs_window_bound(26, (53.55, 53.65), (95.75, 95.85), (95.75, 95.85)).possible


def test_therapy_groups_read_as_first_drug_and_ever_received(table):
    # first drug: 26 targeted + 74 cytokine = 100; ever: 34 targeted, 75 cytokine;
    # 34 + 75 - 100 = 9 received both: 34 - 26 = 8 cytokine -> targeted, 75 - 74 = 1 back
    r = row(table, "adjuvant therapy groups: abstract vs methods")
    assert r.verdict == au.VERDICT_AMBIGUOUS
    assert "= 9 patients received both" in r.reading
    assert "8 cytokine then targeted" in r.reading and "1 targeted then cytokine" in r.reading
    assert au.therapy_switching(100, 26, 34, 75) == au.Switching(9, 8, 1)
    assert au.therapy_switching(100, 26, 26, 74) == au.Switching(0, 0, 0)
    assert au.therapy_switching(100, 26, 20, 75) is None  # fewer ever than first targeted
    assert au.therapy_switching(100, 26, 34, 72) is None  # fewer ever than first cytokine
    assert au.therapy_switching(10, 2, 10, 10) == au.Switching(10, 8, 2)  # all switched
    assert au.therapy_switching(10, 2, 10, 11) is None  # 3 to cytokine, only 2 started targeted


def test_synchronous_and_biopsy_read_as_two_variables(table):
    # 100 - 66 = 34 metachronous; 100 - 87 = 13 without nephrectomy, 3 of them had their
    # metastasectomy first (specimen), so 10 needed a biopsy: 34 + 10 = 44
    r = row(table, 'synchronous and "the other" patients')
    assert r.verdict == au.VERDICT_AMBIGUOUS
    assert "(34 + 10 = 44)" in r.reading
    assert au.biopsy_reading(100, 66, 13, 3) == 44
    assert au.biopsy_reading(100, 66, 0, 0) == 34


def test_the_bundled_cohort_follows_the_biopsy_reading():
    patients = pd.read_csv(paths.SYNTHETIC_PATIENTS)
    metachronous = patients["synchronous"] == 0
    no_nephrectomy = patients["nephrectomy"] == 0
    biopsy = patients["biopsy"] == 1
    assert (biopsy & metachronous).sum() == 34 and metachronous.sum() == 34
    assert (biopsy & ~metachronous & no_nephrectomy).sum() == 10
    assert (biopsy & ~metachronous & ~no_nephrectomy).sum() == 0
    assert no_nephrectomy.sum() == 13 and biopsy.sum() == 44


def test_at_risk_sequences_by_hand():
    # 2 progressions to 90.6 (29/32 = 90.625 e.g. 30 then 16 at risk: 29/30 x 15/16 = 0.90625),
    # then one with 11 at risk: x 10/11 = 0.82386
    seqs = au.at_risk_sequences((90.55, 90.65), (82.35, 82.45), 2, 1, 39)
    assert (30, 16, 11) in seqs and all(q[-1] == 11 for q in seqs)
    assert len(seqs) == 4 and all(a > b > c for a, b, c in seqs)
    # one event to 75% needs 4 at risk (3/4), a second to 50% then 3 (3/4 x 2/3)
    assert au.at_risk_sequences((75, 75), (50, 50), 1, 1, 10) == [(4, 3)]
    # one event to 50% needs 2 at risk; a second would have at most 1: the curve hits 0
    assert au.at_risk_sequences((50, 50), (25, 25), 1, 1, 10) == []


def test_findings_lists_the_rows_with_their_reading(table):
    text = au.findings(table)
    assert text.count("\n* **") + text.startswith("* **") == 3
    assert "Reading under which the numbers agree" in text and "(impossible)" in text
    assert au.findings(table, verdicts=("impossible",)).count("* **") == 1


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
    ids = {c.id for c in load_claims()}
    named = {i for text in table["claims"] for i in text.split()}
    assert named and named <= ids


def test_missing_claim_is_a_clear_error():
    claims = [c for c in load_claims() if c.id != "lp_surgery_chisq"]
    with pytest.raises(SpinemetsError, match="lp_surgery_chisq"):
        au.audit(claims)


def test_contested_claims_maps_ids_to_checks(table):
    found = au.contested_claims(table)
    assert "lpfs_5y_cytokine" in found and "n_targeted_methods" in found
    assert "n_patients_abstract" not in found
    impossible = au.contested_claims(table, verdicts=(au.VERDICT_IMPOSSIBLE,))
    assert set(impossible) == {"lpfs_5y_cytokine", "lpfs_3y_cytokine", "os_3y_cytokine"}


def test_event_risk_sets() -> None:
    # group "a": times 2 (event), 3 (censored), 3 (event), 5 (event), 7 (censored);
    # at risk at 2: 5; at 3: 4 (censored at 3 still at risk); at 5: 2
    patients = pd.DataFrame(
        {
            "surgery": ["a"] * 5 + ["b"],
            "lp_months": [2.0, 3.0, 3.0, 5.0, 7.0, 1.0],
            "local_progression": [1, 0, 1, 1, 0, 1],
        }
    )
    table = au.event_risk_sets(patients, "lpfs", "surgery", "a")
    assert table["time"].tolist() == [2.0, 3.0, 5.0]
    assert table["n_risk"].tolist() == [5, 4, 2]
    assert table["n_event"].tolist() == [1, 1, 1]
