"""The HTML page of an executed notebook: self-contained, mathematics included, with contents.

:func:`export_html` writes ``<stem>.html`` beside an executed notebook; it is the
per-notebook export step of a report (:func:`~spinemets.reports.execute.execute_task`
calls it after executing), a pure function of the notebook's content, so a cache of
executed notebooks can call it again and get the same bytes.

The page is nbconvert's ``lab`` page (code cells shown: the notebooks teach the
methods) through the package's template ``templates/spinemets``, which

* loads nothing from another host: nbconvert's require.js, MathJax, mermaid and
  widget scripts (all from a CDN) are left out, styles and images are inlined, so
  the page reads the same offline, on a hospital network, or attached to an e-mail;
* renders mathematics when the page is made: every ``$...$``, ``$$...$$``,
  ``\\(...\\)``, ``\\[...\\]`` and LaTeX environment of a Markdown cell or output is
  converted to MathML (:func:`tex_to_mathml`, with ``latex2mathml``), which every
  current browser draws without a script or a font download. A formula
  ``latex2mathml`` cannot read is shown as its TeX source in a ``<code
  class="sm-unrendered-math">`` element (and tests fail on that class);
* opens with a table of contents of the notebook's sections (its Markdown
  headings), linking to their anchors (:func:`add_contents`); heading anchors are
  made unique within the page.

The output is deterministic: same notebook, same bytes (no time stamps, no random
identifiers; papermill's random id of the injected-parameters cell is replaced by
the runner before export, :func:`spinemets.reports.execute.clean_executed`).
Tested in ``tests/reports/test_html_export.py`` (unit) and
``tests/reports/test_html_report.py`` (real runs, and the manual Chromium check
``tests/manual/chromium_offline.py``).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import nbformat
from bs4 import BeautifulSoup, Tag
from jinja2 import pass_context
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from .story import notebook_title

#: The folder of the package's nbconvert templates, and the template used.
TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "spinemets"
#: HTML keeps the code cells: the notebooks teach methods, the code is part of it.
HTML_EXCLUDE_INPUT = False
#: Class of a formula shown as TeX source because it could not be converted.
UNRENDERED_MATH_CLASS = "sm-unrendered-math"
#: Class (and id) of the table of contents.
CONTENTS_CLASS = "sm-contents"
CONTENTS_ID = "contents"

#: Styles added to nbconvert's lab styles: the contents box and MathML blocks.
EXTRA_CSS = """\
nav.sm-contents { margin: 1em 0 1.5em calc(var(--jp-cell-prompt-width, 64px) + 10px);
  padding: .6em 1.2em; border: 1px solid var(--jp-border-color2, #ccc);
  border-radius: 4px; background: var(--jp-layout-color1, #fff); max-width: 50rem;
  font-family: var(--jp-content-font-family, system-ui, sans-serif); }
nav.sm-contents h2 { font-size: 1.1em; margin: .2em 0 .4em; }
nav.sm-contents ol { margin: 0; padding-left: 1.4em; }
nav.sm-contents li { margin: .15em 0; }
nav.sm-contents a { text-decoration: none; }
nav.sm-contents a:hover { text-decoration: underline; }
math[display="block"] { margin: .6em 0; overflow-x: auto; }
code.sm-unrendered-math { white-space: pre-wrap; }
@media print { nav.sm-contents { break-inside: avoid; } }
"""

_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))


def tex_to_mathml(tex: str, *, display: bool = False) -> str:
    """A TeX formula (without ``$`` delimiters) as a MathML ``<math>`` element.

    Converted by ``latex2mathml`` (a pure-Python converter of LaTeX mathematics):
    inline formulas get ``display="inline"``, displayed ones ``display="block"``.
    A formula it cannot convert comes back as its TeX source, escaped, in ``<code
    class="sm-unrendered-math">``, so that the page is still made and the reader
    still sees the formula (the report tests fail on that class).
    """
    return _tex_to_mathml(tex.strip(), display)


@lru_cache(maxsize=1024)
def _tex_to_mathml(tex: str, display: bool) -> str:
    try:
        return latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # any formula latex2mathml does not know: shown as source
        source = escape(("$$%s$$" if display else "$%s$") % tex, quote=False)
        return f'<code class="{UNRENDERED_MATH_CLASS}">{source}</code>'


def latex_output_to_mathml(text: str) -> str:
    """A ``text/latex`` output (``$$x$$``, ``$x$``, ``\\[x\\]``, or an environment) as MathML."""
    body = text.strip()
    for start, end in _DELIMITERS:
        if body.startswith(start) and body.endswith(end) and len(body) > len(start + end):
            body = body[len(start) : -len(end)]
            break
    return tex_to_mathml(body, display=True)


class _MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, with mathematics converted to MathML."""

    def block_math(self, body: str) -> str:
        return tex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        return tex_to_mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    def multiline_math(self, text: str) -> str:  # mistune < 3 only
        return tex_to_mathml(text.strip().strip("$"), display=True)


class NotebookHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter with the package's template and MathML mathematics."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("template_name", TEMPLATE_NAME)
        kwargs.setdefault("extra_template_basedirs", [str(TEMPLATES_DIR)])
        kwargs.setdefault("exclude_input", HTML_EXCLUDE_INPUT)
        super().__init__(**kwargs)

    @pass_context  # the filter receives the template's context (the cell), as nbconvert's
    def markdown2html(self, context: Any, source: str) -> str:
        """Markdown to HTML as nbconvert does it, mathematics as MathML."""
        cell = context.get("cell", {})
        renderer = _MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("markdown2html", self.markdown2html)
        yield ("tex_to_mathml", latex_output_to_mathml)

    def _init_resources(self, resources: Any) -> Any:
        resources = super()._init_resources(resources)
        resources["spinemets_css"] = EXTRA_CSS
        return resources


_EXPORTER: NotebookHTMLExporter | None = None


def _exporter() -> NotebookHTMLExporter:
    global _EXPORTER
    if _EXPORTER is None:  # one per process: building it reads the templates
        _EXPORTER = NotebookHTMLExporter()
    return _EXPORTER


def _unique(candidate: str, taken: set[str]) -> str:
    name, n = candidate or "section", 1
    while name in taken:
        n += 1
        name = f"{candidate}-{n}"
    taken.add(name)
    return name


def add_contents(html: str) -> str:
    """Give a notebook page a table of contents of its Markdown cells' headings.

    Headings ``h1``..``h4`` of Markdown cells (not of outputs) are listed, nested
    by level; a lone ``h1`` in the first Markdown cell is the page's title and is
    not listed. Heading ids (nbconvert's, from the heading's text) are made unique
    within the page, and the heading's own anchor link follows. The contents go
    right after the cell that holds the title (else at the top of the page); a
    notebook without sections gets none.
    """
    soup = BeautifulSoup(html, features="html.parser")
    markdown_cells = soup.select("div.jp-MarkdownCell")
    found = [(cell, h) for cell in markdown_cells for h in cell.find_all(["h1", "h2", "h3", "h4"])]
    listed = {id(h) for _, h in found}
    taken = {str(tag["id"]) for tag in soup.find_all(id=True) if id(tag) not in listed}
    taken.add(CONTENTS_ID)
    headings: list[tuple[int, str, Tag, Tag]] = []
    for cell, heading in found:
        new = _unique(str(heading.get("id", "")), taken)
        heading["id"] = new
        anchor = heading.find("a", class_="anchor-link")
        if isinstance(anchor, Tag):
            anchor["href"] = f"#{new}"
        headings.append((int(heading.name[1]), new, heading, cell))
    title_cell = None
    h1 = [h for h in headings if h[0] == 1]
    if len(h1) == 1 and markdown_cells and h1[0][3] is markdown_cells[0]:
        title_cell = h1[0][3]
        headings = [h for h in headings if h[0] != 1]
    if not headings:
        return str(soup)
    nav = soup.new_tag("nav", attrs={"class": CONTENTS_CLASS, "id": CONTENTS_ID})
    nav["aria-label"] = "Contents"
    title = soup.new_tag("h2")
    title.string = "Contents"
    nav.append(title)
    _nested_list(soup, nav, headings)
    if title_cell is not None:
        title_cell.insert_after(nav)
    else:
        main = soup.find("main")
        (main if isinstance(main, Tag) else soup).insert(0, nav)
    return str(soup)


def _nested_list(soup: BeautifulSoup, parent: Tag, headings: list[tuple[int, str, Tag, Tag]]):
    """Append ``<ol>`` lists to ``parent``, one level of nesting per heading level."""
    top = min(level for level, *_ in headings)
    stack: list[tuple[int, Tag]] = [(top, soup.new_tag("ol"))]
    parent.append(stack[0][1])
    last_item: Tag | None = None
    for level, anchor_id, heading, _ in headings:
        level = max(level, top)
        while level > stack[-1][0] and last_item is not None:
            sub = soup.new_tag("ol")
            last_item.append(sub)
            stack.append((stack[-1][0] + 1, sub))
        while level < stack[-1][0]:
            stack.pop()
        item = soup.new_tag("li")
        link = soup.new_tag("a", href=f"#{anchor_id}")
        for child in heading.children:
            if isinstance(child, Tag) and "anchor-link" in (child.get("class") or []):
                continue
            link.append(copy.copy(child))
        item.append(link)
        stack[-1][1].append(item)
        last_item = item


def notebook_html(nb: Any, name: str) -> str:
    """The HTML page of a notebook (a ``NotebookNode``); ``name`` is used when it has no title."""
    body, _ = _exporter().from_notebook_node(
        nb, resources={"metadata": {"name": notebook_title(nb, name)}}
    )
    return add_contents(body)


def export_html(ipynb: Path) -> Path:
    """Write ``<stem>.html`` beside an executed notebook; return its path."""
    nb = nbformat.read(ipynb, as_version=4)
    html = ipynb.with_suffix(".html")
    html.write_text(notebook_html(nb, ipynb.stem), encoding="utf-8", newline="\n")
    return html


__all__ = [
    "CONTENTS_CLASS",
    "TEMPLATES_DIR",
    "UNRENDERED_MATH_CLASS",
    "NotebookHTMLExporter",
    "add_contents",
    "export_html",
    "latex_output_to_mathml",
    "notebook_html",
    "tex_to_mathml",
]
