"""This paper: its numbers, their recomputation, the synthetic cohort built from them.

The layer of the package that knows Ptashnikov et al. 2020 (DESIGN.md, "paper/"):

* :mod:`.claims` -- the claims file ``data/published/ptashnikov2020.yaml``, the
  only home of the paper's numbers (loaded, validated);
* :mod:`.recompute` -- each claim recomputed from a cohort;
* :mod:`.scorecard` -- published vs reproduced, with statuses and a regression
  baseline;
* :mod:`.consistency` -- the paper's internal consistency by arithmetic alone,
  one verdict per check (``consistent``, ``ambiguous``, ``impossible``);
* :mod:`.cells` -- the four surgery x therapy cells the paper fixes;
* :mod:`.reconstruct` -- the bundled SYNTHETIC cohort built from the claims;
* :mod:`.calibrate` -- its survival times fitted to the published Kaplan-Meier
  results;
* :mod:`.referee` -- a referee's checklist of the paper's inference against STROBE
  (``data/published/ptashnikov2020_strobe_review.yaml``);
* :mod:`.uncertainty` -- how much the results the paper never printed vary over
  equally valid reconstructions.

It imports only the layers below it (the survival and statistics methods, the
cohort loader, output and paths); notebooks and the CLI import it.
"""
