"""``spinemets report``: every run of a runs file, notebooks in parallel, never losing data.

For each selected run the batch

1. checks everything that can be checked before anything is written: the runs
   file (read within limits, :mod:`~spinemets.reports.runs`), the notebook
   selection, every parameter against the notebooks' declarations, that the
   cohort files exist, and that every path the run would write or replace in the
   output folder is free or the runner's own (:func:`~spinemets.reports.folders.folder_problems`:
   a folder of the user's with the run's name, an ``index.html`` the runner did
   not write, a cohort file inside a run folder) -- any problem stops the whole
   batch before anything is written (:class:`~spinemets.errors.SpinemetsError`,
   exit code 2);
2. takes a lock per run (:class:`~spinemets.reports.folders.RunLocks`, held until
   the batch ends; a run that another ``spinemets report`` is writing stops the
   batch at once, exit code 3), finishes a swap a killed runner left, and removes
   what dead runs left: their staging folders and private cohort copies;
3. loads and validates the run's cohort once (``spinemets.cohort``, with the
   run's ``mapping``, ``sheet``, ``complications_sheet`` and ``allow_identifiers``);
   a run whose cohort fails is not executed and its previous report stays in
   place. A run's own cohort is written, normalised, as plain CSV into a private
   temporary folder (:mod:`~spinemets.reports.cohorts`) removed at the end of
   the batch, and the notebooks read those files;
4. executes the run's notebooks with papermill into the marked staging folder
   ``<output>/.<run>.partial/`` (working directory: the project root, so that the
   project-relative paths passed as parameters mean the same to
   ``spinemets.paths.resolve`` and to a plain ``open``), exports HTML beside each,
   and the notebooks write ``tables/`` and ``figures/`` there (``output_dir``);
   each notebook has a time budget counted from its start (:mod:`~spinemets.reports.pool`);
5. when every notebook of the run succeeded, writes ``run.json`` (the runner's
   marker) and swaps the staging folder into ``<output>/<run>/``
   (:func:`~spinemets.reports.folders.promote`), then checks the report on disk
   is complete before saying ``ok``; otherwise the previous report is untouched
   and the staging folder is left for debugging (marked ``failed``; the next
   attempt replaces it).

Notebooks of all runs share one pool of ``jobs`` worker processes, so notebooks
must be independent of each other (each computes from the cohort). Finally
``<output>/index.html`` is rewritten from the run folders on disk, under the index
lock. SIGINT or SIGTERM stop the workers and kernels, remove the staging folders
and the private cohort copy, keep every previous report and raise
:class:`~spinemets.reports.interrupt.RunInterrupted` (exit code 130 / 143).

Exit codes: 0 all good; 1 a notebook failed; 2 bad input or an output folder that
cannot be used (nothing changed) or a cohort that failed validation; 3 a run is
being written by another ``spinemets report``; 130 / 143 interrupted.
Tested in ``tests/reports/`` (``test_reports.py``, ``test_pipeline.py`` and the rest).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from filelock import Timeout

from .. import paths
from ..errors import ParameterError, SpinemetsError
from .cohorts import (
    PLACEHOLDER,
    NormalisedCohorts,
    load_run_cohort,
    sweep_dead_private_folders,
)
from .execute import DEFAULT_TIMEOUT, KERNEL_NAME, NotebookTask, execute_task, warm_up
from .folders import (
    INDEX_NAME,
    MANIFEST_NAME,
    RUN_FORMAT,
    OutputFolderError,
    RunFolders,
    RunLocks,
    create_staging,
    explain_os_error,
    folder_problems,
    index_lock,
    mark_failed,
    promote,
    read_marker,
    recover,
    remove_runner_folder,
    shown_path,
    sweep_dead_runs,
)
from .index import write_index
from .interrupt import RunInterrupted, interruptible
from .notebooks import (
    COMMON_PARAMETERS,
    NotebookSpec,
    check_parameters,
    discover_notebooks,
    inspect_notebooks,
    notebook_parameters,
    select_notebooks,
)
from .pool import NotebookResult, WorkerPool
from .runs import Run, RunsFileError, load_runs

#: The default runs file: the paper on the bundled synthetic cohort.
DEFAULT_RUNS_FILE = paths.REPORTS_DIR / "runs.yaml"

#: ``run -> Cohort | None``: the run's validated cohort (default
#: :func:`~spinemets.reports.cohorts.load_run_cohort`), or None to pass the run's
#: files to the notebooks unchanged; raises SpinemetsError listing the problems
#: when the cohort is invalid.
CohortLoader = Callable[[Run], Any]

#: What an interruption leaves, said in the one line the command line prints.
INTERRUPTED = (
    "the notebooks and their kernels were stopped, this batch's staging folders and "
    "private cohort copy removed; every previous report is kept"
)


def runner_path(path: Path) -> str:
    """A path as passed to a notebook: project-relative inside the project, else absolute.

    ``spinemets.paths.resolve`` reads relative paths from the project root, and the
    notebooks run with the project root as working directory, so outputs carry no
    user-specific absolute path for anything inside the repository.
    """
    try:
        return path.resolve().relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path.resolve())


@dataclass
class RunPlan:
    """A run, checked and ready: its notebooks, folders and tasks."""

    run: Run
    notebooks: list[NotebookSpec]
    folders: RunFolders
    tasks: list[NotebookTask] = field(default_factory=list)
    #: Whether the run's cohort is synthetic (bundled, or marked in its file).
    synthetic: bool = False

    @property
    def final_dir(self) -> Path:
        return self.folders.final

    @property
    def staging_dir(self) -> Path:
        return self.folders.staging


@dataclass
class RunOutcome:
    """The end of one run: ``status`` is ``ok``, ``failed`` or ``invalid-cohort``."""

    name: str
    status: str
    folder: Path
    notebooks: int
    messages: list[str] = field(default_factory=list)


@dataclass
class BatchSummary:
    """Every run's outcome and the index written."""

    outcomes: list[RunOutcome]
    index: Path

    @property
    def exit_code(self) -> int:
        statuses = {o.status for o in self.outcomes}
        return 2 if "invalid-cohort" in statuses else 1 if "failed" in statuses else 0


def plan_runs(
    runs_file: str | Path,
    *,
    output_dir: str | Path,
    run_names: list[str] | None = None,
    notebooks_dir: str | Path = paths.NOTEBOOKS_DIR,
    timeout: float = DEFAULT_TIMEOUT,
    kernel: str = KERNEL_NAME,
) -> list[RunPlan]:
    """Check every selected run and the output folder; raise before anything is written."""
    runs = load_runs(runs_file).select(run_names)
    notebooks = discover_notebooks(notebooks_dir)
    if not notebooks:
        raise RunsFileError(
            f"{paths.display_path(notebooks_dir)}: no numbered notebooks (NN_name.ipynb)"
        )
    specs = inspect_notebooks(notebooks)
    output_dir = Path(output_dir).resolve()
    plans: list[RunPlan] = []
    problems: list[SpinemetsError] = []
    for run in runs:
        try:
            selected = select_notebooks(run, specs)
            check_parameters(run, selected)
            _check_cohort_exists(run)
        except SpinemetsError as error:
            problems.append(error)
            continue
        plan = RunPlan(run, selected, RunFolders(output_dir, run.name))
        plan.synthetic = run.bundled_cohort
        patients, complications = run.cohort_files()
        if run.bundled_cohort:
            _set_tasks(plan, "", "", kernel=kernel, timeout=timeout)
        else:
            _set_tasks(plan, runner_path(patients), runner_path(complications), kernel, timeout)
        plans.append(plan)
    if problems:
        kind = ParameterError if all(isinstance(p, ParameterError) for p in problems) else None
        raise (kind or RunsFileError)("\n".join(map(str, problems)))
    inputs = {
        plan.run.where: {
            **plan.run.input_files(),
            **{f"notebooks.{spec.stem}": spec.path for spec in plan.notebooks},
        }
        for plan in plans
    }
    problems_on_disk = folder_problems(output_dir, [p.run.name for p in plans], inputs)
    if problems_on_disk:
        raise OutputFolderError("\n".join(problems_on_disk))
    return plans


def staging_aliases(folders: RunFolders) -> tuple[tuple[str, str], ...]:
    """How executed notebooks name the staging folder: as the run's folder, where the
    report is once complete (``reports/.paper.partial`` -> ``reports/paper``).

    The notebooks write into the staging folder (``output_dir``) and print it; the
    report a reader opens is the run's folder, so that is what they read. The
    absolute path goes first (shown project-relative, or by its name outside the
    project, as :func:`spinemets.paths.display_path` shows paths), then the folder's
    name wherever else it appears.
    """
    staging = folders.staging.resolve()
    final = folders.final.resolve()
    return ((str(staging), paths.display_path(final)), (staging.name, final.name))


def _set_tasks(
    plan: RunPlan,
    patients_file: str,
    complications_file: str,
    kernel: str,
    timeout: float,
) -> None:
    aliases = staging_aliases(plan.folders)
    common = {
        "patients_file": patients_file,
        "complications_file": complications_file,
        "output_dir": runner_path(plan.staging_dir),
    }
    plan.tasks = [
        NotebookTask(
            label=f"{plan.run.name}/{spec.stem}",
            source=spec.path,
            output=plan.staging_dir / spec.path.name,
            cwd=paths.PROJECT_ROOT,
            parameters=notebook_parameters(spec, plan.run.parameters, common),
            kernel=kernel,
            timeout=timeout,
            aliases=aliases,
        )
        for spec in plan.notebooks
    ]


def _use_normalised(plan: RunPlan, files: tuple[Path, Path], root: Path) -> None:
    """Point the run's notebooks at its normalised cohort files (in ``root``)."""
    for i, task in enumerate(plan.tasks):
        parameters = dict(task.parameters)
        for name, path in zip(("patients_file", "complications_file"), files, strict=True):
            if name in parameters:
                parameters[name] = str(path)
        aliases = ((str(root), PLACEHOLDER), *task.aliases)
        plan.tasks[i] = replace(task, parameters=parameters, aliases=aliases)


def _check_cohort_exists(run: Run) -> None:
    for key, path in zip(("patients", "complications"), run.cohort_files(), strict=True):
        if not path.is_file():
            what = "the bundled synthetic cohort is missing" if run.bundled_cohort else "not found"
            raise RunsFileError(f"{run.where}.{key}: {what}: {paths.display_path(path)}")


def run_reports(
    runs_file: str | Path = DEFAULT_RUNS_FILE,
    *,
    output_dir: str | Path = paths.REPORTS_DIR,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    run_names: list[str] | None = None,
    notebooks_dir: str | Path = paths.NOTEBOOKS_DIR,
    kernel: str = KERNEL_NAME,
    cohort_loader: CohortLoader | None = None,
    stream: TextIO | None = None,
) -> BatchSummary:
    """Execute every selected run of ``runs_file`` into ``output_dir``; see the module doc.

    ``cohort_loader`` defaults to :func:`~spinemets.reports.cohorts.load_run_cohort`;
    progress and the summary go to ``stream`` (default standard output). Raises
    SpinemetsError subclasses only: ``RunsFileError``/``ParameterError``/
    ``OutputFolderError`` (exit code 2), ``RunBusyError`` (3), ``RunInterrupted``.
    """
    out = stream or sys.stdout
    loader = cohort_loader or load_run_cohort
    jobs = jobs or os.cpu_count() or 1
    output_dir = Path(output_dir).resolve()
    with interruptible():
        try:
            plans = plan_runs(
                runs_file,
                output_dir=output_dir,
                run_names=run_names,
                notebooks_dir=notebooks_dir,
                timeout=timeout,
                kernel=kernel,
            )
            return _run_batch(plans, output_dir, loader, jobs, timeout, out)
        except RunInterrupted as error:
            raise RunInterrupted(error.signum, INTERRUPTED) from error
        except Timeout as error:
            raise OutputFolderError(
                f"{shown_path(output_dir / INDEX_NAME)}: another spinemets report held the "
                "index's lock for over a minute; nothing else was changed: try again"
            ) from error
        except OSError as error:
            raise OutputFolderError(explain_os_error(error, output_dir)) from error


def _run_batch(
    plans: list[RunPlan],
    output_dir: Path,
    loader: CohortLoader,
    jobs: int,
    timeout: float,
    out: TextIO,
) -> BatchSummary:
    names = [plan.run.name for plan in plans]
    output_dir.mkdir(parents=True, exist_ok=True)
    with RunLocks(output_dir, names):
        problems = folder_problems(output_dir, names)  # again, now that nobody else can write
        if problems:
            raise OutputFolderError("\n".join(problems))
        for plan in plans:
            recover(plan.folders)
        sweep_dead_runs(output_dir, skip=names)
        sweep_dead_private_folders()
        staged: list[RunPlan] = []
        promoted: list[RunPlan] = []
        workers = min(jobs, sum(len(plan.tasks) for plan in plans))
        try:
            with (
                NormalisedCohorts() as cohorts,
                WorkerPool(execute_task, jobs, cohorts.worker_environment(), warm_up) as pool,
            ):
                pool.start(workers)  # they start while the cohorts load
                outcomes = _execute(
                    plans, cohorts, pool, loader, jobs, timeout, out, staged, promoted
                )
        except BaseException:
            for plan in staged:
                remove_runner_folder(plan.staging_dir)
            if promoted:
                _rewrite_index_quietly(output_dir)
            raise
        with index_lock(output_dir):
            index = write_index(output_dir)
    summary = BatchSummary([outcomes[p.run.name] for p in plans], index)
    _print_summary(out, summary)
    return summary


def _rewrite_index_quietly(output_dir: Path) -> None:
    """After an interruption: the index lists the runs that did complete (best effort)."""
    try:
        with index_lock(output_dir):
            write_index(output_dir)
    except (OSError, Timeout):
        pass


def _execute(
    plans: list[RunPlan],
    cohorts: NormalisedCohorts,
    pool: WorkerPool,
    loader: CohortLoader,
    jobs: int,
    timeout: float,
    out: TextIO,
    staged: list[RunPlan],
    promoted: list[RunPlan],
) -> dict[str, RunOutcome]:
    """Load each run's cohort, then execute the notebooks of the valid runs.

    ``staged`` and ``promoted`` are filled as staging folders are made and reports
    put in place, so that the caller can clean up whatever happens.
    """
    outcomes: dict[str, RunOutcome] = {}
    ready = []
    for plan in plans:
        try:
            cohort = loader(plan.run)
        except SpinemetsError as error:
            outcomes[plan.run.name] = RunOutcome(
                plan.run.name, "invalid-cohort", plan.final_dir, len(plan.tasks), [str(error)]
            )
            continue
        if cohort is not None:
            plan.synthetic = bool(cohort.is_synthetic)
            if not plan.run.bundled_cohort:
                files = cohorts.write(plan.run.name, cohort)
                _use_normalised(plan, files, cohorts.root)
        staged.append(plan)
        create_staging(plan.folders)
        ready.append(plan)

    tasks = [task for plan in ready for task in plan.tasks]
    _print(
        out,
        f"spinemets report: {len(ready)} run(s), {len(tasks)} notebook(s), "
        f"{min(jobs, max(len(tasks), 1))} at a time, {timeout:g} s budget per notebook",
    )
    pending = {plan.run.name: len(plan.tasks) for plan in ready}
    failures: dict[str, list[NotebookResult]] = {plan.run.name: [] for plan in ready}
    by_name = {plan.run.name: plan for plan in ready}
    width = max((len(t.label) for t in tasks), default=0)
    for done, result in enumerate(pool.run(tasks), start=1):
        status = "ok" if result.ok else "FAILED"
        line = f"[{done:>{len(str(len(tasks)))}}/{len(tasks)}] {result.label:<{width}}  "
        line += f"{status:<6} {result.seconds:6.1f} s"
        _print(out, line + (f"  {result.error}" if result.error else ""))
        name = result.label.split("/", 1)[0]
        if not result.ok:
            failures[name].append(result)
        pending[name] -= 1
        if pending[name] == 0:
            outcomes[name] = _finish_run(by_name[name], failures[name], promoted)
    return outcomes


def _finish_run(
    plan: RunPlan, failures: list[NotebookResult], promoted: list[RunPlan]
) -> RunOutcome:
    """Put a run's report in place when it is complete; say ``ok`` only when it is on disk."""
    name = plan.run.name
    messages = [f"{r.label.split('/', 1)[1]}: {r.error}" for r in sorted(failures, key=_label)]
    missing = missing_outputs(plan, plan.staging_dir)
    if missing and not failures:
        messages = [f"incomplete: {', '.join(missing)} missing"]
    if messages:
        mark_failed(plan.folders)
        return RunOutcome(name, "failed", plan.staging_dir, len(plan.tasks), messages)
    with index_lock(plan.folders.output):
        promote(plan.folders, manifest(plan))
    promoted.append(plan)
    missing = missing_outputs(plan, plan.final_dir)
    if read_marker(plan.final_dir) is None:
        missing.insert(0, MANIFEST_NAME)
    if missing:
        message = f"the report on disk is incomplete: {', '.join(missing)} missing"
        return RunOutcome(name, "failed", plan.final_dir, len(plan.tasks), [message])
    return RunOutcome(name, "ok", plan.final_dir, len(plan.tasks))


def missing_outputs(plan: RunPlan, folder: Path) -> list[str]:
    """The executed notebooks and HTML pages of ``plan`` that ``folder`` lacks."""
    missing = []
    for spec in plan.notebooks:
        for name in (spec.path.name, f"{spec.stem}.html"):
            if not (folder / name).is_file():
                missing.append(name)
    return missing


def _label(result: NotebookResult) -> str:
    return result.label


def manifest(plan: RunPlan) -> dict[str, Any]:
    """What ``run.json`` records about a run (read by the index; no time stamps).

    ``format`` is the runner's marker (:data:`~spinemets.reports.folders.RUN_FORMAT`):
    only a folder carrying it is ever replaced. ``notebooks`` holds one record per
    executed notebook (its stem and the runs-file parameters it received): the
    place for further per-notebook facts.
    """
    run = plan.run
    record: dict[str, Any] = {
        "format": RUN_FORMAT,
        "name": run.name,
        "description": run.description,
        "cohort": run.cohort_label(),
        "synthetic": plan.synthetic,
        "parameters": dict(run.parameters),
        "notebooks": [
            {
                "stem": spec.stem,
                "parameters": {
                    k: v
                    for k, v in notebook_parameters(spec, run.parameters, {}).items()
                    if k not in COMMON_PARAMETERS
                },
            }
            for spec in plan.notebooks
        ],
        "runs_file": run.runs_file,
    }
    options = {
        "mapping": paths.display_path(run.mapping) if run.mapping else None,
        "sheet": run.sheet,
        "complications_sheet": run.complications_sheet,
        "allow_identifiers": run.allow_identifiers or None,
    }
    if any(v is not None for v in options.values()):
        record["cohort_options"] = {k: v for k, v in options.items() if v is not None}
    return record


def _print(out: TextIO, line: str) -> None:
    """Print a progress line; a closed pipe (``spinemets report | head``) stops the printing,
    not the batch."""
    try:
        print(line, file=out, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())  # later writes (and the flush at exit) go nowhere
        os.close(devnull)


def _print_summary(out: TextIO, summary: BatchSummary) -> None:
    _print(out, "\nSummary")
    width = max((len(o.name) for o in summary.outcomes), default=0)
    for o in summary.outcomes:
        shown = paths.display_path(o.folder)
        if o.status == "ok":
            text = f"ok      {o.notebooks} notebook(s) -> {shown}/"
        elif o.status == "failed" and o.folder.name.endswith(".partial"):
            what = (
                f"{len(o.messages)} of {o.notebooks} notebook(s) failed"
                if not o.messages[0].startswith("incomplete: ")
                else "the report is incomplete"
            )
            text = f"FAILED  {what}; the previous report is kept; partial output in {shown}/"
        elif o.status == "failed":
            text = f"FAILED  {shown}/ is not complete"
        else:
            text = "NOT RUN the cohort failed validation; the previous report is kept"
        _print(out, f"  {o.name:<{width}}  {text}")
        for message in o.messages:
            for line in message.splitlines():
                _print(out, f"  {'':<{width}}    {line}")
    _print(out, f"index: {paths.display_path(summary.index)}")


__all__ = [
    "DEFAULT_RUNS_FILE",
    "INDEX_NAME",
    "BatchSummary",
    "CohortLoader",
    "RunOutcome",
    "RunPlan",
    "manifest",
    "missing_outputs",
    "plan_runs",
    "run_reports",
    "runner_path",
    "staging_aliases",
]
