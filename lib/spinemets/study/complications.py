"""Table 4: complications -- events, patients with at least one, by category and group.

A complication is "any event when a patient required specific treatment"; the
``complications`` table has one row per event (``patient_id``, ``category``,
``detail``).  Counts are given both as *events* and as *patients with at least
one event*, because a patient can have several.  Groups (e.g. surgery) are
compared on the share of patients with at least one event, by the rule of
:func:`spinemets.study.characteristics.categorical_test`: Pearson's chi-square with Yates'
correction (R ``chisq.test``) unless an expected count is below the threshold
(default 5), then Fisher's exact test (R ``fisher.test``).
Checked by ``tests/study/test_complications.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..cohort.spec import COMPLICATION_CATEGORIES
from ..errors import SpinemetsError
from ..formatting import format_p
from .characteristics import ALL, GROUP_ORDER, categorical_test, short_test_name

__all__ = [
    "ANY",
    "CATEGORY_LABELS",
    "complication_details",
    "events_per_patient",
    "table4",
    "table4_wide",
    "validate_complications",
]

CATEGORY_LABELS: dict[str, str] = {
    "any": "Any complication",
    "neurological": "Neurological deficit",
    "wound": "Wound (infection, hematoma, liquorrhea)",
    "implant": "Implant-related (failure, junctional)",
    "medical": "Major medical morbidity",
}
#: The category label of the "any complication" rows.
ANY = "any"


def validate_complications(complications: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """The complications with stripped text, or a SpinemetsError naming row, column and value.

    Every ``patient_id`` must be a patient of ``patients``; every ``category``
    one of :data:`COMPLICATION_CATEGORIES`.
    """
    for col in ("patient_id", "category"):
        if col not in complications.columns:
            raise SpinemetsError(f"complications: column {col!r} is missing")
    if "patient_id" not in patients.columns:
        raise SpinemetsError("patients: column 'patient_id' is missing")
    df = complications.copy()
    df["patient_id"] = df["patient_id"].astype(str).str.strip()
    df["category"] = df["category"].astype(str).str.strip()
    if "detail" in df.columns:
        df["detail"] = df["detail"].fillna("").astype(str).str.strip()
    known = set(patients["patient_id"].astype(str).str.strip())
    for pos, (pid, cat) in enumerate(zip(df["patient_id"], df["category"], strict=True)):
        if pid not in known:
            raise SpinemetsError(
                f"complications, row {pos + 1}, column 'patient_id': value {pid!r}; "
                "expected the patient_id of a patient in the patients table"
            )
        if cat not in COMPLICATION_CATEGORIES:
            raise SpinemetsError(
                f"complications, row {pos + 1}, column 'category': value {cat!r}; "
                f"expected one of {', '.join(COMPLICATION_CATEGORIES)}"
            )
    return df


def table4(
    complications: pd.DataFrame,
    patients: pd.DataFrame,
    by: str | None = "surgery",
    fisher_threshold: float = 5.0,
) -> pd.DataFrame:
    """Table 4 in tidy form: one row per category (``any`` first) and group (``all`` first).

    Columns: category, label, group, n_patients (in the group), events,
    patients_with (at least one event of the category), percent (of the
    group's patients), p, test.  ``p`` compares the groups of ``by`` on
    patients with at least one event of the category, by the chi-square /
    Fisher rule (:func:`spinemets.study.characteristics.categorical_test`); it is empty when
    ``by`` is None or when the category has no event.
    """
    comp = validate_complications(complications, patients)
    ids = patients["patient_id"].astype(str).str.strip()
    groups: list[tuple[str, pd.Series]] = [(ALL, pd.Series(True, index=patients.index))]
    if by is not None:
        if by not in patients.columns:
            raise SpinemetsError(f"patients: column {by!r} is missing; needed for Table 4")
        g = patients[by].astype(str).str.strip().where(patients[by].notna())
        present = set(g.dropna())
        order = [x for x in GROUP_ORDER.get(by, ()) if x in present] or sorted(present)
        groups += [(x, g == x) for x in order]
    rows = []
    for category in (ANY, *COMPLICATION_CATEGORIES):
        sub = comp if category == ANY else comp[comp["category"] == category]
        per_patient = sub.groupby("patient_id").size()
        with_event = ids.isin(per_patient.index)
        events = ids.map(per_patient).fillna(0).astype(int)
        block = []
        for name, mask in groups:
            n = int(mask.sum())
            k = int(with_event[mask].sum())
            block.append(
                {
                    "category": category,
                    "label": CATEGORY_LABELS[category],
                    "group": name,
                    "n_patients": n,
                    "events": int(events[mask].sum()),
                    "patients_with": k,
                    "percent": 100 * k / n if n else math.nan,
                }
            )
        result = None
        if len(groups) > 1:
            table = np.array(
                [[r["patients_with"], r["n_patients"] - r["patients_with"]] for r in block[1:]]
            ).T
            result = categorical_test(table, fisher_threshold=fisher_threshold)
        for r in block:
            r["p"] = math.nan if result is None else result.p_value
            r["test"] = "" if result is None else result.method
        rows += block
    return pd.DataFrame(rows)


def complication_details(complications: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Events per category and detail (e.g. neurological: temporary / irreversible).

    Columns category, detail, events; categories in :data:`COMPLICATION_CATEGORIES`
    order, details alphabetically.
    """
    comp = validate_complications(complications, patients)
    if "detail" not in comp.columns:
        comp["detail"] = ""
    counts = comp.groupby(["category", "detail"]).size().rename("events").reset_index()
    counts["order"] = counts["category"].map(COMPLICATION_CATEGORIES.index)
    counts = counts.sort_values(["order", "detail"]).drop(columns="order")
    return counts.reset_index(drop=True).astype({"events": "int64"})


def events_per_patient(complications: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """How many patients had 0, 1, 2, ... events: columns events, patients, percent."""
    comp = validate_complications(complications, patients)
    ids = patients["patient_id"].astype(str).str.strip()
    per_patient = ids.map(comp.groupby("patient_id").size()).fillna(0).astype(int)
    counts = per_patient.value_counts().sort_index()
    full = counts.reindex(range(int(counts.index.max()) + 1), fill_value=0)
    return pd.DataFrame(
        {
            "events": full.index.astype("int64"),
            "patients": full.to_numpy().astype("int64"),
            "percent": 100 * full.to_numpy() / len(ids),
        }
    )


def table4_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Table 4 for display: one row per category; per group ``events`` and
    ``patients (%)`` columns headed ``<group> (n=<N>)``; then p and test (short names)
    when groups are compared.
    """
    groups = list(dict.fromkeys(long["group"]))
    records = []
    for category in dict.fromkeys(long["category"]):
        block = long[long["category"] == category].set_index("group")
        rec: dict[str, object] = {"complication": block["label"].iloc[0]}
        for g in groups:
            r = block.loc[g]
            head = f"{g} (n={int(r['n_patients'])})"
            rec[f"{head} events"] = int(r["events"])
            rec[f"{head} patients"] = f"{int(r['patients_with'])} ({r['percent']:.1f}%)"
        if len(groups) > 1:
            rec["p"] = format_p(block["p"].iloc[0])
            rec["test"] = short_test_name(block["test"].iloc[0])
        records.append(rec)
    return pd.DataFrame(records)
