"""This study's analyses: a cohort in, tidy tables out.

The layer between the generic statistics (:mod:`spinemets.methods`) and what a reader
sees (:mod:`spinemets.figures`, the notebooks). It knows the study's design -- its
endpoints, comparisons, grades and codes, all declared once in
:mod:`spinemets.cohort.spec` -- but not the paper's numbers (:mod:`spinemets.paper`)
and draws nothing:

* :mod:`.characteristics` -- Tables 1-3 (n (%), median (IQR), the paper's tests);
* :mod:`.outcomes` -- Frankel grades and VAS before and after surgery (paired tests);
* :mod:`.endpoints` -- OS and LPFS: the contract tables (medians, rates, log-rank),
  interval transforms, the permutation log-rank table, the local progressions;
* :mod:`.complications` -- Table 4;
* :mod:`.overview` -- what a cohort holds, column by column, as aggregates only;
* :mod:`.competing_risks` -- local progression with death as a competing event;
* :mod:`.immortal_time` -- landmark analyses, time-dependent Cox, the simulation;
* :mod:`.models` -- multivariable Cox models and their proportional-hazards tests;
* :mod:`.power` -- what a study of this size could detect;
* :mod:`.teaching` -- a simulated cohort with known confounding, for teaching adjustment;
* :mod:`.applicability` -- the checks that say, in one line, why an analysis cannot
  apply to a cohort.

An analysis that cannot apply to a cohort (one group where two are compared, no
events, a model without a finite estimate) raises
:class:`spinemets.errors.NotApplicable`, whose message is the one-line reason.
Tests mirror the modules in ``tests/study/``.
"""

from __future__ import annotations

from . import (
    applicability,
    characteristics,
    competing_risks,
    complications,
    endpoints,
    immortal_time,
    models,
    outcomes,
    overview,
    power,
    teaching,
)

__all__ = [
    "applicability",
    "characteristics",
    "competing_risks",
    "complications",
    "endpoints",
    "immortal_time",
    "models",
    "outcomes",
    "overview",
    "power",
    "teaching",
]
