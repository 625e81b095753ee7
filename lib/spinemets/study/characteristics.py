"""Tables 1-3: patient characteristics overall, by surgery and by adjuvant therapy.

Each characteristic is summarised per group as

- categories (and 0/1 variables, shown as "yes"): ``n (%)``, the percentage of
  the patients of the group with a known value;
- numbers: ``median (IQR)`` with R's default quantiles (type 7) and ``range``;
- a ``missing`` row whenever the variable has missing values.

The p-value compares the two groups with the test the paper names, computed as
R computes it (:mod:`spinemets.methods.contingency`):

- categories: Pearson's chi-square (R ``chisq.test``, Yates' continuity
  correction for 2 x 2 tables), **unless any expected count is below**
  ``fisher_threshold`` **(default 5), then Fisher's exact test** (R
  ``fisher.test``) -- the usual rule of thumb for when the chi-square
  approximation is unreliable (:func:`categorical_test`);
- numbers: Mann-Whitney, i.e. R ``wilcox.test(x, y)`` (exact for small samples
  without ties, else the normal approximation with continuity correction).

Why not ``tableone``: it would add a dependency and uses other defaults
(e.g. Kruskal-Wallis, chi-square without R's Yates rule), so its p-values would
not be the paper's.  The implementation here is small and each test is checked
against R.

Beside each p-value, the **standardised mean difference** (``smd``,
:func:`spinemets.methods.balance.standardized_difference`): Austin's (2009) difference of
means in pooled standard deviations for numbers, the multinomial SMD of Yang and Dalton
(2012) for categories and 0/1 variables. STROBE advises against tests in a descriptive
table (the groups are what they are; a p-value mixes the size of a difference with the
sample size); the SMD measures the size alone, and |SMD| > 0.1 is the usual flag.

The result is a tidy long DataFrame (one row per variable x level x group) with
columns :data:`LONG_COLUMNS`; :func:`wide_table` turns it into the familiar
display.  Checked by ``tests/study/test_characteristics.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..cohort.spec import COMPARISONS, FRANKEL_GRADES, SPINE_REGIONS, SURGERIES, THERAPIES
from ..errors import NotApplicable, SpinemetsError
from ..formatting import format_p
from ..methods import contingency
from ..methods.balance import standardized_difference
from ..output import RunOutput

__all__ = [
    "ALL",
    "GROUP_ORDER",
    "LONG_COLUMNS",
    "TABLE1_VARIABLES",
    "Variable",
    "categorical_test",
    "characteristics",
    "short_test_name",
    "standardized_differences",
    "table1",
    "table2",
    "table3",
    "wide_table",
    "write_characteristics",
]

#: The group label of the whole cohort.
ALL = "all"

#: Columns of the tidy long table, in order.
LONG_COLUMNS = (
    "variable",
    "label",
    "level",
    "group",
    "n",
    "percent",
    "summary",
    "statistic",
    "p",
    "test",
    "smd",
)

Kind = Literal["binary", "categorical", "continuous"]


@dataclass(frozen=True)
class Variable:
    """One row block of a characteristics table: a cohort column and how to summarise it."""

    column: str
    label: str
    kind: Kind
    levels: tuple[str, ...] = ()


#: The characteristics of Tables 1-3, in display order (cohort format of DESIGN.md).
TABLE1_VARIABLES: tuple[Variable, ...] = (
    Variable("age", "Age, years", "continuous"),
    Variable("surgery", "Surgery", "categorical", SURGERIES),
    Variable("adjuvant_therapy", "Adjuvant therapy", "categorical", THERAPIES),
    Variable("spine_region", "Spine region", "categorical", SPINE_REGIONS),
    Variable("nephrectomy", "Radical nephrectomy", "binary"),
    Variable("synchronous", "Synchronous metastases", "binary"),
    Variable("biopsy", "Percutaneous biopsy", "binary"),
    Variable("solitary_spine", "Solitary spinal metastasis", "binary"),
    Variable("mets_bone", "Other bone metastases", "binary"),
    Variable("mets_lung", "Lung metastases", "binary"),
    Variable("mets_liver", "Liver metastases", "binary"),
    Variable("mets_lymph_node", "Lymph node metastases", "binary"),
    Variable("mets_kidney", "Kidney metastases", "binary"),
    Variable("mets_brain", "Brain metastases", "binary"),
    Variable("radiotherapy_preop", "Radiotherapy before surgery", "binary"),
    Variable("radiotherapy_postop", "Radiotherapy after surgery", "binary"),
    Variable("frankel_pre", "Frankel grade before surgery", "categorical", FRANKEL_GRADES),
    Variable("vas_pre", "VAS pain before surgery", "continuous"),
)

#: Display order of the groups of the two stratifying variables (the cohort spec's order).
GROUP_ORDER: dict[str, tuple[str, ...]] = COMPARISONS


# ----------------------------------------------------------------- formatting


def _num(x: float) -> str:
    """A number as shown in a table: at most two decimals, trailing zeros dropped."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def short_test_name(method: str) -> str:
    """A short name for an R method string (used in the wide table)."""
    if not method:
        return ""
    if method.startswith("Pearson"):
        return "chi-square (Yates)" if "Yates" in method else "chi-square"
    if method.startswith("Fisher"):
        return "Fisher exact"
    if method.startswith("Wilcoxon rank sum"):
        return "Mann-Whitney (exact)" if "exact" in method else "Mann-Whitney (normal approx.)"
    return method


# --------------------------------------------------------------------- tests


def categorical_test(
    table: np.ndarray, fisher_threshold: float = 5.0, correct: bool = True
) -> contingency.TestResult | None:
    """The test of a levels x groups count table, by the rule of Tables 1-4.

    Empty rows and columns are dropped (as R's ``table()`` on character data
    does not create them).  With fewer than two non-empty rows or columns
    nothing can be tested and ``None`` is returned.  If any expected count is
    below ``fisher_threshold``: Fisher's exact test (R ``fisher.test``);
    otherwise Pearson's chi-square (R ``chisq.test``, Yates' correction for
    2 x 2 when ``correct``).  Checked by ``tests/study/test_characteristics.py``.
    """
    x = np.asarray(table, dtype=float)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    if x.ndim != 2 or min(x.shape) < 2:
        return None
    if contingency.expected_counts(x).min() < fisher_threshold:
        return contingency.fisher_test(x)
    return contingency.chisq_test(x, correct=correct)


# ------------------------------------------------------------------ validation


def _where(df: pd.DataFrame, pos: int) -> str:
    pid = f" (patient_id {df['patient_id'].iloc[pos]})" if "patient_id" in df.columns else ""
    return f"patients, row {pos + 1}{pid}"


def _require(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        raise SpinemetsError(f"patients: column {column!r} is missing; needed for the tables")
    return df[column]


def _binary(df: pd.DataFrame, var: Variable) -> pd.Series:
    s = _require(df, var.column)
    num = pd.to_numeric(s, errors="coerce")
    bad = (s.notna() & ~num.isin([0, 1])).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"{_where(df, pos)}, column {var.column!r}: value {s.iloc[pos]!r}; expected 0 or 1"
        )
    return num


def _categorical(df: pd.DataFrame, var: Variable) -> pd.Series:
    s = _require(df, var.column)
    text = s.where(s.isna(), s.astype(str).str.strip())
    text = text.where(text != "", None)
    if var.levels:
        bad = (text.notna() & ~text.isin(var.levels)).to_numpy()
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise SpinemetsError(
                f"{_where(df, pos)}, column {var.column!r}: value {s.iloc[pos]!r}; "
                f"expected one of {', '.join(var.levels)}"
            )
    return text.astype("category")  # the levels compared by code, not text by text


def _continuous(df: pd.DataFrame, var: Variable) -> pd.Series:
    s = _require(df, var.column)
    num = pd.to_numeric(s, errors="coerce")
    bad = (s.notna() & num.isna()).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SpinemetsError(
            f"{_where(df, pos)}, column {var.column!r}: value {s.iloc[pos]!r}; expected a number"
        )
    return num.astype(float)


# ------------------------------------------------------------------- summaries


def _row(var: Variable, level: str, group: str, n: int, percent: float, summary: str) -> dict:
    return {
        "variable": var.column,
        "label": var.label,
        "level": level,
        "group": group,
        "n": int(n),
        "percent": float(percent),
        "summary": summary,
    }


def _count_rows(var: Variable, values: pd.Series, levels: Sequence[str], group: str) -> list[dict]:
    known = values.dropna()
    rows = []
    for level in levels:
        key = 1 if var.kind == "binary" else level
        n = int((known == key).sum())
        pct = 100.0 * n / len(known) if len(known) else math.nan
        summary = f"{n} ({pct:.1f}%)" if len(known) else "0"
        rows.append(_row(var, "yes" if var.kind == "binary" else level, group, n, pct, summary))
    return rows


def _continuous_rows(var: Variable, values: pd.Series, group: str) -> list[dict]:
    a = values.dropna().to_numpy(dtype=float)
    if len(a) == 0:
        return [
            _row(var, "median (IQR)", group, 0, math.nan, ""),
            _row(var, "range", group, 0, math.nan, ""),
        ]
    q1, med, q3 = np.quantile(a, [0.25, 0.5, 0.75])  # numpy "linear" = R type 7
    return [
        _row(var, "median (IQR)", group, len(a), math.nan, f"{_num(med)} ({_num(q1)}–{_num(q3)})"),
        _row(var, "range", group, len(a), math.nan, f"{_num(a.min())}–{_num(a.max())}"),
    ]


def _levels(var: Variable, values: pd.Series) -> list[str]:
    if var.kind == "binary":
        return ["yes"]
    if var.levels:
        return list(var.levels)
    return sorted(values.dropna().unique().tolist())


def _smd(var: Variable, values: pd.Series, group: pd.Series, groups: Sequence[str]) -> float:
    """The variable's absolute SMD between the two groups; NaN when a group has no value."""
    inside = group.isin(groups) & values.notna()
    if any(not (inside & (group == g)).any() for g in groups):
        return math.nan
    kind = "continuous" if var.kind == "continuous" else "categorical"
    return standardized_difference(values[inside], group[inside], kind)


def _test(
    var: Variable,
    values: pd.Series,
    group: pd.Series,
    groups: Sequence[str],
    fisher_threshold: float,
) -> contingency.TestResult | None:
    samples = [values[group == g].dropna() for g in groups]
    if any(len(s) == 0 for s in samples):
        return None
    if var.kind == "continuous":
        return contingency.wilcox_test(samples[0].to_numpy(), samples[1].to_numpy())
    levels = [1, 0] if var.kind == "binary" else _levels(var, values)
    table = np.array([[int((s == lev).sum()) for s in samples] for lev in levels])
    return categorical_test(table, fisher_threshold=fisher_threshold)


def characteristics(
    patients: pd.DataFrame,
    by: str | None = None,
    variables: Sequence[Variable] = TABLE1_VARIABLES,
    fisher_threshold: float = 5.0,
) -> pd.DataFrame:
    """Tidy characteristics table overall (``by=None``) or by a two-group column.

    Rows come in a fixed order: a ``patients`` row, then each variable of
    ``variables`` (the ``by`` column itself is skipped), its levels, then its
    ``missing`` row if any value is missing; within each, the groups ``all``
    then the groups of ``by`` (:data:`GROUP_ORDER`, else sorted).  ``p``,
    ``statistic`` and ``test`` (R's method string) repeat on each row of a
    variable; they are empty for ``by=None``, for a variable that cannot be
    tested, and on the ``patients`` row.  Patients with a missing ``by`` value
    count in ``all`` only.  Bad values raise :class:`SpinemetsError` naming
    row, patient and column; a ``by`` column without exactly two groups in this
    cohort raises :class:`~spinemets.errors.NotApplicable` (nothing to compare).
    """
    if not 0 < fisher_threshold < math.inf:
        raise SpinemetsError(f"fisher_threshold must be a positive number, got {fisher_threshold}")
    groups: list[str] = []
    group = pd.Series([None] * len(patients), index=patients.index, dtype=object)
    if by is not None:
        spec = next((v for v in TABLE1_VARIABLES if v.column == by), None)
        group = _categorical(patients, spec or Variable(by, by, "categorical"))
        present = set(group.dropna())
        groups = [g for g in GROUP_ORDER.get(by, ()) if g in present] or sorted(present)
        if len(groups) != 2:
            raise NotApplicable(
                f"patients, column {by!r}: found groups {sorted(present)}; "
                "the characteristics tables compare exactly two groups"
            )
    columns = [(ALL, pd.Series(True, index=patients.index))]
    columns += [(g, group == g) for g in groups]

    pvar = Variable("patients", "Patients", "continuous")
    rows = [_row(pvar, "", g, int(m.sum()), math.nan, str(int(m.sum()))) for g, m in columns]
    for var in variables:
        if var.column == by:
            continue
        if var.kind == "binary":
            values = _binary(patients, var)
        elif var.kind == "categorical":
            values = _categorical(patients, var)
        else:
            values = _continuous(patients, var)
        block: list[dict] = []
        if var.kind == "continuous":
            for g, m in columns:
                block += _continuous_rows(var, values[m], g)
            shown = ["median (IQR)", "range"]
        else:
            levels = _levels(var, values)
            for g, m in columns:
                block += _count_rows(var, values[m], levels, g)
            shown = levels
        block.sort(key=lambda r: shown.index(r["level"]))  # stable: groups keep their order
        if values.isna().any():
            for g, m in columns:
                n_miss = int(values[m].isna().sum())
                block.append(_row(var, "missing", g, n_miss, math.nan, str(n_miss)))
        result = _test(var, values, group, groups, fisher_threshold) if groups else None
        smd = _smd(var, values, group, groups) if groups else math.nan
        for r in block:
            r["smd"] = smd
            r["statistic"] = (
                math.nan if result is None or result.statistic is None else result.statistic
            )
            r["p"] = math.nan if result is None else result.p_value
            r["test"] = "" if result is None else result.method
        rows += block
    for r in rows[: len(columns)]:
        r.update(statistic=math.nan, p=math.nan, test="", smd=math.nan)
    out = pd.DataFrame(rows, columns=list(LONG_COLUMNS))
    types = {"n": "int64", "percent": "float64", "statistic": "float64", "p": "float64"}
    return out.astype({**types, "smd": "float64"})


def table1(patients: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Table 1: characteristics of the whole cohort (:func:`characteristics`, ``by=None``)."""
    return characteristics(patients, by=None, **kwargs)  # type: ignore[arg-type]


def table2(patients: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Table 2: characteristics by surgery (metastasectomy vs decompression)."""
    return characteristics(patients, by="surgery", **kwargs)  # type: ignore[arg-type]


def table3(patients: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Table 3: characteristics by adjuvant therapy (targeted vs cytokine)."""
    return characteristics(patients, by="adjuvant_therapy", **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------- display


def wide_table(long: pd.DataFrame) -> pd.DataFrame:
    """The familiar display: one row per variable level, one column per group.

    Columns: ``characteristic``, ``level``, one column per group (``all`` first,
    headed ``<group> (n=<N>)``), then ``SMD`` (two decimals), ``p``
    (:func:`spinemets.formatting.format_p`) and ``test`` (:func:`short_test_name`) when
    the table compares groups; they appear on the first row of each variable only.
    """
    groups = list(dict.fromkeys(long["group"]))
    sizes = long[long["variable"] == "patients"].set_index("group")["n"]
    heads = {g: f"{g} (n={int(sizes[g])})" for g in groups}
    body = long[long["variable"] != "patients"]
    keys = list(dict.fromkeys(zip(body["variable"], body["level"], strict=True)))
    cells = body.set_index(["variable", "level", "group"])["summary"]
    first = body.drop_duplicates("variable").set_index("variable")
    records = []
    seen: set[str] = set()
    for variable, level in keys:
        rec = {
            "characteristic": "" if variable in seen else first.loc[variable, "label"],
            "level": level,
        }
        rec.update({heads[g]: cells.get((variable, level, g), "") for g in groups})
        if len(groups) > 1:
            shown = variable not in seen
            smd = first.loc[variable, "smd"]
            rec["SMD"] = f"{smd:.2f}" if shown and not math.isnan(smd) else ""
            rec["p"] = format_p(first.loc[variable, "p"]) if shown else ""
            rec["test"] = short_test_name(first.loc[variable, "test"]) if shown else ""
        seen.add(variable)
        records.append(rec)
    return pd.DataFrame(records)


def standardized_differences(long: pd.DataFrame) -> pd.DataFrame:
    """One row per characteristic of a two-group table: its SMD, largest first.

    ``long`` is :func:`characteristics` with ``by`` set. Columns: variable, label, smd,
    imbalanced (|SMD| > 0.1, the usual flag), p and test (the paper's test, as in the
    table). Characteristics without an SMD (no value in a group) come last.
    Tests: tests/study/test_characteristics.py::test_standardized_differences_by_hand.
    """
    body = long[long["variable"] != "patients"].drop_duplicates("variable")
    out = body[["variable", "label", "smd", "p", "test"]].copy()
    out.insert(3, "imbalanced", out["smd"] > 0.1)
    out = out.sort_values("smd", ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def write_characteristics(out: RunOutput, long: pd.DataFrame, name: str) -> pd.DataFrame:
    """Write ``<name>`` (tidy long) and ``<name>_wide`` (display) as CSV + Markdown.

    Returns the wide table, for display.
    """
    wide = wide_table(long)
    out.write_table(long, name)
    out.write_table(wide, f"{name}_wide")
    return wide
