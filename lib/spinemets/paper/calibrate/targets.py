"""The published survival numbers the synthetic cohort is calibrated to, read from the claims.

Every number comes from ``data/published/ptashnikov2020.yaml`` (the paper's
Results and abstract; its Tables 2-3 are not in the text): each :class:`Target`
names the claim it stands for (``claim``), and its value and printed step are
that claim's. Nothing is typed here but which claims are fitted and in what
order. "Within rounding" means ``|reconstructed - published| <= printed_step / 2``
(a quarter month for medians, see :attr:`Target.tolerance`).

The 37 *survival targets* (the count the done criteria use) are:

* 15 medians and median CI limits of overall survival (OS): all patients,
  decompression, metastasectomy, cytokine, targeted (median, lower, upper);
* 10 OS rates at 36 and 60 months for the same five groups;
* 8 local-progression-free survival (LPFS) rates at 36 and 60 months for
  decompression, metastasectomy, cytokine and targeted (the paper prints one
  number, "76.4%" and "95.8%", for both 3 and 5 years of decompression and
  targeted; the claims file records each as two claims);
* 3 log-rank p-values (OS by surgery, OS by therapy, LPFS by surgery);
* 1 median time to local progression (5 months, among the 16 progressors).

Counts (deaths, progressions, cell sizes) are not targets of the search: the
search holds them fixed by construction (:data:`CELLS`, from
:mod:`spinemets.paper.cells`); the accuracy table still lists them.
Tested by ``tests/paper/test_calibrate_targets.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...cohort.spec import COMPARISONS
from ..cells import CELL_SIZE_IDS, Cell, cells, deaths
from ..claims import Claim, ClaimsError, load_claims, load_numbers

#: The four cells of surgery x adjuvant therapy, in the order rows are written:
#: (surgery, adjuvant_therapy, patients, local progressions), from the claims file.
CELLS: tuple[Cell, ...] = cells()

#: Total deaths; the other patients were alive at last follow-up.
DEATHS: int = deaths()

#: Survival groups: name -> indices into :data:`CELLS`.
GROUPS: dict[str, tuple[int, ...]] = {
    "all": tuple(range(len(CELLS))),
    **{
        g: tuple(k for k, c in enumerate(CELLS) if g in (c.surgery, c.adjuvant_therapy))
        for g in ("decompression", "metastasectomy", "cytokine", "targeted")
    },
}

#: Groups with OS targets and with LPFS targets, in the order targets are listed.
OS_GROUPS: tuple[str, ...] = ("all", "decompression", "metastasectomy", "cytokine", "targeted")
LPFS_GROUPS: tuple[str, ...] = ("decompression", "metastasectomy", "cytokine", "targeted")
#: Log-rank comparisons with a target: (endpoint, strata), and the short name used.
LOGRANK_TESTS: dict[tuple[str, str], str] = {
    ("os", "surgery"): "surgery",
    ("os", "adjuvant_therapy"): "therapy",
    ("lpfs", "surgery"): "surgery",
}
#: The claim of the median time to local progression (among progressors).
LP_MEDIAN_CLAIM = "lp_median_time"
RATE_TIMES: tuple[int, ...] = (36, 60)
MEDIAN_KINDS: tuple[str, ...] = ("median", "median_lower", "median_upper")


@dataclass(frozen=True)
class Target:
    """One published number and the claim it comes from.

    ``kind`` is one of ``median``, ``median_lower``, ``median_upper`` (months),
    ``rate`` (percent, at ``time`` months), ``p_value`` (log-rank, comparing the
    two groups of ``group``: ``surgery`` or ``adjuvant_therapy``), ``lp_median``
    (months) or ``count``.
    """

    name: str
    kind: str
    endpoint: str  # "os" | "lpfs" | "lp" | "cohort"
    group: str
    published: float
    printed_step: float
    claim: str
    time: int | None = None
    note: str = ""

    @property
    def tolerance(self) -> float:
        """The largest error that still shows the printed value.

        Half the printed step, except for times in months: a Kaplan-Meier median of
        whole-month data is a whole month or a midpoint (x.5), and only the whole month
        prints as the published whole number, so the tolerance is a quarter month.
        """
        if self.kind in ("median", "median_lower", "median_upper", "lp_median"):
            return self.printed_step / 4
        return self.printed_step / 2


def _find(claims: Sequence[Claim], computation: str, **args: object) -> Claim:
    """The claim with this computation and these arguments (the results section's if two)."""
    found = [
        c
        for c in claims
        if c.computation == computation
        and all(c.args.get(k) == v for k, v in args.items())
        and c.args.get("conf_type", "log") == "log"
    ]
    if not found:
        raise ClaimsError(f"no claim with computation {computation!r} and arguments {args}")
    return next((c for c in found if c.section == "results"), found[0])


def _note(claim: Claim) -> str:
    if claim.unit == "percent" and claim.decimals == 0:
        return f'printed "{claim.printed}%" (step 1 pp)'
    return ""


def survival_targets(claims: Sequence[Claim] | None = None) -> tuple[Target, ...]:
    """The 37 survival targets, in the order of the accuracy table, from ``claims``."""
    claims = load_claims() if claims is None else claims
    out: list[Target] = []
    for group in OS_GROUPS:
        for kind in MEDIAN_KINDS:
            strata = _strata(group)
            if kind == "median":
                c = _find(claims, "km_median", endpoint="os", strata=strata, group=group)
                value = c.value
            else:
                c = _find(claims, "km_median_ci", endpoint="os", strata=strata, group=group)
                assert c.interval is not None
                value = c.interval[0 if kind == "median_lower" else 1]
            name = f"os_{kind}_{group}"
            out.append(Target(name, kind, "os", group, float(value), 2 * c.tolerance, c.id))
    for endpoint, groups in (("os", OS_GROUPS), ("lpfs", LPFS_GROUPS)):
        for group in groups:
            for time in RATE_TIMES:
                c = _find(
                    claims,
                    "km_survival",
                    endpoint=endpoint,
                    strata=_strata(group),
                    group=group,
                    time=time,
                )
                out.append(
                    Target(
                        f"{endpoint}_rate{time}_{group}",
                        "rate",
                        endpoint,
                        group,
                        float(c.value),  # type: ignore[arg-type]
                        2 * c.tolerance,
                        c.id,
                        time=time,
                        note=_note(c),
                    )
                )
    for (endpoint, strata), short in LOGRANK_TESTS.items():
        c = _find(claims, "logrank_p", endpoint=endpoint, strata=strata)
        out.append(
            Target(
                f"{endpoint}_logrank_{short}",
                "p_value",
                endpoint,
                strata,
                float(c.value),  # type: ignore[arg-type]
                2 * c.tolerance,
                c.id,
            )
        )
    c = next((c for c in claims if c.id == LP_MEDIAN_CLAIM), None)
    if c is None or c.value is None:
        raise ClaimsError(f"no claim {LP_MEDIAN_CLAIM!r} (the median time to local progression)")
    out.append(
        Target(
            LP_MEDIAN_CLAIM,
            "lp_median",
            "lp",
            "progressors",
            c.value,
            2 * c.tolerance,
            c.id,
            note="median of lp_months among the progressors",
        )
    )
    return tuple(out)


def _strata(group: str) -> str:
    if group == "all":
        return "all"
    return next(column for column, levels in COMPARISONS.items() if group in levels)


def count_targets() -> tuple[Target, ...]:
    """Counts the cohort holds by construction (not search targets), from the claims file."""
    numbers = load_numbers()
    rows = [
        ("deaths", "all", "deaths_n"),
        ("alive", "all", "alive_n"),
        ("local_progressions", "all", "lp_n"),
        ("local_progressions_metastasectomy", "metastasectomy", "lp_metastasectomy_n"),
        ("local_progressions_decompression", "decompression", "lp_decompression_n"),
        ("local_progressions_targeted", "targeted", "lp_targeted_n"),
    ]
    out = [Target(name, "count", "cohort", group, numbers[i], 1, i) for name, group, i in rows]
    for cell in CELLS:
        out.append(
            Target(
                f"patients_{cell.surgery}_{cell.adjuvant_therapy}",
                "count",
                "cohort",
                cell.surgery,
                float(cell.patients),
                1,
                CELL_SIZE_IDS[(cell.surgery, cell.adjuvant_therapy)],
            )
        )
    return tuple(out)


#: The 37 survival targets, in the order of the accuracy table.
TARGETS: tuple[Target, ...] = survival_targets()

#: Counts the cohort holds by construction (not search targets).
COUNT_TARGETS: tuple[Target, ...] = count_targets()
