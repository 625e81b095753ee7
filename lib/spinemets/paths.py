"""Where the repository's files are, independent of the working directory.

papermill and pytest run notebooks from whatever directory the caller is in, so
every path the package uses is resolved from this file's location (the package
is installed in editable mode from ``lib/``), never from ``os.getcwd()``.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
DATA_DIR: Path = PROJECT_ROOT / "data"
SYNTHETIC_DIR: Path = DATA_DIR / "synthetic"
PUBLISHED_DIR: Path = DATA_DIR / "published"
PRIVATE_DIR: Path = DATA_DIR / "private"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"

#: The bundled, reconstructed (synthetic) cohort.
SYNTHETIC_PATIENTS: Path = SYNTHETIC_DIR / "patients.csv"
SYNTHETIC_COMPLICATIONS: Path = SYNTHETIC_DIR / "complications.csv"
#: Every numeric statement of the paper, machine-readable.
CLAIMS_FILE: Path = PUBLISHED_DIR / "ptashnikov2020.yaml"
#: A referee's reading of the paper's inference against STROBE (spinemets.paper.referee).
STROBE_REVIEW_FILE: Path = PUBLISHED_DIR / "ptashnikov2020_strobe_review.yaml"
#: Where notebooks opened interactively (not through ``spinemets report``) write.
INTERACTIVE_OUTPUT_DIR: Path = REPORTS_DIR / "interactive"
#: The environment variable that names the file where ``RunOutput`` lists every file it
#: writes (set by ``spinemets report`` for each notebook it executes; ``spinemets.output``).
WRITTEN_FILES_ENV: str = "SPINEMETS_WRITTEN_FILES"
#: Set to ``1`` by ``spinemets report`` when a run's runs file opts in to patient-level rows
#: and free text in its report (``patient_rows: true``), ``0`` for a user's cohort without
#: it (``spinemets.output``, ``spinemets.notebook``; reports/README.md, "Data minimisation").
PATIENT_ROWS_ENV: str = "SPINEMETS_PATIENT_ROWS"
#: Set to ``1`` by ``spinemets report`` when a run's runs file declares its cohort a
#: reproduction of the paper (``reproduces_paper: true``): the notebooks' comparisons with
#: the paper's printed numbers then apply to it (``spinemets.notebook``).
REPRODUCES_PAPER_ENV: str = "SPINEMETS_REPRODUCES_PAPER"


def resolve(path: str | Path | None, default: Path) -> Path:
    """Resolve a user-given path; empty or None gives ``default``.

    A relative path is taken relative to the project root (not the working
    directory), so a notebook's parameters mean the same thing under JupyterLab,
    papermill and pytest.
    """
    if path is None or str(path) == "":
        return default
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def display_path(path: str | Path) -> str:
    """A path as shown to readers: relative to the project root when inside it.

    Outputs must not carry machine-specific absolute paths (user names, home
    folders), so anything inside the repository is shown relative to its root
    and anything outside it by its file name only.
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return p.name
