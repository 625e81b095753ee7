"""A run's cohort, loaded once and handed to the notebooks in the plain format.

The batch loads and validates each run's cohort once, with the run's options
(``mapping``, ``sheet``, ``complications_sheet``, ``allow_identifiers``), and
writes the **normalised** tables -- the format's columns in order and no other
(not even those a mapping keeps: ``Cohort.format_only()``); months (derived from dates when the file gave dates); codes as the
format spells them; identifier and date columns dropped -- as plain UTF-8 CSV
into a private temporary folder outside ``reports/``. The notebooks read those
files as ``patients_file`` / ``complications_file``, so every notebook accepts
Excel, dates and mappings without knowing about them. The folder is created
readable by its owner only and removed at the end of the batch, even when the
batch fails.

A synthetic cohort stays synthetic: the normalised patients table then carries
a ``synthetic`` column equal to 1 on every row, the cohort module's own marker.
The bundled cohort is not rewritten: its notebooks get ``""`` as before.
Tested in ``tests/test_byoc.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pandas as pd

from .runs import Run

if TYPE_CHECKING:  # spinemets.cohort (pandera) is imported only when a batch loads a cohort
    from ..cohort import Cohort

#: What an executed notebook shows instead of the temporary folder's absolute path.
PLACEHOLDER = "<temporary normalised copy>"


def load_run_cohort(run: Run) -> Cohort:
    """Load and validate a run's cohort with its options (bundled cohort for ``None``).

    Raises ``CohortValidationError`` (a SpinemetsError listing every problem).
    """
    from ..cohort import load_cohort

    return load_cohort(
        run.patients,
        run.complications,
        sheet=run.sheet,
        complications_sheet=run.complications_sheet,
        mapping_file=run.mapping,
        allow_identifiers=run.allow_identifiers,
    )


def _csv(frame: pd.DataFrame) -> str:
    # Default float formatting is repr (shortest round-trip): reading the file back
    # gives the very same floats, so the notebooks compute what the loader computed.
    return frame.to_csv(index=False, lineterminator="\n")


def write_normalised(cohort: Cohort, folder: Path) -> tuple[Path, Path]:
    """Write a loaded cohort's two tables as plain CSV in ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    cohort = cohort.format_only()
    patients = cohort.patients.copy()
    if cohort.is_synthetic:
        patients["synthetic"] = 1
    p_path, c_path = folder / "patients.csv", folder / "complications.csv"
    p_path.write_text(_csv(patients), encoding="utf-8")
    c_path.write_text(_csv(cohort.complications), encoding="utf-8")
    return p_path, c_path


@dataclass
class NormalisedCohorts:
    """A private temporary folder holding each run's normalised cohort.

    A context manager: the folder (``mkdtemp``, mode 0700, outside the project)
    exists inside the ``with`` block and is removed on leaving it, whatever happens.
    """

    root: Path | None = None

    def __enter__(self) -> NormalisedCohorts:
        self.root = Path(tempfile.mkdtemp(prefix="spinemets-cohorts-")).resolve()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def write(self, run_name: str, cohort: Cohort) -> tuple[Path, Path]:
        """The run's normalised tables, written under ``<root>/<run name>/``."""
        if self.root is None:
            raise RuntimeError("NormalisedCohorts used outside its with block")
        return write_normalised(cohort, self.root / run_name)
