"""The calibration targets are the claims file's numbers (data/published/ptashnikov2020.yaml).

Each target names its claim; its value and rounding are that claim's. The
numbers written below are the paper's, by hand (Results section).
"""

from __future__ import annotations

import pytest
from spinemets.paper.calibrate.targets import (
    CELLS,
    COUNT_TARGETS,
    DEATHS,
    TARGETS,
    survival_targets,
)
from spinemets.paper.claims import ClaimsError, load_claims, load_numbers


def test_37_survival_targets() -> None:
    kinds = [t.kind for t in TARGETS]
    assert len(TARGETS) == 37
    assert sum(k.startswith("median") for k in kinds) == 15
    assert kinds.count("rate") == 18
    assert kinds.count("p_value") == 3
    assert kinds.count("lp_median") == 1
    assert len({t.name for t in TARGETS}) == 37


def test_each_target_is_its_claim() -> None:
    claims = {c.id: c for c in load_claims()}
    for target in TARGETS:
        claim = claims[target.claim]
        if target.kind == "median_lower":
            value = claim.interval[0]
        elif target.kind == "median_upper":
            value = claim.interval[1]
        else:
            value = claim.value
        assert target.published == value, target.name
        assert target.printed_step == pytest.approx(2 * claim.tolerance), target.name
        if target.kind in ("rate", "p_value"):
            assert target.tolerance == pytest.approx(claim.tolerance), target.name
        else:  # months: a quarter month, so a midpoint median (x.5) never counts as a hit
            assert target.tolerance == pytest.approx(claim.tolerance / 2), target.name
        if target.time is not None:
            assert claim.args["time"] == target.time


def test_key_targets_by_hand() -> None:
    by_name = {t.name: t for t in TARGETS}
    # "The median overall survival of patients with targeted therapy was 38 months
    # (95% CI = 27-61)"; cytokine 3-year OS "21%", 5-year 6.6%; LPFS log-rank .043
    assert [
        by_name[f"os_{k}_targeted"].published for k in ("median", "median_lower", "median_upper")
    ] == [38, 27, 61]
    assert (
        by_name["os_rate36_cytokine"].published == 21
        and by_name["os_rate36_cytokine"].tolerance == 0.5
    )
    assert by_name["os_rate60_cytokine"].published == 6.6
    assert by_name["lpfs_logrank_surgery"].published == 0.043
    assert by_name["lpfs_logrank_surgery"].claim == "lpfs_logrank_p_surgery_abstract"
    # the results section's OS log-rank claims are preferred to the abstract's duplicates
    assert by_name["os_logrank_surgery"].claim == "os_logrank_p_surgery"
    assert by_name["lp_median_time"].published == 5


def test_counts_match_the_paper() -> None:
    # abstract: 39 metastasectomy (7 targeted), 61 decompression (19 targeted); 89 died
    sizes = {(c.surgery, c.adjuvant_therapy): c.patients for c in CELLS}
    assert sizes == {
        ("metastasectomy", "targeted"): 7,
        ("metastasectomy", "cytokine"): 32,
        ("decompression", "targeted"): 19,
        ("decompression", "cytokine"): 42,
    }
    assert DEATHS == 89
    # 16 progressions: 3 metastasectomy, 13 decompression, 1 targeted
    progs = {(c.surgery, c.adjuvant_therapy): c.local_progressions for c in CELLS}
    assert sum(progs.values()) == 16
    assert progs[("metastasectomy", "targeted")] + progs[("metastasectomy", "cytokine")] == 3
    assert progs[("metastasectomy", "targeted")] + progs[("decompression", "targeted")] == 1
    assert [t.published for t in COUNT_TARGETS[:6]] == [89, 11, 16, 3, 13, 1]
    numbers = load_numbers()
    assert all(t.published == numbers[t.claim] for t in COUNT_TARGETS)


def test_a_claims_list_without_a_target_claim_is_refused() -> None:
    claims = [c for c in load_claims() if c.id != "os_5y_targeted"]
    with pytest.raises(ClaimsError, match="km_survival"):
        survival_targets(claims)
