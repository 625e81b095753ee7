"""Deterministic writing of a run's tables and figures.

The output contract (DESIGN.md): every table a notebook shows is written as tidy
CSV plus a Markdown twin under ``<run>/tables/``; every figure as PNG plus SVG
under ``<run>/figures/``. Files are byte-identical between runs on the same
inputs: fixed float formatting, ``\\n`` line ends, no time stamps or software
versions in figure metadata, a fixed SVG hash salt.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import pandas as pd

from . import paths

#: Significant digits kept for floats in CSV tables (R prints 7 by default).
CSV_SIGNIFICANT_DIGITS = 10


def _format_float(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.{CSV_SIGNIFICANT_DIGITS}g}"


def table_to_csv_text(df: pd.DataFrame) -> str:
    """A table as CSV text: missing values empty, floats to 10 significant digits."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(_format_float)
    return out.to_csv(index=False, lineterminator="\n")


def table_to_markdown(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A table as a GitHub-flavoured Markdown table (missing values empty)."""
    return df.to_markdown(index=False, floatfmt=floatfmt, missingval="") + "\n"


class RunOutput:
    """The folder a notebook writes its tables and figures to.

    ``RunOutput("")`` is the interactive default, ``reports/interactive``; the
    batch runner passes the run's own folder.
    """

    def __init__(self, output_dir: str | Path | None = None) -> None:
        self.root = paths.resolve(output_dir, paths.INTERACTIVE_OUTPUT_DIR)
        self.tables = self.root / "tables"
        self.figures = self.root / "figures"

    def write_table(self, df: pd.DataFrame, name: str) -> Path:
        """Write ``tables/<name>.csv`` and ``tables/<name>.md``; return the CSV path."""
        self.tables.mkdir(parents=True, exist_ok=True)
        csv_path = self.tables / f"{name}.csv"
        csv_path.write_text(table_to_csv_text(df), encoding="utf-8")
        (self.tables / f"{name}.md").write_text(table_to_markdown(df), encoding="utf-8")
        return csv_path

    def write_figure(self, fig: mpl.figure.Figure, name: str, dpi: int = 150) -> Path:
        """Write ``figures/<name>.png`` and ``figures/<name>.svg``; return the PNG path."""
        self.figures.mkdir(parents=True, exist_ok=True)
        png = self.figures / f"{name}.png"
        with mpl.rc_context({"svg.hashsalt": "spinemets", "svg.fonttype": "path"}):
            fig.savefig(png, dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
            fig.savefig(
                self.figures / f"{name}.svg",
                metadata={"Date": None, "Creator": None},
                bbox_inches="tight",
            )
        return png

    def __repr__(self) -> str:  # never show an absolute path to a reader
        return f"RunOutput({paths.display_path(self.root)!r})"
