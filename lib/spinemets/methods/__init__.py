"""Generic statistics: arrays in, results out, each matching R.

Layer rule (DESIGN.md): modules here import only each other and the small shared
pieces (``errors``); nothing here knows about this study's cohort, its notebooks or
its figures. Every public function names the R function it matches and the test that
checks it against R; docs/methods.md lists them all.

Modules: ``_validate`` (the one input checker), ``timefix`` (R's merging of
near-equal times), ``km``, ``logrank``, ``cox`` (one engine), ``cox_zph``,
``cmprsk``, ``tmerge``, ``contingency``, ``rmst``, ``power``, ``permutation``.
"""
