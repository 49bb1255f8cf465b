"""The audit trail: append-only from the application's side, pruned only past its retention, filtered by
user, action and days, exported with the data classification. A real DuckDB file."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from surveillance import audit
from surveillance.config import Config, parse_config
from surveillance.errors import ConfigError, SurveillanceError
from surveillance.service.cycle import audit_retention_job
from surveillance.store import open_store
from surveillance.store.audit import insert_audit

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 22, 9, 0)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "audit.duckdb") as store:
        yield store


def _dated(store, *ages_in_days):
    """One line per age, dated that many days before NOW (named by its age)."""
    with store.transaction() as cur:
        for age in ages_in_days:
            insert_audit(cur, "ops", "login", "ops", f"{age} days old", address="10.0.0.1", at=NOW - timedelta(days=age))


def test_retention_deletes_only_lines_older_than_keep_days(store):
    _dated(store, 400, 181, 180.5, 179.9, 30, 0)
    gone = audit.prune(store, 180, now=NOW)
    assert gone == 3
    kept = audit.trail(store, actions="login", limit=None)["detail"].tolist()
    assert kept == ["0 days old", "30 days old", "179.9 days old"]
    pruned = audit.trail(store, actions="audit_pruned")
    assert len(pruned) == 1 and pruned["user_name"].iloc[0] == "system"
    assert "3 line(s) older than 2026-05-26 09:00 (180 days)" in pruned["detail"].iloc[0]
    assert audit.prune(store, 180, now=NOW) == 0  # nothing more, and no line saying so
    assert len(audit.trail(store, actions="audit_pruned")) == 1
    assert audit.prune(store, 365, now=NOW + timedelta(days=200)) == 1  # a longer keep keeps more


def test_the_trail_is_never_kept_less_than_180_days(store):
    _dated(store, 200)
    with pytest.raises(SurveillanceError, match="at least 180 days"):
        audit.prune(store, 30, now=NOW)
    assert audit.count(store) == 1
    with pytest.raises(ConfigError, match="audit.keep_days"):
        parse_config({"audit": {"keep_days": 90}}, ROOT)
    assert Config().audit.keep_days == 180


def test_the_daily_cycles_step_prunes_with_the_configured_days(store):
    _dated(store, 500, 300, 10)
    config = parse_config({"audit": {"keep_days": 365}}, ROOT)
    assert audit_retention_job(store, config, now=NOW) == 1
    assert audit.count(store, actions="login") == 2


def test_the_application_has_no_way_to_change_or_delete_an_audit_line():
    """Every UPDATE or DELETE on audit_log in the code: only the retention's one DELETE."""
    statement = re.compile(r"\b(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+audit_log|"
                           r"DROP\s+TABLE\s+audit_log|ALTER\s+TABLE\s+audit_log\s+(?!ADD))", re.IGNORECASE)
    found = []
    for package in ("surveillance", "dashboards", "jobs"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".sql"):
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if statement.search(line):
                        found.append((str(path.relative_to(ROOT)), line.strip()))
    assert found == [("surveillance/store/audit.py", 'cur.execute("DELETE FROM audit_log WHERE at_time < ?", [before])')]
    from surveillance.store import audit as stored

    assert not [name for name in dir(stored) if name.startswith(("update", "delete", "set_"))]


def test_lines_filter_by_user_action_and_days(store):
    with store.transaction() as cur:
        insert_audit(cur, "li", "login", "li", "from 10.0.0.1", address="10.0.0.1", at=datetime(2026, 11, 1, 8))
        insert_audit(cur, "li", "alert_viewed", "alert 3", "page", address="10.0.0.1", at=datetime(2026, 11, 2, 23))
        insert_audit(cur, "wang", "api_call", "/api/alerts", "GET /api/alerts -> 200", address="10.0.0.2",
                     at=datetime(2026, 11, 3, 0, 30))
    assert audit.trail(store, user="li")["action"].tolist() == ["alert_viewed", "login"]
    assert audit.trail(store, user=["li", "wang"], actions=["api_call", "login"])["user_name"].tolist() == ["wang", "li"]
    assert audit.trail(store, user=[]).empty
    days = audit.trail(store, since=date(2026, 11, 2), until=date(2026, 11, 2))
    assert days["target"].tolist() == ["alert 3"]  # the whole of the 2nd, to its last minute
    assert audit.count(store, since=date(2026, 11, 2)) == 2 and audit.count(store, until=date(2026, 11, 1)) == 1
    assert audit.names(store) == ["li", "wang"] and audit.actions(store) == ["alert_viewed", "api_call", "login"]
    assert list(audit.trail(store).columns) == ["audit_id", "at_time", "user_name", "address", "action", "target",
                                                "detail"]


def test_long_values_are_cut_not_refused(store):
    audit.record(store, "li", "api_call", "/api/" + "x" * 500, "GET " + "y" * 5000, address="10.0.0.1")
    line = audit.trail(store).iloc[0]
    assert len(line["target"]) == audit.MAX_TARGET and line["target"].endswith("…")
    assert len(line["detail"]) == audit.MAX_DETAIL


@pytest.mark.parametrize("lang, first", [("en", "# Data classification: 敏感"), ("zh", "# 数据分级：敏感")])
def test_an_export_says_its_classification_first(lang, first):
    frame = pd.DataFrame({"user_name": ["li"], "detail": ["alert #3, viewed"]})
    text = audit.classified_csv(frame, "敏感", lang)
    assert text.splitlines()[0] == first
    assert pd.read_csv(io.StringIO(text), skiprows=1).to_dict("records") == frame.to_dict("records")


def test_a_line_does_not_wait_for_a_long_write_to_commit(store):
    """An API call's line lands while a cycle holds the store's write lock in a transaction of its own."""
    import threading

    holding, release = threading.Event(), threading.Event()

    def cycle():
        with store.transaction() as cur:
            insert_audit(cur, "system", "audit_pruned", "audit_log", "inside the long write")
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=cycle)
    writer.start()
    assert holding.wait(10)
    done = threading.Thread(target=audit.record, args=(store, "li", "api_call", "/api/feeds", "GET -> 200"))
    done.start()
    done.join(5)
    try:
        assert not done.is_alive()  # it did not wait for the lock
        assert audit.trail(store)["detail"].tolist() == ["GET -> 200"]  # committed; the long write not yet
    finally:
        release.set()
        writer.join(10)
    assert sorted(audit.trail(store)["user_name"]) == ["li", "system"]
