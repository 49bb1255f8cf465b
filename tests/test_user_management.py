"""Users managed while the service runs: disabling, enabling, one-time passwords, role and region changes,
each ending what it must (sessions, tokens) at once; who may manage whom. A real DuckDB file."""

from __future__ import annotations

import pytest

from surveillance import credentials
from surveillance.errors import UnknownName
from surveillance.store import open_store
from surveillance.users import (UserError, add_user, audit_log, change_user, disable_user, enable_user, get_user,
                                may_manage, reset_password, set_password, verify_password)

PASSWORD = "a long enough secret"


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "users.duckdb") as store:
        store.con.execute("INSERT INTO regions (code, name, level, parent) VALUES"
                          " ('320000', 'Shashan Province', 'province', NULL),"
                          " ('320100', 'Guangjiao City', 'city', '320000'),"
                          " ('320102', 'Jiangtan District', 'county', '320100'),"
                          " ('320200', 'Hanwan City', 'city', '320000')")
        add_user(store, "root", PASSWORD, role="admin")
        add_user(store, "li", PASSWORD, role="viewer", region="320102")
        yield store


def _signed_in(store, name):
    """A live session and a live token of ``name``: their secrets."""
    session = credentials.start_session(store, get_user(store, name), address="127.0.0.1")
    _, secret = credentials.create_token(store, name, label="screen")
    assert credentials.session_user(store, session.secret) and credentials.token_user(store, secret)
    return session.secret, secret


def test_disabling_ends_sessions_and_tokens_and_enabling_restores_sign_in_only(store):
    session, token = _signed_in(store, "li")
    disabled = disable_user(store, "li", by="root", address="10.0.0.7")
    assert disabled.disabled and disabled.disabled_at is not None
    assert credentials.session_user(store, session) is None
    assert credentials.token_user(store, token) is None
    assert verify_password(store, "li", PASSWORD) is None  # the right password opens nothing
    assert all(t.revoked_at is not None for t in credentials.list_tokens(store, "li"))
    with pytest.raises(UserError, match="disabled"):
        credentials.create_token(store, "li")
    line = audit_log(store, action="user_disabled").iloc[0]
    assert (line["user_name"], line["target"], line["address"]) == ("root", "li", "10.0.0.7")
    assert "1 session(s) ended" in line["detail"] and "token(s) 1 revoked" in line["detail"]

    enabled = enable_user(store, "li", by="root")
    assert not enabled.disabled and verify_password(store, "li", PASSWORD) is not None
    assert credentials.token_user(store, token) is None  # revoked tokens stay revoked
    assert audit_log(store, action="user_enabled")["target"].tolist() == ["li"]


def test_a_reset_password_is_one_time_and_must_be_changed(store):
    session, token = _signed_in(store, "li")
    user, once = reset_password(store, "li", by="root", address="10.0.0.7")
    assert user.must_change_password and len(once) >= 12
    assert credentials.session_user(store, session) is None  # the sessions with the old password end
    assert credentials.token_user(store, token) is not None  # tokens do not depend on the password
    assert verify_password(store, "li", PASSWORD) is None
    assert verify_password(store, "li", once).must_change_password
    assert once not in str(store.con.execute("SELECT * FROM users").fetchall())  # only its hash is kept
    set_password(store, "li", "my own new secret", by="li")
    assert not get_user(store, "li").must_change_password
    assert audit_log(store, action="password_reset")["detail"].iloc[0].startswith("1 session(s) ended")


@pytest.mark.parametrize("change", [{"role": "epidemiologist"}, {"region": "320100"}, {"role": "admin", "region": None}])
def test_a_role_or_region_change_ends_sessions_and_tokens(store, change):
    session, token = _signed_in(store, "li")
    changed = change_user(store, "li", by="root", **change)
    assert (changed.role, changed.region) == (change.get("role", "viewer"), change.get("region", "320102"))
    assert credentials.session_user(store, session) is None
    assert credentials.token_user(store, token) is None
    detail = audit_log(store, action="user_changed")["detail"].iloc[0]
    assert ("role viewer -> " in detail) == ("role" in change) and ("region 320102 -> " in detail) == ("region" in change)


def test_a_change_that_changes_nothing_ends_nothing(store):
    session, token = _signed_in(store, "li")
    change_user(store, "li", role="viewer", region="320102", by="root")
    assert credentials.session_user(store, session) and credentials.token_user(store, token)
    assert audit_log(store, action="user_changed").empty


def test_the_last_administrator_of_every_region_stays(store):
    with pytest.raises(UserError, match="last administrator of every region"):
        disable_user(store, "root")
    with pytest.raises(UserError, match="last administrator"):
        change_user(store, "root", role="viewer")
    with pytest.raises(UserError, match="last administrator"):
        change_user(store, "root", region="320100")
    add_user(store, "second", PASSWORD, role="admin")
    assert disable_user(store, "root").disabled  # another one can still repair everything
    with pytest.raises(UserError, match="last administrator"):
        change_user(store, "second", role="epidemiologist")


def test_an_administrator_in_the_dashboard_manages_their_own_regions_only(store):
    city = add_user(store, "city.admin", PASSWORD, role="admin", region="320100")
    root = get_user(store, "root")
    assert may_manage(store, city, get_user(store, "li")) and not may_manage(store, city, root)
    assert may_manage(store, root, city)
    add_user(store, "inside", PASSWORD, region="320102", manager=city)
    with pytest.raises(UserError, match="outside city.admin's regions"):
        add_user(store, "outside", PASSWORD, region="320200", manager=city)
    with pytest.raises(UserError, match="every region is outside"):
        add_user(store, "everywhere", PASSWORD, manager=city)
    with pytest.raises(UserError, match="outside"):
        change_user(store, "li", region="320200", manager=city)
    with pytest.raises(UserError, match="outside"):
        disable_user(store, "root", manager=city)
    with pytest.raises(UserError, match="cannot disable yourself"):
        disable_user(store, "city.admin", manager=city)
    with pytest.raises(UserError, match="yourself"):
        change_user(store, "city.admin", role="viewer", manager=city)
    with pytest.raises(UserError, match="yourself"):
        reset_password(store, "city.admin", manager=city)
    assert change_user(store, "li", region="320100", manager=city).region == "320100"


def test_unknown_users_and_regions_are_one_line(store):
    for call in (lambda: disable_user(store, "nobody"), lambda: enable_user(store, "nobody"),
                 lambda: reset_password(store, "nobody"), lambda: change_user(store, "nobody", role="admin")):
        with pytest.raises(UnknownName, match="unknown user 'nobody'"):
            call()
    with pytest.raises(UnknownName, match="unknown region"):
        change_user(store, "li", region="999999")
    with pytest.raises(UnknownName, match="unknown role"):
        change_user(store, "li", role="king")
