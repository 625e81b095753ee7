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
    "EQUIVALENCE_MARGIN",
    "describe_designs",
    "design_of",
    "detectable_effects",
    "equivalence_table",
    "power_analysis",
    "power_curves",
    "reading",
]

#: True hazard ratios (metastasectomy vs decompression) at which power is simulated.
HR_GRID: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0)
#: The equivalence margin of the reading: hazard ratios within (1/1.25, 1.25) = (0.8, 1.25).
EQUIVALENCE_MARGIN = 1.25
#: Labels of the rows of the power table at the hazard ratios of ``target_power``.
SCHOENFELD_ROW, FREEDMAN_ROW = "target power (Schoenfeld)", "target power (Freedman)"


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
    target_replicates: int | None = None,
) -> PowerAnalysis:
    """The hazard ratios at which Schoenfeld's and Freedman's formulas give
    ``target_power`` (below and above 1), and the power table
    (:func:`spinemets.methods.power.power_table`) at those four and at ``grid``.
    The four are simulated with ``target_replicates`` log-rank tests (default
    ``replicates``; use thousands, since the formulas differ by a few points of power),
    the grid with ``replicates`` (same ``seed`` for every hazard ratio); the table
    carries the seed in a ``seed`` column.
    Tests: tests/study/test_power.py::test_power_analysis.
    """
    hr_low, hr_high = formulas.minimal_detectable_hr(
        design.events, design.share, alpha, target_power
    )
    f_low, f_high = formulas.freedman_detectable_hr(
        design.n1, design.n2, design.events, alpha, target_power
    )
    targets = [(SCHOENFELD_ROW, hr_low), (SCHOENFELD_ROW, hr_high)]
    targets += [(FREEDMAN_ROW, hr) for hr in (f_low, f_high) if np.isfinite(hr)]
    labelled = targets + [("grid", float(hr)) for hr in grid]
    n_target = replicates if target_replicates is None else target_replicates
    simulated = {
        hr: formulas.simulate_power(
            hr,
            design.n1,
            design.n2,
            design.events,
            alpha=alpha,
            replicates=n_target if (label, hr) in targets else replicates,
            seed=seed,
            workers=workers,
        )
        for label, hr in labelled
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


def detectable_effects(analysis: PowerAnalysis) -> pd.DataFrame:
    """The rows of the power table at the target power, one per direction and formula.

    Columns: direction (``lower hazard after metastasectomy`` for HR < 1, ``higher``
    otherwise), formula (whose target-power HR the row is), hazard_ratio, the power by
    Schoenfeld, by Freedman and simulated, its Monte Carlo SE and replicates. Read
    down a column to see that the formulas disagree and that power is not symmetric
    at an unbalanced split. Tests: tests/study/test_power.py::test_power_analysis.
    """
    rows = analysis.table[analysis.table["label"] != "grid"].copy()
    rows.insert(
        0,
        "direction",
        np.where(rows["hazard_ratio"] < 1, "lower hazard after", "higher hazard after"),
    )
    rows["formula"] = rows["label"].str.extract(r"\((\w+)\)", expand=False)
    columns = ["direction", "formula", "hazard_ratio", "power_schoenfeld", "power_freedman"]
    columns += ["power_simulated", "simulated_se", "replicates"]
    return rows.sort_values(["direction", "formula"], kind="stable")[columns].reset_index(drop=True)


def equivalence_table(
    design: Design,
    margin: float = EQUIVALENCE_MARGIN,
    conf_levels: Sequence[float] = (0.90, 0.95),
    target_power: float = 0.8,
) -> pd.DataFrame:
    """Deaths needed to *show* similar survival, HR within (1/margin, margin), at true HR 1.

    One row per confidence level of the interval that must lie inside the margin (two
    one-sided tests at level (1 - conf) / 2 each): events needed for ``target_power``
    (:func:`spinemets.methods.power.equivalence_events`), the power with the design's
    deaths (:func:`~spinemets.methods.power.equivalence_power`), and the deaths at which
    the interval is merely as wide as the margin
    (:func:`~spinemets.methods.power.events_for_precision`) with the power there.
    Tests: tests/study/test_power.py::test_equivalence_table and
    tests/methods/test_power.py::test_simulation_confirms_equivalence_events.
    """
    rows = []
    for conf in conf_levels:
        alpha = (1 - conf) / 2
        width = formulas.events_for_precision(margin, design.share, conf)
        rows.append(
            {
                "margin_low": 1 / margin,
                "margin_high": margin,
                "conf_level": conf,
                "alpha_each_side": alpha,
                "share": design.share,
                "target_power": target_power,
                "events_needed": formulas.equivalence_events(
                    margin, design.share, alpha, target_power
                ),
                "design_events": design.events,
                "power_with_design_events": formulas.equivalence_power(
                    design.events, margin, design.share, alpha
                ),
                "events_ci_as_wide_as_margin": width,
                "power_at_that_width": formulas.equivalence_power(
                    width, margin, design.share, alpha
                ),
            }
        )
    return pd.DataFrame(rows)


def reading(
    analysis: PowerAnalysis,
    observed: pd.Series,
    adjusted: pd.Series,
    conf_level: float,
    cohort_label: str,
    adjusted_for: str = "pre-operative factors",
    margin: float = EQUIVALENCE_MARGIN,
) -> str:
    """Notebook 08's reading of the surgery comparison, as Markdown.

    ``observed`` is the unadjusted hazard ratio row (hr, lower, upper;
    :func:`spinemets.study.models.unadjusted_hr`), ``adjusted`` the row of the model
    adjusted for ``adjusted_for``; the sentences say what the interval allows, the
    power the design had in each direction by each formula and by simulation
    (:func:`detectable_effects`), and the deaths needed to show similar survival
    (:func:`equivalence_table`).
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
    effects = detectable_effects(analysis)
    low = effects[(effects["formula"] == "Schoenfeld") & (effects["hazard_ratio"] < 1)].iloc[0]
    high = effects[(effects["formula"] == "Schoenfeld") & (effects["hazard_ratio"] > 1)].iloc[0]
    freedman = effects[effects["formula"] == "Freedman"]
    f_low = freedman[freedman["hazard_ratio"] < 1]
    freedman_text = (
        f" Freedman's formula puts {analysis.target_power:.0%} power at HR "
        f"{f_low['hazard_ratio'].iloc[0]:.2f}, where the simulation gives "
        f"{f_low['power_simulated'].iloc[0]:.1%}."
        if len(f_low)
        else ""
    )
    harder = (
        "a lower hazard after metastasectomy is the harder effect to detect"
        if low["power_simulated"] < high["power_simulated"]
        else "a higher hazard after metastasectomy is the harder effect to detect"
    )
    equivalence = equivalence_table(d, margin, target_power=analysis.target_power)
    need = {round(r.conf_level, 2): r for r in equivalence.itertuples()}
    width = need[0.95].events_ci_as_wide_as_margin
    return (
        f"On the {cohort_label}, metastasectomy vs decompression: HR **{observed['hr']:.2f}** "
        f"({conf_level:.0%} CI {observed['lower']:.2f} to {observed['upper']:.2f}, "
        f"unadjusted); adjusted for {adjusted_for} "
        f"HR {adjusted['hr']:.2f} ({adjusted['lower']:.2f} to {adjusted['upper']:.2f}).\n\n"
        f"* {interval_reading}\n"
        f"* With {d.events} deaths split {d.n1}/{d.n2}, Schoenfeld's formula promises "
        f"{analysis.target_power:.0%} power for hazard ratios below {low['hazard_ratio']:.2f} "
        f"or above {high['hazard_ratio']:.2f}. It is an approximation: "
        f"{low['replicates']:,} simulated studies give {low['power_simulated']:.1%} "
        f"(Monte Carlo SE {low['simulated_se']:.1%}) at HR {low['hazard_ratio']:.2f} and "
        f"{high['power_simulated']:.1%} (SE {high['simulated_se']:.1%}) at "
        f"{high['hazard_ratio']:.2f}: power is *not* symmetric at an unbalanced split "
        f"({harder}).{freedman_text} "
        f"A clinically important 20% lower hazard (HR 0.8) would have been detected with "
        f"only about {power_at_08:.0%} power.\n"
        f"* To *show* that the operations give similar survival, HR within "
        f"{1 / margin:.2f} to {margin:.2f}, the whole interval must "
        f"lie inside that range. With 80% power at a true HR of 1 that needs about "
        f"{need[0.9].events_needed:.0f} deaths with a 90% interval (two one-sided tests "
        f"at 5%) or {need[0.95].events_needed:.0f} with a 95% interval, "
        f"{need[0.95].events_needed / d.events:.0f} times the {d.events} the study had. "
        f"(About {width:.0f} deaths only make the 95% interval *as wide as* the margin; "
        f"then it fits inside with probability {need[0.95].power_at_that_width:.0%}.)"
    )
