"""The index tells each run's story: label, notebooks in order, questions, figures, numbers.

Run folders are made by hand here (run.json, executed notebooks with their story
metadata, tables, a figure), so that every branch is reached: a masked table, a
table or figure a run did not write, malformed metadata. Real runs:
tests/reports/test_html_report.py.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import nbformat
import pytest
from html_checks import broken_links, external_references
from nbformat.v4 import new_markdown_cell, new_notebook
from spinemets.reports.index import (
    format_estimate,
    format_number,
    format_p,
    png_size,
    render_index,
    write_index,
)

MEDIANS = """\
endpoint,strata,group,n,events,median,lower,upper,conf_type
os,all,all,100,89,22,17,29,log
os,surgery,decompression,61,51,22.25,16,32,log
os,adjuvant_therapy,targeted,26,22,38,27,,log
lpfs,all,all,100,16,,,,log
"""
LOGRANK = (
    "endpoint,strata,chisq,df,p\nos,surgery,0.101933505,1,0.7495215754\nlpfs,surgery,4.1,1,0.0431\n"
)
HAZARD_RATIOS = (
    "endpoint,strata,group,reference,hr,lower,upper,p_wald,p_lr,p_score\n"
    "os,surgery,metastasectomy,decompression,0.9249137361,0.598,1.4295,0.7253,0.72,0.73\n"
    "lpfs,surgery,metastasectomy,decompression,0.3,0.1,0.9,0.0004,0.001,0.002\n"
)
SCORECARD = "section,claims,assessed,reproduced,reproduced_pct\nall,97,88,85,96.6\n"
COX = (
    "term,coef,hr,se,lower,upper,z,p,model\n"
    "metastasectomy,-0.078,0.9249137361,0.22,0.5984236479,1.42953144,-0.35,0.725314974,main\n"
    "metastasectomy,-0.11,0.895,0.25,0.547,1.46,-0.44,0.658,interaction\n"
)


def tiny_png(width: int, height: int) -> bytes:
    """A valid PNG of ``width`` x ``height`` white pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def executed(folder: Path, stem: str, title: str, story: dict | None) -> None:
    nb = new_notebook()
    nb.cells = [new_markdown_cell(f"# {title}\n\nSome text.")]
    if story is not None:
        nb.metadata["spinemets"] = story
    nbformat.write(nb, folder / f"{stem}.ipynb")
    (folder / f"{stem}.html").write_text("<!DOCTYPE html><title>page</title>", encoding="utf-8")


STORY_02 = {
    "question": "How long did patients live after surgery?",
    "key_figures": [
        {"name": "km_os", "caption": "Overall survival by surgery.", "alt": "Two step curves."},
        {"name": "not_written", "caption": "A figure this run did not make.", "alt": "x"},
    ],
    "key_numbers": [
        {"table": "survival_medians", "where": {"endpoint": "os"}},
        {"table": "logrank_tests_os", "view": "logrank_tests"},
        {"table": "hazard_ratios", "where": {"endpoint": "os"}},
        {"table": "rmst", "where": {"endpoint": "os"}},
        {"table": "progressions", "caption": "Local progressions by surgery"},
        {
            "table": "cox_multivariable",
            "where": {"model": "main"},
            "columns": ["term", "hr", "lower", "upper", "p"],
            "caption": "Cox model (main effects)",
        },
    ],
}


def make_run(out: Path, name: str, *, synthetic: bool, masked: bool = False) -> Path:
    run = out / name
    (run / "tables").mkdir(parents=True)
    (run / "figures").mkdir()
    manifest = {
        "format": "spinemets-run/1",
        "name": name,
        "description": f"Run {name}",
        "cohort": "bundled synthetic cohort (data/synthetic/)" if synthetic else "p.csv + c.csv",
        "synthetic": synthetic,
        "parameters": {"min_cell": 10} if masked else {},
        # reading order as the runner writes it; deliberately not alphabetical here
        "notebooks": [{"stem": "05_scores", "parameters": {}}, {"stem": "02_os", "parameters": {}}],
        "runs_file": "runs.yaml",
    }
    (run / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    executed(run, "02_os", "02 · Overall survival", STORY_02)
    executed(run, "05_scores", "05 · Scorecard", {"key_numbers": [{"table": "scorecard_summary"}]})
    medians = MEDIANS
    if masked:
        medians = medians.replace(
            "os,adjuvant_therapy,targeted,26,22", "os,adjuvant_therapy,targeted,<10,<10"
        )
    (run / "tables" / "survival_medians.csv").write_text(medians, encoding="utf-8")
    (run / "tables" / "survival_medians.md").write_text("| md |\n", encoding="utf-8")
    os_logrank = "".join(line for line in LOGRANK.splitlines(True) if not line.startswith("lpfs"))
    (run / "tables" / "logrank_tests_os.csv").write_text(os_logrank, encoding="utf-8")
    (run / "tables" / "cox_multivariable.csv").write_text(COX, encoding="utf-8")
    small = "<10" if masked else "3"
    progressions = "surgery,patients,progressions\ndecompression,61,13\n"
    progressions += f"metastasectomy,39,{small}\n"
    (run / "tables" / "progressions.csv").write_text(progressions, encoding="utf-8")
    (run / "tables" / "scorecard_summary.csv").write_text(SCORECARD, encoding="utf-8")
    (run / "figures" / "km_os.png").write_bytes(tiny_png(30, 20))
    (run / "figures" / "km_os.svg").write_text("<svg/>", encoding="utf-8")
    (run / "figures" / "other.png").write_bytes(tiny_png(5, 5))
    return run


@pytest.fixture
def out(tmp_path):
    out = tmp_path / "reports"
    make_run(out, "paper", synthetic=True)
    make_run(out, "mine", synthetic=False, masked=True)
    write_index(out)
    return out


def section(html: str, run: str) -> str:
    match = re.search(rf'<section class="run" id="run-{run}">.*?</section>', html, re.S)
    assert match, f"no section for run {run}"
    return match.group(0)


def article(html: str, run: str, stem: str) -> str:
    match = re.search(rf'<article class="notebook" id="run-{run}-{stem}">.*?</article>', html, re.S)
    assert match, f"no article for {run}/{stem}"
    return match.group(0)


def test_every_link_resolves_and_nothing_comes_from_elsewhere(out):
    index = out / "index.html"
    assert broken_links(index, out) == []
    assert external_references(index.read_text(encoding="utf-8")) == []


def test_the_label_says_synthetic_only_for_a_synthetic_cohort(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    paper, mine = section(html, "paper"), section(html, "mine")
    assert '<p class="label synthetic"><span class="synthetic">SYNTHETIC</span> cohort' in paper
    assert '<p class="label"><strong>Cohort:</strong> p.csv + c.csv</p>' in mine
    assert "SYNTHETIC" not in mine.upper()  # not even in lower case
    # the label comes first in the section, before the notebooks
    assert paper.index("SYNTHETIC") < paper.index("Notebooks, in reading order")


def test_notebooks_in_reading_order_with_their_question(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    paper = section(html, "paper")
    assert paper.index("05 · Scorecard") < paper.index("02 · Overall survival")  # run.json order
    os_article = article(html, "paper", "02_os")
    assert '<a href="paper/02_os.html">02 · Overall survival</a>' in os_article
    assert "<strong>Question.</strong> How long did patients live after surgery?" in os_article
    assert 'href="paper/02_os.ipynb"' in os_article


def test_key_figures_with_caption_and_alt_text_and_only_those(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    os_article = article(html, "paper", "02_os")
    assert (
        '<img src="paper/figures/km_os.png" alt="Two step curves." width="30" height="20"'
        in os_article
    )
    assert "<figcaption>Overall survival by surgery." in os_article
    assert 'href="paper/figures/km_os.svg"' in os_article
    assert "not_written" not in html and "A figure this run did not make" not in html
    assert 'src="paper/figures/other.png"' not in html  # not declared: listed, not shown
    assert 'href="paper/figures/other.png"' in section(html, "paper")


def test_key_numbers_are_read_from_the_tables(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    os_article = article(html, "paper", "02_os")
    assert (
        "Median survival, overall survival, months (Kaplan-Meier; CI: log transform)" in os_article
    )
    row = '<tr><td>all patients</td><td class="num">100</td><td class="num">89</td>'
    assert row + '<td class="num">22 (17–29)</td></tr>' in os_article
    assert '<td class="num">22.2 (16–32)</td>' in os_article  # display rounding only
    assert '<td class="num">38 (27–NR)</td>' in os_article  # an open upper bound
    assert "local progression" not in os_article  # only the rows the notebook named
    assert '<td>by surgery</td><td class="num">0.102 (1 df)</td><td class="num">0.750</td>' in (
        os_article
    )
    # a table outside the contract, by its declared columns, lower/upper joined to hr
    assert "<caption>Cox model (main effects)</caption>" in os_article
    assert "<th>HR (CI)</th>" in os_article
    assert '<td class="num">0.925 (0.598–1.43)</td><td class="num">0.725</td>' in os_article
    assert "0.895" not in os_article  # the interaction model's row is not named


def test_a_masked_count_is_shown_as_written(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    mine = article(html, "mine", "02_os")
    assert (
        '<td>adjuvant therapy: targeted</td><td class="num">&lt;10</td><td class="num">&lt;10</td>'
        in mine
    )
    paper = article(html, "paper", "02_os")
    assert '<td>adjuvant therapy: targeted</td><td class="num">26</td>' in paper
    # in a table a notebook names by its columns too, aligned as the numbers around it
    row = '<tr><td>metastasectomy</td><td class="num">39</td><td class="num">{}</td></tr>'
    assert row.format("&lt;10") in mine and row.format("3") in paper


def test_tables_other_work_adds_are_shown_when_present(out):
    assert "Hazard ratios" not in (out / "index.html").read_text(encoding="utf-8")
    (out / "paper" / "tables" / "hazard_ratios.csv").write_text(HAZARD_RATIOS, encoding="utf-8")
    rmst = (
        "endpoint,strata,group,tau,rmst,se,lower,upper\nos,surgery,difference,60,-1.5,2,-5.4,2.4\n"
    )
    (out / "paper" / "tables" / "rmst.csv").write_text(rmst, encoding="utf-8")
    html = render_index(out)
    os_article = article(html, "paper", "02_os")
    assert "<caption>Hazard ratios (Cox), overall survival</caption>" in os_article
    assert (
        '<td>metastasectomy vs decompression</td><td class="num">0.925 (0.598–1.43)</td>'
        '<td class="num">0.725</td><td class="num">0.720</td><td class="num">0.730</td>'
    ) in os_article
    assert "0.3 (0.1–0.9)" not in os_article  # the lpfs row belongs to another notebook
    assert "Restricted mean survival time up to τ months, overall survival" in os_article
    assert '<td>surgery: difference</td><td class="num">60</td><td class="num">-1.5 (-5.4–2.4)' in (
        os_article
    )
    assert "Hazard ratios" not in article(html, "mine", "02_os")  # that run did not write it


def test_the_scorecard_is_shown_once_at_the_top_of_the_run(out):
    html = (out / "index.html").read_text(encoding="utf-8")
    paper = section(html, "paper")
    assert paper.count("<h3>Reproduction scorecard</h3>") == 1
    assert "85 of 88 assessed claims of the paper reproduced (96.6%)." in paper
    assert paper.index("Reproduction scorecard") < paper.index("Notebooks, in reading order")
    scores = article(html, "paper", "05_scores")
    assert 'href="#run-paper-scorecard"' in scores and "<table" not in scores


def test_malformed_story_metadata_is_skipped(out):
    folder = out / "paper"
    bad = {
        "question": 42,
        "key_figures": [{"caption": "no name"}, {"name": "../run.json"}, "not a mapping"],
        "key_numbers": {"table": "not a list"},
    }
    executed(folder, "02_os", "02 · Overall survival", bad)
    html = render_index(out)
    os_article = article(html, "paper", "02_os")
    assert "Question." not in os_article and "<figure" not in os_article
    assert "<table" not in os_article
    (folder / "02_os.ipynb").write_text("{not json", encoding="utf-8")
    assert '<h3><a href="paper/02_os.html">02_os</a></h3>' in render_index(out)


def test_the_index_is_deterministic(out):
    assert render_index(out) == (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "shown"),
    [("22", "22"), ("22.25", "22.2"), ("0.101933505", "0.102"), ("<10", "<10"), ("", "–")],
)
def test_format_number(text, shown):
    assert format_number(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [("0.7495215754", "0.750"), ("0.0431", "0.043"), ("2.5e-18", "<0.001"), ("", "–")],
)
def test_format_p(text, shown):
    assert format_p(text) == shown


def test_format_estimate():
    assert format_estimate("22", "17", "29") == "22 (17–29)"
    assert format_estimate("", "", "", missing="NR") == "NR"
    assert format_estimate("38", "27", "", missing="NR") == "38 (27–NR)"
    assert format_estimate("1.5", "", "") == "1.5"


def test_png_size(tmp_path):
    (tmp_path / "a.png").write_bytes(tiny_png(7, 3))
    (tmp_path / "b.png").write_bytes(b"not a png at all, but long enough")
    assert png_size(tmp_path / "a.png") == (7, 3)
    assert png_size(tmp_path / "b.png") is None
