"""Dashboard users: hashed passwords, roles, region scope, language, the audit log."""

from __future__ import annotations

import pytest

from surveillance.errors import UnknownName
from surveillance.store import open_store
from surveillance.users import (UserError, add_user, audit_log, ensure_default_admin, get_user, list_users,
                                record_audit, set_language, set_password, verify_password)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "users.duckdb") as store:
        store.con.execute("INSERT INTO regions (code, name, level, parent) VALUES"
                          " ('320000', 'Shashan Province', 'province', NULL),"
                          " ('320100', 'Guangjiao City', 'city', '320000')")
        yield store


def test_add_list_and_verify(store):
    user = add_user(store, "li.wei", "s3cret-password", role="epidemiologist", region="320100", language="zh")
    assert (user.name, user.role, user.region, user.language) == ("li.wei", "epidemiologist", "320100", "zh")
    add_user(store, "ops", "another-password", role="admin")
    assert [u.name for u in list_users(store)] == ["li.wei", "ops"]
    assert verify_password(store, "li.wei", "s3cret-password") == get_user(store, "li.wei")
    assert verify_password(store, "li.wei", "wrong-password") is None
    assert verify_password(store, "nobody", "s3cret-password") is None
    stored = store.con.execute("SELECT password_hash FROM users WHERE name = 'li.wei'").fetchone()[0]
    assert "s3cret-password" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    assert get_user(store, "ops").region is None  # every region


def test_roles_include_the_ones_below(store):
    admin = add_user(store, "a", "password-a1", role="admin")
    viewer = add_user(store, "v", "password-v1", role="viewer")
    assert admin.can("epidemiologist") and admin.can("viewer") and admin.is_admin
    assert viewer.can("viewer") and not viewer.can("epidemiologist")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"role": "superuser"}, UnknownName, "unknown role 'superuser'; roles: viewer, epidemiologist, admin"),
    ({"region": "999999"}, UnknownName, "unknown region '999999'"),
    ({"language": "fr"}, UnknownName, "unknown language 'fr'"),
    ({"password": "short"}, UserError, "at least 8 characters"),
    ({"name": "has space"}, UserError, "is not valid"),
    ({"name": "system"}, UserError, "reserved"),
])
def test_bad_users_are_refused_with_one_line(store, kwargs, error, message):
    args = {"name": "someone", "password": "long-enough-1", **kwargs}
    with pytest.raises(error, match=message.replace("(", r"\(")):
        add_user(store, args.pop("name"), args.pop("password"), **args)
    assert list_users(store) == []


def test_names_are_unique(store):
    add_user(store, "zhang", "password-1234")
    with pytest.raises(UserError, match="user 'zhang' already exists"):
        add_user(store, "zhang", "password-5678")


def test_the_default_admin_is_made_once(store):
    made = ensure_default_admin(store)
    assert made is not None
    name, password = made
    assert name == "admin" and len(password) >= 12
    assert verify_password(store, name, password).role == "admin"
    assert ensure_default_admin(store) is None
    other = open_store(store.path.parent / "other.duckdb")
    try:
        assert ensure_default_admin(other)[1] != password  # generated, not fixed
    finally:
        other.close()


def test_changes_are_audited(store):
    add_user(store, "wang", "password-1234", by="ops")
    set_password(store, "wang", "password-5678", by="ops")
    set_language(store, "wang", "zh")
    record_audit(store, "wang", "login", "wang", "from 127.0.0.1")
    log = audit_log(store)
    assert log["action"].tolist() == ["login", "language_set", "password_set", "user_added"]
    assert log["user_name"].tolist() == ["wang", "wang", "ops", "ops"]
    assert verify_password(store, "wang", "password-5678") is not None
    assert get_user(store, "wang").language == "zh"
    with pytest.raises(UnknownName):
        set_language(store, "nobody", "zh")
