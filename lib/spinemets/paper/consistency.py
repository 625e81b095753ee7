"""The paper's internal consistency, checked by arithmetic alone (no cohort needed).

Each check takes numbers the paper prints (read from the claims file,
:func:`spinemets.claims.load_claims`, so the audit and the scorecard see the same
numbers), does the arithmetic a careful reader would do and says whether the
statements can all hold at once:

* parts vs totals (39 + 61 = 100; 7 + 19 = 26; 26 vs 34 targeted; 34 + 75 = 109;
  66% synchronous and "the other 44%"; 8 + 17 + 14 + 12 = 51 complications);
* tests recomputed from their own counts (the chi-square 2.35, P = .125, with
  Yates' correction, R ``chisq.test``; the McNemar P < .0001 of Frankel);
* means vs their confidence intervals (a t interval is centred on the mean);
* Kaplan-Meier step sizes possible with the group sizes. A KM curve falls only at
  an event, by the factor ``(n - d) / n`` (``n`` at risk); without censoring
  ``S(t) = k / N``. With censoring ``S(t) >= Y(t) / N`` (``Y(t)``: still followed
  after ``t``), because treating each censoring as a death would give exactly
  ``Y(t) / N`` and every factor is larger when it is not. Rounding is honoured:
  a printed 29.7 means anything in [29.65, 29.75].

``audit() -> DataFrame[check, paper_says, arithmetic_shows, consistent, note,
claims]``; ``consistent`` is False only where no data set can satisfy all the
statements involved. Tested by ``tests/test_audit.py`` with hand arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from . import paths, stats
from .claims import Claim, load_claims
from .errors import SpinemetsError

#: Columns of :func:`audit`.
AUDIT_COLUMNS: tuple[str, ...] = (
    "check",
    "paper_says",
    "arithmetic_shows",
    "consistent",
    "note",
    "claims",
)

#: Group sizes the paper prints (abstract; the 26/74 split is the one whose parts add up).
GROUP_SIZES: dict[str, int] = {
    "all": 100,
    "metastasectomy": 39,
    "decompression": 61,
    "targeted": 26,
    "cytokine": 74,
}


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
    return [k for k in range(n + 1) if abs(100.0 * k / n - percent) <= tolerance + 1e-9]


def single_event_at_risk(
    before: tuple[float, float], after: tuple[float, float], n_max: int
) -> list[int]:
    """Numbers at risk ``n`` (1..n_max) for which one event takes ``before`` to ``after``.

    One event with ``n`` at risk multiplies the curve by ``(n - 1) / n``; the
    printed ranges allow any ratio in ``[after_lo / before_hi, after_hi / before_lo]``.
    """
    lo, hi = after[0] / before[1], after[1] / before[0]
    return [n for n in range(1, n_max + 1) if lo - 1e-12 <= (n - 1) / n <= hi + 1e-12]


def _fmt(x: float, decimals: int = 2) -> str:
    return f"{x:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:.0f}"


def _row(
    check: str,
    paper_says: str,
    arithmetic_shows: str,
    consistent: bool,
    note: str,
    claims: Sequence[str],
) -> dict[str, Any]:
    return {
        "check": check,
        "paper_says": paper_says,
        "arithmetic_shows": arithmetic_shows,
        "consistent": bool(consistent),
        "note": note,
        "claims": " ".join(claims),
    }


Claims = dict[str, Claim]


def _v(c: Claims, claim_id: str) -> float:
    value = c[claim_id].value
    assert value is not None, claim_id
    return value


# --------------------------------------------------------------------------- parts vs totals


def _sum_check(c: Claims, check: str, parts: Sequence[str], total: str, note: str) -> dict:
    values = [_v(c, p) for p in parts]
    expected = _v(c, total)
    got = sum(values)
    says = " + ".join(_fmt(v) for v in values) + f" (parts); {_fmt(expected)} (total)"
    shows = " + ".join(_fmt(v) for v in values) + f" = {_fmt(got)}"
    return _row(check, says, shows, math.isclose(got, expected), note, [*parts, total])


def check_surgery_groups(c: Claims) -> dict:
    return _sum_check(
        c,
        "surgery groups add up",
        ["n_metastasectomy_abstract", "n_decompression_abstract"],
        "n_patients_abstract",
        "39 metastasectomy + 61 decompression = 100 patients.",
    )


def check_targeted_split(c: Claims) -> dict:
    return _sum_check(
        c,
        "targeted therapy split (abstract)",
        ["n_targeted_metastasectomy_abstract", "n_targeted_decompression_abstract"],
        "n_targeted_abstract",
        "7 with metastasectomy + 19 with decompression = the abstract's 26.",
    )


def check_targeted_abstract_vs_methods(c: Claims) -> dict:
    a, m = _v(c, "n_targeted_abstract"), _v(c, "n_targeted_methods")
    return _row(
        "targeted therapy: abstract vs methods",
        f"abstract: {_fmt(a)} targeted (7 + 19); methods: {_fmt(m)} targeted",
        f"{_fmt(a)} != {_fmt(m)} (difference {_fmt(m - a)})",
        a == m,
        "The two sections give different numbers for the same group. The repository "
        "follows the abstract's 26, whose parts (7 + 19) are stated and add up.",
        ["n_targeted_abstract", "n_targeted_methods"],
    )


def check_therapy_groups_methods(c: Claims) -> dict:
    n = _v(c, "n_patients_methods")
    t34, t26, cyt = (
        _v(c, "n_targeted_methods"),
        _v(c, "n_targeted_abstract"),
        _v(c, "n_cytokine_methods"),
    )
    return _row(
        "therapy groups add up to the cohort",
        f"{_fmt(t34)} targeted and {_fmt(cyt)} cytokine (methods); {_fmt(n)} patients, "
        f"all with adjuvant therapy",
        f"{_fmt(t34)} + {_fmt(cyt)} = {_fmt(t34 + cyt)}; {_fmt(t26)} + {_fmt(cyt)} = "
        f"{_fmt(t26 + cyt)}; neither is {_fmt(n)} (the 26 of the abstract leaves "
        f"{_fmt(n - t26)} cytokine)",
        t34 + cyt == n or t26 + cyt == n,
        "Every patient received one adjuvant therapy, so the two groups must add up to "
        "100. The methods' 34 and 75 do not (nor does 26 + 75); the repository uses 26 "
        "targeted and 74 cytokine.",
        ["n_targeted_methods", "n_cytokine_methods", "n_targeted_abstract", "n_patients_methods"],
    )


def check_synchronous_other(c: Claims) -> dict:
    s, o = _v(c, "synchronous_pct"), _v(c, "biopsy_pct")
    return _row(
        'synchronous 66% and "the other 44%"',
        f"{_fmt(s)}% had synchronous metastases; the other {_fmt(o)}% had a biopsy",
        f"{_fmt(s)} + {_fmt(o)} = {_fmt(s + o)}%; the other part of {_fmt(s)}% is {_fmt(100 - s)}%",
        s + o == 100,
        '"The other" implies complementary groups, which would make 34%, not 44%. The '
        "repository reads two variables (66% synchronous; 44% with a percutaneous biopsy).",
        ["synchronous_pct", "biopsy_pct"],
    )


def check_region_percentages(c: Claims) -> dict:
    parts = ["region_thoracic_pct", "region_lumbar_pct", "region_cervical_pct"]
    values = [_v(c, p) for p in parts]
    return _row(
        "spine regions add up to 100%",
        " / ".join(f"{_fmt(v)}%" for v in values) + " (thoracic / lumbar / cervical)",
        " + ".join(_fmt(v) for v in values) + f" = {_fmt(sum(values))}%",
        sum(values) == 100,
        "Each patient has one operated region.",
        parts,
    )


def check_deaths_alive(c: Claims) -> dict:
    return _sum_check(
        c,
        "deaths and survivors add up",
        ["deaths_n", "alive_n"],
        "n_patients_methods",
        "89 dead + 11 alive = 100 at the last follow-up.",
    )


def check_radiotherapy_split(c: Claims) -> dict:
    return _sum_check(
        c,
        "postoperative radiotherapy split",
        ["radiotherapy_postop_metastasectomy_n", "radiotherapy_postop_decompression_n"],
        "radiotherapy_postop_n",
        "5 + 18 = 23 patients with radiotherapy after surgery.",
    )


def check_local_progression_split(c: Claims) -> dict:
    return _sum_check(
        c,
        "local progressions by surgery add up",
        ["lp_metastasectomy_n", "lp_decompression_n"],
        "lp_n",
        "3 after metastasectomy + 13 after decompression = Sixteen.",
    )


def check_complication_categories(c: Claims) -> dict:
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
        "8 + 17 + 14 + 12 = 51 complications. The text says 'patients' for three of the "
        "categories and 'cases' for wounds; they add up to the 51 events only if all four "
        "are events (51 complications in 38 patients).",
    )


def check_neurological_split(c: Claims) -> dict:
    return _sum_check(
        c,
        "neurological complications split",
        ["complications_neurological_temporary_n", "complications_neurological_irreversible_n"],
        "complications_neurological_n",
        "7 temporary + 1 irreversible = Eight.",
    )


# --------------------------------------------------------------------------- tests recomputed


def check_lp_chisq(c: Claims) -> dict:
    m, d = int(_v(c, "lp_metastasectomy_n")), int(_v(c, "lp_decompression_n"))
    nm, nd = int(_v(c, "n_metastasectomy")), int(_v(c, "n_decompression"))
    table = [[m, nm - m], [d, nd - d]]
    result = stats.chisq_test(table, correct=True)
    chisq, p = c["lp_surgery_chisq"], c["lp_surgery_chisq_p"]
    ok = chisq.agrees(result.statistic) and p.agrees(result.p_value)
    return _row(
        "local progression chi-square from its own counts",
        f"{m}/{nm} vs {d}/{nd} progressed; chi2 = {chisq.printed}, P = {p.printed}",
        f"table {table}, Pearson chi-square with Yates' correction: chi2 = "
        f"{result.statistic:.4f}, P = {result.p_value:.4f}",
        ok,
        "Recomputed with spinemets.stats.chisq_test (R chisq.test(correct = TRUE)); the "
        "printed values are this test's, rounded.",
        ["lp_metastasectomy_n", "lp_decompression_n", "lp_surgery_chisq", "lp_surgery_chisq_p"],
    )


def check_frankel_mcnemar(c: Claims) -> dict:
    n = int(_v(c, "n_patients_methods"))
    non_pre = int(_v(c, "frankel_nonambulatory_pre_n"))
    amb_post = round(n * _v(c, "frankel_ambulatory_post_pct") / 100)
    gain = amb_post - (n - non_pre)  # net patients who became ambulatory
    bound = _v(c, "frankel_ambulatory_change_p")
    # b walk again, c stop walking, b - c = gain; largest c that keeps P below the bound
    worst = 0
    for lost in range(0, n - non_pre + 1):
        table = [[0, lost], [gain + lost, 0]]  # rows before (D-E, A-C), columns after
        if stats.mcnemar_test(table, correct=True).p_value < bound:
            worst = lost
    best_p = stats.mcnemar_test([[0, 0], [gain, 0]], correct=True).p_value
    return _row(
        "Frankel: ambulatory before vs after",
        f"{non_pre} non-ambulatory (A-C) before; {_fmt(_v(c, 'frankel_ambulatory_post_pct'))}% "
        f"ambulatory (D-E) after; P < .0001",
        f"{amb_post} - {n - non_pre} = {gain} more ambulatory patients after surgery; "
        f"McNemar P = {best_p:.1e} if nobody lost walking, and P < .0001 as long as at most "
        f"{worst} did",
        gain > 0 and best_p < bound,
        "'The 50 nonambulatory patients showed improvement in ability to walk' cannot mean "
        f"that all 50 walked: {n - amb_post} were non-ambulatory after surgery. If c "
        f"patients lost walking, {gain} + c of the 50 walked again (c <= {worst} for "
        "P < .0001). Test: spinemets.stats.mcnemar_test (R mcnemar.test).",
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
        f"mean {mean.printed} (95% CI {ci.printed})",
        f"the mean rounds to {mean.printed} in [{_fmt(lo_range[0], 3)}, {_fmt(lo_range[1], 3)}]; "
        f"the CI's centre is in [{_fmt(mid[0], 3)}, {_fmt(mid[1], 3)}]; both hold for a mean "
        f"in [{_fmt(both[0], 3)}, {_fmt(both[1], 3)}]",
        both[0] <= both[1],
        "A t interval (R t.test) is centred on the mean, so the printed mean and CI "
        "narrow the true mean to their overlap.",
        [mean_id, ci_id],
    )


def check_vas_pre(c: Claims) -> dict:
    return _mean_ci_check(c, "before surgery", "vas_pre_mean", "vas_pre_ci")


def check_vas_post(c: Claims) -> dict:
    return _mean_ci_check(c, "on day 7", "vas_post_mean", "vas_post_ci")


# --------------------------------------------------------------------------- Kaplan-Meier


_OS_GROUPS: tuple[tuple[str, str], ...] = (
    ("all", "all"),
    ("decompression", "decompression"),
    ("metastasectomy", "metastasectomy"),
    ("cytokine", "cytokine"),
    ("targeted", "targeted"),
)


def check_medians_vs_rates(c: Claims) -> list[dict]:
    """A median below 36 months needs S(36) < 50% (and vice versa); median inside its CI."""
    rows = []
    for group, suffix in _OS_GROUPS:
        med, ci, s3 = c[f"os_median_{suffix}"], c[f"os_median_{suffix}_ci"], c[f"os_3y_{suffix}"]
        assert med.value is not None and ci.interval is not None and s3.value is not None
        inside = ci.interval[0] <= med.value <= ci.interval[1]
        ordered = (med.value <= 36) == (s3.value < 50)
        rows.append(
            _row(
                f"OS {group}: median, CI and 3-year rate agree",
                f"median {med.printed} (95% CI {ci.printed}) months; 3-year OS {s3.printed}%",
                f"median inside its CI: {'yes' if inside else 'no'}; S(36) "
                f"{'<' if s3.value < 50 else '>='} 50% so the median is "
                f"{'at most' if s3.value < 50 else 'above'} 36 months: "
                f"{'yes' if ordered else 'no'}",
                inside and ordered,
                "The KM median is the first time S(t) falls below 0.5.",
                [med.id, ci.id, s3.id],
            )
        )
    return rows


def check_rates_as_fractions(c: Claims) -> list[dict]:
    """Which OS rates are k / N of their group (possible without censoring)."""
    rows = []
    for group, suffix in _OS_GROUPS:
        n = GROUP_SIZES[group]
        for years in (3, 5):
            claim = c[f"os_{years}y_{suffix}"]
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
                    f"follow-up) before {12 * years} months; only 11 patients are censored."
                )
            rows.append(
                _row(
                    f"OS {group} {years}-year rate as a fraction of {n}",
                    f"{years}-year OS {claim.printed}% among {n} patients",
                    shows,
                    True,
                    note,
                    [claim.id],
                )
            )
    return rows


def check_metastasectomy_lpfs(c: Claims) -> dict:
    s3, s5 = c["lpfs_3y_metastasectomy"], c["lpfs_5y_metastasectomy"]
    os3 = c["os_3y_metastasectomy"]
    n_group = GROUP_SIZES["metastasectomy"]
    ns = single_event_at_risk(printed_range(s3), printed_range(s5), n_group)
    assert os3.value is not None
    k = fractions_of_group(os3.value, os3.tolerance, n_group)
    shows = (
        f"one event takes {s3.printed} to {s5.printed} only with n = "
        f"{', '.join(map(str, ns)) or 'none'} at risk ({s3.printed} x 10/11 = "
        f"{(s3.value or 0) * 10 / 11:.2f}); 3-year OS {os3.printed}% = "
        f"{', '.join(f'{x}/{n_group}' for x in k)}"
    )
    return _row(
        "metastasectomy LPFS 3 -> 5 years",
        f"LPFS {s3.printed}% at 3 years, {s5.printed}% at 5 years; 3 progressions in "
        f"{n_group} patients",
        shows,
        ns == [11],
        "The third progression happens with exactly 11 metastasectomy patients at risk "
        "after 36 months, which matches 3-year OS of exactly 11/39 (no censoring before 36 "
        "months). Two progressions fall before 36 months (one step of 1/n cannot give 90.6).",
        [s3.id, s5.id, os3.id],
    )


def check_targeted_lpfs(c: Claims) -> dict:
    s3, s5 = c["lpfs_3y_targeted"], c["lpfs_5y_targeted"]
    events = int(_v(c, "lp_targeted_n"))
    n_group = GROUP_SIZES["targeted"]
    assert s3.value is not None
    ns = [
        n for n in range(1, n_group + 1) if abs(100 * (n - 1) / n - s3.value) <= s3.tolerance + 1e-9
    ]
    return _row(
        "targeted LPFS: one progression, 95.8% at 3 and 5 years",
        f"{events} targeted patient progressed; LPFS {s3.printed}% at 3 and {s5.printed}% "
        "at 5 years",
        f"1 - 1/n rounds to {s3.printed} only for n = {', '.join(map(str, ns))} "
        f"({', '.join(f'{n - 1}/{n} = {100 * (n - 1) / n:.2f}%' for n in ns)}); with "
        f"{n_group} patients, {n_group - ns[0] if ns else '?'} left the risk set first; "
        "equal 3- and 5-year values need no progression between 36 and 60 months",
        bool(ns) and s3.value == s5.value,
        "Possible: 2 targeted patients die or are censored before the one progression, "
        "which happens before 36 months.",
        [s3.id, s5.id, "lp_targeted_n"],
    )


def check_decompression_lpfs(c: Claims) -> dict:
    s3, s5 = c["lpfs_3y_decompression"], c["lpfs_5y_decompression"]
    events = int(_v(c, "lp_decompression_n"))
    n_group = GROUP_SIZES["decompression"]
    plain = 100 * (n_group - events) / n_group
    return _row(
        "decompression LPFS: one value for 3 and 5 years",
        f"'The 3- and 5-year local progression-free survival rare ... was {s3.printed}%'; "
        f"{events} progressions in {n_group}",
        f"equal values mean no progression between 36 and 60 months; without censoring "
        f"the curve could not go below {n_group - events}/{n_group} = {plain:.1f}%, so "
        f"{s3.printed}% needs deaths before progression (censored for LPFS)",
        True,
        "Possible, and it constrains the reconstruction: every decompression progression "
        "falls before 36 months. The sentence may also be a typo for two numbers.",
        [s3.id, s5.id, "lp_decompression_n"],
    )


def check_cytokine_lpfs(c: Claims) -> dict:
    s3, s5, os3 = c["lpfs_3y_cytokine"], c["lpfs_5y_cytokine"], c["os_3y_cytokine"]
    n_group = GROUP_SIZES["cytokine"]
    ns = single_event_at_risk(printed_range(s3), printed_range(s5), n_group)
    max_followed = math.floor(n_group * printed_range(os3)[1] / 100)
    best = 100 * (max_followed - 1) / max_followed
    possible = any(n <= max_followed for n in ns)
    stepped = (s3.value or 0) * best / 100
    shortfall = (stepped, (s5.value or 0) - stepped)
    return _row(
        "cytokine LPFS 3 -> 5 years vs cytokine 3-year OS",
        f"LPFS {s3.printed}% at 3 years, {s5.printed}% at 5 years; 3-year OS {os3.printed}% "
        f"of {n_group}",
        f"{s5.printed}/{s3.printed} = {(s5.value or 0) / (s3.value or 1):.4f}: one event "
        f"needs n = {', '.join(map(str, ns)) or 'none'} at risk; but S_OS(36) < "
        f"{printed_range(os3)[1]:g}% allows at most floor({n_group} x "
        f"{printed_range(os3)[1] / 100:g}) = {max_followed} patients followed past 36 "
        f"months, so any event there gives at most {max_followed - 1}/{max_followed} = "
        f"{best:.1f}% of the 3-year value",
        possible,
        "Cannot all hold: S(t) >= Y(t)/N (treating censorings as deaths gives Y(t)/N), "
        f"so at most {max_followed} cytokine patients are followed after 36 months; one "
        f"step of 1/{max_followed} or more takes {s3.printed} to {shortfall[0]:.2f}, "
        f"{shortfall[1]:.2f} points below {s5.printed}, and no step keeps it at {s3.printed}. "
        "A reconstruction can only meet the pair approximately.",
        [s3.id, s5.id, os3.id],
    )


def check_pooled_rates(c: Claims) -> list[dict]:
    """With little censoring, the pooled KM rate is close to the size-weighted group rates."""
    rows = []
    for years in (3, 5):
        pooled = c[f"os_{years}y_all"]
        assert pooled.value is not None
        for strata, (g1, g2) in (
            ("surgery", ("metastasectomy", "decompression")),
            ("adjuvant therapy", ("targeted", "cytokine")),
        ):
            r1, r2 = _v(c, f"os_{years}y_{g1}"), _v(c, f"os_{years}y_{g2}")
            n1, n2 = GROUP_SIZES[g1], GROUP_SIZES[g2]
            weighted = (n1 * r1 + n2 * r2) / (n1 + n2)
            gap = weighted - pooled.value
            rows.append(
                _row(
                    f"OS {years}-year rate: pooled vs {strata} groups",
                    f"all {pooled.printed}%; {g1} {_fmt(r1, 1)}%, {g2} {_fmt(r2, 1)}%",
                    f"({n1} x {_fmt(r1, 1)} + {n2} x {_fmt(r2, 1)}) / {n1 + n2} = "
                    f"{weighted:.2f}% (pooled {pooled.printed}%, gap {gap:+.2f})",
                    True,
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
    check_targeted_abstract_vs_methods,
    check_therapy_groups_methods,
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

    ``claims`` defaults to the bundled claims file. ``claims`` (last column) lists
    the claim ids a check involves, space-separated. Tested by ``tests/test_audit.py``.
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


def inconsistent_claims(audit_df: pd.DataFrame) -> dict[str, list[str]]:
    """``{claim id: [check, ...]}`` for the checks that found the paper inconsistent."""
    found: dict[str, list[str]] = {}
    for row in audit_df[~audit_df["consistent"]].itertuples(index=False):
        for claim_id in str(row.claims).split():
            found.setdefault(claim_id, []).append(str(row.check))
    return found
