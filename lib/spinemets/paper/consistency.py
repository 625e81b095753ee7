"""The paper's internal consistency, checked by arithmetic alone (no cohort needed).

Each check takes numbers the paper prints (read from the claims file,
:func:`spinemets.paper.claims.load_claims`, so the audit and the scorecard see
the same numbers), does the arithmetic a careful reader would do and gives a
**verdict** (:data:`VERDICTS`):

``consistent``
    the statements hold together as written;
``ambiguous``
    read literally they disagree, but a reading the text allows makes every
    number agree; the row's ``reading`` states that reading and its arithmetic;
``impossible``
    no data set can satisfy all the statements involved, under any reading; the
    row's ``arithmetic_shows`` is the proof.

The checks:

* parts vs totals (39 + 61 = 100; 7 + 19 = 26; 8 + 17 + 14 + 12 = 51, ...);
* the adjuvant therapy groups: the abstract's 26 targeted vs the methods' 34
  targeted and 75 cytokine (:func:`therapy_switching`);
* "66% synchronous" and "the other 44%" (:func:`biopsy_reading`);
* tests recomputed from their own counts (the chi-square 2.35, P = .125, with
  Yates' correction, R ``chisq.test``; the McNemar P < .0001 of Frankel);
* means vs their confidence intervals (a t interval is centred on the mean);
* Kaplan-Meier step sizes possible with the group sizes. A KM curve falls only at
  an event, by the factor ``(n - d) / n`` (``n`` at risk); without censoring
  ``S(t) = k / N``. With censoring ``S(t) >= Y(t) / N`` (``Y(t)``: still followed
  after ``t``), because treating each censoring as a death would give exactly
  ``Y(t) / N`` and every factor is larger when it is not. Rounding is honoured:
  a printed 29.7 means anything in [29.65, 29.75]. The cytokine LPFS pair
  77.4% -> 72.9% is impossible with 21% cytokine 3-year survival
  (:func:`lpfs_window_bound`), whatever the number of progressions between 36
  and 60 months and whichever patients they are.

:func:`audit` gives one row per check (columns :data:`AUDIT_COLUMNS`);
notebook 05 writes it as ``tables/paper_audit.csv``. Tested by
``tests/paper/test_consistency.py`` with hand arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import paths
from ..cohort.spec import SURGERIES, THERAPIES
from ..errors import SpinemetsError
from ..methods import contingency
from ..methods.km import kaplan_meier
from ..study.endpoints import endpoint_data
from .claims import Claim, load_claims

VERDICT_CONSISTENT = "consistent"
VERDICT_AMBIGUOUS = "ambiguous"
VERDICT_IMPOSSIBLE = "impossible"
#: Verdicts of the audit, from the best to the worst.
VERDICTS: tuple[str, ...] = (VERDICT_CONSISTENT, VERDICT_AMBIGUOUS, VERDICT_IMPOSSIBLE)

#: Columns of :func:`audit`.
AUDIT_COLUMNS: tuple[str, ...] = (
    "check",
    "verdict",
    "paper_says",
    "arithmetic_shows",
    "reading",
    "note",
    "claims",
)

_EPS = 1e-9

# --------------------------------------------------------------------------- arithmetic helpers


def printed_range(claim: Claim) -> tuple[float, float]:
    """The values a printed number stands for: ``value +- tolerance`` (half the last digit)."""
    assert claim.value is not None
    return claim.value - claim.tolerance, claim.value + claim.tolerance


def fractions_of_group(percent: float, tolerance: float, n: int) -> list[int]:
    """The counts ``k`` (0..n) with ``100 k / n`` within ``tolerance`` of ``percent``.

    Empty when the printed percentage is no whole fraction of the group: a
    Kaplan-Meier rate of that value needs censoring before the time point.
    """
    return [k for k in range(n + 1) if abs(100.0 * k / n - percent) <= tolerance + _EPS]


def single_event_at_risk(
    before: tuple[float, float], after: tuple[float, float], n_max: int
) -> list[int]:
    """Numbers at risk ``n`` (1..n_max) for which one event takes ``before`` to ``after``.

    One event with ``n`` at risk multiplies the curve by ``(n - 1) / n``; the
    printed ranges allow any ratio in ``[after_lo / before_hi, after_hi / before_lo]``.
    """
    lo, hi = after[0] / before[1], after[1] / before[0]
    return [n for n in range(1, n_max + 1) if lo - 1e-12 <= (n - 1) / n <= hi + 1e-12]


def at_risk_sequences(
    first: tuple[float, float],
    second: tuple[float, float],
    events_first: int,
    events_second: int,
    n_max: int,
) -> list[tuple[int, ...]]:
    """Every sequence of numbers at risk at single events that prints both rates.

    ``events_first`` events take a Kaplan-Meier curve from 100% into ``first``
    (percent range), ``events_second`` further events take it into ``second``.
    Numbers at risk strictly decrease from one event to the next (each event
    leaves the risk set) and are at most ``n_max``; censorings in between are
    allowed, which is why any decreasing sequence is possible. Exhaustive.
    """
    found: list[tuple[int, ...]] = []

    def extend(prefix: tuple[int, ...], s: float) -> None:
        """Add every decreasing continuation of ``prefix`` (curve at ``s``) that fits."""
        k = len(prefix)
        if k == events_first and not first[0] - _EPS <= 100 * s <= first[1] + _EPS:
            return
        if k == events_first + events_second:
            if second[0] - _EPS <= 100 * s <= second[1] + _EPS:
                found.append(prefix)
            return
        top = prefix[-1] - 1 if prefix else n_max
        for n in range(top, 1, -1):
            extend((*prefix, n), s * (n - 1) / n)

    extend((), 1.0)
    return sorted(found, reverse=True)


@dataclass(frozen=True)
class Switching:
    """Patients who received both adjuvant therapies (the reading of :func:`therapy_switching`)."""

    both: int
    cytokine_then_targeted: int
    targeted_then_cytokine: int


def therapy_switching(
    n_patients: int, first_targeted: int, ever_targeted: int, ever_cytokine: int
) -> Switching | None:
    """Reconcile "N had targeted therapy" with "T targeted, C cytokine" (T + C > N).

    The reading: the first count groups patients by their *first* adjuvant drug
    (``first_targeted`` targeted, the rest cytokine), the others count everyone
    who *ever* received each drug, so ``T + C - N`` patients received both:
    ``T - first_targeted`` switched from cytokine to targeted therapy and
    ``C - (N - first_targeted)`` the other way. None when no such reading exists
    (a negative switch, or more switchers than patients who started on a drug).
    """
    first_cytokine = n_patients - first_targeted
    to_targeted = ever_targeted - first_targeted
    to_cytokine = ever_cytokine - first_cytokine
    if min(to_targeted, to_cytokine, first_cytokine) < 0:
        return None
    if to_targeted > first_cytokine or to_cytokine > first_targeted:
        return None
    return Switching(to_targeted + to_cytokine, to_targeted, to_cytokine)


def biopsy_reading(
    n_patients: int,
    synchronous: int,
    without_nephrectomy: int,
    metastasectomy_before_nephrectomy: int,
) -> int:
    """Patients whose renal cell carcinoma needed a percutaneous biopsy, under one reading.

    The reading: a biopsy confirmed the histology of every patient whose
    diagnosis did not come from a surgical specimen taken at presentation: the
    metachronous patients (``n - synchronous``, whose spinal lesion appeared
    after the renal tumour had been treated) and the synchronous patients without
    a nephrectomy, less those whose spinal metastasectomy came first and gave the
    specimen. Returns that count (compare with the printed biopsy percentage).
    """
    return (n_patients - synchronous) + (without_nephrectomy - metastasectomy_before_nephrectomy)


@dataclass(frozen=True)
class WindowBound:
    """What a survival curve can do between two times, given who is still followed."""

    followed_max: int  #: most patients still followed after the first time
    at_risk_needed: int | None  #: fewest at risk for one event to fit (None: none fits)
    ratio_range: tuple[float, float]  #: (S_end / S_start) allowed by the printed ranges
    best_with_events: float  #: highest S_end (percent) if any event falls in the window
    possible: bool


def lpfs_window_bound(
    n_group: int,
    os_start: tuple[float, float],
    lpfs_start: tuple[float, float],
    lpfs_end: tuple[float, float],
) -> WindowBound:
    """Can the group's LPFS go from ``lpfs_start`` to ``lpfs_end`` (percent ranges)?

    The proof, for any number of progressions and any patients: at most
    ``Y = floor(N x S_OS(start))`` patients are followed after the start time
    (``S(t) >= Y(t) / N``, with the largest printed S_OS), and the LPFS risk set
    is part of them (LPFS is censored at death and at the last follow-up). With
    no progression in the window the curve stays at its start value; with one or
    more, each multiplies it by ``(n - d) / n <= (Y - 1) / Y``, so it ends at most
    at ``S_start x (Y - 1) / Y``. ``possible`` is False when the end range
    admits neither.
    """
    followed = math.floor(n_group * os_start[1] / 100 + _EPS)
    ratio = (lpfs_end[0] / lpfs_start[1], lpfs_end[1] / lpfs_start[0])
    needed = next(
        (n for n in range(2, 10 * n_group) if (n - 1) / n >= ratio[0] - 1e-12),
        None,
    )
    best = lpfs_start[1] * (followed - 1) / followed if followed >= 1 else -math.inf
    flat_fits = lpfs_start[0] <= lpfs_end[1] + _EPS and lpfs_end[0] <= lpfs_start[1] + _EPS
    event_fits = best >= lpfs_end[0] - _EPS
    return WindowBound(followed, needed, ratio, best, flat_fits or event_fits)


def _fmt(x: float, decimals: int = 2) -> str:
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:.0f}"


def _row(
    check: str,
    verdict: str,
    paper_says: str,
    arithmetic_shows: str,
    note: str,
    claims: Sequence[str],
    reading: str = "",
) -> dict[str, Any]:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r}; expected one of {VERDICTS}")
    if (verdict == VERDICT_AMBIGUOUS) != bool(reading):
        raise ValueError(f"check {check!r}: a reading is given exactly for ambiguous rows")
    return {
        "check": check,
        "verdict": verdict,
        "paper_says": paper_says,
        "arithmetic_shows": arithmetic_shows,
        "reading": reading,
        "note": note,
        "claims": " ".join(claims),
    }


def _verdict(ok: bool) -> str:
    return VERDICT_CONSISTENT if ok else VERDICT_IMPOSSIBLE


Claims = dict[str, Claim]


def _v(c: Claims, claim_id: str) -> float:
    value = c[claim_id].value
    assert value is not None, claim_id
    return value


def _n(c: Claims, claim_id: str) -> int:
    return int(round(_v(c, claim_id)))


def _group_sizes(c: Claims) -> dict[str, int]:
    """Group sizes of the abstract; cytokine = all - targeted (one therapy per patient)."""
    sizes = {
        "all": _n(c, "n_patients_abstract"),
        "metastasectomy": _n(c, "n_metastasectomy_abstract"),
        "decompression": _n(c, "n_decompression_abstract"),
        "targeted": _n(c, "n_targeted_abstract"),
    }
    sizes["cytokine"] = sizes["all"] - sizes["targeted"]
    return sizes


def _years(claim: Claim) -> str:
    """A calendar-year interval claim as ``2005-2016``."""
    assert claim.interval is not None
    return f"{claim.interval[0]:.0f}-{claim.interval[1]:.0f}"


def _count_of(c: Claims, percent_id: str, n: int) -> int:
    """A printed percentage of ``n`` patients as a count (``n = 100``: the same number)."""
    return int(round(n * _v(c, percent_id) / 100))


# --------------------------------------------------------------------------- parts vs totals


def _sum_check(c: Claims, check: str, parts: Sequence[str], total: str, note: str) -> dict:
    values = [_v(c, p) for p in parts]
    expected = _v(c, total)
    got = sum(values)
    says = " + ".join(_fmt(v) for v in values) + f" (parts); {_fmt(expected)} (total)"
    shows = " + ".join(_fmt(v) for v in values) + f" = {_fmt(got)}"
    return _row(check, _verdict(math.isclose(got, expected)), says, shows, note, [*parts, total])


def check_surgery_groups(c: Claims) -> dict:
    """Metastasectomy + decompression = all patients (abstract)."""
    return _sum_check(
        c,
        "surgery groups add up",
        ["n_metastasectomy_abstract", "n_decompression_abstract"],
        "n_patients_abstract",
        "Each patient had one of the two operations.",
    )


def check_targeted_split(c: Claims) -> dict:
    """The abstract's targeted patients by operation add up to its targeted total."""
    return _sum_check(
        c,
        "targeted therapy split (abstract)",
        ["n_targeted_metastasectomy_abstract", "n_targeted_decompression_abstract"],
        "n_targeted_abstract",
        "The abstract's targeted patients by operation add up to its total.",
    )


def check_therapy_groups(c: Claims) -> dict:
    """The abstract's 26 targeted (7 + 19) vs the methods' 34 targeted and 75 cytokine."""
    n = _n(c, "n_patients_methods")
    first_t = _n(c, "n_targeted_abstract")
    ever_t, ever_c = _n(c, "n_targeted_methods"), _n(c, "n_cytokine_methods")
    switching = therapy_switching(n, first_t, ever_t, ever_c)
    says = (
        f"abstract: {first_t} had adjuvant targeted therapy (so {n - first_t} cytokine); "
        f"methods: targeted therapy 'was given to {ever_t}', cytokine to {ever_c}; all {n} "
        "received adjuvant therapy"
    )
    shows = (
        f"{ever_t} + {ever_c} = {ever_t + ever_c}, not {n}; {first_t} + {ever_c} = "
        f"{first_t + ever_c}: read as one therapy per patient, the two sections disagree"
    )
    claim_ids = ["n_targeted_abstract", "n_targeted_methods", "n_cytokine_methods"]
    claim_ids.append("n_patients_methods")
    if switching is None:
        return _row(
            "adjuvant therapy groups: abstract vs methods",
            VERDICT_IMPOSSIBLE,
            says,
            shows + "; no reading with switching between therapies reconciles them",
            "",
            claim_ids,
        )
    s = switching
    reading = (
        f"Groups by first adjuvant drug (abstract: {first_t} targeted + {n - first_t} "
        f"cytokine = {n}) and counts of everyone who ever received each drug (methods): "
        f"{ever_t} + {ever_c} - {n} = {s.both} patients received both, "
        f"{s.cytokine_then_targeted} cytokine then targeted ({first_t} + "
        f"{s.cytokine_then_targeted} = {ever_t} ever targeted) and "
        f"{s.targeted_then_cytokine} targeted then cytokine ({n - first_t} + "
        f"{s.targeted_then_cytokine} = {ever_c} ever cytokine)."
    )
    return _row(
        "adjuvant therapy groups: abstract vs methods",
        VERDICT_AMBIGUOUS,
        says,
        shows,
        "Switching between therapies was common when targeted agents replaced cytokines "
        f"(the study spans {_years(c['study_period'])}; the paper notes that 'recruitment "
        "protocols for the treatment of RCC have changed'). The survival comparisons use "
        f"the abstract's groups, which add up; so does the repository ({first_t} targeted, "
        f"{n - first_t} cytokine).",
        claim_ids,
        reading,
    )


def check_synchronous_other(c: Claims) -> dict:
    """66% synchronous and 'the other 44%' with a biopsy: two variables (:func:`biopsy_reading`)."""
    n = _n(c, "n_patients_methods")
    s_pct, o_pct = _v(c, "synchronous_pct"), _v(c, "biopsy_pct")
    synchronous, biopsy = _count_of(c, "synchronous_pct", n), _count_of(c, "biopsy_pct", n)
    without_nx = n - _count_of(c, "nephrectomy_pct", n)
    first = _n(c, "metastasectomy_before_nephrectomy_n")
    needed = biopsy_reading(n, synchronous, without_nx, first)
    says = (
        f"{_fmt(s_pct)}% had synchronous metastases; 'the other {_fmt(o_pct)}%' had a "
        f"percutaneous biopsy; {_fmt(_v(c, 'nephrectomy_pct'))}% had a nephrectomy; {first} "
        "had metastasectomy before nephrectomy"
    )
    shows = (
        f"{_fmt(s_pct)} + {_fmt(o_pct)} = {_fmt(s_pct + o_pct)}%: not complementary parts "
        f"(the other part of {_fmt(s_pct)}% is {_fmt(100 - s_pct)}%); but "
        f"{n - synchronous} metachronous + ({without_nx} without nephrectomy - {first} "
        f"with metastasectomy first) = {needed} patients whose diagnosis had no surgical "
        "specimen"
    )
    claim_ids = ["synchronous_pct", "biopsy_pct", "nephrectomy_pct"]
    claim_ids.append("metastasectomy_before_nephrectomy_n")
    if math.isclose(s_pct + o_pct, 100):
        return _row(
            'synchronous and "the other" patients',
            VERDICT_CONSISTENT,
            says,
            shows,
            "Complementary groups.",
            claim_ids,
        )
    if needed == biopsy:
        reading = (
            f"Two variables, not one split: {synchronous} synchronous, and {biopsy} whose "
            f"diagnosis a percutaneous biopsy confirmed: the {n - synchronous} metachronous "
            f"patients and the {without_nx - first} synchronous patients without a "
            f"nephrectomy whose spinal metastasectomy did not come first "
            f"({n - synchronous} + {without_nx - first} = {biopsy})."
        )
    else:
        reading = (
            f"Two variables, not one split: {synchronous} synchronous and {biopsy} with a "
            "percutaneous biopsy."
        )
    return _row(
        'synchronous and "the other" patients',
        VERDICT_AMBIGUOUS,
        says,
        shows,
        "'The other' read literally would make the biopsy group the complement of the "
        "synchronous one. The bundled cohort follows the reading given here.",
        claim_ids,
        reading,
    )


def check_region_percentages(c: Claims) -> dict:
    """Thoracic + lumbar + cervical = 100%."""
    parts = ["region_thoracic_pct", "region_lumbar_pct", "region_cervical_pct"]
    values = [_v(c, p) for p in parts]
    return _row(
        "spine regions add up to 100%",
        _verdict(math.isclose(sum(values), 100)),
        " / ".join(f"{_fmt(v)}%" for v in values) + " (thoracic / lumbar / cervical)",
        " + ".join(_fmt(v) for v in values) + f" = {_fmt(sum(values))}%",
        "Each patient has one operated region.",
        parts,
    )


def check_deaths_alive(c: Claims) -> dict:
    """Deaths + survivors at the last follow-up = all patients."""
    return _sum_check(
        c,
        "deaths and survivors add up",
        ["deaths_n", "alive_n"],
        "n_patients_methods",
        "Every patient was dead or alive at the last follow-up.",
    )


def check_radiotherapy_split(c: Claims) -> dict:
    """Postoperative radiotherapy by operation adds up to its total."""
    return _sum_check(
        c,
        "postoperative radiotherapy split",
        ["radiotherapy_postop_metastasectomy_n", "radiotherapy_postop_decompression_n"],
        "radiotherapy_postop_n",
        "Radiotherapy after surgery, by operation.",
    )


def check_local_progression_split(c: Claims) -> dict:
    """Local progressions by operation add up to their total."""
    return _sum_check(
        c,
        "local progressions by surgery add up",
        ["lp_metastasectomy_n", "lp_decompression_n"],
        "lp_n",
        "Local progressions after metastasectomy and after decompression.",
    )


def check_complication_categories(c: Claims) -> dict:
    """The four complication categories add up to the total of complications."""
    return _sum_check(
        c,
        "complication categories add up",
        [
            "complications_neurological_n",
            "complications_wound_n",
            "complications_implant_n",
            "complications_medical_n",
        ],
        "complications_n",
        "The text says 'patients' for three of the categories and 'cases' for wounds; they "
        "add up to the total of complications only if all four count events (a patient "
        "may have more than one).",
    )


def check_neurological_split(c: Claims) -> dict:
    """Temporary + irreversible neurological complications = neurological."""
    return _sum_check(
        c,
        "neurological complications split",
        ["complications_neurological_temporary_n", "complications_neurological_irreversible_n"],
        "complications_neurological_n",
        "Temporary and irreversible neurological deficits.",
    )


# --------------------------------------------------------------------------- tests recomputed


def check_lp_chisq(c: Claims) -> dict:
    """The local-progression chi-square and P recomputed from the paper's own counts."""
    m, d = _n(c, "lp_metastasectomy_n"), _n(c, "lp_decompression_n")
    nm, nd = _n(c, "n_metastasectomy"), _n(c, "n_decompression")
    table = [[m, nm - m], [d, nd - d]]
    result = contingency.chisq_test(table, correct=True)
    chisq, p = c["lp_surgery_chisq"], c["lp_surgery_chisq_p"]
    ok = chisq.agrees(result.statistic) and p.agrees(result.p_value)
    return _row(
        "local progression chi-square from its own counts",
        _verdict(ok),
        f"{m}/{nm} vs {d}/{nd} progressed; chi2 = {chisq.printed}, P = {p.printed}",
        f"table {table}, Pearson chi-square with Yates' correction: chi2 = "
        f"{result.statistic:.4f}, P = {result.p_value:.4f}",
        "Recomputed with spinemets.contingency.chisq_test (R chisq.test(correct = TRUE)); the "
        "printed values are this test's, rounded.",
        ["lp_metastasectomy_n", "lp_decompression_n", "lp_surgery_chisq", "lp_surgery_chisq_p"],
    )


def check_frankel_mcnemar(c: Claims) -> dict:
    """Frankel: the McNemar P < .0001 is reachable with the printed margins."""
    n = _n(c, "n_patients_methods")
    non_pre = _n(c, "frankel_nonambulatory_pre_n")
    amb_post = _count_of(c, "frankel_ambulatory_post_pct", n)
    gain = amb_post - (n - non_pre)  # net patients who became ambulatory
    bound = _v(c, "frankel_ambulatory_change_p")
    # b walk again, c stop walking, b - c = gain; largest c that keeps P below the bound
    worst = 0
    for lost in range(0, n - non_pre + 1):
        table = [[0, lost], [gain + lost, 0]]  # rows before (D-E, A-C), columns after
        if contingency.mcnemar_test(table, correct=True).p_value < bound:
            worst = lost
    best_p = contingency.mcnemar_test([[0, 0], [gain, 0]], correct=True).p_value
    return _row(
        "Frankel: ambulatory before vs after",
        _verdict(gain > 0 and best_p < bound),
        f"{non_pre} non-ambulatory (A-C) before; {_fmt(_v(c, 'frankel_ambulatory_post_pct'))}% "
        f"ambulatory (D-E) after; P < .0001",
        f"{amb_post} - {n - non_pre} = {gain} more ambulatory patients after surgery; "
        f"McNemar P = {best_p:.1e} if nobody lost walking, and P < .0001 as long as at most "
        f"{worst} did",
        f"'The {non_pre} nonambulatory patients showed improvement in ability to walk' "
        f"cannot mean that all of them walked: {n - amb_post} were non-ambulatory after "
        f"surgery. If c patients lost walking, {gain} + c of the {non_pre} walked again "
        f"(c <= {worst} for P < .0001). Test: spinemets.contingency.mcnemar_test (R mcnemar.test).",
        [
            "frankel_nonambulatory_pre_n",
            "frankel_ambulatory_post_pct",
            "frankel_ambulatory_change_p",
        ],
    )


def _mean_ci_check(c: Claims, when: str, mean_id: str, ci_id: str) -> dict:
    mean, ci = c[mean_id], c[ci_id]
    lo_range = printed_range(mean)
    assert ci.interval is not None
    t = ci.tolerance
    mid = (
        (ci.interval[0] - t + ci.interval[1] - t) / 2,
        (ci.interval[0] + t + ci.interval[1] + t) / 2,
    )
    both = (max(lo_range[0], mid[0]), min(lo_range[1], mid[1]))
    return _row(
        f"VAS {when}: mean vs its 95% CI",
        _verdict(both[0] <= both[1]),
        f"mean {mean.printed} (95% CI {ci.printed})",
        f"the mean rounds to {mean.printed} in [{_fmt(lo_range[0], 3)}, {_fmt(lo_range[1], 3)}]; "
        f"the CI's centre is in [{_fmt(mid[0], 3)}, {_fmt(mid[1], 3)}]; both hold for a mean "
        f"in [{_fmt(both[0], 3)}, {_fmt(both[1], 3)}]",
        "A t interval (R t.test) is centred on the mean, so the printed mean and CI "
        "narrow the true mean to their overlap.",
        [mean_id, ci_id],
    )


def check_vas_pre(c: Claims) -> dict:
    """Preoperative VAS: the printed mean fits the centre of its printed t interval."""
    return _mean_ci_check(c, "before surgery", "vas_pre_mean", "vas_pre_ci")


def check_vas_post(c: Claims) -> dict:
    """Day-7 VAS: the printed mean fits the centre of its printed t interval."""
    return _mean_ci_check(c, "on day 7", "vas_post_mean", "vas_post_ci")


# --------------------------------------------------------------------------- Kaplan-Meier


_OS_GROUPS: tuple[str, ...] = ("all", "decompression", "metastasectomy", "cytokine", "targeted")


def check_medians_vs_rates(c: Claims) -> list[dict]:
    """A median below 36 months needs S(36) < 50% (and vice versa); median inside its CI."""
    rows = []
    for group in _OS_GROUPS:
        med, ci, s3 = c[f"os_median_{group}"], c[f"os_median_{group}_ci"], c[f"os_3y_{group}"]
        assert med.value is not None and ci.interval is not None and s3.value is not None
        inside = ci.interval[0] <= med.value <= ci.interval[1]
        ordered = (med.value <= 36) == (s3.value < 50)
        rows.append(
            _row(
                f"OS {group}: median, CI and 3-year rate agree",
                _verdict(inside and ordered),
                f"median {med.printed} (95% CI {ci.printed}) months; 3-year OS {s3.printed}%",
                f"median inside its CI: {'yes' if inside else 'no'}; S(36) "
                f"{'<' if s3.value < 50 else '>='} 50% so the median is "
                f"{'at most' if s3.value < 50 else 'above'} 36 months: "
                f"{'yes' if ordered else 'no'}",
                "The KM median is the first time S(t) falls below 0.5.",
                [med.id, ci.id, s3.id],
            )
        )
    return rows


def check_rates_as_fractions(c: Claims) -> list[dict]:
    """Which OS rates are k / N of their group (possible without censoring)."""
    sizes = _group_sizes(c)
    survivors = _n(c, "alive_n")
    rows = []
    for group in _OS_GROUPS:
        n = sizes[group]
        for years in (3, 5):
            claim = c[f"os_{years}y_{group}"]
            assert claim.value is not None
            ks = fractions_of_group(claim.value, claim.tolerance, n)
            if ks:
                shows = " or ".join(f"{k}/{n} = {100 * k / n:.2f}%" for k in ks)
                note = "Reachable with no censoring before this time."
            else:
                near = round(claim.value * n / 100)
                shows = (
                    f"no k/{n} rounds to {claim.printed} (nearest {near}/{n} = "
                    f"{100 * near / n:.2f}%)"
                )
                note = (
                    "Needs at least one patient of this group censored (alive at last "
                    f"follow-up) before {12 * years} months; only {survivors} patients are "
                    "censored."
                )
            rows.append(
                _row(
                    f"OS {group} {years}-year rate as a fraction of {n}",
                    VERDICT_CONSISTENT,
                    f"{years}-year OS {claim.printed}% among {n} patients",
                    shows,
                    note,
                    [claim.id],
                )
            )
    return rows


def check_metastasectomy_lpfs(c: Claims) -> dict:
    """Metastasectomy LPFS 3 -> 5 years: the numbers at risk it forces."""
    s3, s5 = c["lpfs_3y_metastasectomy"], c["lpfs_5y_metastasectomy"]
    os3 = c["os_3y_metastasectomy"]
    n_group = _group_sizes(c)["metastasectomy"]
    events = _n(c, "lp_metastasectomy_n")
    ns = single_event_at_risk(printed_range(s3), printed_range(s5), n_group)
    sequences = at_risk_sequences(printed_range(s3), printed_range(s5), events - 1, 1, n_group)
    assert os3.value is not None
    k = fractions_of_group(os3.value, os3.tolerance, n_group)
    shows = (
        f"one event takes {s3.printed} to {s5.printed} only with n = "
        f"{', '.join(map(str, ns)) or 'none'} at risk"
        + "".join(
            f" ({s3.printed} x {n - 1}/{n} = {(s3.value or 0) * (n - 1) / n:.2f})" for n in ns
        )
        + f"; numbers at risk at the {events} progressions: "
        f"{'; '.join(', '.join(map(str, q)) for q in sequences) or 'none'}; 3-year OS "
        f"{os3.printed}% = {', '.join(f'{x}/{n_group}' for x in k)}"
    )
    return _row(
        "metastasectomy LPFS 3 -> 5 years",
        _verdict(bool(sequences)),
        f"LPFS {s3.printed}% at 3 years, {s5.printed}% at 5 years; {events} progressions in "
        f"{n_group} patients",
        shows,
        f"The last progression happens with exactly {ns[0] if ns else '?'} metastasectomy "
        "patients at risk after 36 months, which matches 3-year OS of exactly "
        f"{k[0] if k else '?'}/{n_group} (so no metastasectomy censoring before 36 months, "
        "both earlier progressors dead by then, and nobody leaving the risk set between "
        "36 months and that progression).",
        [s3.id, s5.id, os3.id, "lp_metastasectomy_n"],
    )


def check_targeted_lpfs(c: Claims) -> dict:
    """Targeted LPFS: one progression and one rate for 3 and 5 years (23/24)."""
    s3, s5 = c["lpfs_3y_targeted"], c["lpfs_5y_targeted"]
    events = _n(c, "lp_targeted_n")
    n_group = _group_sizes(c)["targeted"]
    assert s3.value is not None
    ns = [
        n for n in range(1, n_group + 1) if abs(100 * (n - 1) / n - s3.value) <= s3.tolerance + _EPS
    ]
    return _row(
        "targeted LPFS: one progression, one rate for 3 and 5 years",
        _verdict(bool(ns) and s3.value == s5.value),
        f"{events} targeted patient progressed; LPFS {s3.printed}% at 3 and {s5.printed}% "
        "at 5 years",
        f"1 - 1/n rounds to {s3.printed} only for n = {', '.join(map(str, ns))} "
        f"({', '.join(f'{n - 1}/{n} = {100 * (n - 1) / n:.2f}%' for n in ns)}); with "
        f"{n_group} patients, {n_group - ns[0] if ns else '?'} left the risk set first; "
        "equal 3- and 5-year values need no progression between 36 and 60 months",
        "Possible: targeted patients die or are censored before the one progression, "
        "which happens before 36 months.",
        [s3.id, s5.id, "lp_targeted_n"],
    )


def check_decompression_lpfs(c: Claims) -> dict:
    """Decompression LPFS: one printed value for 3 and 5 years means a flat curve."""
    s3, s5 = c["lpfs_3y_decompression"], c["lpfs_5y_decompression"]
    events = _n(c, "lp_decompression_n")
    n_group = _group_sizes(c)["decompression"]
    plain = 100 * (n_group - events) / n_group
    return _row(
        "decompression LPFS: one value for 3 and 5 years",
        VERDICT_CONSISTENT,
        f"'The 3- and 5-year local progression-free survival rare ... was {s3.printed}%'; "
        f"{events} progressions in {n_group}",
        f"equal values mean no progression between 36 and 60 months; without censoring "
        f"the curve could not go below {n_group - events}/{n_group} = {plain:.1f}%, so "
        f"{s3.printed}% needs deaths before progression (censored for LPFS)",
        "Possible, and it constrains the reconstruction: every decompression progression "
        "falls before 36 months. The sentence may also be a typo for two numbers.",
        [s3.id, s5.id, "lp_decompression_n"],
    )


def check_cytokine_lpfs(c: Claims) -> dict:
    """Cytokine LPFS 77.4% -> 72.9% with 3-year cytokine OS 21%: impossible (general proof)."""
    s3, s5, os3 = c["lpfs_3y_cytokine"], c["lpfs_5y_cytokine"], c["os_3y_cytokine"]
    n_group = _group_sizes(c)["cytokine"]
    start, end, os_range = printed_range(s3), printed_range(s5), printed_range(os3)
    b = lpfs_window_bound(n_group, os_range, start, end)
    y = b.followed_max
    shows = (
        f"at most floor({n_group} x {os_range[1] / 100:g}) = {y} cytokine patients are "
        f"followed after 36 months (S(t) >= Y(t)/N), and LPFS is at risk only among them. "
        f"No progression between 36 and 60 months keeps LPFS at its 3-year value "
        f"(>= {start[0]:g}, above {end[1]:g}); any progressions multiply it by at most "
        f"{y - 1}/{y} = {(y - 1) / y:.4f}, so it ends at most at {start[1]:g} x {y - 1}/{y} "
        f"= {b.best_with_events:.2f}, below {end[0]:g} (the lowest value printed as "
        f"{s5.printed}); a single step would need n >= {b.at_risk_needed} at risk "
        f"({s5.printed}/{s3.printed} needs a ratio of at least {b.ratio_range[0]:.4f})"
    )
    return _row(
        "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS",
        _verdict(b.possible),
        f"LPFS {s3.printed}% at 3 years, {s5.printed}% at 5 years; 3-year OS {os3.printed}% "
        f"of {n_group}",
        shows,
        "Holds for any number of progressions in the window and any patients (no use of "
        "the other groups' curves or of how progressions split over the cells). A "
        "reconstruction can meet the 3-year rate and miss the 5-year one by at least "
        f"{end[0] - b.best_with_events:.2f} percentage points beyond its rounding.",
        [s5.id, s3.id, os3.id],
    )


def check_pooled_rates(c: Claims) -> list[dict]:
    """With little censoring, the pooled KM rate is close to the size-weighted group rates."""
    sizes = _group_sizes(c)
    rows = []
    for years in (3, 5):
        pooled = c[f"os_{years}y_all"]
        assert pooled.value is not None
        for strata, (g1, g2) in (
            ("surgery", SURGERIES),
            ("adjuvant therapy", THERAPIES),
        ):
            r1, r2 = _v(c, f"os_{years}y_{g1}"), _v(c, f"os_{years}y_{g2}")
            n1, n2 = sizes[g1], sizes[g2]
            weighted = (n1 * r1 + n2 * r2) / (n1 + n2)
            gap = weighted - pooled.value
            rows.append(
                _row(
                    f"OS {years}-year rate: pooled vs {strata} groups",
                    VERDICT_CONSISTENT,
                    f"all {pooled.printed}%; {g1} {_fmt(r1, 1)}%, {g2} {_fmt(r2, 1)}%",
                    f"({n1} x {_fmt(r1, 1)} + {n2} x {_fmt(r2, 1)}) / {n1 + n2} = "
                    f"{weighted:.2f}% (pooled {pooled.printed}%, gap {gap:+.2f})",
                    "Not a contradiction: with censoring the pooled KM curve is not exactly "
                    "the weighted average of the group curves; a gap beyond rounding shows "
                    "censoring before this time.",
                    [pooled.id, f"os_{years}y_{g1}", f"os_{years}y_{g2}"],
                )
            )
    return rows


#: Every check, in the order the audit table lists them.
CHECKS: tuple[Callable[[Claims], dict | list[dict]], ...] = (
    check_surgery_groups,
    check_targeted_split,
    check_therapy_groups,
    check_synchronous_other,
    check_region_percentages,
    check_deaths_alive,
    check_radiotherapy_split,
    check_local_progression_split,
    check_complication_categories,
    check_neurological_split,
    check_lp_chisq,
    check_frankel_mcnemar,
    check_vas_pre,
    check_vas_post,
    check_medians_vs_rates,
    check_rates_as_fractions,
    check_pooled_rates,
    check_metastasectomy_lpfs,
    check_targeted_lpfs,
    check_decompression_lpfs,
    check_cytokine_lpfs,
)


def audit(claims: Sequence[Claim] | None = None) -> pd.DataFrame:
    """The paper's internal-consistency checks, one row each (columns :data:`AUDIT_COLUMNS`).

    ``claims`` defaults to the bundled claims file. ``verdict`` is one of
    :data:`VERDICTS`; ``reading`` is non-empty exactly for ``ambiguous`` rows;
    ``claims`` (last column) lists the claim ids a check involves,
    space-separated. Tested by ``tests/paper/test_consistency.py``.
    """
    by_id = {c.id: c for c in (load_claims() if claims is None else claims)}
    rows: list[dict] = []
    for check in CHECKS:
        try:
            result = check(by_id)
        except KeyError as error:
            raise SpinemetsError(
                f"audit: claim {error.args[0]!r} is missing; expected the claims of "
                f"{paths.display_path(paths.CLAIMS_FILE)}"
            ) from error
        rows.extend(result if isinstance(result, list) else [result])
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def contested_claims(
    audit_df: pd.DataFrame, verdicts: Iterable[str] = (VERDICT_AMBIGUOUS, VERDICT_IMPOSSIBLE)
) -> dict[str, list[str]]:
    """``{claim id: [check, ...]}`` for the checks whose verdict is in ``verdicts``."""
    wanted = set(verdicts)
    found: dict[str, list[str]] = {}
    for row in audit_df[audit_df["verdict"].isin(wanted)].itertuples(index=False):
        for claim_id in str(row.claims).split():
            found.setdefault(claim_id, []).append(str(row.check))
    return found


def findings(
    audit_df: pd.DataFrame, verdicts: Iterable[str] = (VERDICT_AMBIGUOUS, VERDICT_IMPOSSIBLE)
) -> str:
    """The rows with these verdicts as Markdown bullets: check, verdict, arithmetic, reading."""
    lines = []
    for row in audit_df[audit_df["verdict"].isin(set(verdicts))].itertuples(index=False):
        lines.append(f"* **{row.check}** ({row.verdict}): {row.arithmetic_shows}.")
        if row.reading:
            lines.append(f"  *Reading under which the numbers agree:* {row.reading}")
        if row.note:
            lines.append(f"  {row.note}")
    return "\n".join(lines) + ("\n" if lines else "")


def event_risk_sets(patients: pd.DataFrame, endpoint: str, column: str, group: str) -> pd.DataFrame:
    """A cohort's side of a Kaplan-Meier check: the times of ``group``'s events on
    ``endpoint`` and the number at risk at each (columns time, n_risk, n_event).

    The Kaplan-Meier event table (R ``summary(survfit(...))``, censored at t at risk at t)
    restricted to times with an event: aggregates, no patient's row. Notebook 00 shows
    that the calibrated cohort meets the forced risk sets the audit derives.
    Tests: tests/paper/test_consistency.py::test_event_risk_sets.
    """
    rows = (patients[column] == group).to_numpy()
    time, event = endpoint_data(patients, endpoint)
    km = kaplan_meier(time[rows], event[rows])
    has = km.n_event > 0
    return pd.DataFrame(
        {
            "time": km.time[has],
            "n_risk": km.n_risk[has].astype(int),
            "n_event": km.n_event[has].astype(int),
        }
    )
