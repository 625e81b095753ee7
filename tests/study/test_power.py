"""spinemets.study.power: the study's design and what it could detect.

The formulas are checked against hand arithmetic and lifelines in
tests/methods/test_power.py; here, that the study's tables and sentences are built
from them faithfully.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from spinemets.methods import power as formulas
from spinemets.study import power

DESIGN = power.Design(39, 61, 89)


def test_design_of_the_bundled_cohort(bundled) -> None:
    patients = bundled.patients
    design = power.design_of(patients)
    assert design == (
        int((patients.surgery == "metastasectomy").sum()),
        int((patients.surgery == "decompression").sum()),
        int(patients.death.sum()),
    )
    assert design.share == pytest.approx(design.n1 / len(patients))
    assert power.Design.counts(39.0, 61.0, 89.0) == (39, 61, 89)
    assert isinstance(power.Design.counts(39.0, 61.0, 89.0).n1, int)


def test_power_analysis() -> None:
    analysis = power.power_analysis(DESIGN, grid=(0.6, 1.0), replicates=20, seed=11)
    # Schoenfeld: log(HR) = -(z_{1-a/2} + z_{1-b}) / sqrt(D p (1 - p)), by hand
    z = norm.ppf(0.975) + norm.ppf(0.8)
    expected_low = math.exp(-z / math.sqrt(89 * 0.39 * 0.61))
    assert analysis.hr_low == pytest.approx(expected_low, rel=1e-9)
    assert analysis.hr_high == pytest.approx(1 / expected_low, rel=1e-9)
    table = analysis.table
    assert table["label"].tolist() == ["minimal detectable"] * 2 + ["grid"] * 2
    assert table["hazard_ratio"].tolist()[2:] == [0.6, 1.0]
    assert (table["seed"] == 11).all() and (table["replicates"] == 20).all()
    assert table["power_schoenfeld"].iloc[0] == pytest.approx(0.8, rel=1e-9)
    assert [s.hr for s in analysis.simulated_grid] == [0.6, 1.0]
    again = power.power_analysis(DESIGN, grid=(0.6, 1.0), replicates=20, seed=11)
    assert again.table.equals(table)
    text = power.describe_designs(analysis, power.Design(39, 61, 80), "toy cohort")
    assert text.splitlines() == [
        "Published design: 39 metastasectomy vs 61 decompression, 89 deaths",
        "This cohort (toy cohort): 39 vs 61, 80 deaths",
        f"Minimal detectable hazard ratio with 80% power at alpha = 0.05: HR <= "
        f"{expected_low:.2f} or HR >= {1 / expected_low:.2f} (Schoenfeld)",
    ]


def test_power_curves() -> None:
    curves = power.power_curves(DESIGN, hrs=[0.5, 1.0, 2.0])
    assert list(curves.columns) == ["hazard_ratio", "Schoenfeld", "Freedman"]
    # no effect: the formula counts the one tail in the direction of the effect, alpha / 2
    assert curves["Schoenfeld"].iloc[1] == pytest.approx(0.025)
    assert curves["Freedman"].iloc[0] == pytest.approx(formulas.freedman_power(0.5, 39, 61, 89))
    default = power.power_curves(DESIGN)
    assert len(default) == 200 and default["hazard_ratio"].iloc[0] == pytest.approx(0.4)
    assert np.all(np.diff(np.log(default["hazard_ratio"])) > 0)


def test_reading() -> None:
    analysis = power.power_analysis(DESIGN, grid=(), replicates=10, seed=1)
    observed = {"hr": 0.9, "lower": 0.6, "upper": 1.4}
    adjusted = {"hr": 0.8, "lower": 0.5, "upper": 1.3}
    text = power.reading(analysis, observed, adjusted, 0.95, "SYNTHETIC cohort")  # type: ignore[arg-type]
    assert text.startswith("On the SYNTHETIC cohort, metastasectomy vs decompression: HR **0.90**")
    assert "from a 40% *lower* to a 40% *higher* hazard" in text
    needed = formulas.events_for_precision(1.25, DESIGN.share, 0.95)
    assert f"about {needed:.0f} deaths" in text
    excluded = power.reading(analysis, {"hr": 0.5, "lower": 0.3, "upper": 0.8}, adjusted, 0.95, "x")  # type: ignore[arg-type]
    assert "The interval excludes 1" in excluded
