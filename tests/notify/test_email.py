"""Alert emails against a real SMTP server on loopback: content, recipients, deduplication,
outage and recovery."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from surveillance.alerts.signals import SIGNAL_COLUMNS
from surveillance.alerts.apply import apply_signals
from surveillance.config import parse_config, smtp_settings
from surveillance.notify import deliver, queue_alert_messages, queue_digests

from ..alerts.test_episodes import sig
from ..batches import write_rows
from .smtp import SmtpServer, free_port

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 11, 7, 0)


def make_config(port: int, **extra):
    raw = {
        "service": {"base_url": "https://surveillance.example.org"},
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "alerts@example.org"},
        "email": {"backoff_seconds": 60, "max_attempts": 3},
        "subscriptions": [
            {"email": "province@example.org", "region": "320000", "min_severity": "yellow"},
            {"email": "dongcheng@example.org", "region": "320102", "syndromes": ["fever"], "min_severity": "yellow",
             "language": "zh", "digest": True},
            {"email": "red-only@example.org", "min_severity": "red"},
            {"email": "admin@example.org", "outbreaks": False, "data_quality": True},
        ],
        **extra,
    }
    return parse_config(raw, Path("."))


def add_signals(store, rows, today=DAY):
    with store.transaction() as cur:
        return apply_signals(cur, pd.DataFrame(rows, columns=SIGNAL_COLUMNS), today=today, gap_days=2,
                             quiet_days=7, notify_since=None)


def history(store):
    """Four weeks of counts for the Dongcheng facilities (aggregated, as everywhere)."""
    days = pd.date_range(DAY - timedelta(days=27), DAY)
    frame = pd.DataFrame([(d.date(), u, "fever", "all", 5 + i % 3, 50) for i, d in enumerate(days)
                          for u in ("F320102001", "F320102002")],
                         columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    write_rows(store, frame, NOW)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_content_recipients_and_deduplication(store, smtp):
    history(store)
    config = make_config(smtp.port)
    add_signals(store, [sig(DAY, region="320102", severity="red"),
                        sig(DAY, region="320103", syndrome="ili", severity="yellow")])
    queued = queue_alert_messages(store, config, DAY, now=NOW)
    assert queued["queued"] == 4  # fever: province, dongcheng, red-only; ili: province
    result = deliver(store, config, now=NOW)
    assert result == {"sent": 4, "retry": 0, "failed": 0, "unconfirmed": 0, "error": None}
    inbox = smtp.inbox
    assert sorted(a for m in inbox.messages for a in m["to"]) == [
        "dongcheng@example.org", "province@example.org", "province@example.org", "red-only@example.org"]

    en = [m for m in inbox.to("province@example.org") if "Fever" in m["Subject"]][0]
    assert en["Subject"] == "[RED] Fever alert: Dongcheng District (320102): 30 observed vs 10 expected on 2026-03-10"
    assert en["From"] == "alerts@example.org" and en.is_multipart()
    text = en.get_body(("plain",)).get_content()
    page = en.get_body(("html",)).get_content()
    for part in (text, page):
        assert "https://surveillance.example.org/alerts/1" in part
        assert "ears_c2" in part and "0.001" in part and "100%" in part  # detector, p-value, completeness
    assert "Observed: 30 (expected 10, threshold 20)" in text
    assert text.count("2026-0") >= 28 and "Daily counts, last 4 weeks" in text  # the 4-week table
    assert "id='history'" in page and "no patient data" in text.lower()
    assert "00:00:00" not in text  # the alert's days are dates, not timestamps

    zh = inbox.to("dongcheng@example.org")[0]
    assert zh["Subject"].startswith("【红色预警】发热 Dongcheng District (320102)")
    assert "近4周每日就诊数" in zh.get_body(("plain",)).get_content()
    assert inbox.to("red-only@example.org")[0]["Subject"].startswith("[RED] Fever")

    # the signal persists: no new email; re-queueing and re-delivering send nothing again
    add_signals(store, [sig(DAY + timedelta(days=1), region="320102", severity="red")], today=DAY + timedelta(days=1))
    assert queue_alert_messages(store, config, DAY, now=NOW)["queued"] == 0
    assert deliver(store, config, now=NOW + timedelta(hours=1))["sent"] == 0
    assert len(inbox.messages) == 4
    log = store.cursor().execute("SELECT outcome, count(*) FROM delivery_log GROUP BY 1").fetchall()
    assert log == [("sent", 4)]


def test_escalation_is_emailed_once_and_incomplete_red_is_sent_as_yellow(store, smtp):
    config = make_config(smtp.port)
    add_signals(store, [sig(DAY, region="320103", severity="red", incomplete=True, completeness=0.5)])
    queue_alert_messages(store, config, DAY, now=NOW)
    deliver(store, config, now=NOW)
    assert [m["Subject"] for m in smtp.inbox.to("province@example.org")] == [
        "[YELLOW] Fever alert: Xicheng District (320103): 30 observed vs 10 expected on 2026-03-10 (incomplete data)"]
    assert not smtp.inbox.to("red-only@example.org")  # not red until the data fill in
    body = smtp.inbox.to("province@example.org")[0].get_body(("plain",)).get_content()
    assert "Incomplete data" in body and "50%" in body
    filled = sig(DAY, region="320103", severity="red")
    filled["as_of"] = pd.Timestamp(DAY + timedelta(days=2))
    add_signals(store, [filled], today=DAY + timedelta(days=2))
    queue_alert_messages(store, config, DAY, now=NOW)
    deliver(store, config, now=NOW)
    assert [m["Subject"] for m in smtp.inbox.to("red-only@example.org")] == [
        "[RED] Fever alert: Xicheng District (320103): 30 observed vs 10 expected on 2026-03-10"]
    confirmed = smtp.inbox.to("red-only@example.org")[0].get_body(("plain",)).get_content()
    assert confirmed.startswith("Alert escalated: [RED]") and "Severity: red" in confirmed
    assert "confirmed on complete data" not in confirmed  # the event's internal note is not the email's reason


def test_red_on_provisional_data_is_sent_as_red_with_the_provisional_notice(store, smtp):
    config = make_config(smtp.port)
    add_signals(store, [{**sig(DAY, region="320102", severity="red"), "provisional": True},
                        sig(DAY, region="320103", severity="red")])
    queue_alert_messages(store, config, DAY, now=NOW)
    deliver(store, config, now=NOW)
    assert len(smtp.inbox.to("red-only@example.org")) == 2  # the scaling allowed for the delay: still red
    by_region = {m["Subject"].split("(")[1][:6]: m for m in smtp.inbox.to("province@example.org")}
    text = by_region["320102"].get_body(("plain",)).get_content()
    page = by_region["320102"].get_body(("html",)).get_content()
    assert "Provisional: data still arriving." in text and "id='provisional'" in page
    assert "Provisional" not in by_region["320103"].get_body(("plain",)).get_content()
    zh = smtp.inbox.to("dongcheng@example.org")[0].get_body(("plain",)).get_content()
    assert "临时：数据仍在上报。" in zh and "Provisional" not in zh


def test_an_smtp_outage_loses_nothing_and_sends_each_message_once(store):
    port = free_port()
    config = make_config(port)
    add_signals(store, [sig(DAY, region="320102"), {**sig(DAY, region="F320102001"), "detector": "quality",
                                                     "syndrome": "unit_silent", "level": "facility",
                                                     "detail": "no data for 2 days"}])
    assert queue_alert_messages(store, config, DAY, now=NOW)["queued"] == 4  # 3 subscribers + the admin
    down = deliver(store, config, now=NOW)
    assert down["sent"] == 0 and down["retry"] == 4 and "cannot reach the SMTP server" in down["error"]
    again = deliver(store, config, now=NOW + timedelta(seconds=30))  # not due yet (backoff 60 s)
    assert again["retry"] == 0
    deliver(store, config, now=NOW + timedelta(seconds=61))  # still down: attempts 2, backoff 120 s
    server = SmtpServer(port).start()
    try:
        assert deliver(store, config, now=NOW + timedelta(seconds=120))["sent"] == 0  # waiting out the backoff
        back = deliver(store, config, now=NOW + timedelta(seconds=182))
        assert back["sent"] == 4 and back["failed"] == 0
        assert deliver(store, config, now=NOW + timedelta(days=1))["sent"] == 0
        assert len(server.inbox.messages) == 4
        admin = server.inbox.to("admin@example.org")
        assert len(admin) == 1 and admin[0]["Subject"].startswith("[Data quality] Reporting unit silent")
    finally:
        server.stop()
    log = store.cursor().execute("SELECT message_id, attempt, outcome FROM delivery_log ORDER BY 1, 2").df()
    assert set(log.groupby("message_id")["outcome"].apply(list).map(tuple)) == {("retry", "retry", "sent")}
    assert store.cursor().execute("SELECT DISTINCT status FROM outbox").fetchall() == [("sent",)]


def test_a_permanently_refused_recipient_fails_after_max_attempts(store):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 no such user"

    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = make_config(port, subscriptions=[{"email": "nobody@example.org"}])
        add_signals(store, [sig(DAY)])
        queue_alert_messages(store, config, DAY, now=NOW)
        outcomes = [deliver(store, config, now=NOW + timedelta(hours=k)) for k in range(4)]
    finally:
        controller.stop()
    assert [o["failed"] for o in outcomes] == [0, 0, 1, 0]
    status, error = store.cursor().execute("SELECT status, last_error FROM outbox").fetchall()[0]
    assert status == "failed" and "nobody@example.org" in error


def test_digest_and_env_overrides(store, smtp, monkeypatch):
    config = make_config(1)  # the config's port is wrong; the environment fixes it
    monkeypatch.setenv("SURVEILLANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SURVEILLANCE_SMTP_PORT", str(smtp.port))
    assert smtp_settings(config).port == smtp.port
    add_signals(store, [sig(DAY, region="320102")])
    assert queue_digests(store, config, DAY, now=NOW)["queued"] == 1
    assert queue_digests(store, config, DAY, now=NOW)["queued"] == 0  # one digest a day
    deliver(store, config, now=NOW)
    digest = smtp.inbox.to("dongcheng@example.org")[0]
    assert digest["Subject"] == "每日摘要 2026-03-10: 1 条进行中的预警"
    assert "/alerts/1" in digest.get_body(("plain",)).get_content()


def test_login_over_smtp_with_the_password_from_the_environment(store, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    inbox = SmtpServer().inbox
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        config = make_config(port, smtp={"host": "127.0.0.1", "port": port, "security": "none", "user": "svc",
                                         "password_env": "TEST_SMTP_PASSWORD", "sender": "alerts@example.org"})
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        add_signals(store, [sig(DAY)])
        queue_alert_messages(store, config, DAY, now=NOW)
        assert deliver(store, config, now=NOW)["sent"] == 3
    finally:
        controller.stop()
    assert seen[0] == (b"svc", b"s3cret") and len(inbox.messages) == 3


@pytest.fixture
def with_history(store):
    history(store)
    with store.transaction() as cur:  # Xicheng: one unit, 1 a day, and nothing on DAY - 3
        days = [d for d in pd.date_range(DAY - timedelta(days=27), DAY) if d.date() != DAY - timedelta(days=3)]
        cur.execute("INSERT INTO observations SELECT * REPLACE ('F320103001' AS unit, 1 AS count)"
                    " FROM observations WHERE unit = 'F320102001' AND date IN (SELECT unnest(?::DATE[]))",
                    [[d.date() for d in days]])
    return store


def test_histories_read_together_match_each_series(with_history):
    from surveillance.notify.outbox import _histories

    def episode(episode_id, kind, regions, day=DAY):
        return {"episode_id": episode_id, "kind": kind, "level": "county", "region": regions[0],
                "regions": json.dumps(regions), "syndrome": "fever", "age_group": "all", "last_signal_on": day}

    found = _histories(with_history.cursor(), [
        episode(1, "outbreak", ["320102"]), episode(2, "cluster", ["320102", "320103"]),
        episode(3, "outbreak", ["320103"], day=DAY - timedelta(days=1)),
        {**episode(4, "data_quality", ["clinics"]), "level": "feed"}])
    dongcheng = [2 * (5 + i % 3) for i in range(28)]  # two units, 5 + i % 3 each
    assert found[1]["count"].tolist() == dongcheng
    assert found[1]["date"].iloc[-1] == pd.Timestamp(DAY) and len(found[1]) == 28
    assert found[2]["count"].tolist() == [c + (0 if i == 24 else 1) for i, c in enumerate(dongcheng)]
    xicheng = found[3].set_index("date")["count"]  # 28 days up to its own last signal, DAY - 1
    assert xicheng.index[0] == pd.Timestamp(DAY - timedelta(days=28)) and len(xicheng) == 28
    unreported = [pd.Timestamp(DAY - timedelta(days=28)), pd.Timestamp(DAY - timedelta(days=3))]
    assert xicheng[xicheng.isna()].index.tolist() == unreported  # before the data began, and a silent day
    assert (xicheng.dropna() == 1).all()
    assert found[4].empty
