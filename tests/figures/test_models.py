"""spinemets.figures.models: the forest plot and the residual panels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from spinemets.figures.models import forest_figure, zph_figure
from spinemets.methods.cox_zph import cox_zph
from spinemets.study import models

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_cox_models"


def _fits() -> dict:
    return models.fit_os_models(pd.read_csv(FIXTURES / "data_synthetic.csv"))


def test_forest_figure() -> None:
    table = models.model_table(_fits())
    fig = forest_figure(table, title="Cox models", cohort_label="toy")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 6  # the five main terms and the interaction
    assert labels[-1] == models.TERM_LABELS["metastasectomy"]  # first term on top
    assert ax.get_title() == "Cox models (toy)" and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "model: main",
        "model: interaction",
    ]


def test_zph_figure_has_one_panel_per_term() -> None:
    fit = _fits()["main"]
    fig = zph_figure(fit, ["metastasectomy", "visceral_mets"])
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title() == models.TERM_LABELS["metastasectomy"]
    # the points drawn are cox.zph's scaled residuals (checked against R in tests/study)
    zph = cox_zph(fit)
    points = fig.axes[1].collections[0].get_offsets()
    assert points[:, 1].tolist() == zph.residuals["visceral_mets"].tolist()
    assert len(zph_figure(fit).axes) == len(models.MAIN_TERMS)
