"""spinemets.methods.cox: the one Cox engine against R's coxph.

R reference values: tests/fixtures/r_methods/cox.json (tests/fixtures/r_methods.R: ovarian,
pbc, aml, retinopathy, rotterdam, flchain, nwtco, kidney, mgus2, gbsg, myeloid, jasa1 and
edge cases; Efron and Breslow, strata, weights, offsets, clusters, (start, stop] data,
models R warns about) and tests/fixtures/r_survival/cox.csv (lung, veteran, colon).
Coefficients, variances, log-likelihoods and tests agree to 1e-9 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from r_reference import FIXTURES, close, mat, r_data, r_json, vec
from spinemets.errors import SpinemetsError
from spinemets.methods.cox import (
    CoxConvergenceError,
    CoxFit,
    _derivatives,
    coxph,
    coxph_frame,
    model_matrix,
    profile_interval,
)
from spinemets.methods.logrank import logrank_test


def _models(with_warnings: bool) -> list[pytest.param]:
    return [
        pytest.param(m["id"], id=m["id"])
        for m in r_json("cox")
        if bool(m["warnings"]) == with_warnings
    ]


def _spec(model_id: str) -> dict:
    return next(m for m in r_json("cox") if m["id"] == model_id)


def _fit(spec: dict, **options: object) -> CoxFit:
    return coxph_frame(
        r_data(spec["dataset"]),
        spec["time"],
        spec["event"],
        list(np.atleast_1d(spec["terms"])),
        start=spec["start"] or None,
        strata=spec["strata"] or None,
        weights=spec["weights"] or None,
        offset=spec["offset"] or None,
        cluster=spec["cluster"] or None,
        ties=spec["ties"],
        iter_max=int(spec["iter_max"]),
        **options,
    )


@pytest.mark.parametrize("model_id", _models(with_warnings=False))
def test_cox_matches_r(model_id: str) -> None:
    spec = _spec(model_id)
    fit = _fit(spec)
    p = len(fit.names)
    assert list(fit.names) == [str(n) for n in np.atleast_1d(spec["names"])]
    assert (fit.n, fit.events) == (spec["n"], spec["nevent"])
    close(fit.coef, vec(spec["coef"]))
    close(fit.var, mat(spec["var"], p))
    close(fit.loglik, vec(spec["loglik"]))
    close(fit.score_test, spec["score"])
    close(fit.wald_test, spec["wald"])
    assert fit.iterations == spec["iter"]
    robust = spec["naive_var"] is not None
    assert fit.robust == robust
    if robust:
        close(fit.naive_var, mat(spec["naive_var"], p))
        close(fit.robust_score_test, vec(spec["rscore"]))
    # R's assign: the columns of each term (a factor is one term)
    assign = {k: tuple(np.atleast_1d(v).tolist()) for k, v in spec["assign"].items()}
    assert {k.strip("`"): v for k, v in assign.items()} == dict(fit.terms)


@pytest.mark.parametrize("model_id", _models(with_warnings=True))
def test_models_r_warns_about_raise(model_id: str) -> None:
    """R returns these fits with a warning; a warning can be silenced, an error cannot."""
    spec = _spec(model_id)
    warning = spec["warnings"] if isinstance(spec["warnings"], str) else spec["warnings"][0]
    expected = "did not converge" if "Ran out" in warning else "may be infinite"
    with pytest.raises(CoxConvergenceError, match=expected):
        _fit(spec)


def test_near_equal_times_change_the_fit_as_in_r() -> None:
    spec = _spec("edge_near")
    fit = _fit(spec)
    close(fit.coef, vec(spec["coef"]))
    unmerged = _fit(spec, timefix=False)
    assert abs(unmerged.coef[0] - fit.coef[0]) > 1e-3


def test_ovarian_interaction_that_lifelines_did_not_fit() -> None:
    """R: 0.1342, -9.5043, 0.1464 and loglik -26.509 (rx coded 0/1)."""
    fit = _fit(_spec("ovarian_interaction"))
    np.testing.assert_allclose(fit.coef, [0.1342, -9.5043, 0.1464], atol=5e-5)
    assert fit.loglik[1] == pytest.approx(-26.509, abs=5e-4)


# ----------------------------------------------------------------- R: lung, veteran, colon


@pytest.mark.parametrize("name", ["lung", "veteran", "colon"])
def test_tidy_table_matches_r_summary(name: str) -> None:
    ref = pd.read_csv(FIXTURES / "r_survival" / "cox.csv")
    ref = ref[ref.dataset == name].reset_index(drop=True)
    data = pd.read_csv(FIXTURES / "r_survival" / f"data_{name}.csv")
    fit = coxph_frame(data, "time", "event", list(ref.term))
    got = fit.table()
    assert list(got.term) == list(ref.term)
    for col in ["coef", "hr", "se", "lower", "upper", "z", "p"]:
        close(got[col], ref[col])
    close(fit.loglik[1], ref.loglik.iloc[0])


# ----------------------------------------------------------------------------- by hand


def test_cox_single_event_hand_arithmetic() -> None:
    # Events at t=1 (x=1) and t=2 (x=0), censored at 3 (x=1), u = exp(b):
    # L = u / (2u + 1) * 1 / (1 + u); d log L / db = 0  <=>  u^2 = 1/2.
    fit = coxph([1, 2, 3], [1, 1, 0], np.array([[1.0], [0.0], [1.0]]), start=[0, 0, 0])
    np.testing.assert_allclose(fit.coef[0], np.log(1 / np.sqrt(2)), rtol=1e-9)
    right = coxph([1, 2, 3], [1, 1, 0], [1.0, 0.0, 1.0])
    np.testing.assert_allclose(right.coef, fit.coef, rtol=1e-12)


def test_score_test_is_the_logrank_for_one_binary_covariate() -> None:
    """Without tied times the score test at 0 is the log-rank test exactly (with ties
    the log-rank's hypergeometric variance differs from either approximation's)."""
    d = r_data("aml")
    d["time"] = d.time + 0.01 * np.arange(len(d))  # no ties left
    fit = coxph_frame(d, "time", "status", ["x"])
    lr = logrank_test(d.time, d.status, d.x)
    assert fit.score_test == pytest.approx(lr.chisq, rel=1e-9)
    tests = fit.tests().set_index("test")
    assert tests.loc["score", "chisq"] == fit.score_test
    assert tests.loc["likelihood_ratio", "chisq"] == pytest.approx(
        2 * (fit.loglik[1] - fit.loglik[0])
    )


def test_counting_and_right_censored_engines_agree() -> None:
    """(0, t] rows are right-censored data: both of R's routines give one answer."""
    d = r_data("pbc").dropna(subset=["age", "log_bili"])
    right = coxph_frame(d, "time", "death", ["age", "log_bili"])
    counting = coxph_frame(d.assign(zero=0.0), "time", "death", ["age", "log_bili"], start="zero")
    np.testing.assert_allclose(counting.coef, right.coef, rtol=1e-9)
    np.testing.assert_allclose(counting.var, right.var, rtol=1e-9)


def test_bad_input_is_named() -> None:
    with pytest.raises(SpinemetsError, match="ties 'exact'"):
        coxph([1, 2], [1, 1], [0.0, 1.0], ties="exact")
    with pytest.raises(SpinemetsError, match="no events"):
        coxph([1, 2], [0, 0], [0.0, 1.0])
    with pytest.raises(SpinemetsError, match=r"column 'x1', row 1: value nan"):
        coxph([1, 2, 3], [1, 1, 0], [0.0, np.nan, 1.0])
    with pytest.raises(SpinemetsError, match="interval"):
        coxph([1, 2], [1, 1], [0.0, 1.0], start=[0, 2])
    with pytest.raises(SpinemetsError, match="weight -1.0; expected > 0"):
        coxph([1, 2, 3], [1, 1, 0], [0.0, 1.0, 1.0], weights=[1, -1, 1])


def test_constant_or_collinear_covariates_raise() -> None:
    x = np.c_[np.arange(6.0), 2 * np.arange(6.0)]
    with pytest.raises(CoxConvergenceError, match="collinear or constant"):
        coxph([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 1], x)
    with pytest.raises(CoxConvergenceError, match="'c'"):
        coxph([1, 2, 3, 4], [1, 1, 0, 1], pd.DataFrame({"a": [0.0, 1, 0, 1], "c": 1.0}))


def test_model_matrix_matches_r_names() -> None:
    d = r_data("rotterdam")
    x, assign = model_matrix(d, ["age", "size", "age:size"])
    assert list(x.columns) == ["age", "size20-50", "size>50", "age:size20-50", "age:size>50"]
    assert assign == {
        "age": ["age"],
        "size": ["size20-50", "size>50"],
        "age:size": ["age:size20-50", "age:size>50"],
    }
    np.testing.assert_array_equal(x["age:size>50"], d.age * (d["size"] == ">50"))
    with pytest.raises(SpinemetsError, match="no column 'grade2'"):
        model_matrix(d, ["grade2"])
    logical, _ = model_matrix(d.assign(old=d.age > 60), ["old"])  # R: a logical is oldTRUE
    assert list(logical.columns) == ["oldTRUE"]


# ----------------------------------------------------------------------------- lifelines


def test_matches_lifelines_where_it_converges() -> None:
    """lifelines as a second oracle, its tolerance tightened (its default is 1e-7)."""
    d = r_data("pbc").dropna(subset=["age", "log_bili", "albumin"])
    terms = ["age", "log_bili", "albumin"]
    ours = coxph_frame(d, "time", "death", terms, timefix=False)
    theirs = CoxPHFitter().fit(
        d[["time", "death", *terms]],
        "time",
        "death",
        fit_options={"precision": 1e-12, "r_precision": 0.0, "max_steps": 200},
    )
    np.testing.assert_allclose(ours.coef, theirs.params_[terms], rtol=1e-7)
    np.testing.assert_allclose(ours.loglik[1], theirs.log_likelihood_, rtol=1e-10)


def test_no_iterations_gives_the_score_test_at_init() -> None:
    """iter_max = 0 (R's coxph.control(iter.max = 0)): beta stays at init, the score test
    at init is still computed (the log-rank for one binary covariate without ties)."""
    time, event, x = [1, 2, 3, 4, 5], [1, 1, 0, 1, 1], [0.0, 1, 0, 1, 1]
    fit = coxph(time, event, x, iter_max=0)
    assert fit.coef[0] == 0.0 and fit.iterations == 0
    assert fit.score_test == pytest.approx(logrank_test(time, event, x).chisq, rel=1e-12)


def test_a_stratum_without_events_adds_nothing() -> None:
    time, event, x = [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], [0.0, 1, 0, 1, 1, 0]
    fit = coxph(time, event, x, strata=["a", "a", "a", "a", "b", "b"])
    alone = coxph(time[:4], event[:4], x[:4])
    np.testing.assert_allclose(fit.coef, alone.coef, rtol=1e-12)
    np.testing.assert_allclose(fit.loglik, alone.loglik, rtol=1e-12)


def test_cluster_without_robust_is_refused() -> None:
    with pytest.raises(SpinemetsError, match="cluster was given with robust=False"):
        coxph([1, 2, 3], [1, 1, 0], [0.0, 1, 1], cluster=[1, 1, 2], robust=False)


PROFILE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "r_profile" / "profile.json").read_text()
)


@pytest.mark.parametrize("name", sorted(PROFILE["results"]))
def test_profile_interval_matches_r(name: str) -> None:
    """R computes the interval by the same definition (uniroot on coxph with an offset,
    tests/fixtures/r_profile.R); agreement to 1e-6 relative (R's fit used eps 1e-12,
    ours R's default 1e-9)."""
    ref = PROFILE["results"][name]
    data = pd.DataFrame(PROFILE["data"][name])
    others = ref["others"] if isinstance(ref["others"], list) else [ref["others"]]
    x = data[[ref["term"], *others]].astype(float)
    got = profile_interval(data["time"], data["event"], x, ref["term"], ties=ref["ties"])
    assert got.hr == pytest.approx(np.exp(ref["coef"]), rel=1e-6)
    assert got.lower == pytest.approx(ref["lower"], rel=1e-6)
    assert got.upper == pytest.approx(ref["upper"], rel=1e-6)
    wald = coxph(data["time"], data["event"], x, ties=ref["ties"]).table().iloc[0]
    assert wald["lower"] == pytest.approx(ref["wald_lower"], rel=1e-6)
    # the profile interval is not the Wald interval
    assert abs(got.lower - wald["lower"]) > 1e-3


def test_profile_interval_meets_its_definition() -> None:
    """At both limits the likelihood-ratio statistic equals chi2_{1, 0.95} to 1e-6,
    recomputed here from independent fits (coxph at the limit, other coefficients
    refitted with the offset); a monotone likelihood gives an infinite limit."""
    data = pd.DataFrame(PROFILE["data"]["ovarian"])
    x = data[["rx2", "age"]].astype(float)
    got = profile_interval(data["time"], data["event"], x, "rx2", conf_level=0.9)
    best = coxph(data["time"], data["event"], x).loglik[1]
    for limit in (got.lower, got.upper):
        refit = coxph(data["time"], data["event"], x[["age"]], offset=np.log(limit) * x["rx2"])
        assert 2 * (best - refit.loglik[1]) == pytest.approx(2.705543454095404, abs=1e-6)
    assert got.lr_at_lower == pytest.approx(got.critical, abs=1e-6)
    assert got.critical == pytest.approx(2.705543454095404, rel=1e-12)  # qchisq(0.9, 1)
    # no events in one arm: the likelihood keeps rising as HR -> 0; coxph refuses, and so
    # does the profile (its estimate would be the infinite one)
    none = data.copy()
    none.loc[none["rx2"] == 1, "event"] = 0
    with pytest.raises(CoxConvergenceError):
        profile_interval(none["time"], none["event"], none[["rx2"]].astype(float), "rx2")
    with pytest.raises(SpinemetsError, match="with a column 'sex'"):
        profile_interval(data["time"], data["event"], x, "sex")


@pytest.mark.parametrize("options", [{}, {"ties": "breslow"}, {"start": "start", "offset": True}])
def test_profile_interval_of_one_column_is_the_fit_at_each_b(options: dict) -> None:
    """With one column the profile is the likelihood at b itself: the interval evaluates
    it on the data checked and binned once; at both limits the statistic equals that of
    an independent ``coxph(init = b, iter_max = 0)`` on the same options."""
    data = pd.DataFrame(PROFILE["data"]["ovarian"])
    x = data[["rx2"]].astype(float)
    kw: dict = {"ties": options.get("ties", "efron")}
    if "start" in options:
        kw["start"] = np.where(np.arange(len(data)) % 3 == 0, 0.5 * data["time"], 0.0)
    if options.get("offset"):
        kw["offset"] = 0.01 * (data["age"] - data["age"].mean())
    got = profile_interval(data["time"], data["event"], x, "rx2", **kw)
    best = coxph(data["time"], data["event"], x, **kw).loglik[1]
    for limit, at in ((got.lower, got.lr_at_lower), (got.upper, got.lr_at_upper)):
        plain = coxph(data["time"], data["event"], x, init=[np.log(limit)], iter_max=0, **kw)
        assert 2 * (best - plain.loglik[1]) == pytest.approx(at, rel=1e-9)
        assert at == pytest.approx(got.critical, abs=1e-6)


def _by_term(start, stop, event, x, w, strata, ties, beta):
    """Log partial likelihood, score and information summed term by term from the
    definition: for each event time of each stratum, its risk set by a mask and, for
    the l-th of d tied deaths (Efron), the risk set less l/d of the deaths' weight."""
    xc = x - x.mean(axis=0)  # as the engine (and R) centre
    p = x.shape[1]
    loglik, u, imat = 0.0, np.zeros(p), np.zeros((p, p))
    for s in np.unique(strata):
        here = strata == s
        for t in np.unique(stop[here & (event == 1)]):
            at_risk = here & (stop >= t) & ((start < t) if start is not None else True)
            dead = here & (stop == t) & (event == 1)
            d = int(dead.sum())
            wr = w * np.exp(xc @ beta)
            mean_weight = w[dead].mean()
            loglik += float(w[dead] @ (xc[dead] @ beta))
            u += w[dead] @ xc[dead]
            for rank in range(d):
                f = rank / d if ties == "efron" else 0.0
                r = wr * (at_risk - f * dead)
                s0 = r.sum()
                mean = r @ xc / s0
                loglik -= mean_weight * np.log(s0)
                u -= mean_weight * mean
                imat += mean_weight * ((xc * r[:, None]).T @ xc / s0 - np.outer(mean, mean))
    return loglik, u, imat


@pytest.mark.parametrize("case", range(8))
def test_sums_by_time_equal_sums_by_term(case: int) -> None:
    """The engine sums the risk sets per event time (weighted counts per bin, then
    cumulative sums); the same quantities summed term by term from the definition agree
    to rounding, on right-censored and (start, stop] data, Efron and Breslow, heavy ties,
    case weights and strata."""
    rng = np.random.default_rng(case)
    n, p = int(rng.integers(20, 120)), int(rng.integers(1, 4))
    x = rng.normal(size=(n, p))
    x[:, 0] = rng.integers(0, 2, n)
    stop = np.round(rng.exponential(5, n), case % 3) + 0.5  # rounded: many ties
    event = (rng.random(n) < 0.7).astype(float)
    event[0] = 1.0
    start = None
    if case % 2:
        start = np.minimum(np.round(stop * rng.random(n), 1), stop - 0.25) * (rng.random(n) < 0.6)
    w = rng.integers(1, 4, n).astype(float) if case % 4 == 1 else np.ones(n)
    strata = rng.integers(0, 2, n) if case % 4 == 3 else np.zeros(n, dtype=int)
    ties = "breslow" if case % 3 == 2 else "efron"
    fit = coxph(
        stop,
        event,
        x,
        start=start,
        weights=w,
        strata=strata,
        ties=ties,
        timefix=False,
        robust=False,
    )
    beta = fit.coef + rng.normal(scale=0.1, size=p)  # away from the optimum too
    engine = _derivatives(fit.data, beta)
    plain = _by_term(start, stop, event, x, w, strata, ties, beta)
    assert engine[0] == pytest.approx(plain[0], rel=1e-12)
    np.testing.assert_allclose(engine[1], plain[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(engine[2], plain[2], rtol=1e-10, atol=1e-12)
