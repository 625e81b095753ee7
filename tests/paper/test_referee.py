"""The referee's STROBE checklist of the paper's inference (spinemets.paper.referee)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from spinemets import paths
from spinemets.paper import referee
from spinemets.paper.claims import load_claims


def test_the_bundled_review_loads_and_covers_the_known_findings() -> None:
    review = referee.load_review()
    assert list(review.columns) == list(referee.FIELDS)
    assert set(review["verdict"]) <= set(referee.VERDICTS)
    # the findings the referee of issue 15 named, each present under its STROBE item
    assert {"10", "12a", "12b", "14c", "16a", "20"} <= set(review["item"])
    claim_ids = {c.id for c in load_claims()}
    for cell in review["claims"]:
        assert {c for c in cell.split(", ") if c} <= claim_ids
    for cell in review["addressed_in"]:
        assert all((paths.NOTEBOOKS_DIR / f"{stem}.ipynb").exists() for stem in cell.split(", "))


def test_verdict_counts() -> None:
    review = referee.load_review()
    counts = referee.verdict_counts(review)
    assert list(counts["verdict"]) == list(referee.VERDICTS)
    assert counts["findings"].sum() == len(review)
    assert dict(zip(counts["verdict"], counts["findings"], strict=True))["not supported"] == sum(
        review["verdict"] == "not supported"
    )


def _write(tmp_path: Path, **change: object) -> Path:
    doc = yaml.safe_load(paths.STROBE_REVIEW_FILE.read_text(encoding="utf-8"))
    doc["items"][0].update(change)
    path = tmp_path / "review.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"item": "23"}, "field item: '23' is no STROBE item"),
        ({"verdict": "fine"}, "field verdict: 'fine'"),
        ({"paper": "It had 100 patients."}, "field paper: a number in the text"),
        ({"claims": ["no_such_claim"]}, "field claims: unknown ['no_such_claim']"),
        ({"addressed_in": ["99_nowhere"]}, "field addressed_in: unknown ['99_nowhere']"),
        ({"addressed_in": []}, "field addressed_in: name a notebook"),
        ({"extra": "x"}, "unknown ['extra']"),
    ],
)
def test_a_malformed_review_is_refused_naming_row_and_field(
    tmp_path: Path, change: dict, message: str
) -> None:
    with pytest.raises(referee.ReviewError) as error:
        referee.load_review(_write(tmp_path, **change))
    assert str(error.value).startswith("review.yaml: item 1: ")
    assert message in str(error.value)


def test_unreadable_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "review.yaml"
    path.write_text("items: [", encoding="utf-8")
    with pytest.raises(referee.ReviewError, match="review.yaml: cannot be read as YAML"):
        referee.load_review(path)
