"""The data dictionary (data/README.md) documents every column of the cohort format."""

from __future__ import annotations

import re

from spinemets import paths
from spinemets.cohort import spec

README = (paths.DATA_DIR / "README.md").read_text(encoding="utf-8")


def _table_rows() -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", README, flags=re.MULTILINE))


def test_every_column_is_a_row_of_the_data_dictionary():
    documented = _table_rows()
    specs = (*spec.PATIENT_COLUMNS, *spec.COMPLICATION_COLUMNS, spec.SYNTHETIC_MARKER)
    missing = [c.name for c in specs if c.name not in documented]
    assert missing == []


def test_every_code_is_documented():
    for column in (*spec.PATIENT_COLUMNS, *spec.COMPLICATION_COLUMNS):
        if column.kind == "code" and not column.upper:
            for code in column.codes:
                assert f"`{code}`" in README, (column.name, code)


def test_the_format_matches_design_md():
    """The column names DESIGN.md fixes, in its order."""
    assert [c.name for c in spec.PATIENT_COLUMNS] == [
        "patient_id", "age", "surgery", "adjuvant_therapy", "spine_region", "nephrectomy",
        "synchronous", "biopsy", "solitary_spine", "mets_bone", "mets_lung", "mets_liver",
        "mets_lymph_node", "mets_kidney", "mets_brain", "radiotherapy_preop",
        "radiotherapy_postop", "frankel_pre", "frankel_post", "vas_pre", "vas_post",
        "os_months", "death", "lp_months", "local_progression",
    ]  # fmt: skip
    assert [c.name for c in spec.COMPLICATION_COLUMNS] == ["patient_id", "category", "detail"]
    assert spec.DAYS_PER_MONTH == 365.25 / 12


def test_days_per_month_is_in_the_dictionary():
    assert "30.4375" in README


def test_every_range_is_the_one_the_dictionary_gives():
    """age 0..120, VAS 0..10, months 0..600: the table row of each column says the range."""
    for column in spec.PATIENT_COLUMNS:
        if column.kind in ("int", "score", "months"):
            row = re.search(rf"^\| `{column.name}` \|.*$", README, flags=re.MULTILINE)
            assert row is not None, column.name
            assert f"{column.low:g}..{column.high:g}" in row.group(0), column.name
    assert spec.MAX_MONTHS == 600 and "600 months is 50 years" in README
