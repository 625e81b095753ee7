"""The paper's survival claims recomputed (moving to ``spinemets.paper.recompute``).

The study's endpoints and their tables are in :mod:`spinemets.study.endpoints`.
"""

from __future__ import annotations

from .published import SURVIVAL_COMPUTATIONS, recompute_survival

__all__ = ["SURVIVAL_COMPUTATIONS", "recompute_survival"]
