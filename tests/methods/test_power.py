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
