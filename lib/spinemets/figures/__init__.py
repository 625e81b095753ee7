"""Every figure of the package: the only layer that calls matplotlib or seaborn.

Figures draw the results of :mod:`spinemets.study` and :mod:`spinemets.methods` and
return a matplotlib Figure; notebooks save it with ``RunOutput.write_figure``. Nothing
below this layer draws. Naming: ``<what>_figure(...)`` builds and returns a Figure;
``draw_<what>(ax, ...)`` draws on an Axes given to it.

* :mod:`.style` -- palette (Okabe-Ito), house settings, titles with the cohort label,
  the hazard-ratio axis;
* :mod:`.km` -- Kaplan-Meier figures with the number at risk, and the one
  step-and-band drawer every curve uses;
* :mod:`.outcomes` -- Frankel grades (Figure 1), VAS, complications per patient;
* :mod:`.cmprsk` -- cumulative incidence beside 1 - Kaplan-Meier;
* :mod:`.immortal_time` -- landmark curves and the immortal-time simulation;
* :mod:`.models` -- the forest plot and scaled Schoenfeld residuals;
* :mod:`.power` -- the permutation distribution and power curves;
* :mod:`.calibration` -- the reconstruction's curves against the paper's numbers.

Tests mirror the modules in ``tests/figures/``.
"""

from __future__ import annotations

from . import calibration, cmprsk, immortal_time, km, models, outcomes, power, style

__all__ = ["calibration", "cmprsk", "immortal_time", "km", "models", "outcomes", "power", "style"]
