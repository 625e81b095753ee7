"""spinemets.figures.style: the palette, titles, the hazard-ratio axis."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from spinemets.figures import style


def test_house_style_sets_the_palette() -> None:
    with mpl.rc_context():
        style.apply_house_style()
        cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
        assert cycle == list(style.PALETTE)
        assert mpl.rcParams["svg.hashsalt"] == "spinemets"
        assert mpl.rcParams["axes.spines.top"] is False
    assert len(style.PALETTE) == 8 and len(set(style.PALETTE)) == 8  # Okabe-Ito
    assert style.colour(0) == "#0072B2" and style.colour(8) == style.colour(0)


def test_titles_carry_the_cohort_label() -> None:
    assert style.titled("Figure 2", "SYNTHETIC cohort") == "Figure 2 (SYNTHETIC cohort)"
    assert style.titled("Figure 2") == "Figure 2"
    assert style.titled("", "SYNTHETIC cohort") == ""


def test_hr_axis_ticks_are_plain_numbers() -> None:
    fig, ax = plt.subplots()
    style.format_hr_axis(ax, 0.08, 3.0)  # wider than 10-fold: coarse ticks only
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.25", "0.5", "1", "2"]
    style.format_hr_axis(ax, 0.4, 2.5)  # narrower: 0.75 and 1.5 as well
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "0.75", "1", "1.5", "2"]
    assert ax.get_xscale() == "log"
