"""Build the bundled SYNTHETIC cohort from the paper's published aggregates.

The study's patient-level data are not public. This module builds 100 synthetic
patients (``S001`` .. ``S100``) and their complications, deterministically from
:data:`RECONSTRUCTION_SEED`, so that every count, percentage and summary value
the paper's text prints is reproduced exactly at its printed precision (see
``data/synthetic/README.md``).

Every number of the paper used here is read from the claims file
``data/published/ptashnikov2020.yaml`` (:func:`spinemets.paper.claims.load_numbers`);
the literals left in this module are the reconstruction's own choices where the
paper gives only margins (how a total splits by surgery, the Frankel grade-by-grade
table, the detail of complications), each split written for metastasectomy with
decompression taking the rest of the published total.

Design:

* **Cells.** Each patient sits in one of four cells (surgery x adjuvant therapy),
  :mod:`spinemets.paper.cells`: metastasectomy+targeted 7, metastasectomy+cytokine
  32, decompression+targeted 19, decompression+cytokine 42 (the abstract's 7 + 19
  = 26 targeted).
* **Covariates** (age, region, metastasis sites, Frankel, VAS, ...) are fixed
  counts placed on patients by seeded permutations, one independent random
  stream per covariate, so changing one never moves another.
* **Survival times** come from ``data/synthetic/survival_times.csv`` when that
  file exists (written by :mod:`spinemets.paper.calibrate`, fitted to the published
  Kaplan-Meier results): the rows of each cell are given to the cell's patients
  by a seeded permutation (:func:`survival_assignment`), so ids do not follow
  the file's sort order. Without it, plausible whole-month
  times are drawn from the seed (:func:`plausible_survival_times`). The
  covariates and the cells never depend on which source is used.

Public API: :func:`build_cohort`, :func:`write_cohort`, :func:`check_cohort`,
:func:`plausible_survival_times`, :func:`read_survival_times`, :func:`survival_assignment`,
the ``spinemets reconstruct`` command. Checked by ``tests/paper/test_reconstruct.py``
against hand-written values from the paper.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..cohort.spec import COMPLICATION_CATEGORIES, SURGERIES
from ..errors import SpinemetsError
from ..output import table_to_csv_text
from .cells import cells
from .claims import ClaimsError, load_claims, load_numbers, whole_number

#: The named seed of the bundled cohort (the paper's first page, 14(6):982, in 2020).
RECONSTRUCTION_SEED = 20200982

# --- The paper's numbers, read from the claims file (never typed here) ----------------------

_NUMBERS: dict[str, float] = load_numbers()
_INTERVALS: dict[str, tuple[float, float]] = {
    c.id: c.interval for c in load_claims() if c.interval is not None
}


def _count(number_id: str) -> int:
    """A count the paper prints (or derives), as an int."""
    return whole_number(_NUMBERS, number_id)


def _percent_of_cohort(number_id: str) -> int:
    """A printed percentage of all patients, as a number of patients (it must be whole)."""
    patients = _NUMBERS[number_id] * N_PATIENTS / 100
    if patients != int(patients):
        raise ClaimsError(f"claim {number_id!r}: {patients:g} patients; expected a whole number")
    return int(patients)


N_PATIENTS = _count("n_patients_methods")

#: Patients per (surgery, adjuvant_therapy) cell, from the claims file (the abstract's
#: 7 + 19 targeted; the cytokine cells by subtraction): see :mod:`spinemets.paper.cells`.
CELL_SIZES: dict[tuple[str, str], int] = {
    (c.surgery, c.adjuvant_therapy): c.patients for c in cells()
}

#: Local progressions per cell: the paper's margins by surgery and by therapy, with the
#: single targeted progression after metastasectomy (cells.TARGETED_PROGRESSION_SURGERY).
CELL_LOCAL_PROGRESSIONS: dict[tuple[str, str], int] = {
    (c.surgery, c.adjuvant_therapy): c.local_progressions for c in cells()
}

_MET, _DEC = SURGERIES


def _split_by_surgery(totals: dict[str, int], metastasectomy: dict[str, int]) -> dict:
    """The choice for metastasectomy; decompression gets the rest of each published total."""
    rest = {k: totals[k] - metastasectomy[k] for k in totals}
    if min(rest.values()) < 0:
        raise AssertionError(f"metastasectomy split {metastasectomy} exceeds totals {totals}")
    return {_MET: dict(metastasectomy), _DEC: rest}


# --- Choices where the paper gives margins only (documented in data/synthetic/README.md) ---

#: Survivors per cell in the plausible (uncalibrated) times; the last cell gets the rest
#: of the published survivors.
_PLAUSIBLE_SURVIVORS_FIRST_CELLS = (2, 2, 5)
CELL_SURVIVORS: dict[tuple[str, str], int] = dict(
    zip(
        CELL_SIZES,
        [
            *_PLAUSIBLE_SURVIVORS_FIRST_CELLS,
            _count("alive_n") - sum(_PLAUSIBLE_SURVIVORS_FIRST_CELLS),
        ],
        strict=True,
    )
)

#: Median months to death used to draw the plausible times, per cell.
_PLAUSIBLE_MEDIAN_DEATH: dict[tuple[str, str], float] = {
    ("metastasectomy", "targeted"): 26.0,
    ("metastasectomy", "cytokine"): 18.0,
    ("decompression", "targeted"): 26.0,
    ("decompression", "cytokine"): 18.0,
}

#: Months to the plausible local progressions: mostly the first year, median 5 (the paper's).
_PLAUSIBLE_PROGRESSION_MONTHS = (1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10, 12, 15, 22)

PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "age",
    "surgery",
    "adjuvant_therapy",
    "spine_region",
    "nephrectomy",
    "synchronous",
    "biopsy",
    "solitary_spine",
    "mets_bone",
    "mets_lung",
    "mets_liver",
    "mets_lymph_node",
    "mets_kidney",
    "mets_brain",
    "radiotherapy_preop",
    "radiotherapy_postop",
    "frankel_pre",
    "frankel_post",
    "vas_pre",
    "vas_post",
    "os_months",
    "death",
    "lp_months",
    "local_progression",
)
COMPLICATION_COLUMNS: tuple[str, ...] = ("patient_id", "category", "detail")
SURVIVAL_COLUMNS: tuple[str, ...] = (
    "surgery",
    "adjuvant_therapy",
    "os_months",
    "death",
    "lp_months",
    "local_progression",
)

#: The calibrated survival times, used when present (written by spinemets.paper.calibrate).
SURVIVAL_TIMES_FILE: Path = paths.SYNTHETIC_DIR / "survival_times.csv"

# --- Covariate margins: the paper's totals, split by surgery by choice ----------------------

#: Spine region: the paper's totals; the metastasectomy share is a choice.
_REGION_BY_SURGERY = _split_by_surgery(
    {r: _percent_of_cohort(f"region_{r}_pct") for r in ("thoracic", "lumbar", "cervical")},
    {"thoracic": 24, "lumbar": 10, "cervical": 5},
)

#: The metastatic-site categories of Table 1 sum to 100 % (8+42+33+7+5+3+2), so each
#: patient has exactly one: solitary spine or one site outside the operated spine. The
#: metastasectomy share is a choice (all solitary spinal metastases had metastasectomy).
_SITE_COLUMNS = (
    "solitary_spine",
    "mets_bone",
    "mets_lung",
    "mets_liver",
    "mets_lymph_node",
    "mets_kidney",
    "mets_brain",
)
_SITE_BY_SURGERY = _split_by_surgery(
    {site: _percent_of_cohort(f"{site}_pct") for site in _SITE_COLUMNS},
    {
        "solitary_spine": 8,
        "mets_bone": 12,
        "mets_lung": 13,
        "mets_liver": 2,
        "mets_lymph_node": 2,
        "mets_kidney": 2,
        "mets_brain": 0,
    },
)

_RADIOTHERAPY_POSTOP_BY_SURGERY = {
    _MET: _count("radiotherapy_postop_metastasectomy_n"),
    _DEC: _count("radiotherapy_postop_decompression_n"),
}
_NEPHRECTOMY_ABSENT = N_PATIENTS - _percent_of_cohort("nephrectomy_pct")
#: Thoracic patients whose kyphotic deformity was operated before nephrectomy (paper).
_METASTASECTOMY_BEFORE_NEPHRECTOMY = _count("metastasectomy_before_nephrectomy_n")
_SYNCHRONOUS = _percent_of_cohort("synchronous_pct")
_BIOPSY = _percent_of_cohort("biopsy_pct")  # the paper's "other 44%"

#: Frankel transitions (pre, post, patients), a plausible grade-by-grade choice whose
#: margins are the paper's: non-ambulatory (A-C) before surgery, ambulatory (D-E) after,
#: nobody worse. :func:`_frankel` holds them to the claims file.
_FRANKEL_TRANSITIONS_NONAMBULATORY = (
    ("A", "A", 3),
    ("A", "B", 1),
    ("A", "C", 1),
    ("B", "B", 2),
    ("B", "C", 5),
    ("B", "D", 4),
    ("C", "C", 9),
    ("C", "D", 20),
    ("C", "E", 5),
)
_FRANKEL_TRANSITIONS_AMBULATORY = (("D", "D", 16), ("D", "E", 20), ("E", "E", 14))
#: Non-ambulatory patients before surgery after metastasectomy (a choice: decompression
#: was chosen for "severe neurological status", so it gets the rest).
_NONAMBULATORY_METASTASECTOMY = 12
_NONAMBULATORY_BY_SURGERY = {
    _MET: _NONAMBULATORY_METASTASECTOMY,
    _DEC: _count("frankel_nonambulatory_pre_n") - _NONAMBULATORY_METASTASECTOMY,
}

# VAS: integer scores whose sums and sums of squares put the mean and the t-based 95% CI
# inside the paper's printed values (a sum of squares has the parity of the sum); checked
# against the claims by tests/paper/test_reconstruct.py.
_VAS_PRE_TARGET = (707, 5307)  # mean 7.07, t half-width ~0.35
_VAS_POST_TARGET = (256, 800)  # mean 2.56, t half-width ~0.24

#: Complications: (category, detail, events). The category totals and the neurological
#: split are the paper's; the split of the other categories by detail is a choice, the
#: last detail of each category taking the rest.
_COMPLICATION_DETAIL_CHOICES = {
    "wound": (("surgical site infection", 9), ("wound hematoma", 5), ("liquorrhea", None)),
    "implant": (("implant failure", 9), ("junctional disorder", None)),
    "medical": (
        ("cardiac event", 3),
        ("ileus", 2),
        ("pneumonia", 3),
        ("thrombosis", 2),
        ("urinary tract infection", None),
    ),
}


def _complication_events() -> tuple[tuple[str, str, int], ...]:
    events = [
        ("neurological", "temporary", _count("complications_neurological_temporary_n")),
        # after preoperative embolization (paper)
        ("neurological", "irreversible", _count("complications_neurological_irreversible_n")),
    ]
    for category, details in _COMPLICATION_DETAIL_CHOICES.items():
        total = _count(f"complications_{category}_n")
        chosen = sum(k for _, k in details if k is not None)
        events += [(category, d, total - chosen if k is None else k) for d, k in details]
    return tuple(events)


COMPLICATION_EVENTS = _complication_events()
#: Patients with three complications (a choice); with the paper's events and patients,
#: the rest have one or two: doubles = events - patients - 2 x triples.
_PATIENTS_WITH_THREE_COMPLICATIONS = 2
_DOUBLES = (
    _count("complications_n")
    - _count("complications_patients_n")
    - 2 * _PATIENTS_WITH_THREE_COMPLICATIONS
)
_COMPLICATIONS_PER_PATIENT = (
    (1,) * (_count("complications_patients_n") - _DOUBLES - _PATIENTS_WITH_THREE_COMPLICATIONS)
    + (2,) * _DOUBLES
    + (3,) * _PATIENTS_WITH_THREE_COMPLICATIONS
)
#: Patients with complications after metastasectomy (a choice); decompression the rest.
_COMPLICATED_METASTASECTOMY = 17
_COMPLICATED_BY_SURGERY = {
    _MET: _COMPLICATED_METASTASECTOMY,
    _DEC: _count("complications_patients_n") - _COMPLICATED_METASTASECTOMY,
}
_CATEGORY_ORDER = COMPLICATION_CATEGORIES

#: Age: the paper's median and range.
_AGE_MEDIAN = _count("age_median")
_AGE_RANGE = tuple(int(x) for x in _INTERVALS["age_range"])

# Independent random streams, one per concern: default_rng([seed, stream]).
_STREAMS = {
    "cells": 1,
    "age": 2,
    "region": 3,
    "sites": 4,
    "nephrectomy": 5,
    "synchronous": 6,
    "radiotherapy": 7,
    "frankel": 8,
    "vas": 9,
    "complications": 10,
    "survival": 11,
    "survival_assignment": 12,
}


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stream]])


def _labels(counts: dict[str, int]) -> list[str]:
    return [label for label, n in counts.items() for _ in range(n)]


def _assign_cells(seed: int) -> pd.DataFrame:
    """Patient ids S001..S100 with their (surgery, adjuvant_therapy) cell, shuffled."""
    cells = [cell for cell, n in CELL_SIZES.items() for _ in range(n)]
    order = _rng(seed, "cells").permutation(len(cells))
    rows = [cells[i] for i in order]
    return pd.DataFrame(
        {
            "patient_id": [f"S{i + 1:03d}" for i in range(len(rows))],
            "surgery": [r[0] for r in rows],
            "adjuvant_therapy": [r[1] for r in rows],
        }
    )


def _ages(seed: int, n: int) -> np.ndarray:
    """Integer ages with the paper's median and range exactly (56; 23-74)."""
    rng = _rng(seed, "age")
    half = (n - 2) // 2
    med, (low, high) = _AGE_MEDIAN, _AGE_RANGE
    lower = np.clip(np.rint(med - np.abs(rng.normal(0, 9, half))), low + 1, med).astype(int)
    upper = np.clip(np.rint(med + np.abs(rng.normal(0, 7, half))), med, high - 1).astype(int)
    lower[0], upper[0] = low, high
    ages = np.concatenate([lower, upper, [med, med]])
    return ages[rng.permutation(n)]


def _place(rng: np.random.Generator, index: Sequence[int], counts: dict[str, int]) -> dict:
    """Give each label of ``counts`` to that many patients of ``index``, at random."""
    labels = _labels(counts)
    if len(labels) != len(index):
        raise AssertionError(f"{len(labels)} labels for {len(index)} patients")
    chosen = rng.permutation(np.asarray(index))
    return dict(zip(chosen.tolist(), labels, strict=True))


def _fit_integers(
    rng: np.random.Generator,
    start: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    target: tuple[int, int],
) -> np.ndarray:
    """Seeded +-1 moves within [low, high] until (sum, sum of squares) hits ``target``."""
    x = start.copy()

    def loss(v: np.ndarray) -> float:
        return 100.0 * abs(int(v.sum()) - target[0]) + abs(int((v * v).sum()) - target[1])

    current = loss(x)
    for _ in range(200_000):
        if current == 0:
            return x
        i, j = (int(k) for k in rng.integers(len(x), size=2))
        step = 1 if rng.random() < 0.5 else -1
        # half the moves shift one value, half move one unit between two values
        moves = [(i, step)] if rng.random() < 0.5 or i == j else [(i, step), (j, -step)]
        if not all(low[k] <= x[k] + s <= high[k] for k, s in moves):
            continue
        for k, s in moves:
            x[k] += s
        new = loss(x)
        if new <= current:
            current = new
        else:
            for k, s in moves:
                x[k] -= s
    raise AssertionError(f"VAS fit did not converge (loss {current})")  # pragma: no cover
    return x


def _vas(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer VAS before and 7 days after surgery; everybody in pain, nobody worse."""
    rng = _rng(seed, "vas")
    pre0 = np.clip(np.rint(rng.normal(7.1, 1.7, n)), 1, 10).astype(int)
    pre = _fit_integers(rng, pre0, np.full(n, 1), np.full(n, 10), _VAS_PRE_TARGET)
    post0 = np.minimum(pre, np.rint(pre * rng.uniform(0.15, 0.6, n))).astype(int)
    post = _fit_integers(rng, post0, np.zeros(n, int), pre, _VAS_POST_TARGET)
    return pre, post


def _frankel(rng: np.random.Generator, surgery: pd.Series) -> tuple[dict, dict]:
    nonamb = [(a, b) for a, b, k in _FRANKEL_TRANSITIONS_NONAMBULATORY for _ in range(k)]
    amb = [(a, b) for a, b, k in _FRANKEL_TRANSITIONS_AMBULATORY for _ in range(k)]
    walking_after = sum(b in "DE" for _, b in nonamb + amb)
    if len(nonamb) != _count("frankel_nonambulatory_pre_n") or len(nonamb + amb) != N_PATIENTS:
        raise AssertionError("Frankel transitions do not give the published non-ambulatory count")
    if walking_after != _percent_of_cohort("frankel_ambulatory_post_pct"):
        raise AssertionError("Frankel transitions do not give the published ambulatory share")
    nonamb = [nonamb[i] for i in rng.permutation(len(nonamb))]
    amb = [amb[i] for i in rng.permutation(len(amb))]
    pre: dict[int, str] = {}
    post: dict[int, str] = {}
    for group, n_nonamb in _NONAMBULATORY_BY_SURGERY.items():
        idx = rng.permutation(np.flatnonzero(surgery.to_numpy() == group)).tolist()
        for i in idx[:n_nonamb]:
            pre[i], post[i] = nonamb.pop()
        for i in idx[n_nonamb:]:
            pre[i], post[i] = amb.pop()
    return pre, post


def _covariates(seed: int) -> pd.DataFrame:
    """Every column except the survival times, from the seed only."""
    df = _assign_cells(seed)
    n = len(df)
    df["age"] = _ages(seed, n)

    rng = _rng(seed, "region")
    region: dict[int, str] = {}
    for group, counts in _REGION_BY_SURGERY.items():
        region |= _place(rng, np.flatnonzero(df["surgery"] == group), counts)
    df["spine_region"] = pd.Series(region).sort_index()

    # Nephrectomy: 13 without, 3 of them metastasectomy before nephrectomy (thoracic).
    rng = _rng(seed, "nephrectomy")
    thoracic_met = np.flatnonzero(
        (df["surgery"] == "metastasectomy") & (df["spine_region"] == "thoracic")
    )
    before = rng.choice(thoracic_met, _METASTASECTOMY_BEFORE_NEPHRECTOMY, replace=False)
    others = np.setdiff1d(np.arange(n), before)
    rest = rng.choice(
        others, _NEPHRECTOMY_ABSENT - _METASTASECTOMY_BEFORE_NEPHRECTOMY, replace=False
    )
    df["nephrectomy"] = 1
    df.loc[np.concatenate([before, rest]), "nephrectomy"] = 0

    # Synchronous 66: all 13 without nephrectomy + 53 others. Biopsy 44: the 34
    # metachronous + the 10 without nephrectomy whose histology did not come from a
    # metastasectomy specimen.
    rng = _rng(seed, "synchronous")
    with_nx = np.flatnonzero(df["nephrectomy"] == 1)
    sync_nx = rng.choice(with_nx, _SYNCHRONOUS - _NEPHRECTOMY_ABSENT, replace=False)
    df["synchronous"] = 0
    df.loc[np.flatnonzero(df["nephrectomy"] == 0), "synchronous"] = 1
    df.loc[sync_nx, "synchronous"] = 1
    df["biopsy"] = 1 - df["synchronous"]
    df.loc[rest, "biopsy"] = 1
    assert int(df["biopsy"].sum()) == _BIOPSY

    rng = _rng(seed, "sites")
    site: dict[int, str] = {}
    for group, counts in _SITE_BY_SURGERY.items():
        site |= _place(rng, np.flatnonzero(df["surgery"] == group), counts)
    site_series = pd.Series(site).sort_index()
    for col in _SITE_COLUMNS:
        df[col] = (site_series == col).astype(int)

    rng = _rng(seed, "radiotherapy")
    df["radiotherapy_preop"] = 0
    df["radiotherapy_postop"] = 0
    for group, k in _RADIOTHERAPY_POSTOP_BY_SURGERY.items():
        chosen = rng.choice(np.flatnonzero(df["surgery"] == group), k, replace=False)
        df.loc[chosen, "radiotherapy_postop"] = 1

    pre, post = _frankel(_rng(seed, "frankel"), df["surgery"])
    df["frankel_pre"] = pd.Series(pre).sort_index()
    df["frankel_post"] = pd.Series(post).sort_index()

    df["vas_pre"], df["vas_post"] = _vas(seed, n)
    return df


def plausible_survival_times(seed: int = RECONSTRUCTION_SEED) -> pd.DataFrame:
    """Plausible whole-month times per cell, before calibration (exploratory only).

    Deaths: exponential (stratified quantiles) with a per-cell median of
    18-26 months, whole months 1..120; survivors (11) censored at 12..144
    months; 16 progressions (split by :data:`CELL_LOCAL_PROGRESSIONS`) at fixed
    months with median 5, mostly in the first year, never after
    death or censoring; without progression ``lp_months = os_months``. Same
    layout as ``survival_times.csv`` (rows grouped by cell).
    """
    rng = _rng(seed, "survival")
    lp_pool = rng.permutation(_PLAUSIBLE_PROGRESSION_MONTHS).tolist()
    frames = []
    for cell, size in CELL_SIZES.items():
        n_alive = CELL_SURVIVORS[cell]
        rate = math.log(2) / _PLAUSIBLE_MEDIAN_DEATH[cell]
        n_dead = size - n_alive
        u = rng.permutation((np.arange(n_dead) + rng.uniform(0, 1, n_dead)) / n_dead)
        death_t = np.clip(np.rint(-np.log1p(-u) / rate), 1, 120)  # stratified quantiles
        alive_t = rng.integers(12, 145, n_alive)
        os_months = np.concatenate([death_t, alive_t]).astype(int)
        death = np.array([1] * (size - n_alive) + [0] * n_alive)
        lp_months = os_months.copy()
        progression = np.zeros(size, int)
        for t in lp_pool[: CELL_LOCAL_PROGRESSIONS[cell]]:
            free = np.flatnonzero((os_months >= t) & (progression == 0))
            who = int(rng.choice(free))
            lp_months[who], progression[who] = t, 1
        lp_pool = lp_pool[CELL_LOCAL_PROGRESSIONS[cell] :]
        frames.append(
            pd.DataFrame(
                {
                    "surgery": cell[0],
                    "adjuvant_therapy": cell[1],
                    "os_months": os_months,
                    "death": death,
                    "lp_months": lp_months,
                    "local_progression": progression,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def read_survival_times(path: str | Path = SURVIVAL_TIMES_FILE) -> pd.DataFrame:
    """Read and check a survival-times file (one row per patient, grouped by cell)."""
    path = Path(path)
    name = paths.display_path(path)
    df = pd.read_csv(path)
    missing = [c for c in SURVIVAL_COLUMNS if c not in df.columns]
    if missing:
        raise SpinemetsError(f"{name}: missing column(s) {missing}; expected {SURVIVAL_COLUMNS}")
    for cell, size in CELL_SIZES.items():
        got = int(((df["surgery"] == cell[0]) & (df["adjuvant_therapy"] == cell[1])).sum())
        if got != size:
            raise SpinemetsError(
                f"{name}: {got} rows for surgery={cell[0]}, adjuvant_therapy={cell[1]}; "
                f"expected {size}"
            )
    if len(df) != sum(CELL_SIZES.values()):
        raise SpinemetsError(f"{name}: {len(df)} rows; expected {sum(CELL_SIZES.values())}")
    for row, rec in enumerate(df.itertuples(index=False), start=2):
        for col in ("death", "local_progression"):
            if getattr(rec, col) not in (0, 1):
                raise SpinemetsError(
                    f"{name}, row {row}, column {col}: {getattr(rec, col)!r}; expected 0 or 1"
                )
        if not 0 < rec.lp_months <= rec.os_months:
            raise SpinemetsError(
                f"{name}, row {row}, column lp_months: {rec.lp_months!r}; expected "
                f"0 < lp_months <= os_months ({rec.os_months!r})"
            )
    return df


def survival_assignment(seed: int = RECONSTRUCTION_SEED) -> dict[tuple[str, str], np.ndarray]:
    """Per cell, the position (in patient_id order) of the patient who gets each times row.

    ``assignment[cell][k]`` is the index, among the cell's patients sorted by
    ``patient_id``, of the patient who receives the cell's ``k``-th row of the
    survival-times file. A seeded permutation, so that a file sorted by time (as
    ``spinemets.paper.calibrate`` writes it) does not make ids increase with survival.
    """
    rng = _rng(seed, "survival_assignment")
    return {cell: rng.permutation(size) for cell, size in CELL_SIZES.items()}


def _attach_survival(patients: pd.DataFrame, times: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Give each cell's rows of ``times`` to the cell's patients by :func:`survival_assignment`."""
    out = patients.copy()
    for col in SURVIVAL_COLUMNS[2:]:
        out[col] = np.nan
    for (surgery, therapy), order in survival_assignment(seed).items():
        in_cell = (out["surgery"] == surgery) & (out["adjuvant_therapy"] == therapy)
        idx = out.index[in_cell][order]  # the frame is sorted by patient_id
        rows = times[(times["surgery"] == surgery) & (times["adjuvant_therapy"] == therapy)]
        for col in SURVIVAL_COLUMNS[2:]:
            out.loc[idx, col] = rows[col].to_numpy()
    for col in ("death", "local_progression"):
        out[col] = out[col].astype(int)
    return out


def _complications(seed: int, patients: pd.DataFrame) -> pd.DataFrame:
    """51 events in 38 patients; nobody has two events of the same category."""
    rng = _rng(seed, "complications")
    chosen: list[int] = []
    for group, k in _COMPLICATED_BY_SURGERY.items():
        idx = np.flatnonzero(patients["surgery"] == group)
        chosen += rng.choice(idx, k, replace=False).tolist()
    chosen = [chosen[i] for i in rng.permutation(len(chosen))]
    events = [(c, d) for c, d, k in COMPLICATION_EVENTS for _ in range(k)]
    for _ in range(1000):  # seeded retries until every patient's categories differ
        order = rng.permutation(len(events))
        queue = [events[i] for i in order]
        rows, ok = [], True
        for patient, n_events in zip(chosen, _COMPLICATIONS_PER_PATIENT, strict=True):
            mine = queue[:n_events]
            queue = queue[n_events:]
            if len({c for c, _ in mine}) < n_events:
                ok = False
                break
            rows += [(patients.at[patient, "patient_id"], c, d) for c, d in mine]
        if ok:
            break
    else:  # pragma: no cover - the counts above always admit a solution
        raise AssertionError("no complication assignment found")
    df = pd.DataFrame(rows, columns=list(COMPLICATION_COLUMNS))
    df["_cat"] = df["category"].map(_CATEGORY_ORDER.index)
    df = df.sort_values(["patient_id", "_cat", "detail"], kind="stable")
    return df.drop(columns="_cat").reset_index(drop=True)


def build_cohort(
    seed: int = RECONSTRUCTION_SEED,
    survival_times: str | Path | None = SURVIVAL_TIMES_FILE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the synthetic (patients, complications) tables from ``seed``.

    ``survival_times``: the calibrated times file, used when it exists; ``None``
    or a missing file gives :func:`plausible_survival_times`. Tested by
    ``tests/paper/test_reconstruct.py`` (every published count, percentage and VAS
    summary, determinism).
    """
    patients = _covariates(seed)
    if survival_times is not None and Path(survival_times).exists():
        times = read_survival_times(survival_times)
    else:
        times = plausible_survival_times(seed)
    patients = _attach_survival(patients, times, seed)[list(PATIENT_COLUMNS)]
    for col in ("os_months", "lp_months"):  # whole months are written as integers
        if np.array_equal(patients[col], np.round(patients[col])):
            patients[col] = patients[col].astype(int)
    complications = _complications(seed, patients)
    return patients, complications


def cohort_csv_texts(seed: int = RECONSTRUCTION_SEED) -> dict[str, str]:
    """The two CSV files' exact text, by file name."""
    patients, complications = build_cohort(seed)
    return {
        paths.SYNTHETIC_PATIENTS.name: table_to_csv_text(patients),
        paths.SYNTHETIC_COMPLICATIONS.name: table_to_csv_text(complications),
    }


def write_cohort(
    out_dir: str | Path = paths.SYNTHETIC_DIR, seed: int = RECONSTRUCTION_SEED
) -> list[Path]:
    """Write ``patients.csv`` and ``complications.csv`` to ``out_dir``; return their paths."""
    out = paths.resolve(out_dir, paths.SYNTHETIC_DIR)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in cohort_csv_texts(seed).items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
        written.append(out / name)
    return written


def check_cohort(
    out_dir: str | Path = paths.SYNTHETIC_DIR, seed: int = RECONSTRUCTION_SEED
) -> list[str]:
    """Names of the files in ``out_dir`` that differ from a fresh build (empty: all equal)."""
    out = paths.resolve(out_dir, paths.SYNTHETIC_DIR)
    differ = []
    for name, text in cohort_csv_texts(seed).items():
        f = out / name
        if not f.exists() or f.read_text(encoding="utf-8") != text:
            differ.append(name)
    return differ


def _run_cli(args: argparse.Namespace) -> int:
    if args.check:
        differ = check_cohort(args.out, args.seed)
        where = paths.display_path(paths.resolve(args.out, paths.SYNTHETIC_DIR))
        if differ:
            print(f"{where}: differs from a fresh build: {', '.join(differ)}")
            return 1
        print(f"{where}: identical to a fresh build (seed {args.seed})")
        return 0
    for f in write_cohort(args.out, args.seed):
        print(f"wrote {paths.display_path(f)} (SYNTHETIC, seed {args.seed})")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``spinemets reconstruct [--out DIR] [--seed N] [--check]``."""
    p = subparsers.add_parser(
        "reconstruct",
        help="build the bundled synthetic cohort (data/synthetic/*.csv)",
        description=(
            "Build the SYNTHETIC cohort reproducing the paper's published aggregates. "
            "Uses data/synthetic/survival_times.csv for the survival times when it exists."
        ),
    )
    p.add_argument("--out", default="", help="output folder (default data/synthetic)")
    p.add_argument(
        "--seed", type=int, default=RECONSTRUCTION_SEED, help="seed (default %(default)s)"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="rebuild in memory; exit 1 if the files in --out differ",
    )
    p.set_defaults(func=_run_cli)
