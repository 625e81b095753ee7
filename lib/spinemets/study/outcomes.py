"""Neurological (Frankel) and pain (VAS) outcomes before and after spinal surgery.

Frankel grades run from A (complete lesion) to E (normal); D and E are the
grades at which a patient can walk ("ambulatory").  Every comparison here is
*paired* -- the same patient before and after surgery -- so the tests are paired
tests computed as R computes them (:mod:`spinemets.methods.contingency`):

- ambulatory (D-E) vs not (A-C), before vs after: McNemar's test on the 2 x 2
  paired table (R ``mcnemar.test``, continuity correction).  It uses only the
  patients whose status changed.  The paper reports "P < .0001" without naming
  the test; McNemar is the standard test for a paired binary outcome.
- the full 5 x 5 shift: Bowker's test of symmetry and the Stuart-Maxwell test
  of marginal homogeneity (did the distribution of grades change?);
- VAS: means with t-based 95% CIs (R ``t.test``) and the paired Wilcoxon
  signed rank test (R ``wilcox.test(pre, post, paired = TRUE)``), as the paper.

Checked by ``tests/study/test_outcomes.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..cohort.spec import AMBULATORY_GRADES, FRANKEL_GRADES
from ..errors import SpinemetsError
from ..methods import contingency

__all__ = [
    "AMBULATORY_LEVELS",
    "ambulatory_table",
    "frankel_change",
    "frankel_distribution",
    "frankel_shift_table",
    "frankel_tests",
    "tests_frame",
    "vas_change",
    "vas_summary",
    "vas_test",
]

#: Row and column labels of :func:`ambulatory_table`.
AMBULATORY_LEVELS: tuple[str, str] = ("A-C (not ambulatory)", "D-E (ambulatory)")


def _pairs(patients: pd.DataFrame, pre: str, post: str, allowed: tuple | None) -> pd.DataFrame:
    """The two columns of patients with both values known, validated."""
    for col in (pre, post):
        if col not in patients.columns:
            raise SpinemetsError(f"patients: column {col!r} is missing; needed for outcomes")
    df = patients[[pre, post]]
    if allowed is not None:
        df = df.apply(lambda s: s.where(s.isna(), s.astype(str).str.strip()))
        for col in (pre, post):
            bad = (df[col].notna() & ~df[col].isin(allowed)).to_numpy()
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise SpinemetsError(
                    f"patients, row {pos + 1}, column {col!r}: value {patients[col].iloc[pos]!r}; "
                    f"expected one of {', '.join(allowed)}"
                )
    else:
        num = df.apply(pd.to_numeric, errors="coerce")
        for col in (pre, post):
            bad = (df[col].notna() & num[col].isna()).to_numpy()
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise SpinemetsError(
                    f"patients, row {pos + 1}, column {col!r}: value {df[col].iloc[pos]!r}; "
                    "expected a number"
                )
        df = num.astype(float)
    return df.dropna()


# -------------------------------------------------------------------- Frankel


def frankel_shift_table(
    patients: pd.DataFrame, pre: str = "frankel_pre", post: str = "frankel_post"
) -> pd.DataFrame:
    """The 5 x 5 table of Frankel grade before (rows) by after (columns), A..E.

    Patients with either grade missing are left out.  All grades appear, in
    order, even when empty (R ``table(factor(pre, levels), factor(post, levels))``).
    """
    df = _pairs(patients, pre, post, FRANKEL_GRADES)
    table = pd.crosstab(
        pd.Categorical(df[pre], categories=FRANKEL_GRADES),
        pd.Categorical(df[post], categories=FRANKEL_GRADES),
        dropna=False,
    )
    table = table.reindex(index=FRANKEL_GRADES, columns=FRANKEL_GRADES, fill_value=0)
    table.index.name, table.columns.name = "before", "after"
    return table.astype("int64")


def frankel_distribution(shift: pd.DataFrame) -> pd.DataFrame:
    """Patients per grade before and after (tidy: timepoint, grade, n, percent)."""
    n = int(shift.to_numpy().sum())
    rows = []
    for timepoint, counts in (("before", shift.sum(axis=1)), ("after", shift.sum(axis=0))):
        for grade in FRANKEL_GRADES:
            k = int(counts[grade])
            rows.append({"timepoint": timepoint, "grade": grade, "n": k, "percent": 100 * k / n})
    return pd.DataFrame(rows)


def frankel_change(shift: pd.DataFrame) -> pd.DataFrame:
    """Patients improved (grade up), unchanged and worse (grade down), with percentages."""
    x = shift.to_numpy()
    n = int(x.sum())
    counts = {
        "improved": int(np.triu(x, 1).sum()),
        "unchanged": int(np.trace(x)),
        "worse": int(np.tril(x, -1).sum()),
    }
    return pd.DataFrame([{"change": k, "n": v, "percent": 100 * v / n} for k, v in counts.items()])


def ambulatory_table(shift: pd.DataFrame) -> pd.DataFrame:
    """The paired 2 x 2 table: not ambulatory (A-C) / ambulatory (D-E), before x after."""
    amb = np.isin(FRANKEL_GRADES, AMBULATORY_GRADES)
    x = shift.to_numpy()
    table = np.array(
        [
            [x[~amb][:, ~amb].sum(), x[~amb][:, amb].sum()],
            [x[amb][:, ~amb].sum(), x[amb][:, amb].sum()],
        ],
        dtype="int64",
    )
    out = pd.DataFrame(table, index=list(AMBULATORY_LEVELS), columns=list(AMBULATORY_LEVELS))
    out.index.name, out.columns.name = "before", "after"
    return out


def frankel_tests(shift: pd.DataFrame) -> dict[str, contingency.TestResult]:
    """The Frankel tests, keyed by what they compare.

    - ``ambulatory_paired``: McNemar (R ``mcnemar.test``) on :func:`ambulatory_table`;
    - ``grades_symmetry``: Bowker (:func:`spinemets.methods.contingency.bowker_test`) on
      the 5 x 5 shift;
    - ``grades_homogeneity``: Stuart-Maxwell on the 5 x 5 shift;
    - ``ambulatory_unpaired``: Pearson chi-square with Yates on the counts
      before and after treated as independent samples -- *not* a valid test for
      paired data, shown only because a paper that does not name its test may
      have used it; it gives the same conclusion here.
    """
    amb = ambulatory_table(shift).to_numpy()
    unpaired = np.array([amb.sum(axis=1), amb.sum(axis=0)])
    return {
        "ambulatory_paired": contingency.mcnemar_test(amb),
        "grades_symmetry": contingency.bowker_test(shift.to_numpy()),
        "grades_homogeneity": contingency.stuart_maxwell_test(shift.to_numpy()),
        "ambulatory_unpaired": contingency.chisq_test(unpaired),
    }


def tests_frame(results: Mapping[str, contingency.TestResult]) -> pd.DataFrame:
    """Test results as a tidy table: comparison, method, statistic, df, p, note."""
    return pd.DataFrame(
        [
            {
                "comparison": key,
                "method": r.method,
                "statistic": np.nan if r.statistic is None else r.statistic,
                "df": np.nan if r.parameter is None else r.parameter,
                "p": r.p_value,
                "note": r.note,
            }
            for key, r in results.items()
        ]
    )


# ------------------------------------------------------------------------ VAS


def vas_summary(
    patients: pd.DataFrame,
    pre: str = "vas_pre",
    post: str = "vas_post",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Mean VAS with its t-based CI (R ``t.test``) before and on day 7, paired patients.

    Rows ``before``, ``day 7`` and ``change`` (day 7 minus before); columns
    timepoint, n, mean, lower, upper, conf_level, sd, median.
    """
    df = _pairs(patients, pre, post, None)
    rows = []
    for name, values in (
        ("before", df[pre]),
        ("day 7", df[post]),
        ("change", df[post] - df[pre]),
    ):
        ci = contingency.t_mean_ci(values.to_numpy(), conf_level=conf_level)
        rows.append(
            {
                "timepoint": name,
                "n": ci.n,
                "mean": ci.mean,
                "lower": ci.lower,
                "upper": ci.upper,
                "conf_level": conf_level,
                "sd": ci.sd,
                "median": float(np.median(values)),
            }
        )
    return pd.DataFrame(rows)


def vas_test(
    patients: pd.DataFrame, pre: str = "vas_pre", post: str = "vas_post"
) -> contingency.TestResult:
    """Paired Wilcoxon signed rank test of VAS before vs day 7.

    As R ``wilcox.test(pre, post, paired = TRUE)``: zero differences dropped,
    normal approximation with continuity and tie correction when there are ties
    or zeros (always, with 0-10 integer scores).
    """
    df = _pairs(patients, pre, post, None)
    return contingency.wilcox_test(df[pre].to_numpy(), df[post].to_numpy(), paired=True)


def vas_change(
    patients: pd.DataFrame, pre: str = "vas_pre", post: str = "vas_post"
) -> pd.DataFrame:
    """Distribution of the change (day 7 minus before): change, n, percent, direction."""
    df = _pairs(patients, pre, post, None)
    diff = (df[post] - df[pre]).round(6)
    counts = diff.value_counts().sort_index()
    n = len(diff)
    out = pd.DataFrame(
        {
            "change": counts.index.astype(float),
            "n": counts.to_numpy().astype("int64"),
            "percent": 100 * counts.to_numpy() / n,
        }
    )
    out["direction"] = np.select(
        [out["change"] < 0, out["change"] > 0], ["better", "worse"], default="unchanged"
    )
    return out
