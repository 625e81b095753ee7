"""Kaplan-Meier, confidence intervals, medians, milestone rates, log-rank and Cox.

A small vectorised numpy core that follows R's survival package (the study used R):
censored at t are at risk at t, Greenwood standard errors of the cumulative hazard,
``conf.type = "log"`` by default, print.survfit's median rule, survdiff's
hypergeometric variance. Every function is checked against values computed by R
(tests/fixtures/r_survival.R -> tests/fixtures/r_survival/).

Modules: ``km`` (event table, curve, band, milestone rates), ``median``,
``logrank``, ``cox`` and ``endpoints`` (the study's endpoints as contract tables).
"""

from __future__ import annotations

from .cox import cox_ph
from .endpoints import ENDPOINTS, SurvivalTables, endpoint_data, survival_tables
from .km import CONF_TYPES, KaplanMeier, confidence_band, kaplan_meier, survival_at
from .logrank import LogRank, logrank_test
from .median import Median, median_survival

__all__ = [
    "CONF_TYPES",
    "ENDPOINTS",
    "KaplanMeier",
    "LogRank",
    "Median",
    "SurvivalTables",
    "confidence_band",
    "cox_ph",
    "endpoint_data",
    "kaplan_meier",
    "logrank_test",
    "median_survival",
    "survival_at",
    "survival_tables",
]
