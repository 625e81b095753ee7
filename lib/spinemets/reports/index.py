"""``reports/index.html``: one static page linking every run's outputs.

The page is built from the run folders on disk (each successful run leaves a
``run.json`` manifest; only folders whose manifest carries the runner's marker
are listed, :func:`~spinemets.reports.folders.read_marker`), so it lists exactly
what exists: per run its
description, cohort, parameters, each notebook's HTML and executed ``.ipynb``,
its figures (PNG, SVG) and tables (CSV, Markdown). Links are relative, the page
needs no JavaScript and works opened from disk; the HTML is deterministic (sorted
listings, no time stamps).

Extension point: a run whose ``tables/scorecard_summary.csv`` exists gets that
table shown at the top of its section (:data:`SCORECARD_SUMMARY`), verbatim, with
links to the per-claim scorecard and the paper audit where the run wrote them.
The page carries :data:`~spinemets.reports.folders.INDEX_GENERATOR`, by which the
runner knows the file is its own to overwrite; it is written through a temporary
file and a rename, so a reader never sees half a page (the batch holds the index
lock meanwhile).
Tested in ``tests/reports/test_reports.py`` (every ``href``/``src`` resolves to a file).
"""

from __future__ import annotations

import csv
import json
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .folders import INDEX_GENERATOR, INDEX_NAME, MANIFEST_NAME, read_marker, write_atomically

#: A run's scorecard summary table (written by the scorecard notebook), shown if present.
SCORECARD_SUMMARY = "tables/scorecard_summary.csv"

_STYLE = """\
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }
h1 { margin-bottom: .2rem; }
section { border-top: 1px solid #ccc; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .2rem .6rem; text-align: left; vertical-align: top; }
code { background: #f4f4f4; padding: 0 .2rem; }
.synthetic { color: #D55E00; font-weight: bold; }
.thumb { max-width: 14rem; max-height: 9rem; display: block; }
ul.figures { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
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


def _grouped(folder: Path) -> dict[str, list[str]]:
    """``{stem: [suffixes...]}`` of the files in ``folder``, sorted."""
    groups: dict[str, list[str]] = {}
    if folder.is_dir():
        for f in sorted(folder.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                groups.setdefault(f.stem, []).append(f.suffix)
    return groups


_KINDS = {".csv": "CSV", ".md": "Markdown", ".png": "PNG", ".svg": "SVG"}


def _file_links(run: str, sub: str, stem: str, suffixes: list[str]) -> str:
    links = []
    for suffix in suffixes:
        kind = escape(_KINDS.get(suffix, suffix.lstrip(".") or "file"))
        links.append(f'<a href="{_href(run, sub, stem + suffix)}">{kind}</a>')
    return " ".join(links)


def _scorecard_html(run_dir: Path, run: str) -> list[str]:
    path = run_dir / SCORECARD_SUMMARY
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return []
    lines = ["<h3>Reproduction scorecard</h3>", "<table>"]
    lines.append("<tr>" + "".join(f"<th>{escape(c)}</th>" for c in rows[0]) + "</tr>")
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
    lines.append(f"<p>Tables: {' | '.join(links)}</p>")
    return lines


def _run_section(run_dir: Path, meta: dict[str, Any]) -> list[str]:
    run = run_dir.name
    lines = [f'<section id="run-{escape(run, quote=True)}">', f"<h2>{escape(run)}</h2>"]
    if meta.get("description"):
        lines.append(f"<p>{escape(str(meta['description']))}</p>")
    cohort = escape(str(meta.get("cohort", "")))
    if meta.get("synthetic"):
        cohort = f'<span class="synthetic">SYNTHETIC</span> {cohort}'
    params = meta.get("parameters") or {}
    shown = ", ".join(
        f"<code>{escape(k)} = {escape(json.dumps(v, ensure_ascii=False))}</code>"
        for k, v in sorted(params.items())
    )
    runs_file = escape(str(meta.get("runs_file", "")))
    lines += [
        "<table>",
        f"<tr><th>Cohort</th><td>{cohort}</td></tr>",
        f"<tr><th>Parameters</th><td>{shown or 'notebook defaults'}</td></tr>",
        f"<tr><th>Runs file</th><td><code>{runs_file}</code></td></tr>",
        "</table>",
    ]
    lines += _scorecard_html(run_dir, run)
    lines += ["<h3>Notebooks</h3>", "<table>", "<tr><th>Notebook</th><th>Read</th></tr>"]
    for stem in notebook_stems(meta):
        links = [
            f'<a href="{_href(run, stem + ext)}">{label}</a>'
            for ext, label in ((".html", "HTML"), (".ipynb", "executed notebook"))
            if (run_dir / f"{stem}{ext}").is_file()
        ]
        lines.append(f"<tr><td>{escape(stem)}</td><td>{' | '.join(links)}</td></tr>")
    lines.append("</table>")
    figures = _grouped(run_dir / "figures")
    if figures:
        lines += ["<h3>Figures</h3>", '<ul class="figures">']
        for stem, suffixes in figures.items():
            thumb = ""
            if ".png" in suffixes:
                src = _href(run, "figures", stem + ".png")
                thumb = f'<img class="thumb" src="{src}" alt="{escape(stem, quote=True)}">'
            links = _file_links(run, "figures", stem, suffixes)
            lines.append(f"<li>{thumb}{escape(stem)}: {links}</li>")
        lines.append("</ul>")
    tables = _grouped(run_dir / "tables")
    if tables:
        lines += ["<h3>Tables</h3>", "<ul>"]
        for stem, suffixes in tables.items():
            lines.append(f"<li>{escape(stem)}: {_file_links(run, 'tables', stem, suffixes)}</li>")
        lines.append("</ul>")
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
        INDEX_GENERATOR,
        "<title>spinemets reports</title>",
        f"<style>\n{_STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>spinemets reports</h1>",
        "<p>Reproduction of Ptashnikov et al., <i>Int J Spine Surg</i> 2020;14(6):982 "
        "(spinal metastases of renal cell carcinoma). Runs on the bundled cohort use "
        '<span class="synthetic">SYNTHETIC</span> reconstructed patients, not patient data.</p>',
    ]
    if runs:
        lines.append("<ul>")
        for d, meta in runs:
            desc = f": {escape(str(meta['description']))}" if meta.get("description") else ""
            anchor = escape(quote(d.name), quote=True)
            lines.append(f'<li><a href="#run-{anchor}">{escape(d.name)}</a>{desc}</li>')
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
    "INDEX_NAME",
    "MANIFEST_NAME",
    "SCORECARD_SUMMARY",
    "notebook_stems",
    "render_index",
    "write_index",
]
