"""What every notebook starts with: one set-up call and the objects it gives.

A notebook's first code cell imports; its second holds the parameters (literals
only); its third is ::

    nb = spinemets.notebook.start(patients_file, complications_file, output_dir, min_cell)

which quiets the display (:func:`setup`), loads and validates the cohort, opens the
run's output folder and the paper's claims, prints the same header in every notebook
and returns a :class:`Notebook`: ``nb.cohort``, ``nb.patients``, ``nb.complications``,
``nb.out`` (:class:`~spinemets.output.RunOutput`), ``nb.label`` (the cohort's tag for
titles: "SYNTHETIC cohort" for the bundled one), ``nb.claims`` (the published claims,
one list of :class:`~spinemets.paper.claims.Claim` in every notebook) and
``nb.reproduces_paper`` (True for the bundled cohort, built to reproduce the paper:
cells about the paper's own numbers apply to it).

The claims a notebook sets beside its results are chosen here, not typed in notebooks:
by query (:meth:`Notebook.claim_ids`, :meth:`Notebook.published`) where the claims
file says enough, else from :data:`CLAIMS_SHOWN`, the one list of claim ids per
notebook section. Tested in ``tests/test_notebook.py``.
"""

from __future__ import annotations

import ast
import html
import logging
import os
import struct
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython import get_ipython
from IPython.display import Image, display
from matplotlib.figure import Figure

from . import paths
from .cohort import Cohort, CohortValidationError, load_cohort
from .errors import NotApplicable, ParameterError, SpinemetsError
from .figures.style import HOUSE_RC, apply_house_style
from .output import RunOutput
from .paper import scorecard
from .paper.claims import Claim, load_claims
from .paper.recompute import SURVIVAL_COMPUTATIONS

__all__ = ["CLAIMS_SHOWN", "NOT_PAPER", "CellGuard", "Notebook", "setup", "start"]

#: Resolution of the saved PNG figures, and the one they are displayed at in a notebook
#: (the house style's ``savefig.dpi`` and ``figure.dpi``).
SAVED_DPI, DISPLAY_DPI = int(HOUSE_RC["savefig.dpi"]), int(HOUSE_RC["figure.dpi"])

#: Why a comparison with the paper's printed numbers is skipped (:attr:`Notebook.reproduces_paper`).
NOT_PAPER = (
    "comparison with the paper's published numbers: this cohort is not the bundled one, "
    "and the runs file does not declare it a reproduction of the paper (reproduces_paper: true)"
)

#: Claims shown beside a notebook section's results, by section (ids of the claims file),
#: where no query of the claims file picks them out.
CLAIMS_SHOWN: Mapping[str, tuple[str, ...]] = {
    "table1": (
        "n_patients_methods", "age_median", "age_range", "n_metastasectomy",
        "n_decompression", "n_targeted_abstract", "nephrectomy_pct", "region_thoracic_pct",
        "region_lumbar_pct", "region_cervical_pct", "synchronous_pct", "biopsy_pct",
        "solitary_spine_pct", "mets_bone_pct", "mets_lung_pct", "mets_liver_pct",
        "mets_lymph_node_pct", "mets_kidney_pct", "mets_brain_pct", "radiotherapy_preop_n",
        "radiotherapy_postop_n",
    ),
    "table2": (
        "n_targeted_metastasectomy_abstract", "n_targeted_decompression_abstract",
        "radiotherapy_postop_metastasectomy_n", "radiotherapy_postop_decompression_n",
    ),
    "frankel": (
        "frankel_nonambulatory_pre_n", "frankel_ambulatory_post_pct",
        "frankel_ambulatory_change_p",
    ),
    "vas": (
        "vas_pain_pre_pct", "vas_pre_mean", "vas_pre_ci", "vas_post_mean", "vas_post_ci",
        "vas_wilcoxon_p", "vas_worse_n",
    ),
    "local_progression": ("lp_median_time", "lp_surgery_chisq", "lp_surgery_chisq_p"),
    "table4": (
        "complications_n", "complications_patients_n", "complications_neurological_n",
        "complications_neurological_temporary_n", "complications_neurological_irreversible_n",
        "complications_wound_n", "complications_implant_n", "complications_medical_n",
    ),
    # the published design: metastasectomy and decompression patients, deaths
    "design": ("n_metastasectomy", "n_decompression", "deaths_n"),
}  # fmt: skip


def setup() -> None:
    """Quiet, stable display: warnings off, fixed pandas display options, the house style.

    nbval compares every cell's text output, so warnings and display widths must not
    vary between runs. Silencing warnings never hides a failed fit: the methods raise
    (:class:`spinemets.methods.cox.CoxConvergenceError`) rather than warn and return.
    Inside a notebook it installs the :class:`CellGuard` (an analysis that cannot apply
    shows one line), so that notebooks calling ``setup()`` alone have it too.
    Tests: tests/test_notebook.py::test_setup_never_hides_a_failed_fit.
    """
    warnings.filterwarnings("ignore")
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 120)
    pd.set_option("display.precision", 4)
    apply_house_style()
    CellGuard.install()


@dataclass(frozen=True, eq=False)
class Notebook:
    """The objects every notebook works with (module docstring)."""

    cohort: Cohort
    out: RunOutput
    claims: list[Claim]
    reproduces_paper: bool

    @property
    def patient_rows(self) -> bool:
        """Whether patient-level rows and free text may be shown (the bundled cohort, or a
        runs file's ``patient_rows: true``); else tables holding them are withheld."""
        return self.out.patient_rows

    def rows_or_summary(self, rows: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
        """``rows`` (patient-level) where :attr:`patient_rows` allows, else ``summary``
        (counts). Tests: tests/test_minimisation.py::test_rows_or_summary."""
        return rows if self.patient_rows else summary

    def require_paper(self) -> None:
        """Raise NotApplicable (:data:`NOT_PAPER`) unless :attr:`reproduces_paper`: the
        first line of a cell about the paper's own numbers (calibration, scorecard, the
        reconstruction's arithmetic), which the cell guard then shows as one line. Tests:
        tests/test_minimisation.py::test_start_withholds_rows_and_the_paper_for_a_users_cohort.
        """
        if not self.reproduces_paper:
            raise NotApplicable(NOT_PAPER)

    @property
    def patients(self) -> pd.DataFrame:
        """The cohort's patients table."""
        return self.cohort.patients

    @property
    def complications(self) -> pd.DataFrame:
        """The cohort's complications table."""
        return self.cohort.complications

    @property
    def label(self) -> str:
        """The cohort's tag in titles: "SYNTHETIC cohort", or the user cohort's label."""
        return "SYNTHETIC cohort" if self.cohort.is_synthetic else self.cohort.label

    @property
    def min_cell(self) -> int:
        """Counts below this are masked in tables and figures (0: off)."""
        return self.out.min_cell

    def header(self) -> str:
        """The lines every notebook prints first: the cohort, its counts, the outputs.

        Tests: tests/test_notebook.py::test_start_gives_every_notebook_the_same_objects.
        """
        p = self.patients
        return "\n".join(
            [
                f"Cohort: {self.cohort.label}",
                f"{len(p)} patients ({int(p['death'].sum())} deaths, "
                f"{int(p['local_progression'].sum())} local progressions), "
                f"{len(self.complications)} complication events; writing to {self.out!r}",
            ]
        )

    # ------------------------------------------------------------- writing outputs

    def show(
        self, table: pd.DataFrame, name: str, count_columns: Sequence[str] = ()
    ) -> pd.DataFrame:
        """Write ``table`` as ``tables/<name>`` (CSV + Markdown) and return it for display.

        Tests: tests/test_notebook.py::test_show_and_save_write_the_run_outputs.
        """
        self.out.write_table(table, name, count_columns=count_columns)
        return table

    def save(self, figure: Figure, name: str) -> None:
        """Write ``figure`` as ``figures/<name>`` (PNG + SVG) and display the PNG written.

        The figure is drawn once per file and then closed, so that matplotlib's inline
        backend does not draw it a third time; the notebook shows the saved PNG at the
        size the inline backend would (``figure.dpi``), sharper on high-density screens.
        Tests: tests/test_notebook.py::test_show_and_save_write_the_run_outputs.
        """
        png = self.out.write_figure(figure, name, dpi=SAVED_DPI)
        plt.close(figure)
        width = struct.unpack(">I", png[16:20])[0]  # the PNG header's width in pixels
        display(Image(data=png, format="png", width=round(width * DISPLAY_DPI / SAVED_DPI)))

    # ------------------------------------------------------------- the paper's claims

    def claim_ids(self, computation: str | Sequence[str], **args: object) -> list[str]:
        """Ids of the claims computed by ``computation`` (a name or several) whose
        arguments include ``args`` (e.g. ``endpoint="os"``), in the claims file's order.
        Tests: tests/test_notebook.py::test_claim_queries.
        """
        names = {computation} if isinstance(computation, str) else set(computation)
        return [c.id for c in self.claims if c.computation in names and _matches(c, args)]

    def survival_claim_ids(self, endpoint: str) -> list[str]:
        """Ids of the paper's Kaplan-Meier and log-rank claims of one endpoint.

        Tests: tests/test_notebook.py::test_claim_queries.
        """
        return self.claim_ids(sorted(SURVIVAL_COMPUTATIONS), endpoint=endpoint)

    def published(self, computation: str, **args: object) -> pd.DataFrame:
        """The printed values of the claims computed by ``computation`` with ``args``, as
        plain data: columns id, one per argument the claims give (endpoint, strata,
        group, time, ...), value; the first claim of each argument set only (the paper
        prints some numbers twice). The same columns but no row for a cohort that does not
        reproduce the paper, so that an analysis given it sets no published number beside its own.
        Tests: tests/test_notebook.py::test_claim_queries.
        """
        rows = [
            {"id": c.id, **dict(c.args), "value": c.value}
            for c in self.claims
            if c.computation == computation and _matches(c, args)
        ]
        table = pd.DataFrame(rows)
        if table.empty:
            return pd.DataFrame(columns=["id", *args, "value"])
        keys = [k for k in table.columns if k not in ("id", "value")]
        table = table.drop_duplicates(keys, keep="first").reset_index(drop=True)
        return table if self.reproduces_paper else table.iloc[:0]

    def value(self, claim_id: str) -> float:
        """The printed value of one claim; NotApplicable (:data:`NOT_PAPER`) for a cohort
        that does not reproduce the paper. Tests: tests/test_notebook.py::test_claim_queries."""
        self.require_paper()
        for claim in self.claims:
            if claim.id == claim_id:
                return float("nan") if claim.value is None else float(claim.value)
        raise KeyError(f"claim {claim_id!r} is not in the claims file")

    def values(self, section: str) -> list[float]:
        """The printed values of a section of :data:`CLAIMS_SHOWN`, in its order.

        Tests: tests/test_notebook.py::test_claim_queries.
        """
        return [self.value(claim_id) for claim_id in CLAIMS_SHOWN[section]]

    def compare(self, section_or_ids: str | Sequence[str]) -> pd.DataFrame:
        """The paper's numbers beside this cohort's (:func:`spinemets.paper.scorecard.compare`),
        for a section of :data:`CLAIMS_SHOWN` or a list of claim ids; NotApplicable
        (:data:`NOT_PAPER`) for a cohort that does not reproduce the paper.
        Tests: tests/test_notebook.py::test_compare_a_section.
        """
        self.require_paper()
        if isinstance(section_or_ids, str):
            ids: Sequence[str] = CLAIMS_SHOWN[section_or_ids]
        else:
            ids = section_or_ids
        return scorecard.compare(self.cohort, list(ids), self.claims)


def _matches(claim: Claim, args: Mapping[str, object]) -> bool:
    given = claim.args
    return all(k in given and _same(given[k], v) for k, v in args.items())


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return a == b


def start(
    patients_file: str | Path = "",
    complications_file: str | Path = "",
    output_dir: str | Path = "",
    min_cell: int = 0,
    *,
    reproduces_paper: bool | None = None,
) -> Notebook:
    """Set up a notebook: quiet display, the cohort, the output folder, the claims.

    Empty file names mean the bundled synthetic cohort; ``output_dir`` empty means
    ``reports/interactive``; ``min_cell`` masks small counts (0: off). A cohort that
    fails validation raises :class:`~spinemets.cohort.CohortValidationError` (every
    problem listed). ``reproduces_paper`` defaults to True for the bundled cohort and for
    a cohort the runs file declares a reproduction of the paper
    (:data:`spinemets.paths.REPRODUCES_PAPER_ENV`); patient-level rows and free text are
    shown for the bundled cohort and where the runs file opts in
    (:data:`spinemets.paths.PATIENT_ROWS_ENV`), else withheld. Prints :meth:`Notebook.header`.
    Tests: tests/test_notebook.py::test_start_gives_every_notebook_the_same_objects.
    """
    setup()
    cohort = load_cohort(patients_file or None, complications_file or None)
    bundled = not patients_file and not complications_file
    declared = os.environ.get(paths.REPRODUCES_PAPER_ENV) == "1"
    opted_in = os.environ.get(paths.PATIENT_ROWS_ENV) == "1"
    nb = Notebook(
        cohort=cohort,
        out=RunOutput(output_dir, min_cell=min_cell, patient_rows=bundled or opted_in),
        claims=load_claims(),
        reproduces_paper=(bundled or declared) if reproduces_paper is None else reproduces_paper,
    )
    print(nb.header())
    if not nb.patient_rows:
        print("Patient-level rows and free text: not shown (runs file: patient_rows)")
    elif not bundled:
        print("Patient-level rows and free text: shown (the runs file opts in)")
    return nb


# ------------------------------------------------------------------ the cell guard

#: The guard's name in the notebook's namespace, and the names its code uses there.
GUARD_NAME = "__spinemets_guard__"
_VALUE = "__spinemets_value__"
_ERROR = "__spinemets_error__"


class CellGuard(ast.NodeTransformer):
    """An analysis that cannot apply to a cohort shows one line; the notebook goes on.

    An IPython AST transformer (``shell.ast_transformers``, IPython's public hook for
    rewriting a cell before it runs), installed by :func:`start`. Every later cell runs
    inside ``try``; a :class:`~spinemets.errors.SpinemetsError` it raises -- above all
    :class:`~spinemets.errors.NotApplicable` (one group, no events, too few patients,
    a model without a finite estimate, a comparison with the paper on another cohort)
    -- is shown as one line, "Cannot apply to this cohort: <reason>", with the output
    metadata ``{"spinemets": {"not_applicable": reason}}`` that the index reads
    (:mod:`spinemets.reports.story`). The names the cell assigns become unavailable, and
    a later cell that reads one of them is skipped silently (its own names become
    unavailable in turn), so that one reason is shown once and no cell fails on what an
    earlier one could not make. :class:`~spinemets.errors.ParameterError` and a cohort
    that fails validation still fail the notebook. A cell's last expression is shown as
    before. Tests: ``tests/test_cell_guard.py``.
    """

    def __init__(self) -> None:
        self.unavailable: dict[str, str] = {}
        self.reasons: list[str] = []

    @classmethod
    def install(cls) -> CellGuard | None:
        """Install a fresh guard in the running IPython shell (None outside IPython)."""
        shell = get_ipython()
        if shell is None:
            return None
        shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, cls)]
        guard = cls()
        shell.user_ns[GUARD_NAME] = guard
        shell.ast_transformers.append(guard)
        return guard

    # -- the rewriting, before a cell runs
    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not node.body:
            return node
        stored = sorted(_names(node, ast.Store) - {_VALUE, _ERROR})
        needed = _names(node, ast.Load) - set(stored)
        blocked = sorted(n for n in needed if n in self.unavailable)
        if blocked:
            skip = f"{GUARD_NAME}.skipped({stored!r}, {blocked[0]!r})"
            return ast.fix_missing_locations(ast.parse(skip))
        body, tail = list(node.body), []
        if isinstance(body[-1], ast.Expr):
            value = ast.Name(_VALUE, ast.Store())
            body[-1] = ast.copy_location(ast.Assign([value], body[-1].value), body[-1])
            tail = [ast.Expr(ast.Name(_VALUE, ast.Load()))]
        guarded = ast.parse(
            f"try:\n    pass\nexcept {GUARD_NAME}.kinds as {_ERROR}:\n"
            f"    {_VALUE} = {GUARD_NAME}.cannot_apply({_ERROR}, {stored!r})\n"
            f"else:\n    {GUARD_NAME}.applied({stored!r})\n"
        ).body[0]
        assert isinstance(guarded, ast.Try)
        guarded.body = body
        module = ast.Module(body=[guarded, *tail], type_ignores=[])
        return ast.fix_missing_locations(module)

    # -- what the rewritten cells call
    kinds = (SpinemetsError,)

    def cannot_apply(self, error: SpinemetsError, stored: list[str]) -> None:
        """Show the one line for ``error``; its cell's names become unavailable."""
        if isinstance(error, ParameterError | CohortValidationError):
            raise error
        reason = " ".join(str(error).split()) or type(error).__name__
        for name in stored:
            self.unavailable[name] = reason
        self.reasons.append(reason)
        text = f"Cannot apply to this cohort: {reason}"
        display(
            {
                "text/plain": text,
                "text/html": "<p><strong>Cannot apply to this cohort:</strong> "
                f"{html.escape(reason)}</p>",
            },
            raw=True,
            metadata={"spinemets": {"not_applicable": reason}},
        )

    def skipped(self, stored: list[str], blocked: str) -> None:
        """A cell that needs ``blocked``: not run; its names become unavailable too."""
        for name in stored:
            self.unavailable[name] = self.unavailable[blocked]

    def applied(self, stored: list[str]) -> None:
        """A cell that ran: its names are available again."""
        for name in stored:
            self.unavailable.pop(name, None)


def _names(node: ast.AST, context: type) -> set[str]:
    """The names a cell reads (``ast.Load``) or assigns (``ast.Store``), imports included."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}
    if context is ast.Store:
        for n in ast.walk(node):
            if isinstance(n, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in n.names}
            elif isinstance(n, ast.FunctionDef | ast.ClassDef):
                names.add(n.name)
    return names
