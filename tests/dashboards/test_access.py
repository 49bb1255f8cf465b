"""Sign-in, sessions and region scoping over HTTP, without a browser (Flask's test client).

A crafted ``_dash-update-component`` request is exactly what a user could send by hand: the
answer must hold nothing from outside the user's subtree, whatever the request names.
"""

from __future__ import annotations

import json
import re

import pytest

from dashboards.access import OutOfScope, RegionIndex, Scope
from dashboards.server import create_server
from surveillance.users import audit_log, get_user

from .conftest import OTHER_CITY, OTHER_COUNTY, PASSWORD, callback_payload, callback_response


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
    # the status page and the JSON API stay where they were
    assert client.get("/").status_code == 200 and client.get("/status").status_code == 200
    assert client.get("/api/health").status_code == 200


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
