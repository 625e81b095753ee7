"""The papermill batch: a runs file -> ``reports/<run>/`` and ``reports/index.html``.

One module per concern:

- :mod:`~spinemets.reports.runs`: the runs file (YAML) and its validation;
- :mod:`~spinemets.reports.notebooks`: numbered notebooks, their declared
  parameters, the parameter checks, metadata cleaning;
- :mod:`~spinemets.reports.cohorts`: each run's cohort, loaded once and handed to
  the notebooks as a normalised CSV copy in a private temporary folder;
- :mod:`~spinemets.reports.cache`: each notebook's inputs as digests, and the run's
  cache of results, so that a rerun executes only what changed;
- :mod:`~spinemets.reports.execute`: executing one notebook (the per-notebook step),
  or re-rendering it from a stored result;
- :mod:`~spinemets.reports.html`: a notebook's self-contained HTML page (MathML,
  contents), the export step of :mod:`~spinemets.reports.execute`;
- :mod:`~spinemets.reports.pool`: worker processes with hard time budgets, that
  never outlive the runner;
- :mod:`~spinemets.reports.kernels`: each worker's kernels, forked from a server
  process that has imported the notebooks' libraries once
  (:mod:`~spinemets.reports.kernel_server`, a script);
- :mod:`~spinemets.reports.folders`: what the runner owns in an output folder
  (markers, locks, staging, the swap, the sweep of dead runs);
- :mod:`~spinemets.reports.interrupt`: SIGINT/SIGTERM as one clean stop;
- :mod:`~spinemets.reports.batch`: ``spinemets report`` (checks, locks, staging, swap);
- :mod:`~spinemets.reports.index`: the static ``index.html``, each run's story;
- :mod:`~spinemets.reports.story`: what a notebook declares for the index (its
  metadata: question, key figures, key numbers);
- :mod:`~spinemets.reports.refresh`: ``spinemets refresh-notebooks``;
- :mod:`~spinemets.reports.command`: the two subcommands.

Every import is static (CONTRIBUTING.md, "Layers"). The package itself imports none of
its modules: the command line imports :mod:`~spinemets.reports.command` (and with it
the whole batch), while a worker process imports only what executing a notebook needs
(:mod:`~spinemets.reports.execute`: papermill, nbclient, nbconvert; not pandas, pandera
or the cohort readers, about 0.8 s of CPU less per worker). jsonschema, which nbformat
uses, would also build three Earley parsers of RFC 3987 (about 1 s of CPU) for an
``iri`` format check that nbformat never makes; the runner's processes (the command
line, the workers) leave it out (:data:`IRI_GRAMMAR_MODULE`: jsonschema registers that
check only when the module imports). The kernels are separate processes, untouched.
"""

from __future__ import annotations

import sys

#: The module jsonschema imports for its ``iri`` format check (see above).
IRI_GRAMMAR_MODULE = "rfc3987_syntax"
sys.modules.setdefault(IRI_GRAMMAR_MODULE, None)  # type: ignore[arg-type]

__all__ = ["IRI_GRAMMAR_MODULE"]
