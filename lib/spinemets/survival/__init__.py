"""The study's survival endpoints as the contract tables, and the paper's survival claims.

The estimators themselves are generic and live in :mod:`spinemets.methods` (``km``,
``logrank``, ``cox``, ``permutation``); this package applies them to the study's
endpoints: ``endpoints`` (OS and LPFS as the tidy tables of the output contract, and
the permutation log-rank table) and ``published`` (the paper's survival claims
recomputed).
"""

from __future__ import annotations

from .endpoints import (
    ENDPOINTS,
    SurvivalTables,
    endpoint_data,
    permutation_table,
    survival_tables,
)
from .published import SURVIVAL_COMPUTATIONS, recompute_survival

__all__ = [
    "ENDPOINTS",
    "SURVIVAL_COMPUTATIONS",
    "SurvivalTables",
    "endpoint_data",
    "permutation_table",
    "recompute_survival",
    "survival_tables",
]
