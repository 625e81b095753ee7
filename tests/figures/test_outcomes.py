"""spinemets.figures.outcomes: Figure 1, the VAS figure, complications per patient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from spinemets.figures.outcomes import (
    complications_per_patient_figure,
    frankel_figure,
    vas_figure,
)
from spinemets.study import outcomes


@pytest.fixture
def cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frankel_pre": ["A", "B", "C", "C", "D", "D", "E", "E", "C"],
            "frankel_post": ["C", "D", "C", "E", "D", "E", "D", "E", None],
            "vas_pre": [8, 7, 9, 6, 5, 8, 7, 6, np.nan],
            "vas_post": [2, 3, 9, 2, 1, 3, 4, 2, 3],
        }
    )


def test_frankel_figure(cohort: pd.DataFrame) -> None:
    shift = outcomes.frankel_shift_table(cohort)
    fig = frankel_figure(shift, title="Frankel", cohort_label="toy")
    ax_bar, ax_map = fig.axes
    assert fig._suptitle.get_text() == "Frankel (toy)"
    # the heat map writes each cell's count, rows before, columns after
    cells = [t.get_text() for t in ax_map.texts]
    assert cells == [str(int(v)) for v in shift.to_numpy().ravel()]
    assert [t.get_text() for t in ax_map.get_xticklabels()] == list("ABCDE")
    masked = frankel_figure(shift, min_cell=2)
    cells = [t.get_text() for t in masked.axes[1].texts]
    assert "1" not in cells and "<2" in cells and "0" in cells


def test_vas_figure(cohort: pd.DataFrame) -> None:
    summary = outcomes.vas_summary(cohort)
    fig = vas_figure(cohort, summary, title="VAS", cohort_label="toy")
    assert len(fig.axes) == 2 and fig._suptitle.get_text() == "VAS (toy)"
    ax_diff = fig.axes[1]
    change = outcomes.vas_change(cohort)
    heights = sorted(p.get_height() for p in ax_diff.patches)
    assert heights == sorted(change["n"].tolist())


def test_complications_figure() -> None:
    per_patient = pd.DataFrame({"events": [0, 1, 2], "patients": [70, 25, 5]})
    fig = complications_per_patient_figure(per_patient, cohort_label="toy")
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [70, 25, 5]
    assert [t.get_text() for t in ax.texts] == ["70", "25", "5"]
    assert ax.get_title() == "Complications per patient (toy)"
    masked = complications_per_patient_figure(per_patient, min_cell=10)
    assert [t.get_text() for t in masked.axes[0].texts] == ["70", "25", "<10"]
