"""A generic scan of a report folder for what a reader must not see.

Every file a run writes -- HTML pages, executed notebooks (their outputs), CSV and
Markdown tables, the text of SVG figures (matplotlib writes each text as a comment
beside its glyphs), ``run.json`` and the index -- is searched, without a list of known
tables, for:

- a count below ``min_cell`` shown unmasked: in text, a number 1..min_cell-1 after
  ``n =``/``n=``/``N:``, before ``patients``/``events``/``deaths``/``progressions``/
  ``complications``/``at risk`` on the same line (not a table's row number), or shown
  as ``k (p%)``; in a CSV table, such a number in a column whose header names a count
  (a word ``n``, ``count``, ``events``, ``patients``, ``deaths``, ``progressions``,
  ``at risk``, ``number``, ``cases``, ``started``, ``treated``... or ``group (n=N)``);
- a percentage beside a masked count (a number in a ``percent``/``pct``/``%`` column on
  a row where a count was masked);
- planted text (free text of the cohort, a label that must not appear).

Markdown cells of the notebooks are the committed narrative, not the cohort's: they
are not scanned for counts (the executed notebooks' outputs are; a page's HTML is
scanned for planted text only, its tables being the notebook's outputs).
Used by ``tests/reports/test_report_privacy.py``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

SCANNED = {".csv", ".md", ".html", ".ipynb", ".svg", ".json"}
_COUNT_HEADER = re.compile(
    r"(^|[_\s(])(n|count|counts|events?|patients?|deaths?|progressions?|progressed|n_risk|"
    r"at[_\s]risk|number|cases|started|treated|untreated|with|summary)($|[_\s)])",
    re.IGNORECASE,
)
_PERCENT_HEADER = re.compile(r"percent|pct|%|proportion|share", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """Something a reader must not see: where (file, part) and what."""

    file: str
    part: str
    what: str

    def __str__(self) -> str:
        return f"{self.file} [{self.part}]: {self.what}"


def _patterns(min_cell: int) -> list[re.Pattern[str]]:
    small = "|".join(str(k) for k in range(1, min_cell))
    return [
        re.compile(rf"(?<![\w.])[nN]\s*[=:]\s*(?:{small})(?![\d.])"),
        re.compile(
            rf"(?<![\w.,-])(?:{small})[ \t]+(?:patients?|events?|deaths?|progressions?|"
            r"complications?|at risk)\b"
        ),
        re.compile(rf"(?<![\w.,-])(?:{small})[ \t]*\(\s*\d+(?:\.\d+)?\s*%\s*\)"),
    ]


def _parts(path: Path) -> list[tuple[str, str, bool]]:
    """``(part, text, scan for counts)`` of a file."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        parts = []
        for i, cell in enumerate(json.loads(raw)["cells"]):
            if cell["cell_type"] == "markdown":
                parts.append((f"cell {i} markdown", "".join(cell["source"]), False))
            for output in cell.get("outputs", []):
                texts = [output.get("text", "")]
                texts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
                for text in texts:
                    text = "".join(text) if isinstance(text, list) else str(text)
                    parts.append((f"cell {i} output", html.unescape(text), True))
        return parts
    if path.suffix == ".svg":
        return [("text", html.unescape(t), True) for t in re.findall(r"<!--(.*?)-->", raw, re.S)]
    if path.suffix == ".html":
        counts = path.name == "index.html"
        raw = re.sub(r"<(style|script)\b.*?</\1>", " ", raw, flags=re.S)
        raw = re.sub(r'(src|href)="data:[^"]*"', " ", raw)
        return [("page", html.unescape(re.sub(r"<[^>]+>", " ", raw)), counts)]
    return [("text", raw, True)]


def _table_findings(rel: str, text: str, min_cell: int) -> list[Finding]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header, found = rows[0], []
    counts = [j for j, h in enumerate(header) if _COUNT_HEADER.search(h) or "(n=" in h]
    percents = [j for j, h in enumerate(header) if _PERCENT_HEADER.search(h)]
    for row in rows[1:]:
        cells = dict(enumerate(row))
        for j in counts:
            value = cells.get(j, "").strip()
            if re.fullmatch(r"\d+(\.0+)?", value) and 0 < float(value) < min_cell:
                found.append(Finding(rel, "table", f"{header[j]} = {value} in {row}"))
        if any(cells.get(j, "").startswith("<") for j in counts):
            for j in percents:
                if re.fullmatch(r"-?\d+(\.\d+)?", cells.get(j, "").strip()):
                    found.append(Finding(rel, "table", f"{header[j]} beside a masked count: {row}"))
    return found


def scan_report(folder: Path, min_cell: int, planted: tuple[str, ...]) -> list[Finding]:
    """Every finding in the files under ``folder`` (see the module docstring)."""
    patterns = _patterns(min_cell)
    findings = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in SCANNED:
            continue
        rel = path.relative_to(folder).as_posix()
        for part, text, scan_counts in _parts(path):
            findings += [Finding(rel, part, f"planted {p!r}") for p in planted if p in text]
            if not scan_counts:
                continue
            for pattern in patterns:
                for match in pattern.finditer(text):
                    line_start = text.rfind("\n", 0, match.start()) + 1
                    if not text[line_start : match.start()].strip():
                        continue  # a row number of a table shown as text
                    context = text[max(0, match.start() - 50) : match.end() + 20]
                    findings.append(Finding(rel, part, f"{match.group(0)!r} in {context!r}"))
        if path.suffix == ".csv":
            findings += _table_findings(rel, path.read_text(encoding="utf-8"), min_cell)
    return findings
