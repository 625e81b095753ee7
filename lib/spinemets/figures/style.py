"""The house style of every figure: palette, matplotlib settings, titles, hazard-ratio axes.

Figures are built by the other modules of :mod:`spinemets.figures` and returned; the
notebooks save them with ``RunOutput.write_figure`` (PNG + SVG). p-values drawn on a
figure are written by :func:`spinemets.formatting.format_p` (``prefix=True``), the one
p-value formatter of the package, which the tables use too. Tests:
``tests/figures/test_style.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.ticker as mticker
from matplotlib.axes import Axes

__all__ = [
    "HOUSE_RC",
    "HR_TICKS",
    "HR_TICKS_FINE",
    "PALETTE",
    "apply_house_style",
    "colour",
    "format_hr_axis",
    "titled",
]

#: The colour-blind-safe palette (Okabe & Ito 2008) of every figure, in the order groups
#: are coloured: blue, vermilion, bluish green, reddish purple, orange, sky blue,
#: yellow, black.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

#: matplotlib settings of every figure: sizes, no top/right spines, the palette as the
#: colour cycle, and a fixed SVG hash salt so that SVG files are byte-identical.
HOUSE_RC: Mapping[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "svg.hashsalt": "spinemets",
}


def apply_house_style() -> None:
    """Set :data:`HOUSE_RC` in matplotlib's global settings (``notebook.setup`` calls it).

    Tests: tests/figures/test_style.py::test_house_style_sets_the_palette.
    """
    mpl.rcParams.update(HOUSE_RC)


def colour(i: int) -> str:
    """The ``i``-th colour of :data:`PALETTE` (cycling).

    Tests: tests/figures/test_style.py::test_house_style_sets_the_palette.
    """
    return PALETTE[i % len(PALETTE)]


def titled(title: str, cohort_label: str = "") -> str:
    """A figure title that says which cohort it shows: ``"<title> (<cohort_label>)"``.

    Every figure drawn from a cohort carries its label (``nb.label``: "SYNTHETIC
    cohort" for the bundled one), so that a figure copied out of a report still says
    whose data it shows. An empty title gives an empty string.
    Tests: tests/figures/test_style.py::test_titles_carry_the_cohort_label.
    """
    if not title:
        return ""
    return f"{title} ({cohort_label})" if cohort_label else title


#: Tick positions for hazard-ratio axes (log scale, labelled as plain numbers).
HR_TICKS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 20.0)
#: Extra ticks when the axis spans less than a factor of 10.
HR_TICKS_FINE: tuple[float, ...] = (0.75, 1.5, 3.0)


def format_hr_axis(ax: Axes, low: float, high: float) -> None:
    """Log-scaled x axis from ``low`` to ``high`` with ticks labelled 0.5, 1, 2 (not 10^x).

    Tests: tests/figures/test_style.py::test_hr_axis_ticks_are_plain_numbers.
    """
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    candidates = HR_TICKS + (HR_TICKS_FINE if high / low < 10 else ())
    ticks = sorted(t for t in candidates if low <= t <= high)
    ax.xaxis.set_major_locator(mticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mticker.FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
