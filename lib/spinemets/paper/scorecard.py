"""The reproduction scorecard: every numeric claim of the paper vs the value a cohort gives.

Each claim of ``data/published/ptashnikov2020.yaml`` is recomputed with the
functions the notebooks use (:func:`spinemets.paper.recompute.recompute`:
counts, percentages, medians, means with t CIs, chi-square, McNemar, paired
Wilcoxon; Kaplan-Meier medians, CIs and rates as R ``survfit``, log-rank p as R
``survdiff``) -- and classified:

=================  ==========================================================
``exact``          the reproduced number *is* the printed number (|x - v| <=
                   1e-9, e.g. a count, a whole-month median, 66 of 100
                   patients); for an interval both ends; for an inequality
                   ("P < .0001") the inequality holds
``within rounding``  not exact, but it rounds to the printed number: |x - v| <=
                   half the printed step (the claim's ``tolerance``;
                   :meth:`spinemets.paper.claims.Claim.agrees`); intervals: both ends
``close``          outside rounding but within the wider band of
                   :data:`CLOSE_TOLERANCES` (by unit); counts have no band
``differs``        anything else, including an estimate that does not exist on
                   the cohort (a median not reached) or a failed inequality
``not followed``   a statement the paper gives differently elsewhere and the bundled
                   cohort deliberately does not follow (``followed: false``,
                   e.g. the methods' 34 targeted vs the abstract's 26), when
                   the cohort does not meet it; not a failure of the
                   reconstruction
``not computable`` a ``context`` claim (study years, level of evidence, ...):
                   no cohort can reproduce it
=================  ==========================================================

Statuses are ordered for the regression guard (:data:`RANKED`, best first);
``not followed`` and ``not computable`` stand outside the order and must stay
what they are. The committed baseline of the bundled cohort is
:data:`BASELINE_FILE`; ``spinemets scorecard --write-baseline`` rewrites it (a
deliberate commit), ``spinemets scorecard --check`` exits 1 if a status got worse.

Agreement on the bundled cohort is agreement by construction: that cohort is
SYNTHETIC and was fitted to these very numbers, so the scorecard checks the
pipeline and the paper's internal consistency (:mod:`spinemets.paper.consistency`), not the
paper's clinical claims. On a user's own cohort it compares that cohort with
the paper. Tested by ``tests/paper/test_scorecard.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .. import paths
from ..cohort import Cohort, load_cohort
from ..errors import SpinemetsError
from ..methods.km import CONF_TYPES
from ..output import table_to_csv_text, table_to_markdown
from .claims import COMPUTATIONS, Claim, load_claims
from .consistency import VERDICT_IMPOSSIBLE, audit, contested_claims
from .recompute import SURVIVAL_COMPUTATIONS, Recomputed, recompute

STATUS_EXACT = "exact"
STATUS_WITHIN_ROUNDING = "within rounding"
STATUS_CLOSE = "close"
STATUS_DIFFERS = "differs"
STATUS_NOT_FOLLOWED = "not followed"
STATUS_NOT_COMPUTABLE = "not computable"

#: Statuses that rank a reproduction, best first (the regression guard's order).
RANKED: tuple[str, ...] = (STATUS_EXACT, STATUS_WITHIN_ROUNDING, STATUS_CLOSE, STATUS_DIFFERS)
#: Every status, in the order tables list them.
STATUSES: tuple[str, ...] = (*RANKED, STATUS_NOT_FOLLOWED, STATUS_NOT_COMPUTABLE)
#: Statuses that count as reproduced.
REPRODUCED: tuple[str, ...] = (STATUS_EXACT, STATUS_WITHIN_ROUNDING)

#: The ``close`` band by unit: the largest |reproduced - published| still called close.
#: Counts (patients, events, count) have none: a count is right or it differs.
CLOSE_TOLERANCES: dict[str, float] = {
    "percent": 1.0,  # percentage points
    "months": 1.0,
    "years": 1.0,
    "days": 1.0,
    "p": 0.01,
    "chisq": 0.1,
    "vas": 0.1,  # points of the 0-10 scale
}

#: Relative tolerance of ``exact`` (binary floating point only).
EXACT_EPS = 1e-9

#: The committed status of every claim on the bundled cohort (the regression guard),
#: beside the claims file it scores.
BASELINE_FILE: Path = paths.PUBLISHED_DIR / "ptashnikov2020_scorecard_baseline.csv"

COLUMNS: tuple[str, ...] = (
    "id",
    "section",
    "quote",
    "published",
    "reproduced",
    "difference",
    "unit",
    "status",
    "note",
    "followed",
    "conflict",
)

Reproduced = Recomputed


def _ends(claim: Claim, x: Reproduced) -> list[tuple[float, float]]:
    """(reproduced, published) pairs: one for a value, two for an interval."""
    if claim.interval is not None:
        assert isinstance(x, tuple)
        return list(zip(x, claim.interval, strict=True))
    assert claim.value is not None and not isinstance(x, tuple) and x is not None
    return [(float(x), claim.value)]


def difference(claim: Claim, x: Reproduced) -> float | None:
    """Reproduced minus published (the larger end of an interval); None for bounds."""
    if x is None or claim.bound is not None:
        return None
    diffs = [r - p for r, p in _ends(claim, x)]
    if not all(math.isfinite(d) for d in diffs):
        return None
    return round(max(diffs, key=abs), 6)


_UNIT_WORDS = {"percent": " percentage points", "p": "", "chisq": "", "vas": " VAS points"}


def _miss(claim: Claim, x: Reproduced) -> str:
    """How far off a value is, and what rounding and the close band allow."""
    if x is None:
        return f"estimate {_missing_reason(claim)} on this cohort"
    d = difference(claim, x)
    if d is None:
        return "a confidence limit is not reached on this cohort"
    unit = _UNIT_WORDS.get(claim.unit, f" {claim.unit}")
    band = CLOSE_TOLERANCES.get(claim.unit)
    allows = f"close allows {band:g}" if band is not None else "a count has no close band"
    return f"off by {d:+.4g}{unit} (rounding allows {claim.tolerance:g}, {allows})"


def _shown(claim: Claim, x: Reproduced) -> str:
    """The reproduced value at the printed precision; ``NR`` for a limit not reached."""
    if x is None:
        return _missing_reason(claim) if claim.recomputable else ""
    return claim.format_value(x).replace("nan", "NR")


def _missing_reason(claim: Claim) -> str:
    if claim.computation in ("km_median", "km_median_ci"):
        return "not reached"
    if claim.computation == "km_survival":
        return "past last follow-up"
    return "not computable"


def classify(claim: Claim, x: Reproduced) -> str:
    """The status of a reproduced value (definitions in the module docstring).

    ``followed: false`` is not applied here (see :func:`status_of`).
    """
    if not claim.recomputable:
        return STATUS_NOT_COMPUTABLE
    if x is None:
        return STATUS_DIFFERS
    if claim.bound is not None:
        return STATUS_EXACT if claim.agrees(x) else STATUS_DIFFERS
    pairs = _ends(claim, x)
    if not all(math.isfinite(r) for r, _ in pairs):
        return STATUS_DIFFERS
    if all(abs(r - p) <= EXACT_EPS * max(1.0, abs(p)) for r, p in pairs):
        return STATUS_EXACT
    if claim.agrees(x):
        return STATUS_WITHIN_ROUNDING
    band = CLOSE_TOLERANCES.get(claim.unit, 0.0)
    if all(abs(r - p) <= band + EXACT_EPS for r, p in pairs):
        return STATUS_CLOSE
    return STATUS_DIFFERS


def status_of(claim: Claim, x: Reproduced) -> str:
    """:func:`classify`, except that an unmet ``followed: false`` claim is ``not followed``."""
    status = classify(claim, x)
    if not claim.followed and status not in REPRODUCED and claim.recomputable:
        return STATUS_NOT_FOLLOWED
    return status


def _note(
    claim: Claim, x: Reproduced, status: str, synthetic: bool, audit_refs: dict[str, list[str]]
) -> str:
    if status == STATUS_NOT_COMPUTABLE:
        why = claim.note or COMPUTATIONS["context"].definition
        return f"context, not a result of any cohort: {why}"
    if status == STATUS_NOT_FOLLOWED:
        return (
            "the paper gives this number differently elsewhere; the bundled cohort follows "
            "the other statement (see conflict)"
        )
    parts: list[str] = []
    if claim.bound is not None and x is not None:
        parts.append(f"the inequality {'holds' if claim.agrees(x) else 'fails'}")
    elif status == STATUS_WITHIN_ROUNDING:
        parts.append("rounds to the printed value")
    elif status in (STATUS_CLOSE, STATUS_DIFFERS):
        parts.append(_miss(claim, x))
        checks = audit_refs.get(claim.id, [])
        if checks:
            parts.append(
                "the paper's numbers cannot all hold here (consistency: " + "; ".join(checks) + ")"
            )
        elif synthetic and claim.computation in SURVIVAL_COMPUTATIONS:
            parts.append(
                "the synthetic survival times are fitted to all survival targets at once "
                "and miss this one"
            )
        elif not synthetic:
            parts.append("this cohort differs from the paper")
    if not claim.followed and status in REPRODUCED:
        parts.append("a statement the bundled cohort does not follow, met by this cohort")
    return "; ".join(parts)


def close_bands() -> pd.DataFrame:
    """:data:`CLOSE_TOLERANCES` as a table (unit, close_band), units sorted.

    Tests: tests/paper/test_scorecard.py::test_close_bands.
    """
    return pd.DataFrame(sorted(CLOSE_TOLERANCES.items()), columns=["unit", "close_band"])


def with_conf_type(claims: Sequence[Claim], conf_type: str) -> list[Claim]:
    """The claims with the survival ones recomputed under ``conf_type`` (R ``conf.type``).

    The paper used R's default, ``"log"``; another choice (``"log-log"``, ``"plain"``)
    changes only the median confidence limits (``km_median_ci``). An unknown type
    raises :class:`SpinemetsError`.
    """
    if conf_type not in CONF_TYPES:
        raise SpinemetsError(f"conf_type {conf_type!r}; expected one of {', '.join(CONF_TYPES)}")
    out = []
    for c in claims:
        if c.computation in SURVIVAL_COMPUTATIONS and "conf_type" in c.args:
            args = MappingProxyType({**c.args, "conf_type": conf_type})
            c = dataclasses.replace(c, args=args)
        out.append(c)
    return out


def scorecard(cohort: Cohort, claims: Sequence[Claim] | None = None) -> pd.DataFrame:
    """One row per claim (file order): published vs reproduced and the status.

    Columns :data:`COLUMNS`: id, section, quote, published (as printed),
    reproduced (at the printed precision; ``not reached`` / ``past last
    follow-up`` where the estimate does not exist), difference (reproduced -
    published; for an interval the end further off), unit, status, note (why,
    for anything not reproduced), followed, conflict (the claims file's note).
    """
    claim_list = list(load_claims() if claims is None else claims)
    return _scorecard_rows(cohort, claim_list, claim_list)


def _scorecard_rows(
    cohort: Cohort, claim_list: Sequence[Claim], selected: Sequence[Claim]
) -> pd.DataFrame:
    """The rows of :func:`scorecard` for the claims ``selected`` only: each recomputed on
    its own, with the consistency audit of the whole ``claim_list`` (which the notes
    cite), so that a row is the same whichever other rows are computed."""
    try:
        audit_refs = contested_claims(audit(claim_list), verdicts=(VERDICT_IMPOSSIBLE,))
    except SpinemetsError:  # another paper's claims: no audit of this one applies
        audit_refs = {}
    rows = []
    for c in selected:
        x = recompute(c, cohort.patients, cohort.complications) if c.recomputable else None
        status = status_of(c, x)
        rows.append(
            {
                "id": c.id,
                "section": c.section,
                "quote": c.quote,
                "published": c.published,
                "reproduced": _shown(c, x),
                "difference": difference(c, x),
                "unit": c.unit,
                "status": status,
                "note": _note(c, x, status, cohort.is_synthetic, audit_refs),
                "followed": c.followed,
                "conflict": c.conflict or "",
            }
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["difference"] = df["difference"].astype(float)
    return df


def compare(
    cohort: Cohort, ids: Sequence[str], claims: Sequence[Claim] | None = None
) -> pd.DataFrame:
    """Published beside reproduced for the claims ``ids``, in that order.

    The rows of :func:`scorecard` for those claims (the same values and statuses the
    reproduction scorecard of notebook 05 shows), as columns claim, quote,
    published, reproduced, status. Notebooks 01-04 show these next to their
    analyses. An unknown id raises :class:`SpinemetsError`.
    Tests: tests/paper/test_scorecard.py::test_compare_is_the_scorecard_for_those_claims.
    """
    claim_list = list(load_claims() if claims is None else claims)
    known = {c.id for c in claim_list}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise SpinemetsError(
            f"claims: no claim with id {', '.join(map(repr, unknown))} "
            "(ids are in data/published/ptashnikov2020.yaml)"
        )
    wanted = set(ids)
    selected = [c for c in claim_list if c.id in wanted]  # only these are recomputed
    card = _scorecard_rows(cohort, claim_list, selected).set_index("id")
    rows = card.loc[list(ids), ["quote", "published", "reproduced", "status"]]
    return rows.rename_axis("claim").reset_index()


def summarise(scorecard_df: pd.DataFrame) -> pd.DataFrame:
    """Counts per status, overall (``all``) and per section (in order of appearance).

    Columns: section, claims, one column per status (:data:`STATUSES`), assessed
    (claims minus ``not followed`` and ``not computable``), reproduced (``exact`` +
    ``within rounding``) and reproduced_pct (100 x reproduced / assessed, one
    decimal).
    """
    sections = list(dict.fromkeys(scorecard_df["section"]))
    rows = []
    for section in ["all", *sections]:
        part = scorecard_df if section == "all" else scorecard_df[scorecard_df.section == section]
        counts = part["status"].value_counts()
        row: dict[str, object] = {"section": section, "claims": len(part)}
        row.update({s: int(counts.get(s, 0)) for s in STATUSES})
        assessed = len(part) - row[STATUS_NOT_FOLLOWED] - row[STATUS_NOT_COMPUTABLE]  # type: ignore[operator]
        reproduced = sum(int(counts.get(s, 0)) for s in REPRODUCED)
        row["assessed"] = assessed
        row["reproduced"] = reproduced
        row["reproduced_pct"] = round(100.0 * reproduced / assessed, 1) if assessed else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def reproduction_rate(scorecard_df: pd.DataFrame) -> float:
    """Share of assessed claims (not ``not followed``/``not computable``) reproduced."""
    assessed = ~scorecard_df["status"].isin([STATUS_NOT_FOLLOWED, STATUS_NOT_COMPUTABLE])
    return float(scorecard_df.loc[assessed, "status"].isin(REPRODUCED).mean())


# --------------------------------------------------------------------------- regression guard


def baseline_frame(scorecard_df: pd.DataFrame) -> pd.DataFrame:
    """The part of a scorecard the baseline keeps: id, section, status."""
    return scorecard_df[["id", "section", "status"]].reset_index(drop=True)


def write_baseline(scorecard_df: pd.DataFrame, path: str | Path | None = None) -> Path:
    """Write the baseline CSV (default :data:`BASELINE_FILE`; deterministic bytes)."""
    path = Path(path) if path is not None else BASELINE_FILE
    path.write_text(table_to_csv_text(baseline_frame(scorecard_df)), encoding="utf-8")
    return path


def read_baseline(path: str | Path | None = None) -> pd.DataFrame:
    """Read a baseline CSV (default :data:`BASELINE_FILE`); a bad row raises SpinemetsError."""
    path = Path(path) if path is not None else BASELINE_FILE
    name = paths.display_path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise SpinemetsError(f"{name}: cannot read the scorecard baseline ({error})") from error
    if list(df.columns) != ["id", "section", "status"]:
        raise SpinemetsError(f"{name}: columns {list(df.columns)}; expected id, section, status")
    for i, status in enumerate(df["status"], start=2):
        if status not in STATUSES:
            raise SpinemetsError(
                f"{name}, row {i}, column 'status': {status!r}; expected one of {STATUSES}"
            )
    return df


def regressions(scorecard_df: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Claims whose status is worse than the baseline's, or changed in or out of the unranked.

    Columns: id, baseline, current, problem. ``exact`` > ``within rounding`` >
    ``close`` > ``differs``; ``not followed`` and ``not computable`` are fixed (any
    change to or from them is reported); a claim missing on either side is
    reported too. An improvement is not a regression.
    """
    base = dict(zip(baseline["id"], baseline["status"], strict=True))
    now = dict(zip(scorecard_df["id"], scorecard_df["status"], strict=True))
    rows = []
    for claim_id in list(dict.fromkeys([*base, *now])):
        b, c = base.get(claim_id), now.get(claim_id)
        if b is None:
            problem = "not in the baseline (regenerate it: spinemets scorecard --write-baseline)"
        elif c is None:
            problem = "in the baseline but not in the scorecard"
        elif b == c:
            continue
        elif b in RANKED and c in RANKED:
            if RANKED.index(c) <= RANKED.index(b):
                continue
            problem = "worse than the baseline"
        else:
            problem = "changed to or from an unranked status"
        rows.append({"id": claim_id, "baseline": b or "", "current": c or "", "problem": problem})
    return pd.DataFrame(rows, columns=["id", "baseline", "current", "problem"])


# --------------------------------------------------------------------------- command line


def _run_cli(args: argparse.Namespace) -> int:
    custom = bool(args.patients or args.complications)
    if args.write_baseline and custom:
        raise SpinemetsError(
            "--write-baseline records the bundled cohort only; drop --patients/--complications"
        )
    cohort = load_cohort(args.patients or None, args.complications or None)
    card = scorecard(cohort)
    print(cohort.label)
    print(table_to_markdown(summarise(card)), end="")
    if args.write_baseline:
        path = write_baseline(card)
        print(f"baseline written: {paths.display_path(path)} (commit it deliberately)")
        return 0
    if args.check:
        worse = regressions(card, read_baseline())
        if len(worse):
            print(table_to_markdown(worse), end="")
            return 1
        print("no claim is worse than the baseline")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``spinemets scorecard [--patients F] [--complications F] [--write-baseline|--check]``."""
    p = subparsers.add_parser(
        "scorecard",
        help="compare a cohort with every numeric claim of the paper",
        description=(
            "Recompute every numeric claim of the paper on a cohort (default: the bundled "
            "SYNTHETIC cohort) and print the counts per status. --check exits 1 if a "
            "claim's status is worse than the committed baseline; --write-baseline rewrites "
            f"{paths.display_path(BASELINE_FILE)} from the bundled cohort."
        ),
    )
    p.add_argument("--patients", default="", help="patients file (default: bundled cohort)")
    p.add_argument("--complications", default="", help="complications file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write-baseline", action="store_true", help="rewrite the baseline")
    mode.add_argument("--check", action="store_true", help="compare with the baseline")
    p.set_defaults(func=_run_cli)
