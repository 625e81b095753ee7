"""spinemets.competing_risks: the study's coding of local progression and its tables.

The estimators (cumulative incidence, Gray's test, Fine-Gray) are tested against R in
tests/methods/test_cmprsk.py; here the tables built from them are checked against the
same R fixtures (tests/fixtures/r_competing_risks/, a 24-row toy set with ties).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from spinemets import competing_risks as cr
from spinemets.errors import SpinemetsError

FIXTURES = Path(__file__).parent / "fixtures" / "r_competing_risks"
RTOL = 1e-9


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"data_{name}.csv")


def _ref(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _arr(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


# ----------------------------------------------------------------- event coding


def test_local_progression_events() -> None:
    patients = pd.DataFrame(
        {
            "os_months": [10.0, 20.0, 5.0, 7.0],
            "death": [1, 1, 0, 1],
            "lp_months": [4.0, 20.0, 5.0, 7.0],
            "local_progression": [1, 0, 0, 1],
        },
        index=["p1", "p2", "p3", "p4"],
    )
    ev = cr.local_progression_events(patients)
    assert ev["time"].tolist() == [4.0, 20.0, 5.0, 7.0]
    assert ev["cause"].tolist() == [1, 2, 0, 1]
    assert ev.index.tolist() == ["p1", "p2", "p3", "p4"]


def test_local_progression_after_death_is_refused() -> None:
    patients = pd.DataFrame(
        {"os_months": [10.0], "death": [1], "lp_months": [12.0], "local_progression": [1]},
        index=["p7"],
    )
    with pytest.raises(
        SpinemetsError, match=r"row 'p7', column lp_months: value 12 is after os_months 10"
    ):
        cr.local_progression_events(patients)


def test_bad_cause_is_refused() -> None:
    with pytest.raises(SpinemetsError, match=r"column 'cause', row 1: cause 3; expected 0"):
        cr.gray_tests_table([1, 2], [1, 3], ["a", "b"], strata="arm")


# ------------------------------------------------------------------------ tables


def test_tables_have_contract_columns() -> None:
    d = _data("toy")
    tab = cr.cumulative_incidence_table(d["time"], d["cause"], d["arm"], strata="arm")
    assert list(tab.columns) == [
        "strata", "group", "cause", "cause_label", "time", "n_events",
        "estimate", "std_err", "lower", "upper", "conf_type",
    ]  # fmt: skip
    assert (tab.groupby(["group", "cause"])["estimate"].diff().dropna() >= 0).all()
    gray = cr.gray_tests_table(d["time"], d["cause"], d["arm"], strata="arm")
    assert gray["cause"].tolist() == [1, 2]


def test_milestone_table_matches_r_timepoints() -> None:
    d = _data("toy")
    ref = _ref("cuminc_toy_arm.json")["timepoints"]
    tab = cr.cumulative_incidence_at(d["time"], d["cause"], d["arm"], ref["times"], "arm")
    for i, name in enumerate(ref["names"]):
        g, k = name.rsplit(" ", 1)
        got = tab[(tab["group"] == g) & (tab["cause"] == int(k))]["estimate"]
        np.testing.assert_allclose(got, _arr(ref["est"][i]), rtol=RTOL, atol=1e-14)
    # 1 - KM is never below the cumulative incidence of the same cause
    ok = tab.dropna(subset=["estimate", "one_minus_km"])
    assert (ok["one_minus_km"] >= ok["estimate"] - 1e-12).all()


def test_plot_cuminc_draws() -> None:
    d = _data("toy")
    fig, ax = plt.subplots()
    cr.plot_cuminc(ax, d["time"], d["cause"], d["arm"], title="toy")
    assert len(ax.get_lines()) == 4  # CIF and 1 - KM per group
    plt.close(fig)
