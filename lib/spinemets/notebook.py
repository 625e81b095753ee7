"""One call that makes a notebook's outputs quiet and stable.

nbval compares text outputs of every cell, so warnings, progress bars and
float noise must not vary between runs. ``setup()`` is the first call of every
notebook: it silences warnings, fixes pandas' display options and matplotlib's
style, and picks the non-interactive backend's inline display.
"""

from __future__ import annotations

import logging
import warnings

import matplotlib as mpl
import pandas as pd

#: The colour-blind-safe palette (Okabe & Ito 2008) used by every figure.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def setup() -> None:
    """Silence warnings, fix display options and the figure style."""
    warnings.filterwarnings("ignore")
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 120)
    pd.set_option("display.precision", 4)
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "svg.hashsalt": "spinemets",
        }
    )


def mask_displayed_tables(min_cell: int) -> None:
    """Mask small counts in every DataFrame the running notebook displays.

    With ``min_cell`` > 1, IPython's HTML and plain-text formatters for DataFrames
    pass each table through :func:`spinemets.privacy.suppress_table` first (counts
    ``1 .. min_cell - 1`` in count columns become ``"<min_cell"``), the same rule as
    the exported tables. ``min_cell`` 0 or 1 restores pandas' own display. Outside
    IPython this does nothing. ``print(df)`` and Styler objects are not covered:
    notebooks display tables as a cell's last expression.
    Tested in tests/test_output_suppression.py::test_displayed_tables_are_masked.
    """
    from IPython import get_ipython

    from . import privacy

    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    html, plain = formatters["text/html"], formatters["text/plain"]
    if min_cell <= 1:
        html.pop(pd.DataFrame, None)
        plain.pop(pd.DataFrame, None)
        return
    html.for_type(pd.DataFrame, lambda df: privacy.suppress_table(df, min_cell)._repr_html_())
    plain.for_type(
        pd.DataFrame,
        lambda df, printer, cycle: printer.text(repr(privacy.suppress_table(df, min_cell))),
    )
