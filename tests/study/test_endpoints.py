"""survival_tables: the contract tables of DESIGN.md, checked against R.

The patients table is rebuilt from the R fixtures' copy of the synthetic cohort
(tests/fixtures/r_survival/data_synthetic_{os,lpfs}.csv, same rows in the same
order), so the expected values are R's, whatever the cohort later becomes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spinemets.cohort.spec import ENDPOINTS
from spinemets.errors import NotApplicable, SpinemetsError
from spinemets.output import table_to_csv_text
from spinemets.study.endpoints import (
    endpoint,
    endpoint_data,
    interval_transforms,
    lifelines_defaults,
    permutation_table,
    progression_timing,
    progressions_by_group,
    survival_tables,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "r_survival"
pytestmark = pytest.mark.skipif(
    not (FIXTURES / "data_synthetic_os.csv").exists(),
    reason="R fixtures of the synthetic cohort not generated",
)
STRATA = ["all", "surgery", "adjuvant_therapy"]


def patients() -> pd.DataFrame:
    os_ = pd.read_csv(FIXTURES / "data_synthetic_os.csv")
    lp = pd.read_csv(FIXTURES / "data_synthetic_lpfs.csv")
    return pd.DataFrame(
        {
            "surgery": os_.surgery,
            "adjuvant_therapy": os_.adjuvant_therapy,
            "os_months": os_.time,
            "death": os_.event,
            "lp_months": lp.time,
            "local_progression": lp.event,
        }
    )


def r_rows(name: str, conf_type: str | None = "log") -> pd.DataFrame:
    ref = pd.read_csv(FIXTURES / f"{name}.csv", dtype={"group": str})
    ref = ref[ref.dataset.str.startswith("synthetic_")].copy()
    ref["endpoint"] = ref.dataset.str.removeprefix("synthetic_")
    return ref if conf_type is None else ref[ref.conf_type == conf_type]


@pytest.fixture(scope="module")
def tables():
    return survival_tables(patients(), milestones=(0, 12, 24, 36, 60, 120))


def test_columns_and_order_follow_the_contract(tables) -> None:
    assert list(tables.medians.columns) == [
        *["endpoint", "strata", "group", "n", "events", "median", "lower", "upper"],
        "conf_type",
    ]
    assert list(tables.rates.columns) == [
        *["endpoint", "strata", "group", "time", "n_risk", "survival", "lower", "upper"],
        "conf_type",
    ]
    assert list(tables.logrank.columns) == ["endpoint", "strata", "chisq", "df", "p"]
    keys = tables.medians[["endpoint", "strata", "group"]].apply(tuple, axis=1).tolist()
    assert keys[:5] == [
        ("os", "all", "all"),
        ("os", "surgery", "decompression"),
        ("os", "surgery", "metastasectomy"),
        ("os", "adjuvant_therapy", "cytokine"),
        ("os", "adjuvant_therapy", "targeted"),
    ]
    assert (tables.medians.conf_type == "log").all()
    assert tables.logrank.strata.tolist() == ["surgery", "adjuvant_therapy"] * 2


def test_medians_equal_r(tables) -> None:
    ref = r_rows("medians")
    merged = tables.medians.merge(ref, on=["endpoint", "strata", "group"], suffixes=("", "_r"))
    assert len(merged) == len(tables.medians) == 10
    for col in ["n", "events", "median", "lower", "upper"]:
        np.testing.assert_array_equal(merged[col], merged[f"{col}_r"])


def test_rates_equal_r(tables) -> None:
    ref = r_rows("milestones")
    merged = tables.rates.merge(
        ref, on=["endpoint", "strata", "group", "time"], suffixes=("", "_r")
    )
    assert len(merged) == len(tables.rates)
    np.testing.assert_array_equal(merged.n_risk, merged.n_risk_r)
    kept = merged.kept_by_extend_false
    np.testing.assert_allclose(merged.survival[kept], merged.surv[kept], rtol=1e-6)
    np.testing.assert_allclose(merged.lower[kept], merged.lower_r[kept], rtol=1e-6)
    assert merged.loc[~kept, ["survival", "lower", "upper"]].isna().all().all()


def test_logrank_equal_r(tables) -> None:
    ref = r_rows("logrank", conf_type=None)
    ref = ref[ref.rho == 0]
    merged = tables.logrank.merge(ref, on=["endpoint", "strata"], suffixes=("", "_r"))
    assert len(merged) == 4
    np.testing.assert_allclose(merged.chisq, merged.chisq_r, rtol=1e-6)
    np.testing.assert_allclose(merged.p, merged.p_r, rtol=1e-6)


def test_missing_values_are_written_empty() -> None:
    # LPFS median is not reached: written as empty cells, never inf
    df = patients()
    t = survival_tables(df, strata=["all"], endpoints=["lpfs"], milestones=[12, 1000])
    assert t.medians["median"].isna().all()
    csv = table_to_csv_text(t.medians)
    assert "inf" not in csv.lower() and ",,," in csv
    assert t.rates.loc[1, ["survival", "lower", "upper"]].isna().all()
    assert t.rates.loc[1, "n_risk"] == 0


def test_bad_inputs() -> None:
    df = patients()
    with pytest.raises(SpinemetsError, match="endpoint 'pfs' is not known"):
        survival_tables(df, endpoints=["pfs"])
    with pytest.raises(SpinemetsError, match="column\\(s\\) spine_region missing"):
        survival_tables(df, strata=["spine_region"])
    df.loc[3, "surgery"] = None
    with pytest.raises(SpinemetsError, match="column 'surgery', row 3: missing value"):
        survival_tables(df)
    with pytest.raises(SpinemetsError, match="conf_type"):
        survival_tables(patients(), conf_type="arcsine")


def test_endpoint_columns() -> None:
    assert {k: (v.time, v.event) for k, v in ENDPOINTS.items()} == {
        "os": ("os_months", "death"),
        "lpfs": ("lp_months", "local_progression"),
    }
    assert endpoint("lpfs").label == "Local progression-free survival"
    time, event = endpoint_data(patients(), "os")
    assert (time.name, event.name) == ("os_months", "death")
    with pytest.raises(SpinemetsError, match="endpoint 'pfs' is not known; expected one of os"):
        endpoint("pfs")


def test_interval_transforms() -> None:
    """The three transforms side by side equal R's survfit(conf.type = ...) limits."""
    got = interval_transforms(patients(), "lpfs", "surgery", milestones=(12, 36, 60))
    assert list(got.columns) == [
        *["group", "time", "n_risk", "survival"],
        *["lower_log", "upper_log", "lower_loglog", "upper_loglog", "lower_plain", "upper_plain"],
    ]
    for conf_type, suffix in (("log", "log"), ("log-log", "loglog"), ("plain", "plain")):
        ref = r_rows("milestones", conf_type)
        ref = ref[(ref.endpoint == "lpfs") & (ref.strata == "surgery")]
        merged = got.merge(ref, on=["group", "time"], suffixes=("", "_r"))
        assert len(merged) == len(got) == 6
        kept = merged.kept_by_extend_false
        assert kept.any()
        np.testing.assert_allclose(merged.survival[kept], merged.surv[kept], rtol=1e-6)
        for side in ("lower", "upper"):
            ours = merged[f"{side}_{suffix}"]
            np.testing.assert_allclose(ours[kept], merged[side][kept], rtol=1e-6)
            assert ours[~kept].isna().all()


def test_progressions_by_group() -> None:
    """Counts by hand; Yates' chi-square by its formula n (|ad - bc| - n/2)^2 / (r1 r2 c1 c2)."""
    df = patients()
    counts, test = progressions_by_group(df, "surgery")
    assert counts["surgery"].tolist() == ["decompression", "metastasectomy"]
    for _, row in counts.iterrows():
        group = df[df.surgery == row["surgery"]]
        assert (row["patients"], row["progressions"]) == (
            len(group),
            int(group.local_progression.sum()),
        )
    (a, c), (b, d) = counts[["patients", "progressions"]].to_numpy()
    a, b = a - c, b - d  # no progression: patients minus progressions
    n = a + b + c + d
    yates = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + c) * (b + d) * (a + b) * (c + d))
    row = test.iloc[0]
    assert row["comparison"] == "local_progression_by_surgery"
    assert row["statistic"] == pytest.approx(yates, rel=1e-12) and row["df"] == 1
    assert "Yates" in row["method"]
    one = df[df.surgery == "decompression"]
    with pytest.raises(NotApplicable, match="surgery: one group"):
        progressions_by_group(one, "surgery")


def test_progression_timing() -> None:
    df = patients()
    got = progression_timing(df).set_index("statistic")["lp_months"]
    times = df.loc[df.local_progression == 1, "lp_months"]
    assert got["count"] == len(times) and got["50%"] == pytest.approx(np.median(times))
    assert got["within 12 months"] == (times <= 12).sum()
    assert list(got.index) == ["count", "min", "25%", "50%", "75%", "max", "within 12 months"]


def test_permutation_table(bundled) -> None:
    """The permutation log-rank beside survdiff, per endpoint and grouping, as R."""
    patients = bundled.patients
    table, results = permutation_table(patients, n_permutations=200, max_enumeration=0)
    assert table[["endpoint", "strata"]].values.tolist() == [
        ["os", "surgery"],
        ["os", "adjuvant_therapy"],
        ["lpfs", "surgery"],
        ["lpfs", "adjuvant_therapy"],
    ]
    assert set(results) == {("os", "surgery"), ("os", "adjuvant_therapy")} | {
        ("lpfs", "surgery"),
        ("lpfs", "adjuvant_therapy"),
    }
    # R survdiff on the same cohort (tests/fixtures/r_cox_models.R)
    ref = pd.read_csv(Path(__file__).parents[1] / "fixtures" / "r_cox_models" / "logrank.csv")
    ref = ref.set_index(["dataset", "strata"])
    synthetic = ref.loc[ref.index.get_level_values(0).str.startswith("synthetic")]
    assert len(synthetic) == 4
    for (dataset, strata), row in synthetic.iterrows():
        endpoint = dataset.removeprefix("synthetic_")
        ours = table.set_index(["endpoint", "strata"]).loc[(endpoint, strata)]
        assert ours["chisq"] == pytest.approx(row["chisq"], rel=1e-9)
        assert ours["p_asymptotic"] == pytest.approx(row["p"], rel=1e-9)
    assert (table["method"] == "monte carlo").all()
    assert (table["n_permutations"] == 200).all()
    again, _ = permutation_table(patients, n_permutations=200, max_enumeration=0)
    pd.testing.assert_frame_equal(table, again)
    published = pd.DataFrame({"endpoint": ["lpfs"], "strata": ["surgery"], "value": [0.043]})
    with_p, _ = permutation_table(
        patients, n_permutations=200, max_enumeration=0, published_p=published
    )
    assert with_p["p_published"].iloc[2] == 0.043
    assert with_p["p_published"].drop(index=2).isna().all()


def test_lifelines_defaults() -> None:
    """R's defaults beside lifelines' defaults: R's conf.type "log" against lifelines,
    whose band and median limits are R's conf.type "log-log" (both checked against R)."""
    table = lifelines_defaults(patients(), "os", ["surgery", "adjuvant_therapy"], time=36)
    assert list(table.columns) == [
        *["strata", "group", "quantity", "r_default", "lifelines_default", "differs"]
    ]
    for conf_type, column in (("log", "r_default"), ("log-log", "lifelines_default")):
        medians = r_rows("medians", conf_type)
        rates = r_rows("milestones", conf_type)
        rates = rates[(rates.endpoint == "os") & (rates.time == 36)]
        for (strata, group), part in table.groupby(["strata", "group"]):
            got = part.set_index("quantity")[column]
            m = medians[(medians.endpoint == "os") & (medians.strata == strata)]
            m = m[m.group == group].iloc[0]
            r = rates[(rates.strata == strata) & (rates.group == group)].iloc[0]
            assert got["median lower"] == m["lower"], (conf_type, group)
            assert got["median upper"] == m["upper"], (conf_type, group)
            assert got["survival at 36 lower"] == pytest.approx(r["lower"], rel=1e-6)
            assert got["survival at 36 upper"] == pytest.approx(r["upper"], rel=1e-6)
            assert got["survival at 36"] == pytest.approx(r["surv"], rel=1e-9)
    # the estimates agree; the intervals are where the defaults part
    estimates = table[table.quantity.isin(["median", "survival at 36"])]
    assert not estimates["differs"].any()
    assert table[table.quantity == "survival at 36 lower"]["differs"].all()
