"""Deterministic writing of a run's tables and figures.

The output contract (DESIGN.md): every table a notebook shows is written as tidy
CSV plus a Markdown twin under ``<run>/tables/``; every figure as PNG plus SVG
under ``<run>/figures/``. Files are byte-identical between runs on the same
inputs: fixed float formatting, ``\\n`` line ends, no time stamps or software
versions in figure metadata, a fixed SVG hash salt.

Small cells (DESIGN.md, "Privacy"): ``RunOutput(output_dir, min_cell=10)`` masks
every count 1..9 in every table it writes (CSV and Markdown alike) as ``<10``, with
:func:`spinemets.privacy.suppress_table`; ``min_cell=0`` (the notebooks' default)
writes tables as they are. Tested in ``tests/test_output_suppression.py``.

Spreadsheet-safe CSV (DESIGN.md, "Privacy"; OWASP, "CSV Injection"): a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to a spreadsheet (``=HYPERLINK(...)`` in a free-text column runs when the file is
opened), so :func:`table_to_csv_text` writes it after a single quote, which makes
the spreadsheet show it as text. Numbers stay numbers: numeric columns are
written as they are, and text that is a plain number (``-0.52``, ``+3``, ``-1e-05``:
a negative estimate formatted as text) is not a formula and is not quoted. Column
names get the same treatment. Tested in ``tests/test_output_csv.py``.

Written files are listed for the report runner: when the environment variable
:data:`spinemets.paths.WRITTEN_FILES_ENV` names a file (``spinemets report`` sets it for each
notebook it executes), every file a ``RunOutput`` writes is appended to it, one
JSON string (the absolute path) per line. The runner keeps a notebook's files with
its cached result, so that a notebook reused without running restores its tables
and figures too (``reports/README.md``, "Reports rerun only what changed").
Without the variable nothing is recorded. Tested in ``tests/reports/test_cache.py``.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib as mpl
import pandas as pd

from . import paths, privacy
from .errors import ParameterError


def note_written(*files: Path) -> None:
    """Append ``files`` (absolute paths, one JSON string per line) to the list the
    runner asked for in :data:`spinemets.paths.WRITTEN_FILES_ENV`; without it, do nothing."""
    listing = os.environ.get(paths.WRITTEN_FILES_ENV)
    if listing:
        with open(listing, "a", encoding="utf-8") as f:
            f.writelines(json.dumps(str(Path(file).resolve())) + "\n" for file in files)


#: Significant digits kept for floats in CSV tables (R prints 7 by default).
CSV_SIGNIFICANT_DIGITS = 10


def _format_float(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{x:.{CSV_SIGNIFICANT_DIGITS}g}"


#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a plain number, which a spreadsheet reads as a number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)")


def spreadsheet_safe(value: object) -> object:
    """A cell as a spreadsheet should see it: formula-like text after a single quote.

    ``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``; ``"-0.52"``, numbers and other
    text are returned unchanged (module docstring).
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def table_to_csv_text(df: pd.DataFrame) -> str:
    """A table as CSV text: missing values empty, floats to 10 significant digits.

    Text cells and column names that a spreadsheet would run as formulas are
    neutralised (:func:`spreadsheet_safe`).
    """
    out = df.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_float_dtype(column):
            out.isetitem(i, column.map(_format_float))
        elif not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out.isetitem(i, column.map(spreadsheet_safe))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out.to_csv(index=False, lineterminator="\n")


def table_to_markdown(df: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A table as a GitHub-flavoured Markdown table (missing values empty)."""
    return df.to_markdown(index=False, floatfmt=floatfmt, missingval="") + "\n"


def _floats_as_text(
    masked: pd.DataFrame, original: pd.DataFrame, fmt: Callable[[float], str]
) -> pd.DataFrame:
    """Float columns that suppression turned into text keep the writers' float format."""
    out = masked.copy()
    for i in range(out.shape[1]):
        was_float = pd.api.types.is_float_dtype(original.iloc[:, i])
        if was_float and not pd.api.types.is_float_dtype(out.iloc[:, i]):
            out.isetitem(i, out.iloc[:, i].map(lambda v: fmt(v) if isinstance(v, float) else v))
    return out


class RunOutput:
    """The folder a notebook writes its tables and figures to.

    ``RunOutput("")`` is the interactive default, ``reports/interactive``; the
    batch runner passes the run's own folder. With ``min_cell`` > 1, counts
    ``1 .. min_cell - 1`` in the tables written are masked (module docstring), and,
    inside a notebook, in every DataFrame the notebook displays from then on
    (:func:`spinemets.privacy.mask_displayed_tables`), so that the executed
    notebook and its HTML do not show what the exported tables hide.

    Without ``patient_rows``, a table with patient-level rows or free text is neither
    written nor displayed (:func:`spinemets.privacy.check_minimised` raises
    :class:`~spinemets.errors.PatientRowsWithheld`). ``None`` reads the runner's
    :data:`spinemets.paths.PATIENT_ROWS_ENV` (``0``: withheld; unset: shown, as for the
    bundled cohort); :func:`spinemets.notebook.start` always decides it explicitly.
    """

    def __init__(
        self,
        output_dir: str | Path | None = None,
        *,
        min_cell: int = 0,
        patient_rows: bool | None = None,
    ) -> None:
        if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 0:
            raise ParameterError(
                f"min_cell: value {min_cell!r} — expected an integer >= 0 (0 = no suppression)"
            )
        self.root = paths.resolve(output_dir, paths.INTERACTIVE_OUTPUT_DIR)
        self.tables = self.root / "tables"
        self.figures = self.root / "figures"
        self.min_cell = min_cell
        if patient_rows is None:
            patient_rows = os.environ.get(paths.PATIENT_ROWS_ENV, "1") != "0"
        self.patient_rows = patient_rows
        privacy.mask_displayed_tables(min_cell, patient_rows)

    def write_table(
        self, df: pd.DataFrame, name: str, *, count_columns: Sequence[str] = ()
    ) -> Path:
        """Write ``tables/<name>.csv`` and ``tables/<name>.md``; return the CSV path.

        Counts below ``min_cell`` are masked in the columns
        :func:`spinemets.privacy.is_count_column` recognises by name and in
        ``count_columns`` (for tables whose counts sit under other headers, e.g. a
        cross-tabulation); they are recorded in ``df.attrs`` so that displaying ``df``
        masks them as well (:data:`spinemets.privacy.COUNT_COLUMNS_ATTR`).
        """
        privacy.check_minimised(df, self.patient_rows)
        masked = privacy.suppress_table(df, self.min_cell, count_columns)
        if count_columns:  # the same frame, displayed, masks them too
            df.attrs[privacy.COUNT_COLUMNS_ATTR] = list(count_columns)
        self.tables.mkdir(parents=True, exist_ok=True)
        csv_path = self.tables / f"{name}.csv"
        csv_text = table_to_csv_text(_floats_as_text(masked, df, _format_float))
        csv_path.write_text(csv_text, encoding="utf-8")
        md_text = table_to_markdown(_floats_as_text(masked, df, lambda x: f"{x:.4g}"))
        (self.tables / f"{name}.md").write_text(md_text, encoding="utf-8")
        note_written(csv_path, self.tables / f"{name}.md")
        return csv_path

    def write_figure(self, fig: mpl.figure.Figure, name: str, dpi: int = 150) -> bytes:
        """Write ``figures/<name>.png`` and ``figures/<name>.svg``; return the PNG's bytes.

        Counts in the figure's texts below ``min_cell`` are masked first, in place
        (:func:`spinemets.privacy.mask_figure_text`). Both files are cropped to the same
        box, the figure's tight bounding box padded by ``savefig.pad_inches``, computed
        once: each file is drawn once (``bbox_inches="tight"`` would draw each twice).
        """
        privacy.mask_figure_text(fig, self.min_cell)
        self.figures.mkdir(parents=True, exist_ok=True)
        png, svg = self.figures / f"{name}.png", self.figures / f"{name}.svg"
        with mpl.rc_context({"svg.hashsalt": "spinemets", "svg.fonttype": "path"}):
            box = fig.get_tightbbox().padded(mpl.rcParams["savefig.pad_inches"])
            image = io.BytesIO()
            fig.savefig(image, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches=box)
            fig.savefig(svg, metadata={"Date": None, "Creator": None}, bbox_inches=box)
        png.write_bytes(image.getvalue())
        note_written(png, svg)
        return image.getvalue()

    def __repr__(self) -> str:  # never show an absolute path to a reader
        return f"RunOutput({paths.display_path(self.root)!r})"
