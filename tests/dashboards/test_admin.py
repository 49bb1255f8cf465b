"""The administrators' pages over HTTP (Flask's test client) on the demo database: users managed while the
service runs take effect on live sessions and tokens at once, a one-time password must be changed before
anything else opens, tokens are made and revoked, and the audit trail is shown, filtered and exported.

The demo's users (conftest.USERS) are shared by the package's tests: every change here is made to users
made here."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from dashboards.pages.users import BUTTONS
from dashboards.server import create_server
from surveillance.credentials import create_token
from surveillance.users import add_user, audit_log, get_user

from .conftest import PASSWORD, callback_payload, callback_response, sign_in, signed_in_client


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def _find(tree, element_id):
    """The props of the component with ``element_id`` in a callback's answer (None when absent)."""
    if isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and props.get("id") == element_id:
            return props
        for value in tree.values():
            found = _find(value, element_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for value in tree:
            found = _find(value, element_id)
            if found is not None:
                return found
    return None


def _post(client, server, output_id, values, changed):
    app = server.extensions["surveillance_dashboard"].app
    payload = callback_payload(app, output_id, values)
    payload["changedPropIds"] = changed
    return client.post("/app/_dash-update-component", json=payload,
                       headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})


def press(client, server, button, **fields):
    """Press one of the Users page's buttons with the form's fields (``new_name``, ``pick``, ``role``...)."""
    values = {f"{b}.n_clicks": int(b == button) for b in BUTTONS}
    for field, value in fields.items():
        values[f"users-{field.replace('_', '-')}.value"] = value
    response = _post(client, server, "users-message", values, [f"{button}.n_clicks"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return callback_response(response.data)


def _message(answer) -> str:
    return json.dumps(answer["users-message"]["children"], ensure_ascii=False)


def _dead(client, server) -> bool:
    """Whether a client's session opens nothing any more (pages send it to sign in, callbacks get 401)."""
    page = client.get("/app/trends")
    callback = _post(client, server, "users-message", {}, ["users-add.n_clicks"]) if client.get_cookie("_csrf_token") \
        else None
    return page.status_code == 302 and page.location.startswith("/login") and (callback is None or
                                                                             callback.status_code == 401)


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def ada(server):
    return signed_in_client(server, "ada")


def test_the_administration_pages_are_for_administrators(server, demo_store):
    store, _ = demo_store
    vic = signed_in_client(server, "vic")
    for page in ("users", "tokens", "audit"):
        answer = _post(vic, server, "app-page", {"app-url.pathname": f"/app/{page}", "app-url.search": ""},
                       ["app-url.pathname"])
        assert "app-forbidden" in answer.get_data(as_text=True), page
    before = len(audit_log(store, user="vic", action="refused"))
    answer = press(vic, server, "users-add", new_name="made.by.vic", new_role="admin", new_region="all")
    assert "Not allowed" in _message(answer) and get_user(store, "made.by.vic") is None
    assert len(audit_log(store, user="vic", action="refused")) == before + 1
    assert server.test_client().post("/app/_dash-update-component", json={}).status_code == 401


def test_a_new_user_must_change_the_one_time_password_before_anything_else(server, demo_store, ada):
    store, _ = demo_store
    answer = press(ada, server, "users-add", new_name="new.viewer", new_role="viewer", new_region="320102",
                   new_language="zh")
    once = _find(answer, "users-password")["children"]
    assert len(once) >= 12 and "new.viewer" in _message(answer)
    assert "new.viewer" in json.dumps(answer["users-table"]) and {"label": "new.viewer (viewer)",
                                                                   "value": "new.viewer"} in answer["users-pick"]["options"]
    line = audit_log(store, action="user_added").iloc[0]
    assert (line["user_name"], line["target"], line["address"]) == ("ada", "new.viewer", "127.0.0.1")
    assert once not in json.dumps(audit_log(store, limit=50).astype(str).to_dict("records"))

    client = server.test_client()
    signed = sign_in(client, "new.viewer", once)
    assert signed.status_code == 302 and signed.location.startswith("/password")
    assert client.get("/app/").location.startswith("/password?next=/app/")
    assert client.get("/api/feeds").status_code == 403 and "one-time password" in client.get("/api/feeds").get_json()["error"]
    form = client.get("/password").get_data(as_text=True)
    assert "您的密码是一次性密码" in form and "数据分级：内部" in form
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)

    def change(current, new, repeat=None):
        return client.post("/password", data={"csrf": csrf, "current": current, "new": new, "repeat": repeat or new,
                                              "next": "/app/alerts"})

    assert change("not it", "a new secret of mine").status_code == 401
    assert change(once, "a new secret of mine", "another one").status_code == 400
    assert change(once, once).status_code == 400
    assert client.post("/password", data={"current": once, "new": "x" * 20, "repeat": "x" * 20}).status_code == 403
    done = change(once, "a new secret of mine")
    assert done.status_code == 302 and done.location == "/app/alerts"
    assert client.get("/app/").status_code == 200 and client.get("/api/feeds").status_code == 200
    assert not get_user(store, "new.viewer").must_change_password
    assert audit_log(store, user="new.viewer", action="password_set")["address"].tolist() == ["127.0.0.1"]


def test_disabling_and_enabling_take_effect_on_live_sessions_and_tokens(server, demo_store, ada):
    store, _ = demo_store
    add_user(store, "temp.vic", PASSWORD, role="viewer", region="320102")
    client = signed_in_client(server, "temp.vic")
    _, secret = create_token(store, "temp.vic", label="screen")
    assert server.test_client().get("/api/feeds", headers=bearer(secret)).status_code == 200

    answer = press(ada, server, "users-disable", pick="temp.vic")
    assert "temp.vic is disabled" in _message(answer)
    assert _dead(client, server)
    assert server.test_client().get("/api/feeds", headers=bearer(secret)).status_code == 401
    refused = sign_in(server.test_client(), "temp.vic")
    assert refused.status_code == 401
    assert "the account is disabled" in audit_log(store, user="temp.vic", action="login_failed")["detail"].iloc[0]

    answer = press(ada, server, "users-enable", pick="temp.vic")
    assert "may sign in again" in _message(answer)
    assert sign_in(server.test_client(), "temp.vic").status_code == 302
    assert server.test_client().get("/api/feeds", headers=bearer(secret)).status_code == 401  # stays revoked
    actions = audit_log(store, user="ada", limit=20)["action"].tolist()
    assert "user_disabled" in actions and "user_enabled" in actions


def test_a_reset_password_ends_the_users_sessions(server, demo_store, ada):
    store, _ = demo_store
    add_user(store, "temp.eve", PASSWORD, role="epidemiologist", region="320100")
    client = signed_in_client(server, "temp.eve")
    answer = press(ada, server, "users-reset", pick="temp.eve")
    once = _find(answer, "users-password")["children"]
    assert _dead(client, server)
    assert sign_in(server.test_client(), "temp.eve").status_code == 401  # the old password is gone
    assert sign_in(server.test_client(), "temp.eve", once).location.startswith("/password")


def test_a_role_or_region_change_ends_sessions_and_tokens(server, demo_store, ada):
    store, _ = demo_store
    add_user(store, "temp.role", PASSWORD, role="viewer", region="320102")
    client = signed_in_client(server, "temp.role")
    _, secret = create_token(store, "temp.role")
    fill = _post(ada, server, "users-role", {"users-pick.value": "temp.role"}, ["users-pick.value"])
    assert callback_response(fill.data) == {"users-role": {"value": "viewer"}, "users-region": {"value": "320102"}}
    answer = press(ada, server, "users-save", pick="temp.role", role="epidemiologist", region="320100")
    assert "temp.role: epidemiologist" in _message(answer)
    assert _dead(client, server)
    assert server.test_client().get("/api/feeds", headers=bearer(secret)).status_code == 401
    user = get_user(store, "temp.role")
    assert (user.role, user.region) == ("epidemiologist", "320100")
    assert "role viewer -> epidemiologist, region 320102 -> 320100" in \
        audit_log(store, action="user_changed")["detail"].iloc[0]


def test_refused_changes_say_why(server, demo_store, ada):
    store, _ = demo_store
    assert "cannot disable yourself" in _message(press(ada, server, "users-disable", pick="ada"))
    assert "already exists" in _message(press(ada, server, "users-add", new_name="vic", new_role="viewer",
                                              new_region="all"))
    assert "is not valid" in _message(press(ada, server, "users-add", new_name="", new_role="viewer",
                                            new_region="all"))
    assert "Choose a user first" in _message(press(ada, server, "users-reset"))
    assert not get_user(store, "ada").disabled


def test_tokens_are_made_and_revoked_from_the_tokens_page(server, demo_store, ada):
    store, _ = demo_store
    add_user(store, "temp.api", PASSWORD, role="viewer", region="320100")

    def token_press(button, **states):
        values = {"tokens-create.n_clicks": int(button == "tokens-create"),
                  "tokens-revoke.n_clicks": int(button == "tokens-revoke")}
        values.update({f"tokens-{k}.value": v for k, v in states.items()})
        response = _post(ada, server, "tokens-message", values, [f"{button}.n_clicks"])
        return callback_response(response.data)

    made = token_press("tokens-create", user="temp.api", region="320102", label="county screen", days=30)
    secret = _find(made, "tokens-secret")["children"]
    assert secret.startswith("svt_")
    answer = server.test_client().get("/api/counts?days=3&syndrome=fever", headers=bearer(secret))
    assert answer.status_code == 200 and answer.get_json()["region"] == "320102"
    choice = [o for o in made["tokens-pick"]["options"] if "county screen" in o["label"]][0]
    assert "outside temp.api's regions" in json.dumps(token_press("tokens-create", user="temp.api", region="320200"))
    revoked = token_press("tokens-revoke", pick=choice["value"])
    assert f"Token {choice['value']} of temp.api revoked" in json.dumps(revoked["tokens-message"])
    assert server.test_client().get("/api/feeds", headers=bearer(secret)).status_code == 401
    assert audit_log(store, user="ada", action="token_revoked")["address"].iloc[0] == "127.0.0.1"


def test_the_audit_trail_page_filters_and_exports_with_the_classification(server, demo_store, ada):
    store, _ = demo_store
    sign_in(server.test_client(), "vic", "not the password")
    values = {"audit-user.value": "vic", "audit-action.value": ["login_failed"], "audit-dates.start_date": None,
              "audit-dates.end_date": None}
    shown = callback_response(_post(ada, server, "audit-count", values, ["audit-user.value"]).data)
    rows = _find(shown, "audit-table")["data"]
    assert rows and all(r["user_name"] == "vic" and r["action_words"] == "sign-in failed" for r in rows)
    assert rows[0]["address"] == "127.0.0.1"  # the newest: this test's (others sign in from other addresses)
    export = callback_response(_post(ada, server, "audit-download",
                                     {**values, "audit-export.n_clicks": 1}, ["audit-export.n_clicks"]).data)
    text = export["audit-download"]["data"]["content"]
    assert text.splitlines()[0] == "# Data classification: 内部"
    frame = pd.read_csv(io.StringIO(text), skiprows=1)
    assert len(frame) == len(rows) and set(frame["action"]) == {"login_failed"}
    line = audit_log(store, user="ada", action="export").iloc[0]
    assert line["target"] == "audit_log" and f"{len(rows)} of {len(rows)} line(s)" in line["detail"]
    assert line["address"] == "127.0.0.1"


def test_the_alert_list_exports_as_csv_with_the_classification_and_is_audited(server, demo_store):
    store, _ = demo_store
    vic = signed_in_client(server, "vic")
    values = {"alerts-export.n_clicks": 1, "alerts-severity.value": [], "alerts-state.value": [],
              "alerts-syndrome.value": [], "alerts-kind.value": [], "alerts-ended.value": ["1"]}
    answer = callback_response(_post(vic, server, "alerts-download", values, ["alerts-export.n_clicks"]).data)
    text = answer["alerts-download"]["data"]["content"]
    assert text.splitlines()[0] == "# Data classification: 内部"
    frame = pd.read_csv(io.StringIO(text), skiprows=1)
    assert len(frame) and frame["region"].str.contains("Jiangtan").all()  # vic's district only
    assert "Hanwan" not in text and "Xingchi" not in text
    line = audit_log(store, user="vic", action="export").iloc[0]
    assert line["target"] == "alerts" and f"{len(frame)} alert(s)" in line["detail"]


def test_views_of_an_alert_and_api_calls_are_audited_with_the_address(server, demo_store):
    from .conftest import alert_in

    store, _ = demo_store
    episode_id = alert_in(store, "320100")
    eve = signed_in_client(server, "eve")
    _post(eve, server, "app-page", {"app-url.pathname": f"/app/alerts/{episode_id}", "app-url.search": ""},
          ["app-url.pathname"])
    _, secret = create_token(store, "eve")
    assert server.test_client().get(f"/api/alerts/{episode_id}", headers=bearer(secret)).status_code == 200
    assert eve.get("/api/alerts?limit=5").status_code == 200
    assert server.test_client().get("/api/alerts/x", headers=bearer(secret)).status_code == 400
    views = audit_log(store, user="eve", action="alert_viewed", limit=2)
    assert views["detail"].tolist() == ["API (token)", "page"]
    assert set(views["target"]) == {f"alert {episode_id}"} and set(views["address"]) == {"127.0.0.1"}
    calls = audit_log(store, user="eve", action="api_call", limit=3)["detail"].tolist()
    assert calls[0].startswith("GET /api/alerts/x -> 400 (token ")
    assert calls[1] == "GET /api/alerts?limit=5 -> 200 (session)"
    assert calls[2].startswith(f"GET /api/alerts/{episode_id} -> 200 (token ")
    assert audit_log(store, user="eve", action="login")["address"].iloc[0] == "127.0.0.1"
    before = len(audit_log(store, action="api_call", limit=None))
    server.test_client().get("/api/alerts")  # anonymous: refused, and not recorded
    assert len(audit_log(store, action="api_call", limit=None)) == before


def test_every_page_carries_the_data_classification(server, demo_store):
    vic = signed_in_client(server, "vic")
    footer = _find(vic.get("/app/_dash-layout").get_json(), "app-footer")
    assert footer["children"] == "Data classification: 内部"
    assert "Data classification: 内部" in vic.get("/").get_data(as_text=True)  # the status page
    assert "Data classification: 内部" in server.test_client().get("/login").get_data(as_text=True)
    assert "数据分级：内部" in server.test_client().get("/login?lang=zh").get_data(as_text=True)
