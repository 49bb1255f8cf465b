"""The situation's tables read from a real store: regions summed over their subtree, the figures those of
the library functions on the same sums made by hand."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from epiweeks import Week

from surveillance.evaluation.forecast import backtest_forecasts, forecast_skill
from surveillance.panel import panel_from_long, to_weekly
from surveillance.service import situation
from surveillance.situation import forecast, season, trends
from surveillance.situation.indicators import response_indicators
from surveillance.store import open_store
from surveillance.store.reference import load_reference

from ..conftest import small_regions, small_units
from .stored import LAST_DAY, REGION_UNITS, subtree_sums, write_alerts, write_seasonal

REGIONS = ["320000", "320102", "320103"]
WEEK = Week(2026, 48, system="iso")


@pytest.fixture(scope="module")
def seasonal(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("situation") / "s.duckdb")
    load_reference(store, small_regions(), small_units(),
                   pd.DataFrame({"region": ["320102", "320103"], "neighbour": ["320103", "320102"]}))
    rows = write_seasonal(store)
    yield store, rows
    store.close()


def by_hand(rows, region, syndrome, start, end):
    sums = subtree_sums(rows, REGION_UNITS[region])
    sums = sums[(sums["syndrome"] == syndrome) & (sums["date"] >= pd.Timestamp(start)) & (sums["date"] <= pd.Timestamp(end))]
    return panel_from_long(sums.assign(region=region), ["region", "syndrome"], start=pd.Timestamp(start),
                           end=pd.Timestamp(end))


def test_trend_labels_are_rnssps_on_the_subtree_sums(seasonal):
    store, rows = seasonal
    table = situation.trend_labels(store, regions=REGIONS, day=LAST_DAY)
    assert list(table.columns[:5]) == ["region", "syndrome", "label", "slope", "pvalue"]
    assert set(zip(table["region"], table["syndrome"])) == {(r, s) for r in REGIONS for s in ("fever", "hfmd", "ili")}
    start = pd.Timestamp(LAST_DAY) - pd.Timedelta(days=11)
    for region in REGIONS:
        panel = by_hand(rows, region, "ili", start, LAST_DAY)
        expected = trends.classify_trends(panel.counts, panel.totals)
        got = table[(table["region"] == region) & (table["syndrome"] == "ili")].iloc[0]
        assert got["label"] == expected.label[0]
        assert got["slope"] == pytest.approx(expected.slope[0], rel=1e-9)
        assert got["pvalue"] == pytest.approx(expected.pvalue[0], rel=1e-6, abs=1e-300)
        window = subtree_sums(rows, REGION_UNITS[region]).query("syndrome == 'ili' and date >= @start")
        assert got["percent"] == pytest.approx(100 * window["count"].sum() / window["total"].sum())
    # Dongcheng's early season is rising; fever's flat share is stable everywhere.
    labels = table.set_index(["region", "syndrome"])["label"]
    assert labels[("320102", "ili")] == "increasing"
    assert (table.loc[table["syndrome"] == "fever", "label"] == "stable").all()


def test_trend_labels_of_a_store_without_data_are_empty(store):
    table = situation.trend_labels(store, regions=["320102"], day=date(2026, 1, 1))
    assert table.empty and list(table.columns[:5]) == ["region", "syndrome", "label", "slope", "pvalue"]


def test_season_statuses_are_mems_on_the_weekly_percent(seasonal):
    store, rows = seasonal
    table = situation.season_statuses(store, regions=[*REGIONS, "320199"], week=WEEK)
    assert list(table.columns[:13]) == ["region", "syndrome", "season", "level", "phase", "percent",
                                        "epidemic_threshold", "post_threshold", "medium", "high", "very_high",
                                        "started_week", "ended_week"]
    assert len(table) == 8
    monday = pd.Timestamp("2026-11-23")
    for region in ("320000", "320102"):
        for syndrome, start_week in (("ili", 40), ("hfmd", 1)):
            weekly = to_weekly(by_hand(rows, region, syndrome, "2023-06-05", "2026-11-29"))
            status, _ = season.season_situation(season.weekly_percent(weekly), weekly.dates, weekly.keys,
                                                start_week=start_week, as_of=monday)
            want = status.iloc[0]
            got = table[(table["region"] == region) & (table["syndrome"] == syndrome)].iloc[0]
            assert got["season"] == want["season"] and got["level"] == want["level"] and got["phase"] == want["phase"]
            for column, theirs in (("epidemic_threshold", "epidemic_threshold"), ("post_threshold", "post_threshold"),
                                   ("medium", "medium_threshold"), ("high", "high_threshold"),
                                   ("very_high", "very_high_threshold"), ("percent", "value")):
                assert got[column] == pytest.approx(want[theirs], rel=1e-12), column
            assert got["seasons_used"] == want["seasons_used"] and got["reason"] is None
    # Hand-computed: the week's percent of visits of Dongcheng's two units.
    week = subtree_sums(rows, REGION_UNITS["320102"]).query("syndrome == 'ili' and date >= @monday")
    dongcheng = table.set_index(["region", "syndrome"]).loc[("320102", "ili")]
    assert dongcheng["percent"] == pytest.approx(100 * week["count"].sum() / week["total"].sum())
    assert dongcheng["season"] == "2026/2027" and dongcheng["reported_week"] == "2026-W48"
    assert dongcheng["seasons_used"] == 3  # 2023/24, 2024/25, 2025/26 (2022/23 has too few weeks)
    assert dongcheng["level"] not in (None, "baseline") and dongcheng["started_week"].startswith("2026-W")
    assert table.set_index(["region", "syndrome"]).loc[("320102", "hfmd"), "season"] == "2026"
    # Xicheng reports since March 2025: one past season of each, no thresholds; no data at all for 320199.
    for syndrome in ("ili", "hfmd"):
        xicheng = table.set_index(["region", "syndrome"]).loc[("320103", syndrome)]
        assert xicheng["level"] is None and np.isnan(xicheng["epidemic_threshold"])
        assert xicheng["reason"].startswith("1 past season")
        assert table.set_index(["region", "syndrome"]).loc[("320199", syndrome), "reason"] == "no data"


def test_region_forecasts_are_the_models_shown_where_it_beats_the_baseline(seasonal):
    store, rows = seasonal
    table = situation.region_forecasts(store, regions=["320102", "320103"], week=WEEK, syndromes=["ili", "hfmd"])
    assert list(table.columns[:10]) == ["region", "syndrome", "horizon", "week", "median", "lower50", "upper50",
                                        "lower90", "upper90", "shown"]
    dongcheng = table[(table["region"] == "320102") & (table["syndrome"] == "ili")]
    assert list(dongcheng["week"]) == ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]
    weekly = to_weekly(by_hand(rows, "320102", "ili", pd.Timestamp("2026-11-23") - pd.Timedelta(weeks=316),
                               "2026-11-29"))
    expected = forecast.forecast(weekly, 4)
    np.testing.assert_allclose(dongcheng["median"], expected.quantiles[0, :, 2], rtol=1e-9)
    np.testing.assert_allclose(dongcheng["lower90"], expected.quantiles[0, :, 0], rtol=1e-9)
    np.testing.assert_allclose(dongcheng["upper50"], expected.quantiles[0, :, 3], rtol=1e-9)
    skill = forecast_skill(backtest_forecasts(weekly, horizons=(1, 2, 3, 4), origins=52), by=("horizon",))
    assert list(dongcheng["shown"]) == list(skill["show"])
    ok = table[table["status"] == "ok"]
    assert ((ok["lower90"] <= ok["lower50"]) & (ok["lower50"] <= ok["median"]) & (ok["median"] <= ok["upper50"])
            & (ok["upper50"] <= ok["upper90"])).all()
    # Xicheng has 91 reported weeks, fewer than the model's 104: no forecast, never shown.
    xicheng = table[table["region"] == "320103"]
    assert (xicheng["status"] == "insufficient_history").all() and not xicheng["shown"].any()
    assert xicheng["median"].isna().all()


def test_region_indicators_cover_the_subtree_and_period(seasonal):
    store, _ = seasonal
    write_alerts(store, outbreak_starts={1: date(2026, 2, 26)})
    as_of = datetime(2026, 3, 31)
    city = situation.region_indicators(store, region="320100", since=date(2026, 3, 1), until=date(2026, 3, 31),
                                       by=(), as_of=as_of).iloc[0]
    # Episodes 1-4 (4 is a unit's data-quality episode in Dongcheng); 5 opened after the period.
    assert city["alerts"] == 4 and city["actioned"] == 4
    assert city["share_action_24h"] == pytest.approx(3 / 4)  # 2 h, 30 h, 6 h, 12 h
    assert city["median_hours_to_action"] == pytest.approx(9.0)
    assert city["closed_with_outcome"] == 3 and city["ppv"] == pytest.approx(1 / 3)
    # 7-1-7 of episode 1: detected 3 days after the start, answered after 2 h, investigated 46 h later.
    assert city["outbreaks_717"] == 1 and city["share_detect_7d"] == 1.0 and city["share_717"] == 1.0
    dongcheng = situation.region_indicators(store, region="320102", since=date(2026, 3, 1), until=date(2026, 3, 31),
                                            as_of=as_of)
    by_detector = dongcheng.set_index(["detector", "syndrome"])
    assert set(by_detector.index) == {("ears_c2", "ili"), ("farrington", "ili"), ("quality", "unit_silent")}
    assert by_detector.loc[("ears_c2", "ili"), "alerts"] == 2
    assert by_detector.loc[("ears_c2", "ili"), "median_hours_to_closure"] == pytest.approx((120 + 48) / 2)
    assert by_detector.loc[("farrington", "ili"), "ppv"] == 0.0
    # The same as the library on the store's own tables.
    with store.cursor() as con:
        episodes = con.execute("SELECT * FROM alert_episodes WHERE episode_id IN (1, 2, 4)").df()
        assert episodes.set_index("episode_id")["outbreak_start"].notna().to_dict() == {1: True, 2: False, 4: False}
        events = con.execute("SELECT * FROM alert_events WHERE episode_id IN (1, 2, 4)").df()
    library = response_indicators(events, episodes, by=["detector", "syndrome"], as_of=as_of)
    pd.testing.assert_frame_equal(dongcheng.reset_index(drop=True), library.reset_index(drop=True))
    empty = situation.region_indicators(store, region="320103", since=date(2025, 1, 1), until=date(2025, 12, 31),
                                        as_of=as_of)
    assert empty.empty and {"detector", "syndrome", "alerts", "share_717"} <= set(empty.columns)
