"""spinemets.methods.power: Schoenfeld's formula by hand arithmetic, Freedman's against
lifelines, the equivalence formula of the notes, the simulation's reproducibility.

Constants: z_0.975 = 1.959964, z_0.80 = 0.841621, their sum 2.801585 (squared 7.848879).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lifelines.statistics import power_under_cph
from spinemets.errors import SpinemetsError
from spinemets.methods import power as pw
from spinemets.methods.logrank import logrank_test


def test_events_needed_textbook_case() -> None:
    """HR 0.5, 1:1 allocation, 80% power, two-sided 5%: log(0.5)^2 = 0.480453,
    D = 7.848879 / (0.25 * 0.480453) = 7.848879 / 0.120113 = 65.35 -> 66 deaths."""
    assert pw.schoenfeld_events(0.5, 0.5) == pytest.approx(65.35, abs=0.01)
    assert pw.schoenfeld_events(2.0, 0.5) == pytest.approx(65.35, abs=0.01)  # symmetric


def test_minimal_detectable_hr_of_the_study() -> None:
    """39 vs 61 patients (share 0.39), 89 deaths: D p (1 - p) = 89 * 0.39 * 0.61 = 21.1731,
    sqrt = 4.601424; log HR = 2.801585 / 4.601424 = 0.608852; HR = exp(-/+0.608852)
    = 0.54398, 1.83832."""
    low, high = pw.minimal_detectable_hr(89, 0.39)
    assert low == pytest.approx(0.54398, abs=1e-5)
    assert high == pytest.approx(1.83832, abs=1e-5)
    assert low * high == pytest.approx(1.0)


def test_power_by_hand() -> None:
    """HR 0.5 with 89 deaths, share 0.39: 4.601424 * 0.693147 = 3.189463;
    3.189463 - 1.959964 = 1.229499; Phi(1.229499) = 0.890556."""
    assert pw.schoenfeld_power(0.5, 89, 0.39) == pytest.approx(0.890556, abs=1e-5)
    # HR 1: Phi(-1.959964) = 0.025 (one tail of the two-sided 5% test)
    assert pw.schoenfeld_power(1.0, 89, 0.39) == pytest.approx(0.025, abs=1e-9)


def test_round_trip_between_events_power_and_detectable_hr() -> None:
    low, high = pw.minimal_detectable_hr(89, 0.39, alpha=0.05, power=0.8)
    assert pw.schoenfeld_power(low, 89, 0.39) == pytest.approx(0.8, abs=1e-12)
    assert pw.schoenfeld_events(high, 0.39) == pytest.approx(89, rel=1e-12)


def test_freedman_matches_lifelines() -> None:
    """lifelines' power_under_cph is Freedman's formula: the second oracle."""
    for hr in (0.5, 0.8, 1.0, 1.25, 2.0):
        theirs = power_under_cph(39, 61, 89 / 100, 89 / 100, hr, alpha=0.05)
        assert pw.freedman_power(hr, 39, 61, 89) == pytest.approx(theirs, rel=1e-12)


def test_equivalence_events_by_hand() -> None:
    """Margin 1.25, share 0.39, alpha 0.05, power 0.8: z_0.95 = 1.644854, z_0.90 = 1.281552,
    sum 2.926405, squared 8.563847; log(1.25)^2 = 0.049793; D = 8.563847 / (0.2379 *
    0.049793) = 722.96 deaths (the CI-width count of events_for_precision is 324)."""
    d = pw.equivalence_events(1.25, 0.39)
    assert d == pytest.approx(722.96, abs=0.02)
    assert pw.equivalence_power(d, 1.25, 0.39) == pytest.approx(0.8, abs=1e-12)
    # at the 324 deaths that make a 95% CI as wide as the margin, two one-sided 5% tests
    # succeed with probability 2 Phi(1.959964 - 1.644854) - 1 = 2 * 0.623660 - 1 = 0.2473
    precision = pw.events_for_precision(1.25, 0.39)
    assert pw.equivalence_power(precision, 1.25, 0.39) == pytest.approx(0.2473, abs=1e-4)
    assert pw.equivalence_power(10, 1.25, 0.39) == 0.0


def test_freedman_cross_check_is_close_near_one() -> None:
    """lifelines' power_under_cph (Freedman) with 89 expected deaths (0.89 of 39 and 61)."""
    for hr in (0.8, 0.9, 1.1, 1.25):
        freedman = power_under_cph(39, 61, 0.89, 0.89, hr)
        assert abs(freedman - pw.schoenfeld_power(hr, 89, 0.39)) < 0.02


def test_simulation_is_reproducible_and_worker_independent() -> None:
    args = {"hr": 0.6, "n1": 39, "n2": 61, "events": 89, "replicates": 60, "seed": 7}
    one = pw.simulate_power(**args)
    again = pw.simulate_power(**args)
    two = pw.simulate_power(**args, workers=2)
    assert one == again == two
    assert one.replicates == 60 and one.seed == 7
    assert one.mc_se == pytest.approx(math.sqrt(one.rejection_rate * (1 - one.rejection_rate) / 60))


@pytest.mark.parametrize(
    ("hr", "n1", "n2", "events"), [(0.544, 39, 61, 61), (1.84, 39, 61, 89), (1.0, 4, 3, 7)]
)
def test_the_batched_replicates_are_the_log_rank_test_of_each_study(hr, n1, n2, events) -> None:
    """The vectorised block counts exactly the replicates whose own log-rank test
    (:func:`spinemets.methods.logrank.logrank_test`, R survdiff) rejects: each study
    drawn again from its seed, censored at its events-th death, tested alone."""
    seeds = np.random.SeedSequence(11).spawn(300)
    critical = 3.841458820694124  # chi-square(1) 0.95 quantile
    group = np.r_[np.ones(n1), np.zeros(n2)]
    expected = 0
    for seq in seeds:
        latent = np.random.default_rng(seq).exponential(1.0, n1 + n2)
        latent = latent / np.r_[np.full(n1, hr), np.ones(n2)]
        cutoff = np.sort(latent)[events - 1]
        test = logrank_test(np.minimum(latent, cutoff), latent <= cutoff, group)
        assert test.observed.sum() == events
        expected += int(test.chisq > critical)
    assert pw._simulate_block((hr, n1, n2, events, critical, seeds)) == expected


def test_a_replicate_with_near_equal_times_takes_the_general_path(monkeypatch) -> None:
    """Times that R's aeqSurv would merge (here forced: every gap counts as near) give the
    same count through the general event table as through the fast path."""
    seeds = np.random.SeedSequence(5).spawn(40)
    args = (0.6, 39, 61, 89, 3.841458820694124, seeds)
    fast = pw._simulate_block(args)
    monkeypatch.setattr(pw, "TOLERANCE", 10.0)  # every replicate now looks near-tied
    assert pw._simulate_block(args) == fast


def test_simulation_holds_its_level_under_the_null() -> None:
    result = pw.simulate_power(1.0, 39, 61, 89, alpha=0.05, replicates=400, seed=3)
    assert abs(result.rejection_rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 400)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pw.schoenfeld_events(1.0, 0.5), "not 1"),
        (lambda: pw.schoenfeld_power(0.5, 89, 1.2), "share"),
        (lambda: pw.minimal_detectable_hr(89, 0.4, alpha=0), "alpha"),
        (lambda: pw.simulate_power(0.5, 10, 10, 25), "events must be in 1..20"),
    ],
)
def test_bad_parameters(call, message: str) -> None:
    with pytest.raises(SpinemetsError, match=message):
        call()


def test_power_table_rows_and_columns() -> None:
    sim = pw.simulate_power(0.6, 39, 61, 89, replicates=20, seed=5)
    table = pw.power_table([("grid", 0.6), ("grid", 1.5)], 39, 61, 89, simulated={0.6: sim})
    assert table.columns.tolist() == [
        "label",
        "hazard_ratio",
        "n1",
        "n2",
        "events",
        "alpha",
        "power_schoenfeld",
        "power_freedman",
        "power_simulated",
        "simulated_se",
        "replicates",
    ]
    assert table["power_simulated"].iloc[0] == sim.rejection_rate
    assert np.isnan(table["power_simulated"].iloc[1]) and table["replicates"].iloc[1] == 0
    # Freedman by hand for HR 1.5: k = 39/61 = 0.639344, m = 89;
    # sqrt(k m) = sqrt(56.901639) = 7.543317; |1.5 - 1| / (0.639344 * 1.5 + 1) = 0.5 / 1.959016
    # = 0.255230; 7.543317 * 0.255230 = 1.925283; Phi(1.925283 - 1.959964) = Phi(-0.034681)
    # = 0.486167
    assert table["power_freedman"].iloc[1] == pytest.approx(0.486167, abs=1e-5)


def test_events_for_precision_by_hand() -> None:
    """CI within 0.8-1.25 around the estimate, share 0.39: log(1.25) = 0.223144;
    1.959964 / 0.223144 = 8.783443; squared 77.14887; / (0.39 * 0.61 = 0.2379) = 324.29."""
    assert pw.events_for_precision(1.25, 0.39) == pytest.approx(324.29, abs=0.01)
    with pytest.raises(SpinemetsError, match="margin"):
        pw.events_for_precision(0.8, 0.39)


def test_equivalence_events_with_a_95_interval_by_hand() -> None:
    """Margin 1.25, share 0.39, 2.5% each side (a 95% interval inside the margin),
    power 0.8: z_0.975 = 1.959964, z_0.90 = 1.281552, sum 3.241516, squared 10.507426;
    0.2379 * 0.049793 = 0.011846; D = 10.507426 / 0.011846 = 887.02 deaths."""
    d = pw.equivalence_events(1.25, 0.39, alpha=0.025)
    assert d == pytest.approx(887.02, abs=0.02)
    assert pw.equivalence_power(d, 1.25, 0.39, alpha=0.025) == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.05, 0.025])
def test_simulation_confirms_equivalence_events(alpha: float) -> None:
    """At the formula's number of deaths (rounded up), simulated studies at the 39:61
    split and a true HR of 1 show equivalence within (0.8, 1.25) -- the Cox model's
    1 - 2 alpha interval inside the margin -- in 80% of cases, within 4 Monte Carlo SEs
    (1,500 replicates: SE about 0.010). At the 324 deaths that merely make a 95% interval
    as wide as the margin, the share is far below 80% (formula: 0.25 at alpha 0.05, 0 at
    0.025)."""
    events = math.ceil(pw.equivalence_events(1.25, 0.39, alpha=alpha))
    n = math.ceil(events / 0.9)  # a tenth of the patients still alive when follow-up stops
    n1 = round(0.39 * n)
    sim = pw.simulate_equivalence(n1, n - n1, events, 1.25, alpha, replicates=1500, seed=151)
    assert sim.mc_se == pytest.approx(math.sqrt(0.8 * 0.2 / 1500), abs=0.002)
    assert abs(sim.rejection_rate - 0.8) < 4 * sim.mc_se
    few = pw.simulate_equivalence(127, 198, 324, 1.25, alpha, replicates=400, seed=152)
    expected = pw.equivalence_power(324, 1.25, 127 / 325, alpha)
    assert abs(few.rejection_rate - expected) < 4 * max(few.mc_se, 0.01)
    assert few.rejection_rate < 0.4


def test_freedman_detectable_hr_inverts_the_formula() -> None:
    low, high = pw.freedman_detectable_hr(39, 61, 89)
    assert pw.freedman_power(low, 39, 61, 89) == pytest.approx(0.8, abs=1e-10)
    assert pw.freedman_power(high, 39, 61, 89) == pytest.approx(0.8, abs=1e-10)
    assert low < 1 < high and low * high != pytest.approx(1, abs=0.01)
    # equal groups: Freedman's (HR - 1) / (HR + 1) is antisymmetric in log HR
    low, high = pw.freedman_detectable_hr(50, 50, 89)
    assert low * high == pytest.approx(1, rel=1e-9)
    with pytest.raises(SpinemetsError, match="reached at HR 1"):
        pw.freedman_detectable_hr(39, 61, 89, alpha=0.9, power=0.4)


def test_simulation_confirms_the_asymmetry_and_brackets_the_formulas() -> None:
    """At the study's design (39 vs 61, 89 deaths), 10,000 seeded simulated log-rank
    tests (Monte Carlo SE about 0.004):
    * at Schoenfeld's HR for 80% power below 1 (0.544), power is below 80% by more than
      3 SE (the formula is optimistic for a benefit of the smaller arm);
    * at Freedman's HR for 80% power below 1, power is above 80% by more than 3 SE
      (Freedman's formula is pessimistic there): the truth lies between the two;
    * power at Schoenfeld's two HRs (0.544 and 1 / 0.544) differs by more than 3 SE of
      the difference: power is asymmetric at an unbalanced split."""
    s_low, s_high = pw.minimal_detectable_hr(89, 0.39)
    f_low, _ = pw.freedman_detectable_hr(39, 61, 89)
    runs = {
        hr: pw.simulate_power(hr, 39, 61, 89, replicates=10_000, seed=2024, workers=2)
        for hr in (s_low, s_high, f_low)
    }
    at_s_low, at_s_high, at_f_low = runs[s_low], runs[s_high], runs[f_low]
    assert at_s_low.rejection_rate + 3 * at_s_low.mc_se < 0.8
    assert at_f_low.rejection_rate - 3 * at_f_low.mc_se > 0.8
    difference_se = math.hypot(at_s_low.mc_se, at_s_high.mc_se)
    assert at_s_high.rejection_rate - at_s_low.rejection_rate > 3 * difference_se
