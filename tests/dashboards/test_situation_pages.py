"""The epidemic situation on the pages, through the server as the page's script calls it: the Indicators
page, the trend labels and season status on the Overview and Trends pages, and the forecast drawn only
where the model beat the naive baseline (on a store with years of seasonal data)."""

from __future__ import annotations

import base64
import json
from datetime import date

import numpy as np

import pandas as pd
import pytest
from epiweeks import Week

from dashboards.server import create_server
from surveillance.config import Config
from surveillance.service.situation import region_forecasts, region_indicators
from surveillance.store import open_store
from surveillance.store.reference import load_reference
from surveillance.users import add_user

from ..conftest import small_regions, small_units
from ..situation.stored import write_seasonal
from .conftest import PASSWORD, TODAY, call_callback, callback_response, signed_in_client


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def answer(client, server, output_id, values) -> dict:
    response = call_callback(client, server, output_id, values)
    assert response.status_code == 200, response.data
    return callback_response(response.data)


def values(array) -> list:
    """A figure's array as the browser decodes it (plotly sends numbers as typed base64 arrays)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def texts(component) -> str:
    return json.dumps(component, ensure_ascii=False)


@pytest.mark.parametrize("user, region", [("ada", ""), ("eve", "320100"), ("vic", "320102")])
def test_the_indicators_page_counts_the_users_alerts(server, demo_store, user, region):
    store, _ = demo_store
    client = signed_in_client(server, user)
    since, until = "2026-08-01", TODAY.isoformat()
    got = answer(client, server, "indicators-kpis", {"indicators-period.start_date": since,
                                                     "indicators-period.end_date": until,
                                                     "indicators-region.value": region})
    expected = region_indicators(store, region=region or None, since=date(2026, 8, 1), until=TODAY, by=())
    kpis = texts(got["indicators-kpis"]["children"])
    assert f'"{int(expected["alerts"].iloc[0])}"' in kpis and "Answered within 24 hours" in kpis
    assert "7-1-7 targets met" in kpis and "of 0 confirmed outbreaks with a start date" in kpis
    table = got["indicators-table"]["children"]["props"]
    assert [c["id"] for c in table["columns"]][:3] == ["detector", "syndrome", "alerts"]
    assert sum(r["alerts"] for r in table["data"]) >= int(expected["alerts"].iloc[0])  # a row per detector


def test_the_indicators_page_refuses_a_region_outside_the_scope(server):
    client = signed_in_client(server, "vic")
    got = answer(client, server, "indicators-kpis", {"indicators-period.start_date": "2026-08-01",
                                                     "indicators-period.end_date": TODAY.isoformat(),
                                                     "indicators-region.value": "320200"})
    assert got["indicators-kpis"]["children"] == [] and "No data" in texts(got["indicators-table"])


def test_the_overview_shows_trend_labels_and_seasons_of_the_users_regions(server):
    client = signed_in_client(server, "eve")
    got = texts(answer(client, server, "overview-situation", {"overview-day.date": "2026-11-20"}))
    assert "overview-trend-table" in got and "overview-season-table" in got
    assert any(word in got for word in ('"increasing"', '"stable"', '"decreasing"'))
    assert "Guangjiao" in got and "Hanwan" not in got  # eve's city and its districts only
    assert "no thresholds yet (too few past seasons)" in got  # the demo holds 60 days: no past season
    viewer = texts(answer(signed_in_client(server, "vic"), server, "overview-situation",
                          {"overview-day.date": "2026-11-20"}))
    assert "Jiangtan" in viewer and "Guangjiao" not in viewer


# --- years of seasonal data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seasonal_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seasonal-site")
    store = open_store(folder / "s.duckdb")
    load_reference(store, small_regions(), small_units(),
                   pd.DataFrame({"region": ["320102", "320103"], "neighbour": ["320103", "320102"]}))
    write_seasonal(store)
    add_user(store, "ada", PASSWORD, role="admin", region=None)
    add_user(store, "wen", PASSWORD, role="admin", region=None, language="zh")
    add_user(store, "vic", PASSWORD, role="viewer", region="320102")
    config = Config.model_validate({"database": {"path": str(folder / "s.duckdb")}})
    yield create_server(store, config, announce=lambda message: None), store
    store.close()


def test_the_forecast_is_drawn_only_where_it_beat_the_baseline(seasonal_server):
    server, store = seasonal_server
    client = signed_in_client(server, "ada")
    got = answer(client, server, "trends-forecast", {"trends-region.data": "320102", "trends-syndromes.value": ["ili"]})
    traces = got["trends-forecast"]["figure"]["data"]
    table = region_forecasts(store, regions=["320102"], week=Week(2026, 48, system="iso"), syndromes=["ili"])
    shown = table[table["shown"]]
    names = [trace.get("name") for trace in traces]
    if len(shown):
        median = next(trace for trace in traces if trace.get("name") == "forecast (median)")
        assert values(median["y"]) == pytest.approx(list(shown["median"]))
        assert len(values(median["x"])) == len(shown)  # the weeks ahead where the model beat the baseline
        assert "50% interval" in names and "90% interval" in names
    else:
        assert names == ["observed"]
    assert "Season status" in texts(got["trends-situation"]) and "increasing" in texts(got["trends-situation"])
    chinese = answer(signed_in_client(server, "wen"), server, "trends-forecast",
                     {"trends-region.data": "320102", "trends-syndromes.value": ["ili"]})
    assert "流行季状态" in texts(chinese["trends-situation"]) and "上升" in texts(chinese["trends-situation"])


def test_a_viewer_without_exact_counts_reads_the_labels_not_the_forecast(seasonal_server):
    server, _ = seasonal_server
    client = signed_in_client(server, "vic")
    got = answer(client, server, "trends-forecast", {"trends-region.data": "320102", "trends-syndromes.value": ["ili"]})
    assert [trace.get("name") for trace in got["trends-forecast"]["figure"]["data"]] == ["observed"]
    assert "forecasts are shown to users who read exact counts" in got["trends-forecast-note"]["children"]
    assert "increasing" in texts(got["trends-situation"])
