"""spinemets.figures.calibration: the reconstruction's curves against printed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from spinemets.figures.calibration import calibration_figure
from spinemets.methods.km import kaplan_meier, survival_at


def test_calibration_figure(bundled) -> None:
    patients = bundled.patients
    rates = pd.DataFrame(
        {"endpoint": ["os", "os"], "group": ["metastasectomy", "targeted"],
         "time": [36, 60], "value": [28.2, 26.8]}
    )  # fmt: skip
    medians = pd.DataFrame({"endpoint": ["os"], "group": ["cytokine"], "value": [18.0]})
    fig = calibration_figure(patients, rates, medians, cohort_label="SYNTHETIC cohort")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [
        "OS by surgery (SYNTHETIC cohort)",
        "OS by adjuvant therapy (SYNTHETIC cohort)",
        "LPFS by surgery (SYNTHETIC cohort)",
        "LPFS by adjuvant therapy (SYNTHETIC cohort)",
    ]
    by_surgery = axes[0]
    curves = [
        line
        for line in by_surgery.get_lines()
        if line.get_label() in ("decompression", "metastasectomy")
    ]
    assert [c.get_label() for c in curves] == ["decompression", "metastasectomy"]
    met = patients[patients.surgery == "metastasectomy"]
    km = kaplan_meier(met.os_months, met.death)
    # the drawn step at 36 months is the Kaplan-Meier estimate there
    x, y = curves[1].get_xdata(), curves[1].get_ydata()
    drawn = y[np.searchsorted(x, 36, side="right") - 1]
    assert drawn == survival_at(km, [36])["survival"].iloc[0]
    crosses = [line for line in by_surgery.get_lines() if line.get_marker() == "x"]
    assert [
        (c.get_xdata().tolist(), c.get_ydata().tolist()) for c in crosses if len(c.get_xdata())
    ] == [([36], [0.282])]
    circles = [line for line in axes[1].get_lines() if line.get_marker() == "o"]
    assert [c.get_xdata().tolist() for c in circles if len(c.get_xdata())] == [[18.0]]
