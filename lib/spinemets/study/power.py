"""What a study of this size could detect: the power of the surgery comparison.

The formulas and the simulation are generic (:mod:`spinemets.methods.power`: Schoenfeld,
Freedman, a simulated log-rank test); this module applies them to a *design* -- the
patients per arm and the deaths -- of the paper (numbers from its claims file, passed
in as plain data) or of a cohort (:func:`design_of`), and builds notebook 08's tables
and sentences. The figure is :func:`spinemets.figures.power.power_curve_figure`.
Tests: ``tests/study/test_power.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..cohort.spec import ENDPOINTS, SURGERIES
from ..methods import power as formulas
from ..methods.power import SimulatedPower

__all__ = [
    "HR_GRID",
    "Design",
    "PowerAnalysis",
    "describe_designs",
    "design_of",
    "power_analysis",
    "power_curves",
    "reading",
]

#: True hazard ratios (metastasectomy vs decompression) at which power is simulated.
HR_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0)


class Design(NamedTuple):
    """Patients per arm (``n1`` the studied arm, metastasectomy) and the deaths observed."""

    n1: int
    n2: int
    events: int

    @property
    def share(self) -> float:
        """The studied arm's share of the patients, n1 / (n1 + n2)."""
        return self.n1 / (self.n1 + self.n2)

    @classmethod
    def counts(cls, n1: float, n2: float, events: float) -> Design:
        """A design from three counts given as numbers (e.g. printed values: 39.0).

        Tests: tests/study/test_power.py::test_design_of_the_bundled_cohort.
        """
        return cls(*(int(round(x)) for x in (n1, n2, events)))


def design_of(patients: pd.DataFrame, column: str = "surgery") -> Design:
    """A cohort's own design: patients per arm of ``column`` (the spec's order) and deaths.

    Tests: tests/study/test_power.py::test_design_of_the_bundled_cohort.
    """
    n1, n2 = (int((patients[column] == level).sum()) for level in SURGERIES)
    return Design(n1, n2, int(patients[ENDPOINTS["os"].event].sum()))


class PowerAnalysis(NamedTuple):
    """Power at a design: the minimal detectable hazard ratios and the power table."""

    design: Design
    alpha: float
    target_power: float
    hr_low: float
    hr_high: float
    table: pd.DataFrame
    simulated: dict[float, SimulatedPower]
    grid: tuple[float, ...]

    @property
    def simulated_grid(self) -> list[SimulatedPower]:
        """The simulations at the grid's hazard ratios, in the grid's order."""
        return [self.simulated[hr] for hr in self.grid]


def power_analysis(
    design: Design,
    alpha: float = 0.05,
    target_power: float = 0.8,
    grid: Sequence[float] = HR_GRID,
    replicates: int = 200,
    seed: int = formulas.SIMULATION_SEED,
    workers: int = 1,
) -> PowerAnalysis:
    """Schoenfeld's minimal detectable hazard ratios at ``target_power`` and the power
    table (:func:`spinemets.methods.power.power_table`) at those two and at ``grid``,
    each simulated with ``replicates`` log-rank tests (same ``seed`` for every hazard
    ratio); the table carries the seed in a ``seed`` column.
    Tests: tests/study/test_power.py::test_power_analysis.
    """
    hr_low, hr_high = formulas.minimal_detectable_hr(
        design.events, design.share, alpha, target_power
    )
    labelled = [("minimal detectable", hr_low), ("minimal detectable", hr_high)]
    labelled += [("grid", float(hr)) for hr in grid]
    simulated = {
        hr: formulas.simulate_power(
            hr,
            design.n1,
            design.n2,
            design.events,
            alpha=alpha,
            replicates=replicates,
            seed=seed,
            workers=workers,
        )
        for _, hr in labelled
    }
    table = formulas.power_table(labelled, design.n1, design.n2, design.events, alpha, simulated)
    table["seed"] = seed
    grid = tuple(float(hr) for hr in grid)
    return PowerAnalysis(design, alpha, target_power, hr_low, hr_high, table, simulated, grid)


def power_curves(
    design: Design, alpha: float = 0.05, hrs: Sequence[float] | None = None
) -> pd.DataFrame:
    """Power against the true hazard ratio by Schoenfeld's and Freedman's formulas.

    Columns: hazard_ratio, Schoenfeld, Freedman; ``hrs`` defaults to 200 points from
    0.4 to 2.5, evenly spaced on the log scale.
    Tests: tests/study/test_power.py::test_power_curves.
    """
    grid = np.geomspace(0.4, 2.5, 200) if hrs is None else np.asarray(hrs, dtype=float)
    d = design
    return pd.DataFrame(
        {
            "hazard_ratio": grid,
            "Schoenfeld": [formulas.schoenfeld_power(h, d.events, d.share, alpha) for h in grid],
            "Freedman": [formulas.freedman_power(h, d.n1, d.n2, d.events, alpha) for h in grid],
        }
    )


def describe_designs(analysis: PowerAnalysis, cohort: Design, cohort_label: str) -> str:
    """Three lines: the published design, the cohort's, and the minimal detectable HRs.

    Tests: tests/study/test_power.py::test_power_analysis.
    """
    d, a = analysis.design, analysis
    return "\n".join(
        [
            f"Published design: {d.n1} metastasectomy vs {d.n2} decompression, {d.events} deaths",
            f"This cohort ({cohort_label}): {cohort.n1} vs {cohort.n2}, {cohort.events} deaths",
            f"Minimal detectable hazard ratio with {a.target_power:.0%} power at alpha = "
            f"{a.alpha}: HR <= {a.hr_low:.2f} or HR >= {a.hr_high:.2f} (Schoenfeld)",
        ]
    )


def reading(
    analysis: PowerAnalysis,
    observed: pd.Series,
    adjusted: pd.Series,
    conf_level: float,
    cohort_label: str,
) -> str:
    """Notebook 08's reading of the surgery comparison, as Markdown.

    ``observed`` is the unadjusted hazard ratio row (hr, lower, upper;
    :func:`spinemets.study.models.unadjusted_hr`), ``adjusted`` the row of the main
    model; the sentences say what the interval allows, the power the design had, and
    the deaths a precise enough interval would need
    (:func:`spinemets.methods.power.events_for_precision`, margin 1.25).
    Tests: tests/study/test_power.py::test_reading.
    """
    d = analysis.design
    power_at_08 = formulas.schoenfeld_power(0.8, d.events, d.share, analysis.alpha)
    if observed["lower"] < 1 < observed["upper"]:
        interval_reading = (
            f"The interval runs from a {1 - observed['lower']:.0%} *lower* to a "
            f"{observed['upper'] - 1:.0%} *higher* hazard of death after metastasectomy: all "
            "of these are compatible with the data."
        )
    else:
        interval_reading = (
            "The interval excludes 1: in this cohort the operations differ in survival, "
            "though not necessarily because of the operation (see section 1)."
        )
    needed = formulas.events_for_precision(1.25, d.share, conf_level)
    return (
        f"On the {cohort_label}, metastasectomy vs decompression: HR **{observed['hr']:.2f}** "
        f"({conf_level:.0%} CI {observed['lower']:.2f} to {observed['upper']:.2f}, "
        f"unadjusted); adjusted for therapy, visceral metastases, walking ability and age "
        f"HR {adjusted['hr']:.2f} ({adjusted['lower']:.2f} to {adjusted['upper']:.2f}).\n\n"
        f"* {interval_reading}\n"
        f"* With {d.events} deaths split {d.n1}/{d.n2}, the study had "
        f"{analysis.target_power:.0%} power only for hazard ratios below "
        f"{analysis.hr_low:.2f} or above {analysis.hr_high:.2f}. A clinically important 20% "
        f"lower hazard (HR 0.8) would have been detected with only {power_at_08:.0%} power.\n"
        f"* To show that the operations give *similar* survival, say HR within 0.8 to 1.25, "
        f"the interval would have to fit inside that range: about {needed:.0f} deaths would "
        f"be needed, {needed / d.events:.1f} times the {d.events} the study had."
    )
