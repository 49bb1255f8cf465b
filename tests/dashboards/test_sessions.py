"""Sessions kept by the server, the login form's defences and the headers of every answer, over HTTP
(Flask's test client) on real DuckDB files."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from dashboards.server import create_server
from dashboards.throttle import LoginThrottle
from surveillance.config import Config
from surveillance.store import open_store
from surveillance.store.sessions import session_count
from surveillance.users import add_user, audit_log, set_password

from .conftest import PASSWORD, call_callback, sign_in, signed_in_client

SESSION_COOKIE = "surveillance_session"


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def _with_cookie(server, value: str):
    """A new browser that only has a saved session cookie."""
    client = server.test_client()
    client.set_cookie(SESSION_COOKIE, value)
    return client


def _refused(client) -> bool:
    page = client.get("/app/alerts")
    api = client.get("/api/alerts")
    return page.status_code == 302 and page.location.startswith("/login") and api.status_code == 401


def test_a_cookie_saved_before_signing_out_opens_nothing(server, demo_store):
    store, _ = demo_store
    client = signed_in_client(server, "vic")
    saved = client.get_cookie(SESSION_COOKIE).value
    assert _with_cookie(server, saved).get("/app/alerts").status_code == 200
    before = session_count(store.cursor(), "vic")
    assert client.get("/logout").status_code == 302
    assert session_count(store.cursor(), "vic") == before - 1
    replay = _with_cookie(server, saved)
    assert _refused(replay)
    assert replay.post("/app/_dash-update-component", json={}, headers={"X-CSRFToken": "x"}).status_code == 401


def test_a_password_change_ends_every_session_of_the_user(server, demo_store):
    store, _ = demo_store
    add_user(store, "pat", PASSWORD, role="epidemiologist", region="320100")
    laptop, phone = signed_in_client(server, "pat"), signed_in_client(server, "pat")
    others = signed_in_client(server, "eve")
    assert set_password(store, "pat", "a new long password", by="ada") == 2
    assert _refused(laptop) and _refused(phone)
    assert others.get("/app/alerts").status_code == 200  # other users' sessions go on
    assert sign_in(server.test_client(), "pat", PASSWORD).status_code == 401
    assert sign_in(server.test_client(), "pat", "a new long password").status_code == 302
    assert "2 session(s) ended" in audit_log(store, user="ada", action="password_set")["detail"].tolist()


def test_sessions_survive_a_restart_of_the_service(tmp_path):
    db = tmp_path / "restart.duckdb"
    config = Config(database={"path": db})
    store = open_store(db)
    add_user(store, "rui", PASSWORD, role="admin")
    first = create_server(store, config, announce=lambda message: None)
    saved = signed_in_client(first, "rui").get_cookie(SESSION_COOKIE).value
    store.close()  # the service stops ...
    with open_store(db) as store:  # ... and starts again, with a new signing secret for Flask's own cookie
        again = _with_cookie(create_server(store, config, announce=lambda message: None), saved)
        assert again.get("/app/").status_code == 200
        assert again.get("/api/health").get_json()["database"] == str(db)


def test_the_session_cookie_is_httponly_and_secure_over_https(demo_store):
    store, config = demo_store
    plain = signed_in_client(create_server(store, config, announce=lambda message: None), "eve")
    assert plain.get_cookie(SESSION_COOKIE).http_only and not plain.get_cookie(SESSION_COOKIE).secure
    https = config.model_copy(update={"service": config.service.model_copy(update={"https": True})})
    server = create_server(store, https, announce=lambda message: None)
    client = server.test_client()
    response = sign_in(client, "eve")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "Secure" in c and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("_csrf_token=") and "Secure" in c for c in cookies)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- the login form -----------------------------------------------------------------------------------


def _form(client):
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_login_without_the_forms_token_is_refused(server):
    """A page elsewhere posting our form: no token (a cross-site post carries no cookie of ours either)."""
    for sent in ({}, {"csrf": ""}, {"csrf": "guessed"}):
        response = server.test_client().post("/login", data={"name": "vic", "password": PASSWORD, **sent})
        assert response.status_code == 400 and SESSION_COOKIE not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example.org"}, {"Origin": "null"},
                                     {"Referer": "https://evil.example.org/login.html"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_login_from_a_foreign_origin_is_refused(server, headers):
    client = server.test_client()
    token = _form(client)
    response = client.post("/login", data={"name": "vic", "password": PASSWORD, "csrf": token}, headers=headers)
    assert response.status_code == 403 and "refused" in response.get_json()["error"]
    assert client.get_cookie(SESSION_COOKIE) is None


def test_login_from_the_services_own_pages_is_accepted(server):
    client = server.test_client()
    token = _form(client)
    response = client.post("/login", data={"name": "vic", "password": PASSWORD, "csrf": token},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin",
                                    "Referer": "http://localhost/login"})
    assert response.status_code == 302 and client.get_cookie(SESSION_COOKIE) is not None


def test_a_callback_from_a_foreign_origin_is_refused(server):
    client = signed_in_client(server, "vic")
    token = client.get_cookie("_csrf_token").value
    response = client.post("/app/_dash-update-component", json={}, headers={
        "X-CSRFToken": token, "Origin": "https://evil.example.org"})
    assert response.status_code == 403
    assert call_callback(client, server, "clusters-list", {"clusters-days.value": "30"}).status_code == 200


def _attempt(client, name, password, address):
    token = _form(client)
    return client.post("/login", data={"name": name, "password": password, "csrf": token},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_sign_ins_lock_a_name_an_address_and_at_last_everyone(demo_store):
    store, config = demo_store
    server = create_server(store, config, announce=lambda message: None)
    server.extensions["surveillance_login_throttle"] = LoginThrottle(per_pair=3, per_name=5, per_address=4,
                                                                      overall=9)
    client = server.test_client()
    # one name from one address: locked there, not from elsewhere
    for _ in range(3):
        assert _attempt(client, "vic", "wrong password", "10.0.0.1").status_code == 401
    locked = _attempt(client, "vic", PASSWORD, "10.0.0.1")
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "300"
    assert _attempt(client, "vic", PASSWORD, "10.0.0.2").status_code == 302
    # one password sprayed over many names from one address: the address is locked, even for a right password
    for n in range(4):
        assert _attempt(client, f"user{n}", "Spring2026!", "10.0.1.1").status_code == 401
    assert _attempt(client, "eve", PASSWORD, "10.0.1.1").status_code == 429
    # ... and spread over many addresses: every sign-in waits
    assert _attempt(client, "user9", "Spring2026!", "10.0.2.1").status_code == 401
    assert _attempt(client, "user10", "Spring2026!", "10.0.2.2").status_code == 401
    assert _attempt(client, "ada", PASSWORD, "10.0.3.1").status_code == 429
    refused = audit_log(store, action="login_refused")["detail"].tolist()
    assert any("(pair)" in d for d in refused) and any("(address)" in d for d in refused)
    assert any("(overall)" in d for d in refused)


def test_the_throttle_forgets_after_its_window():
    now = [1000.0]
    throttle = LoginThrottle(per_pair=2, per_name=3, per_address=3, overall=4, window=60, clock=lambda: now[0])
    throttle.failed("Vic", "1.2.3.4")
    throttle.failed("vic", "1.2.3.4")
    assert throttle.locked("VIC", "1.2.3.4") == "pair"  # names are compared without case
    assert throttle.locked("vic", "5.6.7.8") is None
    throttle.failed("vic", "5.6.7.8")
    assert throttle.locked("vic", "9.9.9.9") == "name"
    now[0] += 61
    assert throttle.locked("vic", "1.2.3.4") is None
    for n in range(4):
        throttle.failed(f"n{n}", f"10.0.0.{n}")
    assert throttle.locked("anyone", "10.9.9.9") == "overall"


# --- headers ------------------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(server):
    client = signed_in_client(server, "eve")
    page = client.get("/app/alerts")
    script = next(path for path in re.findall(r'src="([^"]+\.js[^"]*)"', page.get_data(as_text=True))
                  if "_dash-component-suites" in path)
    answers = {"login form": server.test_client().get("/login"), "anonymous API": server.test_client().get("/api/feeds"),
               "health": server.test_client().get("/api/health"), "dashboard page": page,
               "script": client.get(script), "status page": client.get("/"), "missing": client.get("/nowhere"),
               "callback": call_callback(client, server, "clusters-list", {"clusters-days.value": "30"})}
    for what, response in answers.items():
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", what
        assert headers["X-Content-Type-Options"] == "nosniff", what
        assert headers["Referrer-Policy"] == "same-origin", what
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, what
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], what
        if response.mimetype in ("application/json", "text/html"):
            assert headers["Cache-Control"] == "no-store", what
    # the page's inline start-up script is allowed by its hash, and no other inline script is on the page
    # (leaving out the one in Internet Explorer's conditional comment, which no other browser runs)
    html = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.S)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S)
    policy = page.headers["Content-Security-Policy"]
    assert inline and all(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" in policy
                          for s in inline)
