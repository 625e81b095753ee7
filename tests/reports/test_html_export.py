"""The HTML page of a notebook: self-contained, mathematics as MathML, contents, deterministic.

Every committed notebook (with its committed outputs) is exported as a report
exports it, and checked without a browser (html_checks.py); the manual check in
Chromium with the network off is tests/manual/chromium_offline.py.
"""

from __future__ import annotations

import copy
import re

import nbformat
import pytest
from html_checks import broken_links, external_references, parse, unrendered_math
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from spinemets import paths
from spinemets.reports.batch import staging_aliases
from spinemets.reports.execute import clean_executed
from spinemets.reports.folders import RunFolders
from spinemets.reports.html import (
    UNRENDERED_MATH_CLASS,
    add_contents,
    export_html,
    latex_output_to_mathml,
    notebook_html,
    tex_to_mathml,
)
from spinemets.reports.notebooks import discover_notebooks

COMMITTED = discover_notebooks(paths.NOTEBOOKS_DIR)
#: Formulas of a Markdown cell as Jupyter reads them: $$...$$ or $...$.
FORMULA = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


# -- the checks themselves can fail --------------------------------------------------------

BAD_PAGE = """<!DOCTYPE html><html><head>
<script src="https://cdn.example.org/mathjax.js"></script>
<link rel="stylesheet" href="//fonts.example.org/font.css">
<style>@import "theme.css"; body { background: url('https://example.org/bg.png'); }
.icon { background: url(data:image/svg+xml;base64,AAAA); }</style>
<script>import("https://cdn.example.org/mermaid.mjs")</script>
</head><body><main>
<p>The estimate $\\hat S(t)$ and \\(x^2\\) and $$y$$.</p>
<pre>costs $5 and $6 in code: not prose</pre>
<p>Price: 5$ and 6$, no formula.</p>
<code class="sm-unrendered-math">$\\foo$</code>
<a href="#nowhere">broken anchor</a> <a href="missing.html">missing file</a>
<img src="data:image/png;base64,iVBOR" alt="inline image is fine">
</main></body></html>"""


def test_the_checks_find_what_a_page_loads_from_elsewhere():
    found = external_references(BAD_PAGE)
    assert "<script src='https://cdn.example.org/mathjax.js'>" in found
    assert "<link href='//fonts.example.org/font.css'>" in found
    assert "@import in a style" in found
    assert "url(https://example.org/bg.png)" in found
    assert any(f.startswith("<script> 'import('") for f in found)
    assert not any("data:" in f for f in found)


def test_the_checks_find_tex_left_as_text():
    found = unrendered_math(BAD_PAGE)
    assert "$\\hat S(t)$" in found and "\\(x^2\\)" in found and "$$y$$" in found
    assert UNRENDERED_MATH_CLASS in found
    assert not any("$5" in f or "5$" in f for f in found)  # code, and dollars that are no TeX


def test_the_checks_find_broken_links(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(BAD_PAGE, encoding="utf-8")
    problems = broken_links(page, tmp_path)
    assert any("#nowhere" in p for p in problems) and any("missing.html" in p for p in problems)
    assert any("cdn.example.org" in p for p in problems)
    (tmp_path / "missing.html").write_text("now here", encoding="utf-8")
    assert not any("missing.html" in p for p in broken_links(page, tmp_path))


# -- mathematics -----------------------------------------------------------------------------


def test_formulas_become_mathml():
    inline = tex_to_mathml(r"\hat S(t) = \prod_{t_i \le t} (1 - d_i/n_i)")
    assert inline.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
    assert "<mover" in inline and "&#x0220F;" in inline  # the hat, the product sign
    assert 'display="block"' in tex_to_mathml(r"\frac{a}{b}", display=True)
    assert latex_output_to_mathml("$$x^2$$") == tex_to_mathml("x^2", display=True)
    assert latex_output_to_mathml(r"\(x\)") == tex_to_mathml("x", display=True)


def test_a_formula_that_cannot_be_converted_is_shown_as_its_source():
    shown = tex_to_mathml(r"\frac{a}{", display=False)
    assert shown == f'<code class="{UNRENDERED_MATH_CLASS}">$\\frac{{a}}{{$</code>'


# -- one made-up notebook: every form of mathematics, contents, no scripts -----------------


def _notebook():
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        # Jupyter's Markdown writes LaTeX's delimiters with two backslashes: \\( \\[
        new_markdown_cell("# 09 · A test notebook\n\nIntro with $a_i$ and \\\\(b^2\\\\)."),
        new_markdown_cell("## Method\n\n$$\\sum_i x_i$$\n\n\\\\[ y = 1 \\\\]"),
        new_markdown_cell("### Detail\n\n\\begin{align}z &= 1\\end{align}"),
        new_markdown_cell("## Method\n\nThe same heading twice: price 5 $ only."),
        new_code_cell(
            "x = '$not math$'",
            outputs=[
                new_output("display_data", {"text/latex": "$$\\frac{1}{2}$$", "text/plain": "1/2"}),
                new_output(
                    "display_data",
                    {"application/javascript": "fetch('https://example.org')", "text/plain": ""},
                ),
                new_output("display_data", {"text/markdown": "## Heading of an output"}),
            ],
            execution_count=1,
        ),
        new_markdown_cell("## Results"),
    ]
    return nb


@pytest.fixture(scope="module")
def made_up():
    return notebook_html(_notebook(), "09_test")


def test_every_form_of_mathematics_is_converted(made_up):
    assert unrendered_math(made_up) == []
    # $a_i$, \(b^2\), $$sum$$, \[y\], align, the text/latex output
    assert made_up.count("<math ") == 6
    assert "$not math$" in made_up  # code stays code


def test_nothing_is_loaded_and_no_script_is_left(made_up):
    assert external_references(made_up) == []
    assert "<script" not in made_up
    assert "https://example.org" not in made_up  # the JavaScript output is not copied
    assert "an interactive JavaScript output: not shown" in made_up


def test_contents_list_the_sections_with_unique_anchors(made_up, tmp_path):
    page = parse(made_up)
    nav = re.search(
        r'<nav aria-label="Contents" class="sm-contents" id="contents">.*?</nav>', made_up
    )
    assert nav, "no table of contents"
    items = re.findall(r'<a href="#([^"]+)">(.*?)</a>', nav.group(0))
    assert [text for _, text in items] == ["Method", "Detail", "Method", "Results"]
    anchors = [anchor for anchor, _ in items]
    assert len(set(anchors)) == 4 and all(a in page.ids for a in anchors)
    assert anchors[0] == "Method" and anchors[2] == "Method-2"
    assert '<a class="anchor-link" href="#Method-2">' in made_up  # the heading's own link
    # nested: Detail (h3) inside the first Method's item; the title (h1) is not listed
    assert re.search(r"Method</a><ol><li><a href=\"#Detail\">", nav.group(0))
    assert "A test notebook" not in nav.group(0) and "Heading of an output" not in nav.group(0)
    # the contents follow the title cell
    assert made_up.index("09 · A test notebook") < made_up.index("sm-contents")
    assert made_up.index("sm-contents") < made_up.index('id="Method"')
    assert "<title>09 · A test notebook</title>" in made_up
    (tmp_path / "09_test.html").write_text(made_up, encoding="utf-8")
    assert broken_links(tmp_path / "09_test.html", tmp_path) == []


def test_a_page_without_sections_gets_no_contents():
    html = '<main><div class="jp-Cell jp-MarkdownCell"><h1 id="T">T</h1></div></main>'
    assert "<nav" not in add_contents(html)


# -- the committed notebooks, as a report exports them -------------------------------------


@pytest.mark.parametrize("notebook", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_committed_notebook_pages_are_self_contained(notebook, tmp_path):
    copy = tmp_path / notebook.name
    copy.write_bytes(notebook.read_bytes())
    page = export_html(copy)
    html = page.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert unrendered_math(html) == []
    assert broken_links(page, tmp_path) == []
    assert 'class="sm-contents"' in html, "no table of contents"
    nb = nbformat.read(notebook, as_version=4)
    formulas = sum(len(FORMULA.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")
    assert html.count("<math ") == formulas
    assert export_html(copy).read_bytes() == html.encode("utf-8"), "not deterministic"
    assert str(tmp_path) not in html and str(paths.PROJECT_ROOT) not in html


def test_some_committed_notebook_has_mathematics():
    """So that the formula count above can fail: notebook 02 writes its estimators in TeX."""
    sources = [c.source for p in COMMITTED for c in nbformat.read(p, as_version=4).cells]
    assert any(FORMULA.search(s) for s in sources)


# -- the executed notebook, cleaned before its page is made --------------------------------


def test_an_executed_notebook_is_the_same_however_the_kernel_sent_its_prints(tmp_path):
    base = _notebook()
    injected = new_code_cell('output_dir = "/x/out/.paper.partial"')
    injected.metadata["tags"] = ["injected-parameters"]
    base.cells += [injected, new_code_cell("print(...)")]

    def executed(chunks):
        nb = copy.deepcopy(base)
        outputs = [new_output("stream", name="stdout", text=c) for c in chunks]
        outputs.insert(1, new_output("stream", name="stderr", text="a warning\n"))
        outputs.append(new_output("display_data", {"text/plain": "a table"}))
        outputs.append(new_output("stream", name="stdout", text="after the table\n"))
        nb.cells[-1].outputs = outputs
        path = tmp_path / f"{len(chunks)}.ipynb"
        nbformat.write(nb, path)
        clean_executed(path, (("/x/out/.paper.partial", "paper"),))
        return path

    one = executed(["13/26\n", "14/26\n15/26\n"])
    three = executed(["13/26\n", "14/26\n", "15/26\n"])
    cells = nbformat.read(three, as_version=4).cells
    outputs = cells[-1].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stdout", "13/26\n"),
        ("stream", "stderr", "a warning\n"),
        ("stream", "stdout", "14/26\n15/26\n"),  # joined, in place
        ("display_data", None, None),
        ("stream", "stdout", "after the table\n"),  # not moved before the table
    ]
    assert cells[-2].id == "injected-parameters" and cells[-2].source == 'output_dir = "paper"'
    assert export_html(one).read_bytes() == export_html(three).read_bytes()


@pytest.mark.parametrize("inside", [True, False], ids=["reports/", "elsewhere"])
def test_the_staging_folder_is_shown_as_the_runs_folder(tmp_path, inside):
    output = paths.REPORTS_DIR if inside else tmp_path / "out"
    folders = RunFolders(output, "paper")
    shown = "reports/paper" if inside else "paper"
    staging = folders.staging.resolve()
    relative = "reports/.paper.partial" if inside else ".paper.partial"
    nb = new_notebook(cells=[new_code_cell(f'output_dir = "{staging}"')])
    nb.cells[0].outputs = [
        new_output("stream", name="stdout", text=f"writing to RunOutput('{relative}')\n"),
        new_output("stream", name="stdout", text=f"saved {staging}/tables/x.csv\n"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    clean_executed(path, staging_aliases(folders))
    text = path.read_text(encoding="utf-8")
    assert f'output_dir = \\"{shown}\\"' in text
    assert f"writing to RunOutput('{shown}')" in text and f"saved {shown}/tables/x.csv" in text
    assert ".partial" not in text and str(tmp_path) not in text
