"""Small counts as a viewer and an epidemiologist of the same city see them, over HTTP on the demo database:
the API's counts (a facility's small counts, and the county's other facilities hidden with them so that the
county's total gives nothing back), a facility's trends, an alert's page, evidence and reason. Detection
judged the exact counts all along."""

from __future__ import annotations

import base64
import re
from collections import defaultdict

import numpy as np
import pytest

from dashboards.server import create_server
from surveillance.users import add_user

from .conftest import PASSWORD, call_callback, callback_response, signed_in_client

CITY, COUNTY = "320100", "320102"  # Guangjiao City and Jiangtan District in it (conftest)
VIEWER, EPIDEMIOLOGIST = "vera", "eve"  # both of the city (eve: conftest.USERS)


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    add_user(store, VIEWER, PASSWORD, role="viewer", region=CITY)
    return create_server(store, config, announce=lambda message: None)


@pytest.fixture(scope="module")
def clients(server):
    return {name: signed_in_client(server, name) for name in (VIEWER, EPIDEMIOLOGIST)}


def _exact(store, unit: str, syndrome: str) -> dict[str, float]:
    """A unit's counts by day as the store holds them (all ages)."""
    return dict(store.cursor().execute(
        "SELECT CAST(date AS VARCHAR), sum(count) FROM observations_latest WHERE unit = ? AND syndrome = ?"
        " GROUP BY date", [unit, syndrome]).fetchall())


def _units(store, county: str) -> list[str]:
    return [r[0] for r in store.cursor().execute("SELECT code FROM units WHERE county = ? ORDER BY code",
                                                 [county]).fetchall()]


def _counts(client, region: str, syndrome: str) -> dict:
    return client.get(f"/api/counts?days=60&syndrome={syndrome}&region={region}").get_json()


def test_the_api_hides_a_viewers_small_counts_and_gives_an_epidemiologist_exact_ones(demo_store, clients):
    store, _ = demo_store
    unit = _units(store, COUNTY)[-1]
    exact = _exact(store, unit, "fever")
    small = {day for day, count in exact.items() if 1 <= count < 5}
    assert small, "the demo's smallest clinic has days of fewer than 5 fever visits"
    seen = _counts(clients[VIEWER], unit, "fever")
    assert seen["min_cell"] == 5
    hidden = {row["date"] for row in seen["counts"] if row["suppressed"]}
    assert small <= hidden
    assert all(row["count"] is None for row in seen["counts"] if row["suppressed"])
    assert all(row["count"] == exact[row["date"]] and not 1 <= row["count"] < 5
               for row in seen["counts"] if not row["suppressed"])
    told = _counts(clients[EPIDEMIOLOGIST], unit, "fever")
    assert "min_cell" not in told and all("suppressed" not in row for row in told["counts"])
    assert {row["date"]: row["count"] for row in told["counts"]} == exact


def test_a_facilitys_small_count_cannot_be_worked_out_from_its_countys_total(demo_store, clients):
    """ILI in Jiangtan's four facilities: on a day when one of them had 1-4 visits and the others more, the
    district's total minus the others would give it back; the viewer's answer hides another facility too."""
    store, _ = demo_store
    units = _units(store, COUNTY)
    exact = {u: _exact(store, u, "ili") for u in units}
    seen = {u: {r["date"]: r for r in _counts(clients[VIEWER], u, "ili")["counts"]} for u in units}
    county = {r["date"]: r for r in _counts(clients[VIEWER], COUNTY, "ili")["counts"]}
    recoverable = complements = 0
    for day, total in county.items():
        if total["suppressed"]:
            continue
        small = [u for u in units if 1 <= exact[u].get(day, 0) < 5]
        hidden = [u for u in units if day in seen[u] and seen[u][day]["suppressed"]]
        assert set(small) <= set(hidden), day
        assert len(hidden) != 1, (day, hidden)  # one hidden facility would be the total minus the others
        recoverable += len(small) == 1
        complements += any(exact[u][day] >= 5 for u in hidden)
    assert recoverable and complements  # the demo has such days, and they were protected by a larger count


def _series(client, server, region: str, syndrome: str) -> dict:
    figure = callback_response(call_callback(client, server, "trends-series", {
        "trends-region.data": region, "trends-syndromes.value": [syndrome], "trends-ages.value": [],
        "trends-measure.value": "count", "trends-freq.value": "daily", "trends-range.value": "90",
        "trends-smooth.value": "0", "trends-overlay.value": []}).data)["trends-series"]["figure"]
    return {trace.get("name"): trace for trace in figure["data"]}


def _numbers(values) -> list[float]:
    """A trace's values, whether a list or Plotly's typed array (``{"dtype", "bdata"}``), without the gaps."""
    if isinstance(values, dict):
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return [float(v) for v in values if v is not None and v == v]


def test_a_facilitys_trends_mark_a_viewers_small_counts(demo_store, server, clients):
    store, _ = demo_store
    unit = _units(store, COUNTY)[2]
    viewer = _series(clients[VIEWER], server, unit, "ili")
    marked = viewer.pop("<5")
    (line,) = viewer.values()
    values = _numbers(line["y"])
    assert values and not any(1 <= v < 5 for v in values)
    small = {day for day, count in _exact(store, unit, "ili").items() if 1 <= count < 5}
    assert small <= {x[:10] for x in marked["x"]} and set(marked["text"]) == {"<5"}
    epidemiologist = _series(clients[EPIDEMIOLOGIST], server, unit, "ili")
    assert "<5" not in epidemiologist
    (line,) = epidemiologist.values()
    assert any(1 <= v < 5 for v in _numbers(line["y"]))


def _small_alert(store) -> int:
    """An outbreak alert in the city whose evidence holds a count of 1-4."""
    return store.cursor().execute(
        "SELECT e.episode_id FROM alert_episodes e JOIN alert_evidence v USING (episode_id)"
        " JOIN regions r ON r.code = e.region WHERE e.kind = 'outbreak' AND r.parent = ?"
        " AND v.measure = 'count' AND v.observed BETWEEN 1 AND 4 ORDER BY 1 LIMIT 1", [CITY]).fetchone()[0]


def _page(client, server, path: str) -> dict:
    """The page's components by id, from the router's answer."""
    answer = callback_response(call_callback(client, server, "app-page", {"app-url.pathname": path,
                                                                           "app-url.search": ""}).data)
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                found[props["id"]] = props
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(answer["app-page"]["children"])
    return found


def test_an_alerts_page_evidence_and_reason_for_a_viewer_and_an_epidemiologist(demo_store, server, clients):
    store, _ = demo_store
    episode_id = _small_alert(store)
    judged = [r[0] for r in store.cursor().execute(
        "SELECT observed FROM alert_evidence WHERE episode_id = ? AND measure = 'count'", [episode_id]).fetchall()]
    assert any(1 <= v < 5 for v in judged)  # detection judged the exact counts

    viewer = _page(clients[VIEWER], server, f"/app/alerts/{episode_id}")
    assert "alert-suppressed" in viewer
    observed = [row["observed"] for row in viewer["alert-evidence"]["data"]]
    assert "<5" in observed and not any(re.fullmatch(r"[1-4]", v) for v in observed)
    why = viewer["alert-why"]["children"]
    assert "<5 visits" in why or "* visits" in why, why
    detail = clients[VIEWER].get(f"/api/alerts/{episode_id}").get_json()
    rows = [r for r in detail["evidence"] if r["measure"] == "count"]
    assert all((r["observed"] is None) == r["suppressed"] for r in rows) and any(r["suppressed"] for r in rows)
    assert all(r["observed"] is None or r["observed"] >= 5 for r in rows)
    assert all(r["pvalue"] is None for r in rows if r["suppressed"])
    notes = [e["note"] for e in detail["events"] if e["user_name"] == "system" and e["note"]]
    assert notes and not any("observed" in n or "p=" in n for n in notes)

    epidemiologist = _page(clients[EPIDEMIOLOGIST], server, f"/app/alerts/{episode_id}")
    assert "alert-suppressed" not in epidemiologist
    assert "<5" not in [row["observed"] for row in epidemiologist["alert-evidence"]["data"]]
    assert re.search(r"\b[1-4] visits? on", epidemiologist["alert-why"]["children"]) or "visits over" in \
        epidemiologist["alert-why"]["children"]
    told = clients[EPIDEMIOLOGIST].get(f"/api/alerts/{episode_id}").get_json()
    assert sorted(r["observed"] for r in told["evidence"] if r["measure"] == "count") == sorted(judged)
    assert any("observed" in e["note"] for e in told["events"] if e["user_name"] == "system" and e["note"])


def test_the_alert_lists_reason_hides_a_viewers_small_counts(demo_store, server, clients):
    store, _ = demo_store
    episode_id = _small_alert(store)
    reasons = {}
    for name, client in clients.items():
        answer = callback_response(call_callback(client, server, "alerts-box", {
            "alerts-severity.value": [], "alerts-state.value": [], "alerts-syndrome.value": [],
            "alerts-kind.value": [], "alerts-ended.value": ["1"]}).data)
        rows = answer["alerts-box"]["children"]["props"]["data"]
        reasons[name] = next(r["why"] for r in rows if r["episode_id"] == episode_id)
    figures = defaultdict(list)
    for name, why in reasons.items():
        figures[name] = re.findall(r"(\S+) visits? (?:on|over)", why)
    assert figures[VIEWER] and figures[VIEWER][0] in ("<5", "*"), reasons[VIEWER]
    assert re.fullmatch(r"[\d,.]+", figures[EPIDEMIOLOGIST][0]), reasons[EPIDEMIOLOGIST]


def test_every_page_answers_a_viewer_without_a_fault(demo_store, server, clients, dashboard_errors):
    """Every page's callbacks as a viewer reads them, in both languages (the marks are on every page)."""
    store, _ = demo_store
    client = clients[VIEWER]
    unit = _units(store, COUNTY)[-1]
    calls = [
        ("overview-map", {"overview-day.date": "2026-11-19", "overview-syndrome.value": "rash_fever"}),
        ("overview-map", {"overview-day.date": "2026-11-19", "overview-syndrome.value": "fever"}),
        ("trends-children", {"trends-region.data": COUNTY, "trends-syndromes.value": ["hfmd"]}),
        ("quality-heatmap", {"quality-county.value": COUNTY, "quality-days.value": "28"}),
        ("quality-quarantine", {"quality-days.value": "28"}),
        ("clusters-list", {"clusters-days.value": "90"}),
    ]
    weekly = {"trends-region.data": unit, "trends-syndromes.value": ["ili", "hfmd"], "trends-ages.value": ["0-4"],
              "trends-measure.value": "percent", "trends-freq.value": "weekly", "trends-range.value": "365",
              "trends-smooth.value": "7", "trends-overlay.value": []}
    calls += [("trends-series", weekly), ("trends-series", {**weekly, "trends-overlay.value": ["1"]})]
    for lang in ("en", "zh"):
        client.get(f"/language/{lang}")
        for output, values in calls:
            assert call_callback(client, server, output, values).status_code == 200, output
        for path in ("/app/", "/app/trends", "/app/quality", "/app/alerts", "/app/clusters",
                     f"/app/alerts/{_small_alert(store)}"):
            assert _page(client, server, path), path
    client.get("/language/en")
    assert client.get("/").status_code == 200
    assert dashboard_errors.messages() == []
    heat = call_callback(client, server, "quality-heatmap", {"quality-county.value": COUNTY, "quality-days.value": "28"})
    hover = callback_response(heat.data)["quality-heatmap"]["figure"]["data"][0]["customdata"]
    assert "<5" in {day[2] for unit in hover for day in unit}  # a unit-day's small fever count
