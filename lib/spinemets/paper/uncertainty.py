"""How much the beyond-paper results depend on the reconstruction's free choices.

The synthetic cohort reproduces the paper's printed numbers, but many cohorts do: the
search's seed and the split of the local progressions over the four cells (two splits
fit the published margins, :func:`spinemets.paper.cells.cells`) are free choices. The
results the paper never printed -- Gray's test, the Fine-Gray subdistribution HR, the
time-dependent HR of adjuvant therapy, the adjusted HRs of the Cox model -- are not
fixed by its numbers, so they vary between equally good reconstructions.
:func:`beyond_paper_results` computes them on one cohort with the functions notebooks
06-08 use; :func:`spread` summarises several reconstructions. The committed table is
written by ``benchmarks/reconstruction_uncertainty.py``.
Tests: ``tests/paper/test_uncertainty.py``.
"""

from __future__ import annotations

import pandas as pd

from .. import paths
from ..study import competing_risks, immortal_time, models

__all__ = [
    "FIT_COLUMNS",
    "RESULT_COLUMNS",
    "UNCERTAINTY_FILE",
    "beyond_paper_results",
    "committed_results",
    "fits",
    "spread",
]

#: The committed table (written by benchmarks/reconstruction_uncertainty.py).
UNCERTAINTY_FILE = paths.SYNTHETIC_DIR / "reconstruction_uncertainty.csv"
#: The columns that identify a fit in that table, and its accuracy.
FIT_COLUMNS: tuple[str, ...] = (
    "targeted_progression_surgery",
    "seed",
    "restarts",
    "targets_met",
    "targets",
)

#: Columns of :func:`beyond_paper_results`.
RESULT_COLUMNS: tuple[str, ...] = ("quantity", "value")


def beyond_paper_results(patients: pd.DataFrame, start_seed: int = 20201982) -> pd.DataFrame:
    """The beyond-paper results of one cohort, one row each (columns quantity, value).

    ``gray_p_surgery``: Gray's test of local progression by surgery (notebook 06);
    ``shr_metastasectomy``: its Fine-Gray subdistribution HR; ``csh_metastasectomy``: the
    cause-specific HR; ``td_hr_targeted``: the time-dependent Cox HR of adjuvant targeted
    therapy with assumed start times (notebook 07, ``start_seed``); ``adj_hr_metastasectomy``:
    surgery adjusted for the pre-operative factors (notebook 08's model ``main``);
    ``adj_td_hr_targeted``: targeted therapy as a time-dependent covariate, adjusted for
    surgery and the pre-operative factors (notebook 08's ``therapy_time_dependent``, same
    start times).
    Tests: tests/paper/test_uncertainty.py::test_beyond_paper_results_are_the_notebooks.
    """
    gray = competing_risks.gray_tests(patients)
    gray_p = gray.loc[(gray["strata"] == "surgery") & (gray["cause"] == 1), "p"].iloc[0]
    hrs = competing_risks.comparison_hazard_ratios(patients, conf_level=0.95)
    surgery = hrs[hrs["strata"] == "surgery"].set_index("model")["hr"]
    starts = immortal_time.adjuvant_starts(patients, seed=start_seed)
    td = immortal_time.time_dependent_cox(starts.patients, 0.95).set_index("model")["hr"]
    fits = models.fit_os_models(patients) | models.therapy_models(starts.patients)
    table = models.model_table(fits, 0.95)
    main = table[table["model"] == "main"].set_index("term")["hr"]
    therapy = table[table["model"] == "therapy_time_dependent"].set_index("term")["hr"]
    rows = [
        ("gray_p_surgery", gray_p),
        ("shr_metastasectomy", surgery["fine_gray"]),
        ("csh_metastasectomy", surgery["cause_specific"]),
        ("td_hr_targeted", td["time_dependent"]),
        ("adj_hr_metastasectomy", main["metastasectomy"]),
        ("adj_td_hr_targeted", therapy["treated"]),
    ]
    return pd.DataFrame([(q, float(v)) for q, v in rows], columns=list(RESULT_COLUMNS))


def spread(results: pd.DataFrame) -> pd.DataFrame:
    """Per quantity, over reconstructions: n, min, median, max (columns quantity, n,
    minimum, median, maximum), from a long table with columns quantity and value.

    Tests: tests/paper/test_uncertainty.py::test_spread_by_hand.
    """
    grouped = results.groupby("quantity", sort=False)["value"]
    out = grouped.agg(n="size", minimum="min", median="median", maximum="max")
    return out.reset_index()


def committed_results() -> pd.DataFrame:
    """The committed table: one row per (fit, quantity); columns :data:`FIT_COLUMNS`,
    quantity, value."""
    return pd.read_csv(UNCERTAINTY_FILE)


def fits(results: pd.DataFrame) -> pd.DataFrame:
    """One row per fit of a results table: its split, seed, restarts and accuracy.

    Tests: tests/paper/test_uncertainty.py::test_spread_by_hand.
    """
    return results[list(FIT_COLUMNS)].drop_duplicates().reset_index(drop=True)
