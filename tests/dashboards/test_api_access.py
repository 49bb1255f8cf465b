"""Every route behind a session or an API token, every answer within the caller's regions, and bad
parameters refused with 400: over HTTP (Flask's test client) on the demo database.

The routes are read from the server's URL map, so a route added later is covered without a change here.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

import dashboards.server
from surveillance.store.runs import job_run
from dashboards.server import create_server
from surveillance.credentials import create_token, revoke_token
from surveillance.users import UserError, add_user, audit_log

from .conftest import OTHER_CITY, OTHER_COUNTY, PASSWORD, call_callback, signed_in_client

VIC_COUNTY = "320102"  # vic's district (conftest.USERS)
# Routes that answer without sign-in, and must reveal nothing: the login form, signing out, the language
# switch, the icon, the alert emails' link (a redirect to the dashboard's page) and the health check.
PUBLIC = {"login", "logout", "favicon", "set_language", "alert_link", "api_health"}


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


@pytest.fixture(scope="module")
def tokens(demo_store):
    store, _ = demo_store
    made = {"vic": create_token(store, "vic", label="county dashboard")[1],
            "eve@county": create_token(store, "eve", region=VIC_COUNTY, label="one district")[1],
            "ada": create_token(store, "ada", label="monitoring")[1]}
    revoked, made["revoked"] = create_token(store, "ada", label="old")
    revoke_token(store, revoked.token_id, by="ada")
    made["expired"] = create_token(store, "ada", days=1, now=datetime.now() - timedelta(days=2))[1]
    return made


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _episodes(store) -> list[tuple]:
    return store.cursor().execute("SELECT episode_id, kind, region, regions FROM alert_episodes ORDER BY 1").fetchall()


def _requests(server, episode_id: int):
    """(endpoint, method, path) of every route of the server and every method it takes."""
    samples = {"episode_id": str(episode_id), "code": "zh"}
    for rule in server.url_map.iter_rules():
        _, path = rule.build({name: samples.get(name, "x") for name in rule.arguments})
        for method in sorted(rule.methods):
            yield rule.endpoint, method, path


def _leaks(store, text: str) -> list[str]:
    """What of the data or the machine an anonymous answer shows."""
    markers = [str(store.path), str(store.path.parent), "F3201", "F3202", "Jiangtan", "Hanwan", "HTTP 503",
               "evidence", "observed", "surveillance.duckdb"]
    return [m for m in markers if m in text]


@pytest.mark.parametrize("credential", ["none", "bogus token", "revoked token", "expired token", "token off the API"])
def test_no_route_answers_without_a_session_or_token(server, demo_store, tokens, credential):
    store, _ = demo_store
    headers = {"none": {}, "bogus token": bearer("svt_not-a-token"), "revoked token": bearer(tokens["revoked"]),
               "expired token": bearer(tokens["expired"]), "token off the API": bearer(tokens["ada"])}[credential]
    episode_id = _episodes(store)[0][0]
    seen = set()
    for endpoint, method, path in _requests(server, episode_id):
        seen.add(endpoint)
        if credential == "token off the API" and path.startswith("/api/"):
            continue  # a live token opens the API: the other tests
        response = server.test_client().open(path, method=method, headers=headers)
        text = response.get_data().decode("utf-8", "replace")
        where = (credential, method, path, response.status_code)
        assert response.status_code < 500, where
        assert _leaks(store, text) == [], where
        if endpoint in PUBLIC:
            if endpoint == "api_health" and method == "GET":
                assert response.get_json().keys() == {"status", "last_good_ingest"}, where
            continue
        if response.status_code == 302:
            assert response.location.startswith("/login?next="), where
        else:
            assert response.status_code == 401, where
            assert method == "HEAD" or "error" in response.get_json(), where
    assert {"status_page", "api_alerts", "api_alert_detail", "api_counts", "/app/_dash-update-component",
            "county_shapes"} <= seen


def test_every_route_answers_a_signed_in_administrator_without_a_fault(server, demo_store, dashboard_errors):
    store, _ = demo_store
    client = signed_in_client(server, "ada")
    token = client.get_cookie("_csrf_token").value
    for endpoint, method, path in _requests(server, _episodes(store)[0][0]):
        if method == "POST" or endpoint in ("logout", "set_language"):  # they change the session or the user
            continue
        response = client.open(path, method=method, headers={"X-CSRFToken": token})
        assert response.status_code < 500, (method, path)
    assert dashboard_errors.messages() == []


def _county_of_units(store) -> dict[str, str]:
    return dict(store.cursor().execute("SELECT code, county FROM units").fetchall())


def _visible_to_county(store, county: str) -> set[int]:
    """The alerts a viewer of ``county`` may see, worked out here from the tables: the county's own and its
    units', and the clusters covering it."""
    units = _county_of_units(store)
    ids = set()
    for episode_id, kind, region, regions in _episodes(store):
        if region == county or units.get(region) == county or (kind == "cluster" and county in json.loads(regions)):
            ids.add(episode_id)
    return ids


@pytest.mark.parametrize("who", ["vic session", "vic token", "eve token narrowed to vic's district"])
def test_a_viewer_reads_only_their_own_district(server, demo_store, tokens, who):
    store, _ = demo_store
    if who == "vic session":
        client, headers = signed_in_client(server, "vic"), {}
    else:
        client, headers = server.test_client(), bearer(tokens["vic" if who == "vic token" else "eve@county"])
    units = _county_of_units(store)

    def get(path):
        return client.get(path, headers=headers)

    listed = get("/api/alerts?all=1").get_json()["alerts"]
    expected = _visible_to_county(store, VIC_COUNTY)
    assert expected and {a["episode_id"] for a in listed} == expected
    for alert in listed:
        assert all(r == VIC_COUNTY or units.get(r) == VIC_COUNTY for r in alert["regions"]), alert
    for episode_id, kind, _, _ in _episodes(store):
        response = get(f"/api/alerts/{episode_id}")
        if episode_id not in expected:  # another region's alert: exactly like one that does not exist
            assert response.status_code == 404 and response.get_json() == {"error": f"no alert {episode_id}"}
            continue
        detail = response.get_json()
        assert response.status_code == 200 and detail["events"], episode_id
        if kind != "cluster":  # a cluster's evidence is the cluster's own figures
            assert all(row["region"] == VIC_COUNTY or units.get(row["region"]) == VIC_COUNTY
                       for row in detail["evidence"]), episode_id
    counts = get("/api/counts?days=7&syndrome=fever").get_json()
    assert counts["region"] == VIC_COUNTY and len(counts["counts"]) == 7
    known = dict(store.cursor().execute(
        "SELECT CAST(date AS VARCHAR), sum(count) FROM observations_latest o JOIN units u ON u.code = o.unit"
        " WHERE u.county = ? AND syndrome = 'fever' GROUP BY date", [VIC_COUNTY]).fetchall())
    assert all(day["count"] == known[day["date"]] for day in counts["counts"])
    assert get(f"/api/counts?region={OTHER_COUNTY}").status_code == 400
    for admin_only in ("/api/status", "/api/ingest/last"):
        assert get(admin_only).status_code == 403
    assert "database" not in get("/api/health").get_json()


def test_an_administrators_token_reads_everything_and_writes_nothing(server, demo_store, tokens):
    store, _ = demo_store
    client, headers = server.test_client(), bearer(tokens["ada"])
    assert len(client.get("/api/alerts?all=1", headers=headers).get_json()["alerts"]) == len(_episodes(store))
    assert client.get("/api/health", headers=headers).get_json()["database"] == str(store.path)
    assert client.get("/api/status", headers=headers).get_json()["rows"]["latest"] > 0
    assert client.post("/api/alerts", headers=headers).status_code == 405  # no route writes through the API
    assert client.post("/app/_dash-update-component", json={}, headers=headers).status_code == 401  # nor Dash's
    assert client.get("/app/", headers=headers).status_code == 302  # a token opens no page


def test_tokens_stay_inside_their_users_regions(demo_store):
    store, _ = demo_store
    with pytest.raises(UserError, match="outside eve's regions"):
        create_token(store, "eve", region=OTHER_CITY)
    token, _ = create_token(store, "ada", region=OTHER_COUNTY, by="ada")
    assert token.region == OTHER_COUNTY and token.created_by == "ada"
    assert "token_created" in audit_log(store, user="ada")["action"].tolist()
    stored = store.cursor().execute("SELECT secret_hash FROM api_tokens WHERE token_id = ?", [token.token_id]).fetchone()
    assert len(stored[0]) == 64  # the SHA-256, never the secret


def test_an_administrators_token_narrowed_to_a_county(server, demo_store):
    store, _ = demo_store
    _, secret = create_token(store, "ada", region=OTHER_COUNTY)
    client = server.test_client()
    listed = client.get("/api/alerts?all=1", headers=bearer(secret)).get_json()["alerts"]
    assert {a["episode_id"] for a in listed} == _visible_to_county(store, OTHER_COUNTY)
    assert client.get("/api/counts", headers=bearer(secret)).get_json()["region"] == OTHER_COUNTY


@pytest.mark.parametrize("path, says", [
    ("/api/counts?days=abc", "days: 'abc' is not a whole number"),
    ("/api/counts?days=-1", "days: -1 is out of range; give 1 to 3660"),
    ("/api/counts?days=0", "out of range"),
    ("/api/counts?days=99999999999999999999999", "not a whole number"),
    ("/api/counts?days=1.5", "not a whole number"),
    ("/api/counts?days=7&days=8", "days: given 2 times"),
    ("/api/counts?syndrome=plague", "syndrome: 'plague' is not one of fever"),
    ("/api/counts?region=999999", "region: '999999' is not a region you may see"),
    ("/api/counts?region=320202", "region: '320202' is not a region you may see"),  # exists, elsewhere
    ("/api/counts?dayz=7", "unknown parameter 'dayz'; this address takes days, syndrome, region"),
    ("/api/ingest/last?limit=-1", "limit: -1 is out of range"),
    ("/api/ingest/last?limit=abc", "limit: 'abc' is not a whole number"),
    ("/api/alerts?all=maybe", "all: 'maybe' is not a yes or no"),
    ("/api/alerts?kind=rumour", "kind: 'rumour' is not one of outbreak, cluster, data_quality"),
    ("/api/alerts?limit=0", "limit: 0 is out of range"),
    ("/api/alerts/abc", "episode_id: 'abc' is not a whole number"),
    ("/api/alerts/-3", "episode_id: -3 is out of range"),
    ("/api/alerts/99999999999999999999", "out of range"),
    ("/api/alerts/5?episode_id=6", "unknown parameter 'episode_id'"),
    ("/api/feeds?x=1", "unknown parameter 'x'; this address takes no parameters"),
    ("/?days=abc", "days: 'abc' is not a whole number"),
    ("/status?days=400", "days: 400 is out of range; give 1 to 366"),
])
def test_bad_parameters_get_400_with_a_message(server, tokens, path, says):
    client = signed_in_client(server, "ada") if not path.startswith("/api/") else server.test_client()
    headers = bearer(tokens["vic"]) if "/api/ingest" not in path else bearer(tokens["ada"])
    if not path.startswith("/api/"):
        headers = {}
    response = client.get(path, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert says in response.get_json()["error"]


def _cluster_and_a_county_it_covers(store) -> tuple[int, str, str]:
    """A cluster, a county among its regions that is not its centre, and one it does not cover."""
    counties = [r[0] for r in store.cursor().execute("SELECT code FROM regions WHERE level = 'county'").fetchall()]
    for episode_id, kind, centre, regions in _episodes(store):
        covered = [r for r in json.loads(regions or "[]") if r != centre and r in counties]
        if kind == "cluster" and covered:
            outside = next(c for c in counties if c not in json.loads(regions))
            return episode_id, covered[0], outside
    raise AssertionError("the demo has no cluster of two counties")


def test_a_cluster_shows_to_every_county_it_covers(server, demo_store):
    store, _ = demo_store
    episode_id, covered, outside = _cluster_and_a_county_it_covers(store)
    add_user(store, "cora", PASSWORD, role="viewer", region=covered)
    add_user(store, "otto", PASSWORD, role="viewer", region=outside)
    cora, otto = signed_in_client(server, "cora"), signed_in_client(server, "otto")
    assert episode_id in {a["episode_id"] for a in cora.get("/api/alerts?all=1").get_json()["alerts"]}
    detail = cora.get(f"/api/alerts/{episode_id}").get_json()
    assert detail["kind"] == "cluster" and detail["regions"] == [covered]  # the regions cora may see
    clusters = call_callback(cora, server, "clusters-list", {"clusters-days.value": "90"}).get_data(as_text=True)
    assert f"#{episode_id}" in clusters
    listed = call_callback(cora, server, "alerts-box", {
        "alerts-severity.value": [], "alerts-state.value": [], "alerts-syndrome.value": [],
        "alerts-kind.value": [], "alerts-ended.value": ["1"]}).get_data(as_text=True)
    assert f'"episode_id":{episode_id},' in listed
    assert episode_id not in {a["episode_id"] for a in otto.get("/api/alerts?all=1").get_json()["alerts"]}
    assert otto.get(f"/api/alerts/{episode_id}").status_code == 404
    assert f"#{episode_id}" not in call_callback(otto, server, "clusters-list",
                                                 {"clusters-days.value": "90"}).get_data(as_text=True)


def test_the_status_page_is_the_users_own_and_costs_nothing_before_sign_in(server, demo_store, monkeypatch):
    store, _ = demo_store
    calls = []
    real = dashboards.server.store_status
    monkeypatch.setattr(dashboards.server, "store_status", lambda cur: calls.append(1) or real(cur))
    assert server.test_client().get("/").status_code == 302
    page = signed_in_client(server, "vic").get("/").get_data(as_text=True)
    assert "Fever visits per day" in page and 'id="status-feeds"' in page and "1 county" in page
    assert calls == []  # the store's totals, batches and job runs are for administrators
    assert "status-batches" not in page and "HTTP 503" not in page and str(store.path) not in page
    with job_run(store, "snapshot"):  # the store changed: the figures (kept per change) are computed afresh
        pass
    admin = signed_in_client(server, "ada").get("/status").get_data(as_text=True)
    assert "status-batches" in admin and "HTTP 503" in admin and "2 cities" in admin and calls == [1]
