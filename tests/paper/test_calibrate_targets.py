"""The calibration targets are the claims file's numbers (data/published/ptashnikov2020.yaml)."""

from __future__ import annotations

import pytest
from spinemets.calibrate.targets import CELLS, COUNT_TARGETS, DEATHS, TARGETS
from spinemets.claims import load_claims


def claim_for(target_name: str) -> tuple[str, int | None]:
    """(claim id, index into its interval or None) for a calibration target."""
    if target_name.startswith("os_median_"):
        rest = target_name.removeprefix("os_median_")
        if rest.startswith(("lower_", "upper_")):
            bound, group = rest.split("_", 1)
            return f"os_median_{group}_ci", 0 if bound == "lower" else 1
        return f"os_median_{rest}", None
    if "_rate" in target_name:
        endpoint, rate, group = target_name.split("_", 2)
        years = {"rate36": "3y", "rate60": "5y"}[rate]
        return f"{endpoint}_{years}_{group}", None
    return {
        "os_logrank_surgery": ("os_logrank_p_surgery", None),
        "os_logrank_therapy": ("os_logrank_p_therapy", None),
        "lpfs_logrank_surgery": ("lpfs_logrank_p_surgery_abstract", None),
        "lp_median_time": ("lp_median_time", None),
    }[target_name]


def test_37_survival_targets() -> None:
    kinds = [t.kind for t in TARGETS]
    assert len(TARGETS) == 37
    assert sum(k.startswith("median") for k in kinds) == 15
    assert kinds.count("rate") == 18
    assert kinds.count("p_value") == 3
    assert kinds.count("lp_median") == 1
    assert len({t.name for t in TARGETS}) == 37


def test_targets_equal_claims() -> None:
    claims = {c.id: c for c in load_claims()}
    for target in TARGETS:
        claim_id, index = claim_for(target.name)
        claim = claims[claim_id]
        value = claim.interval[index] if index is not None else claim.value
        assert target.published == pytest.approx(value, abs=1e-12), target.name
        if target.kind == "rate" or target.kind == "p_value":
            assert target.tolerance == pytest.approx(claim.tolerance, abs=1e-12), target.name
        else:  # months: a quarter month, so a midpoint median (x.5) never counts as a hit
            assert target.tolerance == pytest.approx(claim.tolerance / 2), target.name


def test_counts_match_the_paper() -> None:
    # abstract: 39 metastasectomy (7 targeted), 61 decompression (19 targeted); 89 died
    sizes = {(s, t): n for s, t, n, _ in CELLS}
    assert sizes == {
        ("metastasectomy", "targeted"): 7,
        ("metastasectomy", "cytokine"): 32,
        ("decompression", "targeted"): 19,
        ("decompression", "cytokine"): 42,
    }
    assert DEATHS == 89
    # 16 progressions: 3 metastasectomy, 13 decompression, 1 targeted
    progs = {(s, t): k for s, t, _, k in CELLS}
    assert sum(progs.values()) == 16
    assert progs[("metastasectomy", "targeted")] + progs[("metastasectomy", "cytokine")] == 3
    assert progs[("metastasectomy", "targeted")] + progs[("decompression", "targeted")] == 1
    assert [t.published for t in COUNT_TARGETS[:6]] == [89, 11, 16, 3, 13, 1]
