"""The claims file is complete, consistent and validated; its key numbers are the paper's.

Expected values below are written by hand from the paper's text (Ptashnikov et
al. 2020), not read from the claims file or from ``spinemets.paper.claims``.
"""

from __future__ import annotations

import math
import re

import pytest
import yaml
from spinemets import paths
from spinemets.paper import claims
from spinemets.paper.claims import Claim, ClaimsError

# spelled-out numbers; "All patients" is recorded as 100 percent
WORDS = {"None": 0, "All": 100, "One": 1, "Three": 3, "Eight": 8, "Twelve": 12, "Sixteen": 16}
WORDS |= {"seventh": 7}


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return yaml.safe_load(paths.CLAIMS_FILE.read_text(encoding="utf-8"))["claims"]


@pytest.fixture(scope="module")
def by_id() -> dict[str, Claim]:
    return {c.id: c for c in claims.load_claims()}


# --- the file ------------------------------------------------------------------------------


def test_file_loads_with_many_claims(by_id):
    assert len(by_id) >= 90


def test_ids_unique_and_snake_case(raw):
    ids = [e["id"] for e in raw]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids)


def test_every_entry_has_the_required_fields(raw):
    for e in raw:
        for fld in ("id", "section", "quote", "printed", "unit", "tolerance", "computation"):
            assert fld in e, (e.get("id"), fld)
        assert ("value" in e) != ("interval" in e), e["id"]
        assert e["section"] in {"abstract", "methods", "results"}, e["id"]


def test_quotes_unique_and_non_empty(raw):
    quotes = [e["quote"] for e in raw]
    assert all(isinstance(q, str) and q.strip() for q in quotes)
    assert len(quotes) == len(set(quotes))


def _printed_numbers(printed: str) -> list[float]:
    if printed in WORDS:
        return [WORDS[printed]]
    return [float(x) for x in re.findall(r"\d*\.?\d+", printed)]


def test_printed_text_is_in_the_quote_and_is_the_value(by_id):
    for c in by_id.values():
        assert c.printed in c.quote, c.id
        numbers = _printed_numbers(c.printed)
        expected = list(c.interval) if c.interval else [c.value]
        assert numbers == pytest.approx(expected), c.id


def _implied_tolerance(printed: str) -> float:
    if printed in WORDS:
        return 0.5
    decimals = [len(x.split(".")[1]) if "." in x else 0 for x in re.findall(r"[\d.]+", printed)]
    return 0.5 * 10 ** -max(decimals)


def test_tolerance_is_half_the_last_printed_digit(by_id):
    for c in by_id.values():
        if c.computation == "context" or c.bound is not None:
            assert c.tolerance == 0, c.id
        else:
            assert c.tolerance == pytest.approx(_implied_tolerance(c.printed)), c.id


def test_every_computation_and_unit_is_documented():
    readme = (paths.PUBLISHED_DIR / "README.md").read_text(encoding="utf-8")
    for name in claims.COMPUTATIONS:
        assert f"`{name}`" in readme, name
    for unit in claims.UNITS:
        assert f"`{unit}`" in readme, unit


# --- key numbers, written by hand from the paper -------------------------------------------

KEY_VALUES = {
    "n_patients_abstract": 100,
    "n_metastasectomy": 39,
    "n_decompression": 61,
    "n_targeted_abstract": 26,
    "n_targeted_metastasectomy_abstract": 7,
    "n_targeted_decompression_abstract": 19,
    "n_targeted_methods": 34,
    "n_cytokine_methods": 75,
    "age_median": 56,
    "nephrectomy_pct": 87,
    "synchronous_pct": 66,
    "biopsy_pct": 44,
    "solitary_spine_pct": 8,
    "mets_bone_pct": 42,
    "mets_lung_pct": 33,
    "radiotherapy_postop_n": 23,
    "frankel_nonambulatory_pre_n": 50,
    "frankel_ambulatory_post_pct": 79,
    "vas_pre_mean": 7.1,
    "vas_post_mean": 2.6,
    "deaths_n": 89,
    "alive_n": 11,
    "os_median_all": 22,
    "os_3y_all": 29.7,
    "os_5y_all": 12,
    "os_median_decompression": 22,
    "os_3y_decompression": 30.7,
    "os_5y_decompression": 11.2,
    "os_median_metastasectomy": 22,
    "os_3y_metastasectomy": 28.2,
    "os_5y_metastasectomy": 12.8,
    "os_median_cytokine": 18,
    "os_3y_cytokine": 21,
    "os_5y_cytokine": 6.6,
    "os_median_targeted": 38,
    "os_3y_targeted": 53.6,
    "os_5y_targeted": 26.8,
    "os_logrank_p_surgery": 0.750,
    "os_logrank_p_therapy": 0.012,
    "lpfs_logrank_p_surgery_abstract": 0.043,
    "lp_n": 16,
    "lp_median_time": 5,
    "lp_metastasectomy_n": 3,
    "lp_decompression_n": 13,
    "lp_surgery_chisq": 2.35,
    "lp_surgery_chisq_p": 0.125,
    "lp_targeted_n": 1,
    "lpfs_3y_decompression": 76.4,
    "lpfs_5y_decompression": 76.4,
    "lpfs_3y_metastasectomy": 90.6,
    "lpfs_5y_metastasectomy": 82.4,
    "lpfs_3y_cytokine": 77.4,
    "lpfs_5y_cytokine": 72.9,
    "lpfs_3y_targeted": 95.8,
    "lpfs_5y_targeted": 95.8,
    "complications_n": 51,
    "complications_patients_n": 38,
    "complications_neurological_n": 8,
    "complications_wound_n": 17,
    "complications_implant_n": 14,
    "complications_medical_n": 12,
}

KEY_INTERVALS = {
    "age_range": (23, 74),
    "vas_pre_ci": (6.7, 7.4),
    "vas_post_ci": (2.3, 2.8),
    "os_median_all_ci": (17, 29),
    "os_median_decompression_ci": (16, 32),
    "os_median_metastasectomy_ci": (18, 30),
    "os_median_cytokine_ci": (16, 24),
    "os_median_targeted_ci": (27, 61),
}


@pytest.mark.parametrize(("claim_id", "expected"), sorted(KEY_VALUES.items()))
def test_key_value(by_id, claim_id, expected):
    assert by_id[claim_id].value == pytest.approx(expected)


@pytest.mark.parametrize(("claim_id", "expected"), sorted(KEY_INTERVALS.items()))
def test_key_interval(by_id, claim_id, expected):
    assert by_id[claim_id].interval == pytest.approx(expected)


def test_key_tolerances_and_bounds(by_id):
    assert by_id["os_3y_all"].tolerance == 0.05
    assert by_id["os_5y_all"].tolerance == 0.5
    assert by_id["os_logrank_p_surgery"].tolerance == 0.0005
    assert by_id["vas_wilcoxon_p"].bound == "upper"
    assert by_id["vas_wilcoxon_p"].value == 0.0001
    assert by_id["frankel_ambulatory_change_p"].bound == "upper"


def test_key_computations(by_id):
    c = by_id["os_3y_targeted"]
    assert c.computation == "km_survival"
    assert dict(c.args) == {
        "endpoint": "os",
        "strata": "adjuvant_therapy",
        "group": "targeted",
        "time": 36,
    }
    assert by_id["lpfs_5y_metastasectomy"].args["time"] == 60
    assert by_id["os_median_all_ci"].computation == "km_median_ci"
    assert by_id["os_median_all_ci"].args["conf_type"] == "log"
    assert by_id["lpfs_logrank_p_surgery_abstract"].args["endpoint"] == "lpfs"
    assert by_id["lp_surgery_chisq"].computation == "chisq_yates"


def test_contradictions_are_recorded_with_what_is_followed(by_id):
    assert by_id["n_targeted_abstract"].followed
    assert not by_id["n_targeted_methods"].followed
    assert not by_id["n_cytokine_methods"].followed
    for a, b in [
        ("n_targeted_abstract", "n_targeted_methods"),
        ("synchronous_pct", "biopsy_pct"),
        ("lpfs_3y_decompression", "lpfs_5y_decompression"),
        ("lpfs_3y_targeted", "lpfs_5y_targeted"),
        ("lpfs_3y_cytokine", "lpfs_5y_cytokine"),
    ]:
        assert b in by_id[a].conflicts_with, a
        assert by_id[a].conflict and by_id[b].conflict, (a, b)
    for c in by_id.values():  # every conflicts_with points to an existing claim
        assert set(c.conflicts_with) <= set(by_id), c.id


# --- validation errors ---------------------------------------------------------------------

GOOD = {
    "id": "x_count",
    "section": "results",
    "quote": "were 3 cases",
    "printed": "3",
    "value": 3,
    "unit": "patients",
    "tolerance": 0.5,
    "computation": "count",
    "args": {},
}


def _write(tmp_path, entries, derived=None) -> str:
    f = tmp_path / "claims.yaml"
    doc = {"claims": entries} | ({"derived": derived} if derived is not None else {})
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return f


def test_a_good_minimal_file_loads(tmp_path):
    (claim,) = claims.load_claims(_write(tmp_path, [GOOD]))
    assert claim.value == 3.0 and claim.recomputable


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"computation": "km_medain"}, r"field 'computation': 'km_medain'.*expected one of"),
        ({"tolerance": None}, r"field 'tolerance'.*required"),
        ({"quote": ""}, r"field 'quote'.*required"),
        ({"unit": "furlongs"}, r"field 'unit'"),
        ({"section": "discussion"}, r"field 'section'"),
        ({"printed": "4"}, r"field 'printed'.*occurs in the quote"),
        ({"interval": [1, 2]}, r"exactly one of 'value' or 'interval'"),
        ({"args": {"where": {"a": 1}, "colour": 1}}, r"field 'args'.*only"),
        (
            {"computation": "km_survival"},
            r"argument\(s\) \['endpoint', 'group', 'strata', 'time'\]",
        ),
        ({"computation": "mean_ci", "args": {"column": "a", "conf_level": 0.95}}, "'interval'"),
        ({"bound": "sideways"}, r"field 'bound'"),
        ({"spam": 1}, r"field 'spam'"),
    ],
)
def test_schema_errors_name_file_claim_and_field(tmp_path, change, message):
    entry = GOOD | change
    with pytest.raises(ClaimsError, match=message) as info:
        claims.load_claims(_write(tmp_path, [entry]))
    assert "claims.yaml, claim 1 (id 'x_count')" in str(info.value)


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(ClaimsError, match=r"claim 2, field 'id': 'x_count' duplicates claim 1"):
        claims.load_claims(_write(tmp_path, [GOOD, GOOD | {"quote": "other 3"}]))


def test_conflicts_with_must_name_a_claim(tmp_path):
    bad = GOOD | {"conflict": "see y", "conflicts_with": ["y"]}
    with pytest.raises(ClaimsError, match=r"'conflicts_with': 'y'"):
        claims.load_claims(_write(tmp_path, [bad]))


def test_unreadable_file(tmp_path):
    f = tmp_path / "claims.yaml"
    f.write_text("claims: [unclosed", encoding="utf-8")
    with pytest.raises(ClaimsError, match="cannot read claims"):
        claims.load_claims(f)
    f.write_text("just text", encoding="utf-8")
    with pytest.raises(ClaimsError, match="'claims' list"):
        claims.load_claims(f)


# --- agreement --------------------------------------------------------------------------


def test_agrees_at_printed_precision(by_id):
    c = by_id["os_3y_all"]  # 29.7 %, tolerance 0.05
    assert c.agrees(29.74) and c.agrees(29.65) and c.agrees(29.75)
    assert not c.agrees(29.76) and not c.agrees(None) and not c.agrees(math.nan)
    p = by_id["vas_wilcoxon_p"]  # P < .0001
    assert p.agrees(3e-5) and not p.agrees(0.0001)
    ci = by_id["os_median_all_ci"]  # 17-29
    assert ci.agrees((17, 29)) and not ci.agrees((16, 29)) and not ci.agrees((17, math.inf))


def test_claims_frame_is_one_row_per_claim(by_id):
    df = claims.claims_frame()
    assert len(df) == len(by_id)
    assert df["id"].tolist() == list(by_id)
    row = df.set_index("id").loc["os_median_all_ci"]
    assert (row["lower"], row["upper"], row["computation"]) == (17.0, 29.0, "km_median_ci")
    assert row["args"] == '{"conf_type": "log", "endpoint": "os", "group": "all", "strata": "all"}'
    assert not df.set_index("id").loc["n_targeted_methods", "followed"]


def test_published_and_reproduced_text_follow_the_printed_precision(by_id):
    assert by_id["os_3y_all"].published == "29.7"
    assert by_id["os_3y_all"].format_value(29.6875) == "29.7"
    assert by_id["os_logrank_p_surgery"].format_value(0.75049) == "0.750"
    assert by_id["vas_wilcoxon_p"].published == "< .0001"
    assert by_id["vas_wilcoxon_p"].format_value(2.58e-18) == "2.6e-18"
    assert by_id["vas_pre_ci"].format_value((6.7197, 7.4203)) == "6.7–7.4"
    assert by_id["lp_n"].published == "16 (Sixteen)"
    assert by_id["lp_n"].format_value(None) == ""


# --- derived numbers -----------------------------------------------------------------------


def test_derived_numbers_by_hand():
    # abstract: 100 patients, 39 metastasectomy (7 targeted), 61 decompression (19 targeted),
    # 26 targeted; results: 16 progressions, 1 with targeted therapy
    derived = claims.load_derived()
    assert {k: d.value for k, d in derived.items()} == {
        "n_cytokine": 74,
        "n_metastasectomy_cytokine": 32,
        "n_decompression_cytokine": 42,
        "lp_cytokine_n": 15,
    }
    assert derived["n_cytokine"].of == ("n_patients_abstract", "n_targeted_abstract")
    # the methods: "After spine surgery, all patients received adjuvant therapy."
    assert {d.quote for d in derived.values()} == {
        "After spine surgery, all patients received adjuvant therapy"
    }


def test_load_numbers_has_claim_values_and_derived_numbers():
    numbers = claims.load_numbers()
    assert numbers["deaths_n"] == 89 and numbers["n_cytokine"] == 74
    assert "age_range" not in numbers  # an interval
    assert claims.whole_number(numbers, "lp_n") == 16
    with pytest.raises(ClaimsError, match="'no_such_id'"):
        claims.whole_number(numbers, "no_such_id")
    with pytest.raises(ClaimsError, match="expected a whole number"):
        claims.whole_number(numbers, "os_3y_all")


DERIVED = {
    "id": "y_rest",
    "quote": "all of them",
    "rule": "difference",
    "of": ["x_count", "x_other"],
    "value": 1,
}
OTHER = GOOD | {"id": "x_other", "quote": "other 2", "printed": "2", "value": 2}


def test_a_good_derived_number_loads(tmp_path):
    f = _write(
        tmp_path,
        [GOOD, OTHER],
        [DERIVED, DERIVED | {"id": "z", "rule": "sum", "of": ["x_count", "y_rest"], "value": 4}],
    )
    assert claims.load_numbers(f) == {"x_count": 3, "x_other": 2, "y_rest": 1, "z": 4}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": 2}, r"field 'value': 2; expected 1 \(difference of x_count, x_other\)"),
        ({"rule": "product"}, r"field 'rule': 'product'"),
        ({"of": ["x_count", "nope"]}, r"field 'of'.*ids of claims with a value"),
        ({"of": ["x_count", "x_other", "x_count"]}, r"exactly two ids for 'difference'"),
        ({"id": "x_count"}, r"field 'id': 'x_count'; expected an id used by no claim"),
        ({"quote": ""}, r"field 'quote'.*required"),
        ({"colour": "red"}, r"field 'colour'"),
    ],
)
def test_derived_errors_name_file_entry_and_field(tmp_path, change, message):
    f = _write(tmp_path, [GOOD, OTHER], [DERIVED | change])
    with pytest.raises(ClaimsError, match=message) as info:
        claims.load_claims(f)
    assert "claims.yaml, derived 1" in str(info.value)
