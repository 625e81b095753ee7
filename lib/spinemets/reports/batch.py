"""``spinemets report``: every run of a runs file, notebooks in parallel, atomically.

For each selected run the batch

1. checks everything that can be checked before a kernel starts: the runs file,
   the notebook selection, every parameter against the notebooks' declarations
   and that the cohort files exist -- any problem stops the whole batch before
   anything executes (:class:`~spinemets.errors.SpinemetsError`, exit code 2);
2. loads and validates the run's cohort once (``spinemets.cohort``, with the
   run's ``mapping``, ``sheet``, ``complications_sheet`` and ``allow_identifiers``);
   a run whose cohort fails is not executed and its previous report stays in
   place. A run's own cohort is written, normalised, as plain CSV into a private
   temporary folder (:mod:`~spinemets.reports.cohorts`) removed at the end of
   the batch, and the notebooks read those files;
3. executes the run's notebooks with papermill into the staging folder
   ``<output>/.<run>.partial/`` (working directory: the project root, so that the
   project-relative paths passed as parameters mean the same to
   ``spinemets.paths.resolve`` and to a plain ``open``), exports HTML beside each,
   and the notebooks write ``tables/`` and ``figures/`` there (``output_dir``);
4. when every notebook of the run succeeded, writes ``run.json`` and renames the
   staging folder to ``<output>/<run>/`` (the previous folder is moved aside and
   deleted); otherwise the previous report is untouched and the staging folder
   is left for debugging (it is replaced by the next attempt).

Notebooks of all runs share one process pool of ``jobs`` workers, so notebooks
must be independent of each other (each computes from the cohort). Finally
``<output>/index.html`` is rewritten from the run folders on disk. Exit code:
0 all good, 1 a notebook failed, 2 a cohort failed validation.
Tested in ``tests/test_reports.py`` and ``tests/test_pipeline.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from .. import paths
from ..errors import ParameterError, SpinemetsError
from .cohorts import PLACEHOLDER, NormalisedCohorts, load_run_cohort
from .execute import (
    DEFAULT_TIMEOUT,
    KERNEL_NAME,
    NotebookResult,
    NotebookTask,
    execute_task,
    run_parallel,
)
from .index import INDEX_NAME, MANIFEST_NAME, write_index
from .notebooks import (
    NotebookSpec,
    check_parameters,
    discover_notebooks,
    inspect_notebooks,
    notebook_parameters,
    select_notebooks,
)
from .runs import Run, RunsFileError, load_runs

#: The default runs file: the paper on the bundled synthetic cohort.
DEFAULT_RUNS_FILE = paths.REPORTS_DIR / "runs.yaml"

#: ``run -> Cohort | None``: the run's validated cohort (default
#: :func:`~spinemets.reports.cohorts.load_run_cohort`), or None to pass the run's
#: files to the notebooks unchanged; raises SpinemetsError listing the problems
#: when the cohort is invalid.
CohortLoader = Callable[[Run], Any]


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
    final_dir: Path
    staging_dir: Path
    tasks: list[NotebookTask] = field(default_factory=list)
    #: Whether the run's cohort is synthetic (bundled, or marked in its file).
    synthetic: bool = False


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
    """Check every selected run against the notebooks; raise before anything executes."""
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
        plan = RunPlan(run, selected, output_dir / run.name, output_dir / f".{run.name}.partial")
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
    return plans


def _set_tasks(
    plan: RunPlan,
    patients_file: str,
    complications_file: str,
    kernel: str,
    timeout: float,
    aliases: tuple[tuple[str, str], ...] = (),
) -> None:
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
        plan.tasks[i] = replace(task, parameters=parameters, aliases=((str(root), PLACEHOLDER),))


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
    progress and the summary go to ``stream`` (default standard output).
    """
    out = stream or sys.stdout
    loader = cohort_loader or load_run_cohort
    jobs = jobs or os.cpu_count() or 1
    output_dir = Path(output_dir).resolve()
    plans = plan_runs(
        runs_file,
        output_dir=output_dir,
        run_names=run_names,
        notebooks_dir=notebooks_dir,
        timeout=timeout,
        kernel=kernel,
    )
    with NormalisedCohorts() as cohorts:
        outcomes = _execute(plans, cohorts, loader, jobs, timeout, out)
    index = write_index(output_dir)
    summary = BatchSummary([outcomes[p.run.name] for p in plans], index)
    _print_summary(out, summary)
    return summary


def _execute(
    plans: list[RunPlan],
    cohorts: NormalisedCohorts,
    loader: CohortLoader,
    jobs: int,
    timeout: float,
    out: TextIO,
) -> dict[str, RunOutcome]:
    """Load each run's cohort, then execute the notebooks of the valid runs."""
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
        if plan.staging_dir.exists():
            shutil.rmtree(plan.staging_dir)
        plan.staging_dir.mkdir(parents=True)
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
    for done, result in enumerate(run_parallel(execute_task, tasks, jobs), start=1):
        status = "ok" if result.ok else "FAILED"
        line = f"[{done:>{len(str(len(tasks)))}}/{len(tasks)}] {result.label:<{width}}  "
        line += f"{status:<6} {result.seconds:6.1f} s"
        _print(out, line + (f"  {result.error}" if result.error else ""))
        name = result.label.split("/", 1)[0]
        if not result.ok:
            failures[name].append(result)
        pending[name] -= 1
        if pending[name] == 0:
            outcomes[name] = _finish_run(by_name[name], failures[name])
    return outcomes


def _finish_run(plan: RunPlan, failures: list[NotebookResult]) -> RunOutcome:
    name = plan.run.name
    if failures:
        messages = [f"{r.label.split('/', 1)[1]}: {r.error}" for r in sorted(failures, key=_label)]
        return RunOutcome(name, "failed", plan.staging_dir, len(plan.tasks), messages)
    _write_manifest(plan)
    _replace_folder(plan.staging_dir, plan.final_dir)
    return RunOutcome(name, "ok", plan.final_dir, len(plan.tasks))


def _label(result: NotebookResult) -> str:
    return result.label


def manifest(plan: RunPlan) -> dict[str, Any]:
    """What ``run.json`` records about a run (read by the index; no time stamps)."""
    run = plan.run
    record = {
        "name": run.name,
        "description": run.description,
        "cohort": run.cohort_label(),
        "synthetic": plan.synthetic,
        "parameters": dict(run.parameters),
        "notebooks": [spec.stem for spec in plan.notebooks],
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


def _write_manifest(plan: RunPlan) -> None:
    text = json.dumps(manifest(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (plan.staging_dir / MANIFEST_NAME).write_text(text, encoding="utf-8", newline="\n")


def _replace_folder(staging: Path, final: Path) -> None:
    """Put ``staging`` in place of ``final``: two renames on one file system.

    POSIX cannot swap two directories atomically; the previous folder is renamed
    to ``.<run>.old`` first and deleted after, so an interruption in between
    leaves both versions on disk and never a half-written report under the name.
    """
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if old.exists():
        shutil.rmtree(old)


def _print(out: TextIO, line: str) -> None:
    print(line, file=out, flush=True)


def _print_summary(out: TextIO, summary: BatchSummary) -> None:
    _print(out, "\nSummary")
    width = max((len(o.name) for o in summary.outcomes), default=0)
    for o in summary.outcomes:
        shown = paths.display_path(o.folder)
        if o.status == "ok":
            text = f"ok      {o.notebooks} notebook(s) -> {shown}/"
        elif o.status == "failed":
            text = (
                f"FAILED  {len(o.messages)} of {o.notebooks} notebook(s) failed; the previous "
                f"report is kept; partial output in {shown}/"
            )
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
    "plan_runs",
    "run_reports",
    "runner_path",
]
