"""spinemets.methods.tmerge against R's tmerge (tests/fixtures/r_methods/tmerge.json)."""

from __future__ import annotations

import numpy as np
import pytest
from r_reference import close, mat, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.cox import coxph
from spinemets.methods.tmerge import counting_origin, tmerge


@pytest.mark.parametrize(
    ("name", "time", "event", "changes", "covariates"),
    [
        ("myeloid", "futime", "death", {"transplant": "txtime", "response": "crtime"},
         ["trt", "sex", "transplant", "response"]),
        ("jasa", "futime", "fustat", {"trans": "wait_time"}, ["age", "surgery", "trans"]),
    ],
)  # fmt: skip
def test_tmerge_and_its_cox_fit_match_r(
    name: str, time: str, event: str, changes: dict, covariates: list
) -> None:
    ref = r_json("tmerge")[name]
    d = r_data(name)
    rows = tmerge(d[time], d[event], {k: d[v] for k, v in changes.items()})
    np.testing.assert_array_equal(d["id"].to_numpy()[rows["row"]], vec(ref["id"]))
    close(rows.tstart, vec(ref["tstart"]), rtol=0)
    close(rows.tstop, vec(ref["tstop"]), rtol=0)
    np.testing.assert_array_equal(rows.event, vec(ref["death"]))
    for k in changes:
        np.testing.assert_array_equal(rows[k], vec(ref[k]))
    base = d.iloc[rows["row"]].reset_index(drop=True)
    x = base[[c for c in covariates if c not in changes]].copy()
    for c in list(x.columns):
        if str(x[c].dtype) in ("object", "category"):  # R's treatment contrasts
            levels = sorted(x[c].astype(str).unique())
            x[f"{c}{levels[1]}"] = (x.pop(c).astype(str) == levels[1]).astype(float)
    for k in changes:
        x[k] = rows[k]
    x = x[[n for n in np.atleast_1d(ref["names"])]]
    fit = coxph(rows.tstop, rows.event, x, start=rows.tstart)
    close(fit.coef, vec(ref["coef"]))
    close(fit.var, mat(ref["var"], len(fit.names)))
    close(fit.loglik, vec(ref["loglik"]))


def test_changes_at_the_edges_by_hand() -> None:
    rows = tmerge([5.0, 4.0, 6.0, 3.0], [1, 0, 1, 1], {"a": [0.0, 1.0, 6.0, np.nan]})
    assert rows[["row", "tstart", "tstop", "event", "a"]].values.tolist() == [
        [0, 0.0, 5.0, 1, 1],  # on from the origin: one row, treated throughout
        [1, 0.0, 1.0, 0, 0],  # split at 1, the event (none here) on the last row
        [1, 1.0, 4.0, 0, 1],
        [2, 0.0, 6.0, 1, 0],  # a change at the end of follow-up changes nothing
        [3, 0.0, 3.0, 1, 0],  # never
    ]


def test_counting_origin() -> None:
    assert counting_origin(np.array([0.0, 5.0])) == -1.0
    assert counting_origin(np.array([2.0, 5.0])) == 0.0


def test_follow_up_at_the_origin_is_refused() -> None:
    with pytest.raises(SpinemetsError, match="row 1: end of follow-up 0.0; .*counting_origin"):
        tmerge([2.0, 0.0], [1, 1], {"a": [1.0, np.nan]})
    rows = tmerge([2.0, 0.0], [1, 1], {"a": [1.0, np.nan]}, origin=counting_origin([2.0, 0.0]))
    assert rows.tstart.min() == -1.0
