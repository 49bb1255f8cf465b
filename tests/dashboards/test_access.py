"""Sign-in, sessions and region scoping over HTTP, without a browser (Flask's test client).

A crafted ``_dash-update-component`` request is exactly what a user could send by hand: the
answer must hold nothing from outside the user's subtree, whatever the request names.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from dashboards.access import OutOfScope, RegionIndex, Scope
from dashboards.server import create_server
from surveillance.users import audit_log, get_user

from .conftest import (OTHER_CITY, OTHER_COUNTY, PASSWORD, alert_in, callback_payload, callback_response,
                       workflow_payload)


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def _login(client, name, password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/app/trends"})


def _client(server, name):
    client = server.test_client()
    assert _login(client, name).status_code == 302
    client.get("/app/")  # sets the CSRF cookie the page's script sends back
    return client


def _call(client, server, output_id, values):
    app = server.extensions["surveillance_dashboard"].app
    token = client.get_cookie("_csrf_token").value
    return client.post("/app/_dash-update-component", json=callback_payload(app, output_id, values),
                       headers={"X-CSRFToken": token})


def _trends_values(region):
    return {"trends-region.data": region, "trends-syndromes.value": ["fever"], "trends-ages.value": [],
            "trends-measure.value": "count", "trends-freq.value": "daily", "trends-range.value": "90",
            "trends-smooth.value": "0", "trends-overlay.value": []}


def test_pages_need_a_signed_in_user(server):
    client = server.test_client()
    response = client.get("/app/trends?region=320102")
    assert response.status_code == 302 and response.location.startswith("/login?next=/app/trends")
    assert client.post("/app/_dash-update-component", json={}).status_code == 401
    assert client.get("/app/_dash-layout").status_code == 401
    # the status page and the JSON API too; the health check answers its public minimum
    assert client.get("/").status_code == 302 and client.get("/status").location.startswith("/login?next=/status")
    assert client.get("/api/alerts?all=1").status_code == 401
    assert client.get("/api/health").get_json().keys() == {"status", "last_good_ingest"}


def test_wrong_password_is_refused_and_audited(server, demo_store):
    store, _ = demo_store
    client = server.test_client()
    response = _login(client, "vic", "not the password")
    assert response.status_code == 401 and "Wrong user name or password" in response.get_data(as_text=True)
    assert client.get("/app/").status_code == 302
    failed = audit_log(store, user="vic", action="login_failed")
    assert len(failed) >= 1


def test_login_without_the_form_token_is_refused(server):
    client = server.test_client()
    client.get("/login")
    response = client.post("/login", data={"name": "vic", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 400


def test_next_cannot_send_the_user_elsewhere(server):
    client = server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": "vic", "password": PASSWORD, "csrf": csrf,
                                           "next": "//evil.example.org/"})
    assert response.status_code == 302 and response.location == "/app/"


def test_login_and_logout_are_audited(server, demo_store):
    store, _ = demo_store
    client = _client(server, "eve")
    assert client.get("/app/trends").status_code == 200
    assert client.get("/logout").status_code == 302
    assert client.get("/app/").status_code == 302
    actions = audit_log(store, user="eve")["action"].tolist()
    assert "login" in actions and "logout" in actions


def test_callbacks_need_the_csrf_header(server):
    client = _client(server, "eve")
    app = server.extensions["surveillance_dashboard"].app
    response = client.post("/app/_dash-update-component",
                           json=callback_payload(app, "trends-series", _trends_values("320102")))
    assert response.status_code == 403


def test_a_region_in_scope_is_answered(server):
    client = _client(server, "eve")
    response = _call(client, server, "trends-series", _trends_values("320102"))
    assert response.status_code == 200
    figure = callback_response(response.data)["trends-series"]["figure"]
    assert len(figure["data"]) == 1 and len(figure["data"][0]["x"]) == 59  # the demo's days so far


@pytest.mark.parametrize("user", ["eve", "vic"])
def test_a_forged_request_for_another_region_returns_nothing(server, demo_store, user):
    store, _ = demo_store
    client = _client(server, user)
    before = len(audit_log(store, user=user, action="refused"))
    for region in (OTHER_CITY, OTHER_COUNTY, "F320202001", "320000"):
        response = _call(client, server, "trends-series", _trends_values(region))
        assert response.status_code == 200
        figure = callback_response(response.data)["trends-series"]["figure"]
        assert figure["data"] == [], region
        children = _call(client, server, "trends-children", {"trends-region.data": region,
                                                             "trends-syndromes.value": ["fever"]})
        assert callback_response(children.data)["trends-children"]["figure"]["data"] == []
    quality = _call(client, server, "quality-heatmap", {"quality-county.value": OTHER_COUNTY, "quality-days.value": "28"})
    answer = callback_response(quality.data)
    assert answer["quality-heatmap"]["figure"]["data"] == []
    assert "F320202" not in quality.get_data(as_text=True)
    # a map click naming a county outside the subtree opens nothing
    click = _call(client, server, "overview-go", {"overview-map.clickData": {"points": [{"location": OTHER_COUNTY}]},
                                                  "overview-syndrome.value": "fever"})
    assert OTHER_COUNTY not in click.get_data(as_text=True)
    assert len(audit_log(store, user=user, action="refused")) > before


def test_the_overview_shows_only_the_users_counties(server):
    client = _client(server, "vic")
    response = _call(client, server, "overview-map", {"overview-day.date": "2026-11-19", "overview-syndrome.value": "fever"})
    answer = callback_response(response.data)
    locations = [loc for trace in answer["overview-map"]["figure"]["data"] for loc in trace.get("locations", [])]
    assert locations == ["320102"]
    assert "Hanwan" not in response.get_data(as_text=True) and OTHER_COUNTY not in response.get_data(as_text=True)


def test_map_shapes_only_for_the_users_own_subtree(server, demo_store):
    store, _ = demo_store
    assert server.test_client().get("/app/geo/counties.json").status_code == 302  # sign in first
    vic = _client(server, "vic")
    figure = callback_response(_call(vic, server, "overview-map", {
        "overview-day.date": "2026-11-19", "overview-syndrome.value": "fever"}).data)["overview-map"]["figure"]
    address = figure["data"][0]["geojson"]
    assert address.startswith("/app/geo/counties.json?root=320102&v=")
    shapes = vic.get(address)
    assert shapes.status_code == 200 and "private" in shapes.headers["Cache-Control"]
    assert [f["id"] for f in json.loads(shapes.data)["features"]] == ["320102"]
    before = len(audit_log(store, user="vic", action="refused"))
    assert vic.get(f"/app/geo/counties.json?root={OTHER_CITY}").status_code == 403
    assert vic.get("/app/geo/counties.json").status_code == 403  # everything: not for a county's viewer
    assert len(audit_log(store, user="vic", action="refused")) == before + 2
    everything = _client(server, "ada").get("/app/geo/counties.json")
    assert len(json.loads(everything.data)["features"]) == 10


def test_viewers_get_nothing_from_admin_callbacks(server):
    client = _client(server, "vic")
    response = _call(client, server, "jobs-runs", {"jobs-refresh.n_intervals": 1})
    answer = callback_response(response.data)
    assert "jobs-runs-table" not in response.get_data(as_text=True)
    assert answer["jobs-durations"]["figure"]["data"] == []
    admin = _client(server, "ada")
    response = _call(admin, server, "jobs-runs", {"jobs-refresh.n_intervals": 1})
    assert response.status_code == 200


def test_language_is_kept_per_user(server, demo_store):
    store, _ = demo_store
    client = _client(server, "vic")
    response = client.get("/language/zh?next=/app/trends")
    assert response.status_code == 302 and response.location == "/app/trends"
    assert get_user(store, "vic").language == "zh"
    app = server.extensions["surveillance_dashboard"].app
    token = client.get_cookie("_csrf_token").value
    routed = client.post("/app/_dash-update-component", headers={"X-CSRFToken": token}, json=callback_payload(
        app, "app-page", {"app-url.pathname": "/app/trends", "app-url.search": ""}))
    assert "趋势" in json.dumps(callback_response(routed.data), ensure_ascii=False)
    client.get("/language/en")
    assert get_user(store, "vic").language == "en"


def test_scope_rules(demo_store):
    store, _ = demo_store
    index = RegionIndex(store)
    scope = Scope(get_user(store, "eve"), index)
    assert scope.allows("320100") and scope.allows("320102") and scope.allows("F320102001")
    assert not scope.allows("320000") and not scope.allows(OTHER_CITY) and not scope.allows("nonsense")
    assert scope.region(None) == "320100"
    with pytest.raises(OutOfScope):
        scope.region(OTHER_COUNTY)
    with pytest.raises(OutOfScope):
        scope.require("admin")
    assert scope.counties() == ["320102", "320103", "320121", "320122", "320123"]
    everything = Scope(get_user(store, "ada"), index)
    assert everything.region(None) is None and everything.allows(OTHER_COUNTY)


# --- alerts ----------------------------------------------------------------------------------


def _route(client, path):
    app_token = client.get_cookie("_csrf_token").value
    body = {"output": "..app-page.children...app-nav.children...app-user.children..",
            "outputs": [{"id": "app-page", "property": "children"}, {"id": "app-nav", "property": "children"},
                        {"id": "app-user", "property": "children"}],
            "inputs": [{"id": "app-url", "property": "pathname", "value": path},
                       {"id": "app-url", "property": "search", "value": ""}],
            "changedPropIds": ["app-url.pathname"]}
    response = client.post("/app/_dash-update-component", json=body, headers={"X-CSRFToken": app_token})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _state(store, episode_id):
    return store.cursor().execute("SELECT state, outcome FROM alert_episodes WHERE episode_id = ?",
                                  [episode_id]).fetchone()


def test_the_demo_has_alerts_and_a_cluster(demo_store):
    store, _ = demo_store
    kinds = dict(store.cursor().execute("SELECT kind, count(*) FROM alert_episodes GROUP BY kind").fetchall())
    assert kinds.get("outbreak", 0) > 3 and kinds.get("cluster", 0) >= 1


def test_alert_email_links_open_the_alert_page(server):
    client = server.test_client()
    response = client.get("/alerts/3")
    assert response.status_code == 302 and response.location == "/app/alerts/3"


def test_alert_detail_in_scope_and_out_of_scope(server, demo_store):
    store, _ = demo_store
    own, other = alert_in(store, "320100"), alert_in(store, OTHER_CITY)
    client = _client(server, "eve")
    page = _route(client, f"/app/alerts/{own}")
    assert "alert-series" in page and "alert-evidence" in page and "alert-actions" in page
    before = len(audit_log(store, user="eve", action="refused"))
    page = _route(client, f"/app/alerts/{other}")
    assert "alert-not-found" in page and "alert-series" not in page
    assert "Hanwan" not in page and "Xingchi" not in page and "Weikou" not in page
    missing = _route(client, "/app/alerts/999999")
    assert missing.replace("999999", str(other)) == page  # the same answer as for an alert that does not exist
    assert len(audit_log(store, user="eve", action="refused")) == before + 1


def test_the_alert_list_is_scoped(server, demo_store):
    store, _ = demo_store
    client = _client(server, "vic")
    response = _call(client, server, "alerts-box", {"alerts-severity.value": [], "alerts-state.value": [],
                                                    "alerts-syndrome.value": [], "alerts-kind.value": [],
                                                    "alerts-ended.value": ["1"]})
    text = response.get_data(as_text=True)
    assert "Jiangtan District (320102)" in text
    for name in ("Huiyao", "Guyi", "Hanwan", "Xingchi", "Zhaoguan"):
        assert f"{name}" not in text, name
    viewer = _route(client, f"/app/alerts/{alert_in(store, '320100', skip=0)}")
    assert "alert-read-only" in viewer or "alert-not-found" in viewer
    assert "alert-actions" not in viewer


@pytest.mark.parametrize("user,root", [("vic", "320100"), ("eve", OTHER_CITY)])
def test_a_forged_workflow_callback_changes_nothing(server, demo_store, user, root):
    """A viewer (no right to act) or an epidemiologist on another region's alert: refused and audited."""
    store, _ = demo_store
    episode_id = alert_in(store, root, skip=1)
    before, refused = _state(store, episode_id), len(audit_log(store, user=user, action="refused"))
    events = store.cursor().execute("SELECT count(*) FROM alert_events WHERE episode_id = ?", [episode_id]).fetchone()
    client = _client(server, user)
    token = client.get_cookie("_csrf_token").value
    for to in ("verifying", "closed", "note"):
        response = client.post("/app/_dash-update-component", headers={"X-CSRFToken": token},
                               json=workflow_payload(episode_id, to, note="forged", outcome="not_an_outbreak"))
        assert response.status_code == 200
        answer = callback_response(response.data)
        assert "alert-workflow" not in answer and "Not allowed" in json.dumps(answer)
    assert _state(store, episode_id) == before
    assert store.cursor().execute("SELECT count(*) FROM alert_events WHERE episode_id = ?",
                                  [episode_id]).fetchone() == events
    assert len(audit_log(store, user=user, action="refused")) == refused + 3


def test_an_epidemiologist_moves_an_alert_by_callback(server, demo_store):
    store, _ = demo_store
    episode_id = alert_in(store, "320100", skip=2)
    client = _client(server, "eve")
    token = client.get_cookie("_csrf_token").value

    def press(to, **kw):
        response = client.post("/app/_dash-update-component", headers={"X-CSRFToken": token},
                               json=workflow_payload(episode_id, to, **kw))
        return callback_response(response.data)

    wrong = press("closed", outcome="confirmed_outbreak")  # a new alert cannot be confirmed unverified
    assert "alert-workflow" not in wrong and "verifying" in json.dumps(wrong)
    assert _state(store, episode_id) == ("new", None)
    answer = press("verifying", note="called the county CDC")
    assert "alert-history" in json.dumps(answer)
    assert _state(store, episode_id) == ("verifying", None)
    audit = audit_log(store, user="eve", action="alert_transition")
    assert f"alert {episode_id}" in audit["target"].tolist()
    assert "called the county CDC" in audit["detail"].iloc[0]


def test_closing_as_a_confirmed_outbreak_records_the_start_shown_on_the_page(server, demo_store):
    store, _ = demo_store
    episode_id = alert_in(store, "320100", skip=4)
    opened = store.cursor().execute("SELECT opened_on FROM alert_episodes WHERE episode_id = ?",
                                    [episode_id]).fetchone()[0]
    client = _client(server, "eve")
    token = client.get_cookie("_csrf_token").value

    def press(to, **kw):
        response = client.post("/app/_dash-update-component", headers={"X-CSRFToken": token},
                               json=workflow_payload(episode_id, to, **kw))
        return callback_response(response.data)

    page = _route(client, f"/app/alerts/{episode_id}")
    assert "alert-outbreak-start" in page and "Outbreak began on (when closing as a confirmed outbreak)" in page
    press("verifying", note="called the county CDC")
    late = (opened + timedelta(days=1)).isoformat()
    refused = json.dumps(press("closed", outcome="confirmed_outbreak", outbreak_start=late), ensure_ascii=False)
    assert f"The outbreak cannot have begun on {late}, after the alert opened on {opened}." in refused
    assert _state(store, episode_id) == ("verifying", None)
    start = opened - timedelta(days=4)
    answer = json.dumps(press("closed", outcome="confirmed_outbreak", outbreak_start=start.isoformat()))
    assert "alert-outbreak-start-now" in answer and "Outbreak began on" in answer
    assert store.cursor().execute("SELECT state, outcome, outbreak_start FROM alert_episodes WHERE episode_id = ?",
                                  [episode_id]).fetchone() == ("closed", "confirmed_outbreak", start)
    assert "alert-outbreak-start-now" in _route(client, f"/app/alerts/{episode_id}")
