"""spinemets.methods.cox_zph against R's cox.zph (tests/fixtures/r_methods/zph.json).

Tables (per term and per column, GLOBAL), transformed times and scaled Schoenfeld
residuals agree to 1e-9 relative (residuals: 1e-9 absolute as well, some are near 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from r_reference import close, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.cox import CoxFit, _derivatives, coxph_frame
from spinemets.methods.cox_zph import cox_zph


def _fit(model_id: str) -> CoxFit:
    spec = next(m for m in r_json("cox") if m["id"] == model_id)
    return coxph_frame(
        r_data(spec["dataset"]),
        spec["time"],
        spec["event"],
        list(np.atleast_1d(spec["terms"])),
        start=spec["start"] or None,
        strata=spec["strata"] or None,
        weights=spec["weights"] or None,
        cluster=spec["cluster"] or None,
        ties=spec["ties"],
    )


def _cases() -> list[pytest.param]:
    return [
        pytest.param(i, id=f"{z['id']}-{z['transform']}-{'terms' if z['terms'] else 'columns'}")
        for i, z in enumerate(r_json("zph"))
    ]


@pytest.mark.parametrize("index", _cases())
def test_cox_zph_matches_r(index: int) -> None:
    ref = r_json("zph")[index]
    fit = _fit(ref["id"])
    if "error" in ref:  # R stops (log of a zero time); so do we, with a reason
        with pytest.raises(SpinemetsError, match="log transform needs times > 0"):
            cox_zph(fit, ref["transform"], terms=ref["terms"])
        return
    zph = cox_zph(fit, ref["transform"], terms=ref["terms"])
    rows = [r.strip("`") for r in np.atleast_1d(ref["rows"])]
    assert zph.table.term.tolist() == rows
    np.testing.assert_array_equal(zph.table.df, vec(ref["df"]))
    close(zph.table.chisq, vec(ref["chisq"]))
    close(zph.table.p, vec(ref["p"]))
    if "x" in ref:
        close(zph.x, vec(ref["x"]), atol=1e-12)
    if "y" in ref:
        close(zph.time, vec(ref["time"]))
        y = np.asarray(
            [[np.nan if v in (None, "NA") else v for v in row] for row in ref["y"]], dtype=float
        ).reshape(zph.residuals.shape)
        close(zph.residuals.to_numpy(), y, atol=1e-9)


def test_information_block_is_inverse_of_variance() -> None:
    """At the estimate the score vanishes and the information is the inverse variance."""
    fit = _fit("pbc_mayo")
    _, u, imat, _ = _derivatives(fit.data, fit.coef)
    np.testing.assert_allclose(imat, np.linalg.inv(fit.naive_var), rtol=1e-8)
    np.testing.assert_allclose(u, 0, atol=1e-5)


def test_unknown_transform_is_refused() -> None:
    with pytest.raises(SpinemetsError, match="unknown transform 'sqrt'"):
        cox_zph(_fit("aml"), transform="sqrt")
