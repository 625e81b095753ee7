"""The published survival numbers the synthetic cohort is calibrated to.

Every number comes from the text of Ptashnikov et al. (2020), Results section
(the paper's Tables 2-3 are not in the text). Each :class:`Target` carries its
printed step (the precision the paper printed it with), so "within rounding"
means ``|reconstructed - published| <= printed_step / 2``.

The 37 *survival targets* (the count the done criteria use) are:

* 15 medians and median CI limits of overall survival (OS): all patients,
  decompression, metastasectomy, cytokine, targeted (median, lower, upper);
* 10 OS rates at 36 and 60 months for the same five groups;
* 8 local-progression-free survival (LPFS) rates at 36 and 60 months for
  decompression, metastasectomy, cytokine and targeted (the paper prints one
  number, "76.4%" and "95.8%", for both 3 and 5 years of decompression and
  targeted; each counts as two targets);
* 3 log-rank p-values (OS by surgery, OS by therapy, LPFS by surgery);
* 1 median time to local progression (5 months, among the 16 progressors).

Rates printed without decimals ("12%", "21%") have a printed step of 1
percentage point, as in the claims file; the search still aims at 12.0 and
21.0 to 0.05 pp (:data:`SEARCH_RATE_TOLERANCE`), and the accuracy table's
notes say how close they came.

Counts (deaths, progressions, cell sizes) are not targets of the search: the
search holds them fixed by construction (see :data:`CELLS`); the accuracy
table still lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The four cells of surgery x adjuvant therapy, in the order rows are written.
#: (surgery, adjuvant_therapy, patients, local progressions). Abstract: 7
#: metastasectomy and 19 decompression patients had targeted therapy. Local
#: progressions are published only by margins (3 metastasectomy / 13
#: decompression; 1 targeted / 15 cytokine); of the two splits that fit the
#: margins, (1, 2, 0, 13) and (0, 3, 1, 12), we use the first: the single
#: targeted progression is a metastasectomy patient, so the decompression and
#: targeted LPFS curves can stay flat between 36 and 60 months while the
#: metastasectomy curve takes its third event there (see the notes in
#: notebooks/00_data_and_reconstruction.ipynb).
CELLS: tuple[tuple[str, str, int, int], ...] = (
    ("metastasectomy", "targeted", 7, 1),
    ("metastasectomy", "cytokine", 32, 2),
    ("decompression", "targeted", 19, 0),
    ("decompression", "cytokine", 42, 13),
)

#: Total deaths; the other 11 patients were alive at last follow-up.
DEATHS = 89

#: Survival groups: name -> indices into :data:`CELLS`.
GROUPS: dict[str, tuple[int, ...]] = {
    "all": (0, 1, 2, 3),
    "decompression": (2, 3),
    "metastasectomy": (0, 1),
    "cytokine": (1, 3),
    "targeted": (0, 2),
}


@dataclass(frozen=True)
class Target:
    """One published number.

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

    @property
    def search_tolerance(self) -> float:
        """The error the search ignores: half the printed step, at most 0.05 pp for rates."""
        if self.kind == "rate":
            return min(self.tolerance, SEARCH_RATE_TOLERANCE)
        return self.tolerance


#: Rates are searched to half of 0.1 percentage point even where printed coarser.
SEARCH_RATE_TOLERANCE = 0.05


def _os_median_targets() -> list[Target]:
    values = {
        "all": (22, 17, 29),
        "decompression": (22, 16, 32),
        "metastasectomy": (22, 18, 30),
        "cytokine": (18, 16, 24),
        "targeted": (38, 27, 61),
    }
    out = []
    for group, (med, lo, hi) in values.items():
        for kind, v in (("median", med), ("median_lower", lo), ("median_upper", hi)):
            out.append(Target(f"os_{kind}_{group}", kind, "os", group, float(v), 1.0))
    return out


def _rate_targets() -> list[Target]:
    os_rates = {
        "all": (29.7, 12.0),
        "decompression": (30.7, 11.2),
        "metastasectomy": (28.2, 12.8),
        "cytokine": (21.0, 6.6),
        "targeted": (53.6, 26.8),
    }
    lpfs_rates = {
        "decompression": (76.4, 76.4),
        "metastasectomy": (90.6, 82.4),
        "cytokine": (77.4, 72.9),
        "targeted": (95.8, 95.8),
    }
    notes = {
        ("os", "all", 60): 'printed "12%" (step 1 pp; searched to 12.0 +- 0.05)',
        ("os", "cytokine", 36): 'printed "21%" (step 1 pp; searched to 21.0 +- 0.05)',
        ("lpfs", "cytokine", 60): "conflicts with cytokine 3-year OS and LPFS 77.4% at 36 months",
        ("lpfs", "decompression", 60): 'one number printed for 3 and 5 years ("76.4%")',
        ("lpfs", "targeted", 60): 'one number printed for 3 and 5 years ("95.8%")',
    }
    out = []
    for endpoint, table in (("os", os_rates), ("lpfs", lpfs_rates)):
        for group, (r36, r60) in table.items():
            for time, v in ((36, r36), (60, r60)):
                coarse = (endpoint, group, time) in (("os", "all", 60), ("os", "cytokine", 36))
                out.append(
                    Target(
                        f"{endpoint}_rate{time}_{group}",
                        "rate",
                        endpoint,
                        group,
                        v,
                        1.0 if coarse else 0.1,
                        time=time,
                        note=notes.get((endpoint, group, time), ""),
                    )
                )
    return out


def _other_targets() -> list[Target]:
    return [
        Target("os_logrank_surgery", "p_value", "os", "surgery", 0.750, 0.001),
        Target("os_logrank_therapy", "p_value", "os", "adjuvant_therapy", 0.012, 0.001),
        Target("lpfs_logrank_surgery", "p_value", "lpfs", "surgery", 0.043, 0.001),
        Target(
            "lp_median_time",
            "lp_median",
            "lp",
            "progressors",
            5.0,
            1.0,
            note="median of lp_months among the 16 progressors",
        ),
    ]


#: The 37 survival targets, in the order of the accuracy table.
TARGETS: tuple[Target, ...] = tuple(_os_median_targets() + _rate_targets() + _other_targets())

#: Counts the cohort holds by construction (not search targets).
COUNT_TARGETS: tuple[Target, ...] = (
    Target("deaths", "count", "cohort", "all", 89, 1),
    Target("alive", "count", "cohort", "all", 11, 1),
    Target("local_progressions", "count", "cohort", "all", 16, 1),
    Target("local_progressions_metastasectomy", "count", "cohort", "metastasectomy", 3, 1),
    Target("local_progressions_decompression", "count", "cohort", "decompression", 13, 1),
    Target("local_progressions_targeted", "count", "cohort", "targeted", 1, 1),
    Target("patients_metastasectomy_targeted", "count", "cohort", "metastasectomy", 7, 1),
    Target("patients_metastasectomy_cytokine", "count", "cohort", "metastasectomy", 32, 1),
    Target("patients_decompression_targeted", "count", "cohort", "decompression", 19, 1),
    Target("patients_decompression_cytokine", "count", "cohort", "decompression", 42, 1),
)
