"""spinemets.methods.confounding: propensity scores, weights and the weighted Cox model
against R (tests/fixtures/r_confounding.R on survival's lung), the E-value and the
standardised difference by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.errors import SpinemetsError
from spinemets.methods import confounding as cf
from spinemets.methods.cox import coxph

LUNG = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "r_confounding" / "lung.json").read_text()
)


def test_propensity_and_weighted_cox_match_r() -> None:
    data = pd.DataFrame(LUNG["data"])
    ps = cf.propensity_scores(data[["age", "ph_ecog", "wt_loss"]], data["treated"])
    np.testing.assert_allclose(ps, LUNG["propensity"], rtol=1e-8)
    weights = cf.ipw_weights(data["treated"], ps)
    np.testing.assert_allclose(weights, LUNG["weights"], rtol=1e-8)
    fit = coxph(data["time"], data["event"], data[["treated"]], weights=weights, robust=True)
    assert fit.coef[0] == pytest.approx(LUNG["coef"], rel=1e-7)
    assert fit.se[0] == pytest.approx(LUNG["robust_se"], rel=1e-7)
    assert fit.naive_se[0] == pytest.approx(LUNG["naive_se"], rel=1e-7)


def test_ipw_weights_by_hand() -> None:
    """Two treated with e = 0.5, 0.25 and two untreated with e = 0.5, 0.75: unstabilised
    2, 4, 2, 4; share treated 0.5, so stabilised 1, 2, 1, 2."""
    t, e = [1, 1, 0, 0], [0.5, 0.25, 0.5, 0.75]
    np.testing.assert_allclose(cf.ipw_weights(t, e, stabilized=False), [2, 4, 2, 4])
    np.testing.assert_allclose(cf.ipw_weights(t, e), [1, 2, 1, 2])
    with pytest.raises(SpinemetsError, match="strictly between 0 and 1"):
        cf.ipw_weights(t, [0.5, 1.0, 0.5, 0.5])
    with pytest.raises(SpinemetsError, match="row 1, value 2.0; expected 0 or 1"):
        cf.ipw_weights([1, 2, 0, 0], e)
    with pytest.raises(SpinemetsError, match="expected both 0 and 1"):
        cf.ipw_weights([1, 1, 1, 1], e)


def test_propensity_refuses_separation() -> None:
    x = pd.DataFrame({"z": np.arange(20.0)})
    with pytest.raises(SpinemetsError, match="separate the groups"):
        cf.propensity_scores(x, (np.arange(20) >= 10).astype(int))


def test_e_value_by_hand() -> None:
    """VanderWeele & Ding 2017's example: RR 3.9 -> E = 3.9 + sqrt(3.9 * 2.9) = 7.26; its
    lower limit 1.8 -> 1.8 + sqrt(1.8 * 0.8) = 3.00. A protective HR 0.5, common outcome:
    0.5^0.707107 = exp(-0.490129) = 0.612547, 0.5^1.414214 = exp(-0.980258) = 0.375214,
    RR = 0.387453 / 0.624786 = 0.620137, 1 / RR = 1.612547,
    E = 1.612547 + sqrt(1.612547 * 0.612547) = 1.612547 + 0.993861 = 2.606408."""
    rare = cf.e_value(3.9, 1.8, 8.5, rare=True)
    assert rare.e_value == pytest.approx(7.26, abs=0.005)
    assert rare.e_value_ci == pytest.approx(3.0, abs=0.005)
    common = cf.e_value(0.5, 0.3, 1.2)
    assert common.risk_ratio == pytest.approx(0.620137, abs=1e-6)
    assert common.e_value == pytest.approx(2.606408, abs=1e-5)
    assert common.e_value_ci == 1.0  # the interval contains 1
    assert cf.e_value(0.5, 0.3, 0.8).e_value_ci == pytest.approx(cf.e_value(0.8).e_value)
    assert cf.e_value(1.0).e_value == 1.0
    with pytest.raises(SpinemetsError, match="expected a positive ratio"):
        cf.e_value(0.0)
