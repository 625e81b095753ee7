"""A referee's checklist of the paper's inference, item by item of STROBE.

The scorecard (:mod:`.scorecard`) checks that the paper's numbers follow from a cohort,
and :mod:`.consistency` that they agree with each other; neither asks whether the
paper's *conclusions* follow from its numbers. This module reads
``data/published/ptashnikov2020_strobe_review.yaml``: one row per shortcoming of the
paper's inference, keyed by the item of the STROBE statement for cohort studies
(von Elm et al., Ann Intern Med 2007;147:573) it falls under, with a verdict
(:data:`VERDICTS`), what it means for the inference, the claims it concerns (ids of the
claims file, which stays the only home of the paper's numbers: a digit in the review's
text is refused) and the notebooks of this repository that take it up.

The file is validated on load: an unknown STROBE item, verdict, claim id or notebook, a
missing field, or a number in the text raises :class:`ReviewError` naming the file, the
row and the field. Tested by ``tests/paper/test_referee.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..errors import SpinemetsError
from .claims import SAFE_LOADER, load_claims

#: How far the paper meets a STROBE item, from best to worst.
VERDICTS: tuple[str, ...] = ("reported", "partly reported", "not reported", "not supported")
#: The STROBE cohort checklist's items (1-22) with their lettered sub-items.
STROBE_ITEMS: frozenset[str] = frozenset(
    [str(k) for k in range(1, 23)]
    + ["1a", "1b", "6a", "6b", "12a", "12b", "12c", "12d", "12e", "13a", "13b", "13c"]
    + ["14a", "14b", "14c", "16a", "16b", "16c"]
)
FIELDS: tuple[str, ...] = (
    "item",
    "topic",
    "paper",
    "verdict",
    "consequence",
    "claims",
    "addressed_in",
)
TEXT_FIELDS: tuple[str, ...] = ("topic", "paper", "consequence")
_DIGIT = re.compile(r"\d")


class ReviewError(SpinemetsError):
    """The review file is malformed (file, row and field named)."""


def _check_row(k: int, row: object, claim_ids: set[str], notebooks: set[str], where: str) -> dict:
    if not isinstance(row, dict):
        raise ReviewError(f"{where}: item {k + 1}: expected a mapping of {', '.join(FIELDS)}")
    missing = [f for f in FIELDS if f not in row]
    unknown = [f for f in row if f not in FIELDS]
    if missing or unknown:
        raise ReviewError(
            f"{where}: item {k + 1}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}"
        )
    if str(row["item"]) not in STROBE_ITEMS:
        raise ReviewError(f"{where}: item {k + 1}: field item: {row['item']!r} is no STROBE item")
    if row["verdict"] not in VERDICTS:
        raise ReviewError(
            f"{where}: item {k + 1}: field verdict: {row['verdict']!r}, expected one of {VERDICTS}"
        )
    for name in TEXT_FIELDS:
        text = row[name]
        if not isinstance(text, str) or not text.strip():
            raise ReviewError(f"{where}: item {k + 1}: field {name}: expected text")
        if _DIGIT.search(text):
            raise ReviewError(
                f"{where}: item {k + 1}: field {name}: a number in the text; name the claim "
                "in `claims` instead (the claims file is the one home of the paper's numbers)"
            )
    for name, known in (("claims", claim_ids), ("addressed_in", notebooks)):
        values = row[name]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ReviewError(f"{where}: item {k + 1}: field {name}: expected a list of names")
        unknown_names = sorted(set(values) - known)
        if unknown_names:
            raise ReviewError(f"{where}: item {k + 1}: field {name}: unknown {unknown_names}")
    if not row["addressed_in"]:
        raise ReviewError(f"{where}: item {k + 1}: field addressed_in: name a notebook")
    return {f: (", ".join(row[f]) if isinstance(row[f], list) else str(row[f])) for f in FIELDS}


def load_review(
    path: str | Path = paths.STROBE_REVIEW_FILE,
    claims_path: str | Path = paths.CLAIMS_FILE,
    notebooks_dir: str | Path = paths.NOTEBOOKS_DIR,
) -> pd.DataFrame:
    """The referee's checklist as a table, one row per finding, in the file's order:
    columns item, topic, paper, verdict, consequence, claims, addressed_in (lists joined
    by ", "). Validated as the module docstring says.
    Tests: tests/paper/test_referee.py.
    """
    path = Path(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise ReviewError(f"{path.name}: cannot be read as YAML: {error}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or "items" not in doc:
        raise ReviewError(f"{path.name}: expected schema_version: 1 and a list `items`")
    claim_ids = {c.id for c in load_claims(claims_path)}
    notebooks = {p.stem for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")}
    rows = [
        _check_row(k, row, claim_ids, notebooks, path.name) for k, row in enumerate(doc["items"])
    ]
    return pd.DataFrame(rows, columns=list(FIELDS))


def verdict_counts(review: pd.DataFrame) -> pd.DataFrame:
    """Findings per verdict, in :data:`VERDICTS` order (columns verdict, findings).
    Tests: tests/paper/test_referee.py::test_verdict_counts.
    """
    counts = review["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)
    return counts.rename_axis("verdict").reset_index(name="findings")
