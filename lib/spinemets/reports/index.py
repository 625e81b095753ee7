"""``reports/index.html``: one static page that tells each run's story.

The page is built from the run folders on disk (each successful run leaves a
``run.json`` manifest; only folders whose manifest carries the runner's marker
are listed, :func:`~spinemets.reports.folders.read_marker`), so it lists exactly
what exists. Per run, in this order:

1. the cohort's label: **SYNTHETIC** for a synthetic cohort (the bundled one, or a
   file marked synthetic), else the run's own cohort (``run.json``'s ``cohort``),
   and never the word SYNTHETIC for it; then the description, parameters and runs
   file;
2. the reproduction scorecard (:data:`SCORECARD_SUMMARY`, verbatim) when the run
   wrote it, with links to the per-claim scorecard and the paper audit;
3. the notebooks in reading order, each with its title and question, links to its
   HTML page and executed notebook, its key figures (image, caption, alt text;
   the full-size PNG and the SVG linked) and its key numbers: medians with
   confidence intervals, log-rank tests, hazard ratios, restricted mean survival
   times, follow-up, and the other tables a notebook names; and whether it was
   executed for the report, reused or re-rendered (:mod:`~spinemets.reports.cache`),
   with its input digests (``run.json``, ``execution`` and ``inputs``). What a notebook shows
   is declared in its metadata (:mod:`~spinemets.reports.story`); the numbers are
   read from the run's tables **as text**: a count a ``min_cell`` run masked
   (``<10``) is shown as written, nothing is recomputed, and a table, column or
   figure a run did not write is left out (e.g. ``tables/hazard_ratios.csv`` before
   a notebook writes it);
4. every table and figure of the run, linked (collapsed).

Links are relative and point into the output folder only (a test checks that each
``href``/``src`` resolves to a file there); the page needs no script and nothing
from another host, works opened from disk, and is deterministic (sorted listings,
no time stamps). The page carries :data:`~spinemets.reports.folders.INDEX_GENERATOR`,
by which the runner knows the file is its own to overwrite; it is written through a
temporary file and a rename, so a reader never sees half a page (the batch holds the
index lock meanwhile).
Tested in ``tests/reports/test_reports.py`` and ``tests/reports/test_index.py``, on real runs
in ``tests/reports/test_html_report.py``.
"""

from __future__ import annotations

import csv
import json
import math
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .folders import INDEX_GENERATOR, INDEX_NAME, MANIFEST_NAME, read_marker, write_atomically
from .story import KeyFigure, KeyNumbers, NotebookStory, read_story

#: A run's scorecard summary table (written by the scorecard notebook), shown if present.
SCORECARD_SUMMARY = "tables/scorecard_summary.csv"
#: Tables shown once at the top of a run; a notebook that names one points there.
RUN_LEVEL_TABLES = {"scorecard_summary": "scorecard"}
#: What an endpoint code means, for captions.
ENDPOINTS = {"os": "overall survival", "lpfs": "local progression-free survival"}
#: Written for an estimate that does not exist (a median not reached, an open bound).
NOT_REACHED = "NR"
#: Written for an empty cell that is not an estimate.
EMPTY = "–"
#: A figure wider than this many times its height spans the whole row of figures.
WIDE_FIGURE = 2.2

_STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 64rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #222; }
h1 { margin-bottom: .2rem; }
h2 { margin-top: 0; }
a { color: #0b5cad; }
section.run { border-top: 2px solid #bbb; margin-top: 2.5rem; padding-top: 1rem; }
table { border-collapse: collapse; margin: .4rem 0 .8rem; font-size: .95em; }
caption { text-align: left; font-weight: 600; padding-bottom: .2rem; }
th, td { border: 1px solid #ccc; padding: .2rem .55rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { background: #f4f4f4; padding: 0 .2rem; }
.label { font-size: 1.1em; padding: .4rem .7rem; border-left: .35rem solid #888;
         background: #f6f6f6; }
.label.synthetic { border-color: #D55E00; }
.synthetic { color: #D55E00; font-weight: bold; }
ol.notebooks { list-style: none; padding: 0; }
article.notebook { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem .4rem;
                   margin: 1rem 0; }
article.notebook h3 { margin: .2rem 0 .4rem; }
.question { font-size: 1.02em; }
.read { margin: .3rem 0 .6rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(24rem, 1fr));
           gap: 1rem; margin: .6rem 0; }
figure { margin: 0; }
figure.wide { grid-column: 1 / -1; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .92em; color: #333; }
.note { font-size: .9em; color: #555; }
details { margin: 1rem 0; }
summary { cursor: pointer; font-weight: 600; }
ul.files { columns: 2; }
"""


def _href(*parts: str) -> str:
    return escape("/".join(quote(p) for p in parts), quote=True)


def notebook_stems(meta: dict[str, Any]) -> list[str]:
    """The notebooks a run.json lists: records ``{"stem": ...}`` (or plain stems, before)."""
    stems = []
    for item in meta.get("notebooks") or []:
        stem = item.get("stem") if isinstance(item, dict) else item
        if isinstance(stem, str):
            stems.append(stem)
    return stems


# -- reading a run's tables, as text -------------------------------------------------------


def read_table(path: Path) -> list[dict[str, str]]:
    """A CSV table as rows of text (nothing converted: masked counts stay ``<10``)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return [dict(row) for row in csv.DictReader(f)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def format_number(text: str, digits: int = 3) -> str:
    """A cell for reading: whole numbers and text as written, other numbers to ``digits``
    significant digits (display only), an empty cell as a dash."""
    text = (text or "").strip()
    if not text:
        return EMPTY
    value = _float(text)
    if value is None or text.lstrip("-").isdigit():
        return text  # a label, a masked count ("<10"), or a whole number as written
    return f"{value:.{digits}g}"


def format_p(text: str) -> str:
    """A p-value as clinical papers print it: three decimals, ``<0.001`` below that."""
    value = _float((text or "").strip())
    if value is None:
        return (text or "").strip() or EMPTY
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def format_estimate(estimate: str, lower: str, upper: str, *, missing: str = EMPTY) -> str:
    """``estimate (lower–upper)``; a missing estimate or bound is written ``missing``."""
    shown = [format_number(v) if (v or "").strip() else missing for v in (estimate, lower, upper)]
    if not (estimate or "").strip():
        return missing
    if not (lower or "").strip() and not (upper or "").strip():
        return shown[0]
    return f"{shown[0]} ({shown[1]}–{shown[2]})"


def _is_number_or_masked(text: str) -> bool:
    """A number, an empty cell or a masked count (``<10``): aligned as numbers."""
    text = (text or "").strip()
    return not text or _float(text) is not None or bool(re.fullmatch(r"<\d+", text))


def _is_p(column: str) -> bool:
    return column == "p" or column.startswith("p_") or column.endswith("_p")


#: Headers written differently from their column's name.
_HEADERS = {
    "hr": "HR",
    "hr_p": "p (HR)",
    "logrank_p": "p (log-rank)",
    "chisq": "χ²",
    "cause_label": "cause",
    "percent": "%",
}


def _pretty(name: str) -> str:
    return _HEADERS.get(name, name.replace("_", " "))


def _group(row: dict[str, str]) -> str:
    strata, group = row.get("strata", ""), row.get("group", "")
    if strata in ("", "all") and group in ("", "all"):
        return "all patients"
    return f"{_pretty(strata)}: {group}" if strata else group


def _conf_level(rows: list[dict[str, str]]) -> str:
    """``95% CI`` when every row states the same ``conf_level``, else ``CI``."""
    levels = {row.get("conf_level", "") for row in rows}
    value = _float(levels.pop()) if len(levels) == 1 else None
    return f"{value * 100:g}% CI" if value is not None and 0 < value < 1 else "CI"


def _conf_type(rows: list[dict[str, str]]) -> str:
    types = sorted({row.get("conf_type", "") for row in rows} - {""})
    return f"; CI: {', '.join(types)} transform" if types else ""


# -- views of the output contract's tables -------------------------------------------------

Cell = Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class Column:
    """One column of a view: header, how to write a row's cell, whether it is numeric."""

    header: str
    cell: Cell
    numeric: bool = True


def _col(name: str) -> Cell:
    return lambda row: format_number(row.get(name, ""))


def _as_written(name: str) -> Cell:
    return lambda row: (row.get(name) or "").strip() or EMPTY


@dataclass(frozen=True)
class View:
    """How a contract table is shown: its columns and caption, given the rows shown."""

    columns: Callable[[list[dict[str, str]]], list[Column]]
    #: The caption, given the rows shown.
    caption: Callable[[list[dict[str, str]]], str]


def _endpoints(rows: list[dict[str, str]]) -> list[str]:
    """The endpoints of the rows shown, in words, in the table's order."""
    names: list[str] = []
    for row in rows:
        code = row.get("endpoint", "")
        name = ENDPOINTS.get(code, code)
        if name and name not in names:
            names.append(name)
    return names


def _of_endpoint(rows: list[dict[str, str]]) -> str:
    names = _endpoints(rows)
    return f", {names[0]}" if len(names) == 1 else ""


def _with_endpoint(columns: list[Column], rows: list[dict[str, str]]) -> list[Column]:
    """A table with rows of several endpoints gets an endpoint column first."""
    if len(_endpoints(rows)) < 2:
        return columns
    endpoint = Column(
        "endpoint", lambda r: ENDPOINTS.get(r.get("endpoint", ""), r.get("endpoint", "")), False
    )
    return [endpoint, *columns]


def _medians_columns(rows: list[dict[str, str]]) -> list[Column]:
    return [
        Column("group", _group, numeric=False),
        Column("n", _as_written("n")),
        Column("events", _as_written("events")),
        Column(
            f"median, months ({_conf_level(rows)})",
            lambda r: format_estimate(
                r.get("median", ""), r.get("lower", ""), r.get("upper", ""), missing=NOT_REACHED
            ),
        ),
    ]


def _logrank_columns(rows: list[dict[str, str]]) -> list[Column]:
    def chisq(row: dict[str, str]) -> str:
        return f"{format_number(row.get('chisq', ''))} ({_as_written('df')(row)} df)"

    return [
        Column("comparison", lambda r: f"by {_pretty(r.get('strata', ''))}", numeric=False),
        Column("χ² (df)", chisq),
        Column("p", lambda r: format_p(r.get("p", ""))),
    ]


def _hr_columns(rows: list[dict[str, str]]) -> list[Column]:
    def comparison(row: dict[str, str]) -> str:
        return f"{row.get('group', '')} vs {row.get('reference', '')}"

    columns = [
        Column("comparison", comparison, numeric=False),
        Column(
            f"hazard ratio ({_conf_level(rows)})",
            lambda r: format_estimate(r.get("hr", ""), r.get("lower", ""), r.get("upper", "")),
        ),
    ]
    for name, header in (("p_wald", "p (Wald)"), ("p_lr", "p (LR)"), ("p_score", "p (score)")):
        if any(name in r for r in rows):
            columns.append(Column(header, lambda r, n=name: format_p(r.get(n, ""))))
    return columns


def _rmst_columns(rows: list[dict[str, str]]) -> list[Column]:
    return [
        Column("group", _group, numeric=False),
        Column("τ, months", _as_written("tau")),
        Column(
            f"RMST, months ({_conf_level(rows)})",
            lambda r: format_estimate(r.get("rmst", ""), r.get("lower", ""), r.get("upper", "")),
        ),
    ]


def _follow_up_columns(rows: list[dict[str, str]]) -> list[Column]:
    return [
        Column("group", _group, numeric=False),
        Column(
            f"median follow-up, months ({_conf_level(rows)})",
            lambda r: format_estimate(
                r.get("median", ""), r.get("lower", ""), r.get("upper", ""), missing=NOT_REACHED
            ),
        ),
    ]


#: The output contract's tables (DESIGN.md, "The output contract") and how the index
#: shows them; any other table a notebook names is shown by its declared columns.
CONTRACT_VIEWS: dict[str, View] = {
    "survival_medians": View(
        _medians_columns,
        lambda rows: (
            f"Median survival{_of_endpoint(rows)}, months (Kaplan-Meier{_conf_type(rows)}); "
            f"{NOT_REACHED}: not reached"
        ),
    ),
    "logrank_tests": View(_logrank_columns, lambda rows: f"Log-rank tests{_of_endpoint(rows)}"),
    "hazard_ratios": View(_hr_columns, lambda rows: f"Hazard ratios (Cox){_of_endpoint(rows)}"),
    "rmst": View(
        _rmst_columns,
        lambda rows: f"Restricted mean survival time up to τ months{_of_endpoint(rows)}",
    ),
    "follow_up": View(
        _follow_up_columns,
        lambda rows: (
            f"Median follow-up{_of_endpoint(rows)}, months (reverse Kaplan-Meier"
            f"{_conf_type(rows)}); {NOT_REACHED}: not reached"
        ),
    ),
}


def _declared_columns(rows: list[dict[str, str]], names: Sequence[str]) -> list[Column]:
    """Columns of a table a notebook names: ``X_lower``/``X_upper`` join ``X``, and
    ``lower``/``upper`` the column just before them, as ``estimate (lower–upper)``;
    p-values as printed; the rest as written (numbers to 3 significant digits)."""
    present = [n for n in names if rows and n in rows[0]]
    bounds: dict[str, tuple[str, str]] = {}
    for i, name in enumerate(present):
        if f"{name}_lower" in present and f"{name}_upper" in present:
            bounds[name] = (f"{name}_lower", f"{name}_upper")
        elif present[i + 1 : i + 2] == ["lower"] and "upper" in present:
            bounds[name] = ("lower", "upper")
    merged = {bound for pair in bounds.values() for bound in pair}
    columns: list[Column] = []
    for name in present:
        if name in merged:
            continue
        if name in bounds:
            lower, upper = bounds[name]
            columns.append(
                Column(
                    f"{_pretty(name)} ({_conf_level(rows)})",
                    lambda r, e=name, lo=lower, up=upper: format_estimate(
                        r.get(e, ""), r.get(lo, ""), r.get(up, "")
                    ),
                )
            )
        elif _is_p(name):
            columns.append(Column(_pretty(name), lambda r, n=name: format_p(r.get(n, ""))))
        else:
            numeric = all(_is_number_or_masked(r.get(name, "")) for r in rows)
            columns.append(Column(_pretty(name), _col(name), numeric=numeric))
    return columns


def _table_html(columns: list[Column], rows: list[dict[str, str]], caption: str) -> list[str]:
    lines = ['<table class="numbers">', f"<caption>{escape(caption)}</caption>"]
    lines.append("<tr>" + "".join(f"<th>{escape(c.header)}</th>" for c in columns) + "</tr>")
    for row in rows:
        cells = []
        for column in columns:
            css = ' class="num"' if column.numeric else ""
            cells.append(f"<td{css}>{escape(column.cell(row))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return lines


def key_numbers_html(run_dir: Path, run: str, numbers: KeyNumbers) -> list[str]:
    """One declared table of a notebook, as HTML; nothing when the run did not write it."""
    name = numbers.table
    if name in RUN_LEVEL_TABLES and (run_dir / "tables" / f"{name}.csv").is_file():
        anchor = f"run-{run}-{RUN_LEVEL_TABLES[name]}"
        return [
            f'<p class="note">The summary of this notebook is shown at the top of this run: '
            f'<a href="#{escape(quote(anchor), quote=True)}">reproduction scorecard</a>.</p>'
        ]
    path = run_dir / "tables" / f"{name}.csv"
    rows = [
        row
        for row in read_table(path)
        if all(row.get(column) == value for column, value in numbers.where)
    ]
    if not rows:
        return []
    view = CONTRACT_VIEWS.get(numbers.view or name)
    if view is not None and not numbers.columns:
        columns = _with_endpoint(view.columns(rows), rows)
        caption = numbers.caption or view.caption(rows)
    else:
        columns = _declared_columns(rows, numbers.columns or list(rows[0]))
        caption = numbers.caption or _pretty(name)
    if not columns:
        return []
    links = " ".join(
        f'<a href="{_href(run, "tables", name + ext)}">{label}</a>'
        for ext, label in ((".csv", "CSV"), (".md", "Markdown"))
        if (run_dir / "tables" / f"{name}{ext}").is_file()
    )
    table = _table_html(columns, rows, caption)
    return [*table, f'<p class="note">Table <code>{escape(name)}</code>: {links}</p>']


# -- figures -------------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int] | None:
    """A PNG's width and height in pixels, from its header; None if it is not a PNG."""
    try:
        with path.open("rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def key_figure_html(run_dir: Path, run: str, figure: KeyFigure) -> list[str]:
    """A declared figure with its caption and alt text; nothing when the run did not write it."""
    png = run_dir / "figures" / f"{figure.name}.png"
    svg = run_dir / "figures" / f"{figure.name}.svg"
    shown = png if png.is_file() else svg if svg.is_file() else None
    if shown is None:
        return []
    size = png_size(shown) if shown is png else None
    dimensions = f' width="{size[0]}" height="{size[1]}"' if size else ""
    wide = size is not None and size[0] > WIDE_FIGURE * size[1]
    src = _href(run, "figures", shown.name)
    alt = escape(figure.alt, quote=True)
    files = " ".join(
        f'<a href="{_href(run, "figures", p.name)}">{p.suffix[1:].upper()}</a>'
        for p in (png, svg)
        if p.is_file()
    )
    caption = escape(figure.caption) if figure.caption else f"<code>{escape(figure.name)}</code>"
    return [
        '<figure class="wide">' if wide else "<figure>",
        f'<a href="{src}"><img src="{src}" alt="{alt}"{dimensions} loading="lazy"></a>',
        f'<figcaption>{caption} <span class="note">({files})</span></figcaption>',
        "</figure>",
    ]


# -- a run ---------------------------------------------------------------------------------


def _scorecard_html(run_dir: Path, run: str) -> list[str]:
    path = run_dir / SCORECARD_SUMMARY
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    anchor = escape(f"run-{run}-{RUN_LEVEL_TABLES['scorecard_summary']}", quote=True)
    lines = [f'<div id="{anchor}">', "<h3>Reproduction scorecard</h3>"]
    header = rows[0]
    overall = next((r for r in rows[1:] if r and r[0] == "all"), None)
    wanted = ("reproduced", "assessed", "reproduced_pct")
    if overall is not None and all(w in header for w in wanted):
        got = {w: overall[header.index(w)] for w in wanted if header.index(w) < len(overall)}
        if len(got) == len(wanted):
            lines.append(
                f"<p>{escape(got['reproduced'])} of {escape(got['assessed'])} assessed claims "
                f"of the paper reproduced ({escape(got['reproduced_pct'])}%).</p>"
            )
    lines.append("<table>")
    lines.append("<tr>" + "".join(f"<th>{escape(c)}</th>" for c in header) + "</tr>")
    for row in rows[1:]:
        lines.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    lines.append("</table>")
    links = [
        f'<a href="{_href(run, *name.split("/"))}">{escape(label)}</a>'
        for name, label in (
            ("tables/scorecard.csv", "every claim (tables/scorecard.csv)"),
            (SCORECARD_SUMMARY, f"this summary ({SCORECARD_SUMMARY})"),
            ("tables/paper_audit.csv", "the paper's internal consistency (tables/paper_audit.csv)"),
        )
        if (run_dir / name).is_file()
    ]
    lines += [f"<p>Tables: {' | '.join(links)}</p>", "</div>"]
    return lines


#: How the index says what became of a notebook (``run.json``, ``execution``).
EXECUTION_NOTES = {
    "executed": "Executed for this report",
    "reused": "Reused: not executed again, its inputs are those of an earlier execution",
    "re-rendered": (
        "Re-rendered: its text changed, its code and inputs did not; the earlier "
        "execution's outputs were merged in without running it"
    ),
}
#: The digests shown (run.json has all 64 hex digits).
SHORT_DIGEST = 12


def notebook_records(meta: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-notebook records of a run.json, by stem (records that are dicts only)."""
    records = {}
    for item in meta.get("notebooks") or []:
        if isinstance(item, dict) and isinstance(item.get("stem"), str):
            records[item["stem"]] = item
    return records


def execution_html(record: dict[str, Any]) -> list[str]:
    """One line: whether the notebook was executed, reused or re-rendered, and from which
    inputs (their digests, shortened; ``run.json`` has them whole)."""
    note = EXECUTION_NOTES.get(str(record.get("execution")))
    if note is None:
        return []
    inputs = record.get("inputs")
    shown = ""
    if isinstance(inputs, dict):
        digests = ", ".join(
            f"{escape(str(k))} <code>{escape(str(v)[:SHORT_DIGEST])}</code>"
            for k, v in inputs.items()
            if k != "notebook"
        )
        shown = f" (inputs: {digests})" if digests else ""
    return [f'<p class="note">{escape(note)}{shown}.</p>']


def _notebook_html(
    run_dir: Path, run: str, story: NotebookStory, record: dict[str, Any] | None = None
) -> list[str]:
    stem = story.stem
    anchor = escape(f"run-{run}-{stem}", quote=True)
    page = run_dir / f"{stem}.html"
    title = escape(story.title)
    if page.is_file():
        title = f'<a href="{_href(run, stem + ".html")}">{title}</a>'
    lines = [f'<li><article class="notebook" id="{anchor}">', f"<h3>{title}</h3>"]
    if story.question:
        lines.append(f'<p class="question"><strong>Question.</strong> {escape(story.question)}</p>')
    links = [
        f'<a href="{_href(run, stem + ext)}">{label}</a>'
        for ext, label in (
            (".html", "the notebook, executed (HTML)"),
            (".ipynb", "executed notebook (.ipynb)"),
        )
        if (run_dir / f"{stem}{ext}").is_file()
    ]
    if links:
        lines.append(f'<p class="read">Read: {" | ".join(links)}</p>')
    lines += execution_html(record or {})
    figures = [line for fig in story.key_figures for line in key_figure_html(run_dir, run, fig)]
    if figures:
        lines += ['<div class="figures">', *figures, "</div>"]
    for numbers in story.key_numbers:
        lines += key_numbers_html(run_dir, run, numbers)
    lines += ["</article></li>"]
    return lines


def _grouped(folder: Path) -> dict[str, list[str]]:
    """``{stem: [suffixes...]}`` of the files in ``folder``, sorted."""
    groups: dict[str, list[str]] = {}
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                groups.setdefault(f.stem, []).append(f.suffix)
    return groups


_KINDS = {".csv": "CSV", ".md": "Markdown", ".png": "PNG", ".svg": "SVG"}


def _files_html(run: str, run_dir: Path) -> list[str]:
    """Every table and figure of a run, linked, in a collapsed block."""
    tables, figures = _grouped(run_dir / "tables"), _grouped(run_dir / "figures")
    if not tables and not figures:
        return []
    lines = [
        "<details>",
        f"<summary>All files of this run: {len(tables)} tables, {len(figures)} figures</summary>",
    ]
    for sub, groups, title in (("tables", tables, "Tables"), ("figures", figures, "Figures")):
        if not groups:
            continue
        lines += [f"<h4>{title}</h4>", '<ul class="files">']
        for stem, suffixes in groups.items():
            links = " ".join(
                f'<a href="{_href(run, sub, stem + s)}">'
                f"{escape(_KINDS.get(s, s.lstrip('.') or 'file'))}</a>"
                for s in suffixes
            )
            lines.append(f"<li>{escape(stem)}: {links}</li>")
        lines.append("</ul>")
    lines.append("</details>")
    return lines


def cohort_label(meta: dict[str, Any]) -> str:
    """The label at the top of a run: SYNTHETIC for a synthetic cohort, else the run's cohort."""
    cohort = escape(str(meta.get("cohort") or "cohort files not recorded"))
    if meta.get("synthetic") is True:
        return (
            '<p class="label synthetic"><span class="synthetic">SYNTHETIC</span> cohort: '
            f"{cohort}. Reconstructed patients, not patient data: the results demonstrate "
            "the methods and say nothing about real patients.</p>"
        )
    return f'<p class="label"><strong>Cohort:</strong> {cohort}</p>'


def _run_section(run_dir: Path, meta: dict[str, Any]) -> list[str]:
    run = run_dir.name
    lines = [f'<section class="run" id="run-{escape(run, quote=True)}">', f"<h2>{escape(run)}</h2>"]
    lines.append(cohort_label(meta))
    if meta.get("description"):
        lines.append(f"<p>{escape(str(meta['description']))}</p>")
    params = meta.get("parameters") or {}
    shown = ", ".join(
        f"<code>{escape(k)} = {escape(json.dumps(v, ensure_ascii=False))}</code>"
        for k, v in sorted(params.items())
    )
    runs_file = escape(str(meta.get("runs_file", "")))
    lines += [
        "<table>",
        f"<tr><th>Parameters</th><td>{shown or 'notebook defaults'}</td></tr>",
        f"<tr><th>Runs file</th><td><code>{runs_file}</code></td></tr>",
        "</table>",
    ]
    lines += _scorecard_html(run_dir, run)
    stems = notebook_stems(meta)
    records = notebook_records(meta)
    if stems:
        lines += ["<h3>Notebooks, in reading order</h3>", '<ol class="notebooks">']
        for stem in stems:
            story = read_story(run_dir / f"{stem}.ipynb")
            lines += _notebook_html(run_dir, run, story, records.get(stem))
        lines.append("</ol>")
    lines += _files_html(run, run_dir)
    lines.append("</section>")
    return lines


def render_index(output_dir: Path) -> str:
    """The index page for the run folders in ``output_dir`` (sorted by name)."""
    runs = []
    if output_dir.is_dir():
        for d in sorted(output_dir.iterdir()):
            meta = read_marker(d) if not d.name.startswith(".") else None
            if meta is not None:
                runs.append((d, meta))
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        INDEX_GENERATOR,
        "<title>spinemets reports</title>",
        f"<style>\n{_STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>spinemets reports</h1>",
        "<p>Reproduction of Ptashnikov et al., <i>Int J Spine Surg</i> 2020;14(6):982 "
        "(spinal metastases of renal cell carcinoma): each run below executed the "
        "study's notebooks on one cohort.</p>",
    ]
    if any(meta.get("synthetic") is True for _, meta in runs):
        lines.append(
            '<p>Runs marked <span class="synthetic">SYNTHETIC</span> use reconstructed '
            "patients, not patient data.</p>"
        )
    if runs:
        lines.append("<ul>")
        for d, meta in runs:
            desc = f": {escape(str(meta['description']))}" if meta.get("description") else ""
            anchor = escape(quote(f"run-{d.name}"), quote=True)
            lines.append(f'<li><a href="#{anchor}">{escape(d.name)}</a>{desc}</li>')
        lines.append("</ul>")
    else:
        lines.append("<p>No runs yet: run <code>make reports</code>.</p>")
    for d, meta in runs:
        lines += _run_section(d, meta)
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"


def write_index(output_dir: str | Path) -> Path:
    """Write ``<output_dir>/index.html`` (whole, through a rename); return its path.

    The caller holds the index lock and has checked that an existing
    ``index.html`` is the runner's (:func:`~spinemets.reports.folders.folder_problems`).
    """
    output_dir = Path(output_dir)
    path = output_dir / INDEX_NAME
    write_atomically(path, render_index(output_dir))
    return path


__all__ = [
    "CONTRACT_VIEWS",
    "INDEX_NAME",
    "MANIFEST_NAME",
    "SCORECARD_SUMMARY",
    "cohort_label",
    "execution_html",
    "format_estimate",
    "format_number",
    "format_p",
    "key_figure_html",
    "key_numbers_html",
    "notebook_records",
    "notebook_stems",
    "png_size",
    "read_table",
    "render_index",
    "write_index",
]
