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
4. decides, per notebook, whether anything it depends on changed since a stored
   result (:mod:`~spinemets.reports.cache`: its code, parameters, the cohort's
   bytes, the bundled data, the package, the environment): an unchanged notebook
   is copied from the run's cache into the staging folder (*reused*), one whose
   text alone changed is re-rendered without a kernel, and the others are
   executed (all of them with ``force``);
5. executes the run's remaining notebooks with papermill into the marked staging folder
   ``<output>/.<run>.partial/`` (working directory: the project root, so that the
   project-relative paths passed as parameters mean the same to
   ``spinemets.paths.resolve`` and to a plain ``open``), exports HTML beside each,
   and the notebooks write ``tables/`` and ``figures/`` there (``output_dir``);
   each notebook has a time budget counted from its start (:mod:`~spinemets.reports.pool`);
6. when every notebook of the run succeeded, keeps the new results in the run's
   cache, writes ``run.json`` (the runner's marker; per notebook: executed, reused
   or re-rendered, its input digests and the files it wrote) and swaps the
   staging folder into ``<output>/<run>/``
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

import itertools
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from filelock import Timeout

from .. import paths
from ..errors import ParameterError, SpinemetsError
from .cache import (
    EXECUTED,
    REUSED,
    Decision,
    Inputs,
    RunCache,
    cohort_digest,
    data_digest,
    environment_digest,
    notebook_digests,
    package_digest,
    parameters_digest,
    report_keys,
)
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
    STAGING_MARKER,
    OutputFolderError,
    RunFolders,
    RunLocks,
    create_staging,
    explain_os_error,
    folder_problems,
    index_lock,
    mark_failed,
    orphaned_cache,
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
class NotebookRecord:
    """One notebook of a run, as the cache sees it: its inputs, what was done, its files."""

    inputs: Inputs
    decision: Decision
    #: ``executed``, ``reused`` or ``re-rendered``, once known.
    how: str = EXECUTED
    #: The tables and figures it wrote (report-relative), once known.
    outputs: tuple[str, ...] = ()


@dataclass
class RunPlan:
    """A run, checked and ready: its notebooks, folders and tasks."""

    run: Run
    notebooks: list[NotebookSpec]
    folders: RunFolders
    tasks: list[NotebookTask] = field(default_factory=list)
    #: Whether the run's cohort is synthetic (bundled, or marked in its file).
    synthetic: bool = False
    #: The cohort files handed to the notebooks (their bytes are an input of each).
    cohort_files: tuple[Path, ...] = ()
    #: Per notebook stem, its inputs and what became of it (filled by the batch).
    records: dict[str, NotebookRecord] = field(default_factory=dict)

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


@dataclass(frozen=True)
class CacheUse:
    """How a batch uses the runs' caches: ``force`` executes every notebook (and keeps
    the new results); ``off`` (``--no-cache``) also deletes the runs' caches and keeps
    nothing."""

    force: bool = False
    off: bool = False


@dataclass(frozen=True)
class BatchInputs:
    """The inputs every notebook of a batch shares, as digests (:mod:`~spinemets.reports.cache`)."""

    data: str
    package: str
    environment: str

    @classmethod
    def now(cls, kernel: str) -> BatchInputs:
        return cls(data_digest(), package_digest(), environment_digest(kernel))


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
    force: bool = False,
    no_cache: bool = False,
) -> BatchSummary:
    """Execute every selected run of ``runs_file`` into ``output_dir``; see the module doc.

    ``cohort_loader`` defaults to :func:`~spinemets.reports.cohorts.load_run_cohort`;
    progress and the summary go to ``stream`` (default standard output). ``force``
    executes every notebook even when a stored result has the same inputs;
    ``no_cache`` does too, and deletes the runs' caches and stores nothing
    (:class:`CacheUse`). Raises SpinemetsError subclasses only:
    ``RunsFileError``/``ParameterError``/``OutputFolderError`` (exit code 2),
    ``RunBusyError`` (3), ``RunInterrupted``.
    """
    out = stream or sys.stdout
    loader = cohort_loader or load_run_cohort
    jobs = jobs or os.cpu_count() or 1
    output_dir = Path(output_dir).resolve()
    use = CacheUse(force=force or no_cache, off=no_cache)
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
            return _run_batch(plans, output_dir, loader, jobs, timeout, out, use, kernel)
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
    use: CacheUse,
    kernel: str,
) -> BatchSummary:
    names = [plan.run.name for plan in plans]
    output_dir.mkdir(parents=True, exist_ok=True)
    with RunLocks(output_dir, names):
        problems = folder_problems(output_dir, names)  # again, now that nobody else can write
        if problems:
            raise OutputFolderError("\n".join(problems))
        for plan in plans:
            recover(plan.folders)
            if use.off or orphaned_cache(plan.folders):
                RunCache(plan.folders).remove()
        sweep_dead_runs(output_dir, skip=names)
        sweep_dead_private_folders()
        shared = BatchInputs.now(kernel)
        staged: list[RunPlan] = []
        promoted: list[RunPlan] = []
        workers = min(jobs, sum(_likely_executed(plan, shared, use) for plan in plans))
        try:
            with (
                NormalisedCohorts() as cohorts,
                WorkerPool(execute_task, jobs, cohorts.worker_environment(), warm_up) as pool,
            ):
                pool.start(workers)  # they start while the cohorts load
                outcomes = _execute(
                    plans, cohorts, pool, loader, jobs, timeout, out, staged, promoted, shared, use
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


def _likely_executed(plan: RunPlan, shared: BatchInputs, use: CacheUse) -> int:
    """How many of the run's notebooks have no stored result of the same notebook, code,
    data, package and environment (the cohort and parameters are known later): workers
    are started for those while the cohorts load, more only if needed."""
    if use.force:
        return len(plan.tasks)
    stored = [entry.inputs for entry in RunCache(plan.folders).entries().values()]
    count = 0
    for spec in plan.notebooks:
        _, code = notebook_digests(spec.path)
        if not any(
            (i.code, i.data, i.package, i.environment)
            == (code, shared.data, shared.package, shared.environment)
            for i in stored
        ):
            count += 1
    return count


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
    shared: BatchInputs,
    use: CacheUse,
) -> dict[str, RunOutcome]:
    """Load each run's cohort, reuse what is unchanged, execute the rest of the valid runs.

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
        plan.cohort_files = plan.run.cohort_files()
        if cohort is not None:
            plan.synthetic = bool(cohort.is_synthetic)
            if not plan.run.bundled_cohort:
                files = cohorts.write(plan.run.name, cohort)
                _use_normalised(plan, files, cohorts.root)
                plan.cohort_files = files
        staged.append(plan)
        create_staging(plan.folders)
        ready.append(plan)

    total = sum(len(plan.tasks) for plan in ready)
    reused: list[NotebookTask] = []
    to_run: list[NotebookTask] = []
    for plan in ready:
        for task in _decide(plan, cohorts, shared, use):
            (reused if plan.records[_stem(task)].how == REUSED else to_run).append(task)
    rerendered = sum(task.outputs_from is not None for task in to_run)
    counts = [f"{len(reused)} reused"] if reused else []
    counts += [f"{rerendered} to re-render"] if rerendered else []
    _print(
        out,
        f"spinemets report: {len(ready)} run(s), {total} notebook(s)"
        + (f" ({', '.join(counts)})" if counts else "")
        + (
            f", {min(jobs, len(to_run))} at a time, {timeout:g} s budget per notebook"
            if to_run
            else ", nothing to execute"
        ),
    )
    pending = {plan.run.name: len(plan.tasks) for plan in ready}
    failures: dict[str, list[NotebookResult]] = {plan.run.name: [] for plan in ready}
    by_name = {plan.run.name: plan for plan in ready}
    width = max((len(t.label) for plan in ready for t in plan.tasks), default=0)
    restored = (NotebookResult(task.label, True, 0.0, executed=False) for task in reused)
    for done, result in enumerate(itertools.chain(restored, pool.run(to_run)), start=1):
        name, stem = result.label.split("/", 1)
        record = by_name[name].records[stem]
        if result.ok and not result.executed:
            record.how = record.decision.how
        elif record.how != REUSED:
            record.how = EXECUTED
        status = "FAILED" if not result.ok else "ok" if record.how == EXECUTED else record.how
        line = f"[{done:>{len(str(total))}}/{total}] {result.label:<{width}}  "
        line += f"{status:<11} {result.seconds:6.1f} s"
        _print(out, line + (f"  {result.error}" if result.error else ""))
        if not result.ok:
            failures[name].append(result)
        pending[name] -= 1
        if pending[name] == 0:
            outcomes[name] = _finish_run(by_name[name], failures[name], promoted, use, out)
    return outcomes


def _stem(task: NotebookTask) -> str:
    return task.label.split("/", 1)[1]


def _decide(
    plan: RunPlan, cohorts: NormalisedCohorts, shared: BatchInputs, use: CacheUse
) -> list[NotebookTask]:
    """Each notebook's inputs and what to do with it; reused ones are copied into the
    staging folder now. Returns the run's tasks, re-rendering ones carrying the stored
    notebook (``outputs_from``), all of them listing the files they write."""
    cache = RunCache(plan.folders)
    cohort = cohort_digest(plan.cohort_files)
    report = paths.display_path(plan.final_dir)
    tasks = []
    for spec, task in zip(plan.notebooks, plan.tasks, strict=True):
        notebook, code = notebook_digests(spec.path)
        inputs = Inputs(
            code=code,
            parameters=parameters_digest(task.parameters, task.aliases, report),
            cohort=cohort,
            data=shared.data,
            package=shared.package,
            environment=shared.environment,
            notebook=notebook,
        )
        decision = Decision(EXECUTED) if use.force else cache.decide(spec.stem, inputs)
        record = plan.records[spec.stem] = NotebookRecord(inputs, decision)
        written = cohorts.root / "written" / plan.run.name / f"{spec.stem}.jsonl"
        task = replace(task, written_files=written)
        entry = decision.entry
        if entry is not None and decision.how == REUSED:
            cache.restore(entry, plan.staging_dir, entry.files)
            record.how, record.outputs = REUSED, entry.outputs
        elif entry is not None:
            cache.restore(entry, plan.staging_dir, entry.outputs)
            ipynb = task.output.name
            task = replace(task, outputs_from=entry.stored(ipynb))
            record.outputs = entry.outputs
        tasks.append(task)
    plan.tasks = tasks
    return tasks


def _finish_run(
    plan: RunPlan,
    failures: list[NotebookResult],
    promoted: list[RunPlan],
    use: CacheUse = CacheUse(),
    out: TextIO | None = None,
) -> RunOutcome:
    """Put a run's report in place when it is complete; say ``ok`` only when it is on disk.

    Before that, the notebooks that succeeded are kept in the run's cache
    (:func:`_keep_results`); afterwards the cache is pruned to what the report in
    place and this attempt use.
    """
    name = plan.run.name
    messages = [f"{r.label.split('/', 1)[1]}: {r.error}" for r in sorted(failures, key=_label)]
    failed = {r.label.split("/", 1)[1] for r in failures}
    kept = _keep_results(plan, failed, use, out) if plan.records else set()
    missing = missing_outputs(plan, plan.staging_dir)
    if missing and not failures:
        messages = [f"incomplete: {', '.join(missing)} missing"]
    if messages:
        mark_failed(plan.folders)
        if plan.records and not use.off:
            RunCache(plan.folders).prune(kept | report_keys(read_marker(plan.final_dir)))
        return RunOutcome(name, "failed", plan.staging_dir, len(plan.tasks), messages)
    with index_lock(plan.folders.output):
        promote(plan.folders, manifest(plan))
    promoted.append(plan)
    if plan.records and not use.off:
        RunCache(plan.folders).prune(kept)
    missing = missing_outputs(plan, plan.final_dir)
    if read_marker(plan.final_dir) is None:
        missing.insert(0, MANIFEST_NAME)
    if missing:
        message = f"the report on disk is incomplete: {', '.join(missing)} missing"
        return RunOutcome(name, "failed", plan.final_dir, len(plan.tasks), [message])
    return RunOutcome(name, "ok", plan.final_dir, len(plan.tasks))


def _keep_results(plan: RunPlan, failed: set[str], use: CacheUse, out: TextIO | None) -> set[str]:
    """Record what each notebook wrote and store the new results in the run's cache.

    A notebook's tables and figures are those ``RunOutput`` listed while it ran
    (:data:`spinemets.paths.WRITTEN_FILES_ENV`), or its stored result's. A result
    is stored only when it is complete and its own: a file in the staging folder
    that no notebook listed (written without ``RunOutput``) keeps every new result
    of the run out of the cache, and so does a file two notebooks wrote, for those
    two. Returns the keys of the run's results now in the cache.
    """
    staging = plan.staging_dir.resolve()
    claims: dict[str, list[str]] = {}
    listed_all = True
    for spec, task in zip(plan.notebooks, plan.tasks, strict=True):
        record = plan.records[spec.stem]
        if record.how == EXECUTED:
            listed = _written(task.written_files, staging)
            listed_all &= listed is not None
            record.outputs = tuple(listed or ())
        for name in record.outputs:
            claims.setdefault(name, []).append(spec.stem)
    own = {STAGING_MARKER}
    for spec in plan.notebooks:
        own |= {spec.path.name, f"{spec.stem}.html"}
    unclaimed = sorted(
        p.relative_to(staging).as_posix()
        for p in staging.rglob("*")
        if p.is_file() and p.relative_to(staging).as_posix() not in own | set(claims)
    )
    shared_files = {stem for stems in claims.values() if len(stems) > 1 for stem in stems}
    cache = RunCache(plan.folders)
    kept = set()
    new_results = not unclaimed and listed_all
    if not use.off and (unclaimed or shared_files) and out is not None:
        what = (
            f"{', '.join(unclaimed[:3])}{' ...' if len(unclaimed) > 3 else ''} written "
            "without RunOutput"
            if unclaimed
            else f"{', '.join(sorted(shared_files))} write the same files"
        )
        _print(out, f"  note: {plan.run.name}: new results not cached: {what}")
    for spec in plan.notebooks:
        record = plan.records[spec.stem]
        key = record.inputs.key(spec.stem)
        if use.off or spec.stem in failed:
            continue
        if record.how == REUSED:
            kept.add(key)
        elif new_results and spec.stem not in shared_files:
            names = [spec.path.name, f"{spec.stem}.html", *record.outputs]
            if all((plan.staging_dir / n).is_file() for n in names):
                cache.store(spec.stem, record.inputs, plan.staging_dir, names)
                kept.add(key)
    return kept


def _written(listing: Path | None, staging: Path) -> list[str] | None:
    """The report-relative files a notebook's ``RunOutput`` listed, sorted; None when the
    listing is missing or names a file outside the staging folder."""
    if listing is None:
        return None
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
        names = set()
        for line in lines:
            path = Path(json.loads(line)).resolve()
            if not path.is_relative_to(staging) or not path.is_file():
                return None
            names.add(path.relative_to(staging).as_posix())
    except (OSError, ValueError, TypeError):
        return None
    return sorted(names)


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
    notebook: its stem, the runs-file parameters it received, ``execution``
    (``executed``; ``reused``: copied from the run's cache, its inputs unchanged;
    ``re-rendered``: its text changed, the stored outputs merged in without a
    kernel), ``inputs`` (the SHA-256 digests of what its result depends on:
    :class:`~spinemets.reports.cache.Inputs`) and ``outputs`` (the tables and
    figures it wrote).
    """
    run = plan.run
    notebooks = []
    for spec in plan.notebooks:
        item: dict[str, Any] = {
            "stem": spec.stem,
            "parameters": {
                k: v
                for k, v in notebook_parameters(spec, run.parameters, {}).items()
                if k not in COMMON_PARAMETERS
            },
        }
        cached = plan.records.get(spec.stem)
        if cached is not None:
            item["execution"] = cached.how
            item["inputs"] = cached.inputs.record()
            item["outputs"] = list(cached.outputs)
        notebooks.append(item)
    record: dict[str, Any] = {
        "format": RUN_FORMAT,
        "name": run.name,
        "description": run.description,
        "cohort": run.cohort_label(),
        "synthetic": plan.synthetic,
        "parameters": dict(run.parameters),
        "notebooks": notebooks,
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
    "BatchInputs",
    "BatchSummary",
    "CacheUse",
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
