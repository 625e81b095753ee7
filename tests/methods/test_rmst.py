"""spinemets.methods.rmst against R's summary(survfit, rmean = tau) (r_methods/km.json)."""

from __future__ import annotations

import numpy as np
import pytest
from r_reference import close, label, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.km import kaplan_meier
from spinemets.methods.rmst import rmst, rmst_difference


def _curve(case: dict) -> tuple[np.ndarray, np.ndarray]:
    d = r_data(case["dataset"])
    d = d.dropna(subset=[case["time_col"], case["event_col"], case["group_col"]])
    if case["group"] != "all":
        d = d[d[case["group_col"]].map(label) == case["group"]]
    return d[case["time_col"]], d[case["event_col"]]


@pytest.mark.parametrize(
    "index",
    [pytest.param(i, id=f"{c['dataset']}-{c['group']}") for i, c in enumerate(r_json("km"))],
)
def test_rmst_matches_r(index: int) -> None:
    case = r_json("km")[index]
    res = rmst(kaplan_meier(*_curve(case)), case["tau"])
    close([res.rmst, res.se], vec(case["rmean"]))
    assert res.lower == pytest.approx(res.rmst - 1.959963984540054 * res.se)


def test_difference_from_r_group_values() -> None:
    cases = [c for c in r_json("km") if c["dataset"] == "gbsg" and c["group"] != "all"]
    (r0, se0), (r1, se1) = (vec(c["rmean"]) for c in cases)
    d = rmst_difference(
        kaplan_meier(*_curve(cases[1])), kaplan_meier(*_curve(cases[0])), cases[0]["tau"]
    )
    close([d.difference, d.se], [r1 - r0, np.hypot(se0, se1)])
    assert d.lower < d.difference < d.upper and 0 < d.p < 1


def test_rmst_by_hand() -> None:
    # S = 1 on [0, 2), 3/4 on [2, 4) (4 at risk, 1 event), 3/8 after (2 at risk, 1 event):
    # area to 5 = 2 + 2 * 0.75 + 1 * 0.375 = 3.875
    km = kaplan_meier([2, 2, 4, 6], [1, 0, 1, 0])
    assert rmst(km, 5).rmst == pytest.approx(3.875)
    assert rmst(km, 1).rmst == 1.0 and rmst(km, 1).se == 0.0  # before the first event
    with pytest.raises(SpinemetsError, match="tau"):
        rmst(km, 0)
