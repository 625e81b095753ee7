"""The cohort format: every column's name, kind, allowed values and meaning.

This is the single source of truth for DESIGN.md's "The cohort format" -- the codes,
grades and endpoints every analysis uses are declared here once. The
pandera schemas (:mod:`spinemets.cohort.schema`), the type conversion
(:mod:`spinemets.cohort.convert`) and the data dictionary (``data/README.md``,
checked against this module by ``tests/cohort/test_spec.py``) all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

#: Days per month used to turn dates into months (365.25 / 12), as DESIGN.md fixes.
DAYS_PER_MONTH = 30.4375

#: The longest time in months a survival column may hold: 50 years after spinal surgery.
#: Longer is a data-entry error (days or an Excel date serial typed as months), not a
#: follow-up, and astronomically large values (``1e300``) would break the analyses.
MAX_MONTHS = 600

#: Frankel grades of spinal cord function, A (complete lesion) .. E (normal), in order.
FRANKEL_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")
#: Frankel grades at which a patient walks ("ambulatory"); A-C are the paper's
#: "nonambulatory" patients.
AMBULATORY_GRADES: tuple[str, ...] = ("D", "E")
#: Types of spinal surgery; the first is the one the study asks about.
SURGERIES: tuple[str, ...] = ("metastasectomy", "decompression")
#: Adjuvant systemic therapies; the first is the one the study asks about.
THERAPIES: tuple[str, ...] = ("targeted", "cytokine")
#: Regions of the operated spinal metastasis.
SPINE_REGIONS: tuple[str, ...] = ("cervical", "thoracic", "lumbar")
#: Kinds of complication (Table 4 of the paper).
COMPLICATION_CATEGORIES: tuple[str, ...] = ("neurological", "wound", "implant", "medical")
#: The study's two comparisons: column -> its levels, the level asked about first.
COMPARISONS: dict[str, tuple[str, ...]] = {"surgery": SURGERIES, "adjuvant_therapy": THERAPIES}


class Endpoint(NamedTuple):
    """A survival endpoint of the study: its columns of the patients table and its name."""

    time: str
    event: str
    label: str


#: The survival endpoints: key -> columns. LPFS counts local progression only: a death
#: without progression is censored, as in the paper (so 1 - LPFS is not the cumulative
#: incidence of progression when patients die first; notebook 06).
ENDPOINTS: dict[str, Endpoint] = {
    "os": Endpoint("os_months", "death", "Overall survival"),
    "lpfs": Endpoint("lp_months", "local_progression", "Local progression-free survival"),
}

Kind = Literal["id", "int", "code", "binary", "score", "months", "text", "date"]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a cohort table.

    ``kind`` decides how the cell text is checked and converted: ``id`` (non-empty
    text, unique), ``int`` (whole number in ``[low, high]``), ``code`` (one of
    ``codes``, case-insensitive), ``binary`` (0 or 1), ``score`` (number in
    ``[low, high]``), ``months`` (number in ``[low, high]``), ``text`` (free text, may be empty),
    ``date`` (a calendar date, see :mod:`spinemets.cohort.values`).
    """

    name: str
    kind: Kind
    meaning: str
    codes: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    required: bool = True
    upper: bool = False  # codes are returned upper-case (Frankel grades), else lower-case
    unique: bool = False  # no two rows may hold the same value

    @property
    def expected(self) -> str:
        """What a valid cell of this column looks like, for error messages."""
        if self.kind == "id":
            return "a non-empty identifier (text)"
        if self.kind == "int":
            return f"an integer {self.low:g}..{self.high:g}"
        if self.kind == "code":
            return "one of " + ", ".join(self.codes)
        if self.kind == "binary":
            return "0 or 1"
        if self.kind == "score":
            return f"a number {self.low:g}..{self.high:g}"
        if self.kind == "months":
            return f"a number of months {self.low:g}..{self.high:g}"
        if self.kind == "date":
            return "a date written YYYY-MM-DD (or DD.MM.YYYY)"
        return "free text"


def _binary(name: str, meaning: str) -> ColumnSpec:
    return ColumnSpec(name, "binary", meaning)


#: The ``patients`` table, one row per patient, in the canonical column order.
PATIENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "patient_id",
        "id",
        "pseudonymous study code, unique (never a record number)",
        unique=True,
    ),
    ColumnSpec("age", "int", "age at spinal surgery, years", low=0, high=120),
    ColumnSpec(
        "surgery",
        "code",
        "type of spinal surgery: en bloc metastasectomy or palliative decompression "
        "with stabilisation",
        codes=SURGERIES,
    ),
    ColumnSpec(
        "adjuvant_therapy",
        "code",
        "systemic therapy after surgery: targeted agents or cytokines (interferon, IL-2)",
        codes=THERAPIES,
    ),
    ColumnSpec(
        "spine_region",
        "code",
        "region of the operated spinal metastasis",
        codes=SPINE_REGIONS,
    ),
    _binary("nephrectomy", "radical nephrectomy before spinal surgery (1 = yes)"),
    _binary("synchronous", "metastases synchronous with the primary tumour (1 = yes)"),
    _binary("biopsy", "RCC metastasis confirmed by percutaneous biopsy (1 = yes)"),
    _binary("solitary_spine", "solitary metastasis, in the spine only (1 = yes)"),
    _binary("mets_bone", "bone metastases outside the operated spine (1 = yes)"),
    _binary("mets_lung", "lung metastases (1 = yes)"),
    _binary("mets_liver", "liver metastases (1 = yes)"),
    _binary("mets_lymph_node", "lymph node metastases (1 = yes)"),
    _binary("mets_kidney", "metastases in the kidneys (1 = yes)"),
    _binary("mets_brain", "brain metastases (1 = yes)"),
    _binary("radiotherapy_preop", "radiotherapy of the symptomatic level before surgery (1 = yes)"),
    _binary("radiotherapy_postop", "radiotherapy after surgery (1 = yes)"),
    ColumnSpec(
        "frankel_pre",
        "code",
        "Frankel grade before surgery (A complete .. E normal)",
        codes=FRANKEL_GRADES,
        upper=True,
    ),
    ColumnSpec(
        "frankel_post",
        "code",
        "Frankel grade after surgery",
        codes=FRANKEL_GRADES,
        upper=True,
    ),
    ColumnSpec("vas_pre", "score", "back pain before surgery, VAS 0..10", low=0, high=10),
    ColumnSpec("vas_post", "score", "back pain on day 7 after surgery, VAS 0..10", low=0, high=10),
    ColumnSpec(
        "os_months",
        "months",
        "months from spinal surgery to death or last follow-up",
        low=0,
        high=MAX_MONTHS,
    ),
    _binary("death", "1 = died (os_months is the time of death), 0 = alive at last follow-up"),
    ColumnSpec(
        "lp_months",
        "months",
        "months from surgery to local progression or censoring; <= os_months",
        low=0,
        high=MAX_MONTHS,
    ),
    _binary(
        "local_progression",
        "1 = local progression in the operated spine at lp_months, 0 = censored",
    ),
)

#: The ``complications`` table, one row per complication event.
COMPLICATION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", "the patient's patient_id in the patients table"),
    ColumnSpec(
        "category",
        "code",
        "kind of complication (Table 4 of the paper)",
        codes=COMPLICATION_CATEGORIES,
    ),
    ColumnSpec(
        "detail",
        "text",
        "free text, e.g. temporary, irreversible, surgical site infection",
        required=False,
    ),
)

#: Optional column of the patients table: 1 on every row marks a synthetic cohort.
SYNTHETIC_MARKER = ColumnSpec(
    "synthetic",
    "binary",
    "1 on every row marks the cohort as synthetic (not patient data); dropped after loading",
    required=False,
)

#: Date columns that may replace the four survival columns (see spinemets.cohort.dates).
DATE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("surgery_date", "date", "date of spinal surgery (time zero)"),
    ColumnSpec(
        "last_followup_date",
        "date",
        "date last known alive; may be empty when death_date is given",
        required=False,
    ),
    ColumnSpec("death_date", "date", "date of death; empty = alive", required=False),
    ColumnSpec(
        "local_progression_date",
        "date",
        "date local progression was diagnosed; empty = none",
        required=False,
    ),
)

#: The survival columns that dates replace.
DURATION_COLUMNS: tuple[str, ...] = ("os_months", "death", "lp_months", "local_progression")


def by_name(columns: tuple[ColumnSpec, ...]) -> dict[str, ColumnSpec]:
    """The specs of a table keyed by column name."""
    return {c.name: c for c in columns}
