"""Delivery against real SMTP servers on loopback that misbehave: slow (answering after the client's
timeout), failing, killed clients, and TLS. Each message is delivered exactly once when the server
works again, none holds up the others, and what could not be delivered is red and an alert."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_string
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from surveillance.notify import deliver, queue_alert_messages
from surveillance.notify.delivery import stable_message_id
from surveillance.service.cycle import deliver_job, notify_job

from ..alerts.test_episodes import sig
from .smtp import FailingInbox, Inbox, SlowInbox, free_port, self_signed_certificate
from .test_email import DAY, NOW, add_signals, make_config

TIMEOUT = 0.5  # seconds; each slow server answers after four times this
SYNDROMES = ["fever", "ili", "ari", "diarrhoea", "rash_fever", "hfmd"]


def config_for(port: int, *, recipients=("epi@example.org",), smtp=None, subscriptions=None):
    return make_config(port, smtp={"host": "127.0.0.1", "port": port, "security": "none", "sender": "alerts@example.org",
                                   "timeout_seconds": TIMEOUT, **(smtp or {})},
                       subscriptions=subscriptions or [{"email": r} for r in recipients])


def queue(store, config, n: int = 12) -> int:
    """``n`` alerts (one per region and syndrome), one message each per recipient."""
    cells = [(region, syndrome) for region in ("320102", "320103") for syndrome in SYNDROMES][:n]
    add_signals(store, [sig(DAY, region=region, syndrome=syndrome) for region, syndrome in cells])
    return queue_alert_messages(store, config, DAY, now=NOW)["queued"]


class Server:
    """A loopback aiosmtpd server around ``handler``, started and stopped with ``with``."""

    def __init__(self, handler, port: int | None = None, **options):
        self.handler, self.port, self.options = handler, port or free_port(), options

    def __enter__(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def ids(inbox) -> Counter:
    """How often each Message-ID arrived."""
    return Counter(m["message"]["Message-ID"] for m in inbox.messages)


def outbox(store) -> list[tuple]:
    return store.cursor().execute("SELECT message_id, status, attempts, failures, unconfirmed, last_error FROM outbox"
                                  " ORDER BY message_id").fetchall()


def test_a_server_that_answers_each_message_after_the_timeout_blocks_nothing_and_duplicates_nothing(store):
    inbox = SlowInbox(4 * TIMEOUT, at="data")
    with Server(inbox) as server:
        config = config_for(server.port)
        assert queue(store, config) == 12
        started = time.monotonic()
        slow = deliver(store, config, now=NOW)
        took = time.monotonic() - started
        # three exchanges end at their deadline, then the run stops: the rest wait, untouched
        assert (slow["sent"], slow["unconfirmed"], slow["retry"], slow["failed"]) == (0, 3, 9, 0)
        assert "the run stopped after 3 failures in a row" in slow["error"]
        assert took < 3 * TIMEOUT + 3, took
        inbox.slow = False  # the server is back to normal
        back = deliver(store, config, now=NOW + timedelta(seconds=1))
        assert (back["sent"], back["unconfirmed"], back["retry"], back["failed"]) == (9, 0, 0, 0)
        assert deliver(store, config, now=NOW + timedelta(days=1))["sent"] == 0
        time.sleep(4 * TIMEOUT)  # the late answers of the first run are over
    counts = ids(inbox)
    assert len(counts) == 12 and set(counts.values()) == {1}  # each message exactly once
    rows = outbox(store)
    assert [status for _, status, *_ in rows] == ["sent"] * 12
    unconfirmed = [r for r in rows if r[4]]
    assert len(unconfirmed) == 3 and all("not sent again" in r[5] for r in unconfirmed)


def test_a_server_slow_to_greet_is_unreachable_and_costs_the_messages_no_attempt(store):
    inbox = SlowInbox(4 * TIMEOUT, at="ehlo")
    with Server(inbox) as server:
        config = config_for(server.port)
        queue(store, config, 4)
        down = deliver(store, config, now=NOW)
        assert (down["sent"], down["retry"]) == (0, 4) and "cannot reach the SMTP server" in down["error"]
        inbox.slow = False
        assert deliver(store, config, now=NOW + timedelta(seconds=61))["sent"] == 4
    assert set(ids(inbox).values()) == {1} and len(ids(inbox)) == 4
    assert {(attempts, failures) for _, _, attempts, failures, _, _ in outbox(store)} == {(2, 0)}


def test_a_message_that_times_out_fails_after_max_attempts_and_the_others_go_out(store):
    inbox = SlowInbox(4 * TIMEOUT, at="rcpt", only="slow@example.org")
    with Server(inbox) as server:
        config = config_for(server.port, recipients=("slow@example.org", "epi@example.org"))
        assert queue(store, config, 3) == 6
        runs = [deliver(store, config, now=NOW + timedelta(hours=k)) for k in range(4)]
    assert [(r["sent"], r["retry"], r["failed"]) for r in runs] == [(3, 3, 0), (0, 3, 0), (0, 0, 3), (0, 0, 0)]
    assert Counter(to for m in inbox.messages for to in m["to"]) == {"epi@example.org": 3}
    failed = [r for r in outbox(store) if r[1] == "failed"]
    assert len(failed) == 3 and all(r[3] == 3 and "no answer within 0.5 s" in r[5] for r in failed)


def test_a_failing_server_then_a_working_one_delivers_each_message_once(store):
    inbox = FailingInbox("451 4.3.0 try again later", times=2)
    with Server(inbox) as server:
        config = config_for(server.port)
        queue(store, config, 2)
        first = deliver(store, config, now=NOW)  # both deferred: each uses an attempt
        assert (first["sent"], first["retry"]) == (0, 2) and first["error"].startswith("451")
        assert deliver(store, config, now=NOW + timedelta(seconds=61))["sent"] == 2
        assert deliver(store, config, now=NOW + timedelta(days=1))["sent"] == 0
    assert set(ids(inbox).values()) == {1} and len(ids(inbox)) == 2


def test_undelivered_mail_is_red_on_the_jobs_page_and_an_alert_for_administrators(store):
    refusing = FailingInbox("554 5.7.1 relaying denied")
    port = free_port()
    recipients = [{"email": "epi@example.org"}, {"email": "admin@example.org", "outbreaks": False,
                                                 "data_quality": True}]
    config = config_for(port, subscriptions=recipients)
    add_signals(store, [sig(DAY, region="320102"), sig(DAY, region="320103")])
    with Server(refusing, port):
        notified = notify_job(store, config, DAY, now=NOW)
    run = store.cursor().execute("SELECT status, message FROM job_runs WHERE job = 'notify'").fetchone()
    assert run[0] == "failed" and "0 sent, 2 to retry" in run[1] and "554" in run[1]
    episode = store.cursor().execute(
        "SELECT kind, level, region, syndrome, notify_severity FROM alert_episodes WHERE kind = 'data_quality'").fetchall()
    assert episode == [("data_quality", "service", "email", "email_undelivered", "red")]
    assert notified["alert_queued"] == 1  # the administrators' email, queued at once
    inbox = Inbox()
    with Server(inbox, port):
        later = deliver_job(store, config, now=NOW + timedelta(seconds=61))
    assert later["sent"] == 3 and later["retry"] == 0
    assert store.cursor().execute("SELECT status FROM job_runs WHERE job = 'deliver'").fetchone()[0] == "ok"
    [admin] = inbox.to("admin@example.org")
    assert admin["Subject"] == "[Data quality] Alert emails not delivered: the service's email (email)"
    assert "2 of 2 emails due could not be delivered" in admin.get_body(("plain",)).get_content()
    assert set(ids(inbox).values()) == {1}


def test_the_message_id_is_the_outbox_keys_on_every_attempt(store):
    inbox = FailingInbox("451 later", times=1)
    with Server(inbox) as server:
        config = config_for(server.port)
        queue(store, config, 1)
        deliver(store, config, now=NOW)
        deliver(store, config, now=NOW + timedelta(seconds=61))
    key, stored = store.cursor().execute("SELECT dedupe_key, message FROM outbox").fetchone()
    expected = stable_message_id(key, "alerts@example.org")
    assert message_from_string(stored)["Message-ID"] == expected
    assert [m["message"]["Message-ID"] for m in inbox.messages] == [expected]


# --- a client killed while delivering -----------------------------------------------------------


CHILD = """
import json, sys
from datetime import datetime
from pathlib import Path
from surveillance.config import parse_config
from surveillance.notify import deliver
from surveillance.store import open_store
raw, db, now = json.loads(sys.argv[1]), sys.argv[2], datetime.fromisoformat(sys.argv[3])
with open_store(db) as store:
    deliver(store, parse_config(raw, Path(".")), now=now)
"""


@pytest.mark.parametrize("killed_at", ["data", "rcpt"])
def test_a_client_killed_during_delivery_sends_no_message_twice(store, killed_at):
    """``data``: killed after the server took the whole message, before its answer (the server has it:
    never sent again); ``rcpt``: killed before the message was sent (sent once by the next run)."""
    inbox = SlowInbox(60, at=killed_at, only="first@example.org")
    with Server(inbox) as server:
        raw = {"smtp": {"host": "127.0.0.1", "port": server.port, "security": "none", "sender": "alerts@example.org",
                        "timeout_seconds": 30},
               "subscriptions": [{"email": "first@example.org", "syndromes": ["fever"]},
                                 {"email": "epi@example.org"}]}
        config = make_config(server.port, **raw)
        queue(store, config, 2)
        db = store.path
        store.close()
        child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(raw), str(db), NOW.isoformat()],
                                 cwd=Path(__file__).resolve().parents[2], env={**os.environ})
        try:
            deadline = time.monotonic() + 60
            while not inbox.waiting and time.monotonic() < deadline:  # the server holds its answer back
                time.sleep(0.05)
            time.sleep(0.2)  # the child has written what it records before waiting for the answer
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        inbox.slow = False
        from surveillance.store import open_store

        with open_store(db) as reopened:
            after = deliver(reopened, config, now=NOW + timedelta(seconds=1))
            rows = outbox(reopened)
    counts = Counter(to for m in inbox.messages for to in m["to"])
    assert counts == {"first@example.org": 1, "epi@example.org": 2}, counts  # each message once
    first = rows[0]
    if killed_at == "data":
        assert (after["unconfirmed"], after["sent"]) == (1, 2) and first[4] and "process stopped" in first[5]
    else:
        assert (after["unconfirmed"], after["sent"]) == (0, 3) and not first[4]


# --- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def _tls_server_context(certificate):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _authenticator(seen):
    from aiosmtpd.smtp import AuthResult

    def check(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")
    return check


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivery_with_login(store, certificate, monkeypatch, security):
    seen, inbox = [], Inbox()
    context = _tls_server_context(certificate)
    options = ({"tls_context": context, "require_starttls": True} if security == "starttls"
               else {"ssl_context": context})
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    # aiosmtpd offers AUTH over STARTTLS only once the session is encrypted; on an implicit-TLS port it
    # cannot tell the session is encrypted, so it is told not to wait for STARTTLS there
    with Server(inbox, authenticator=_authenticator(seen), auth_require_tls=security == "starttls",
                **options) as server:
        config = config_for(server.port, smtp={"security": security, "ca_file": str(certificate[0]), "user": "svc",
                                               "password_env": "TEST_SMTP_PASSWORD", "timeout_seconds": 10})
        queue(store, config, 2)
        assert deliver(store, config, now=NOW)["sent"] == 2
    assert seen == [(b"svc", b"s3cret")] and len(inbox.messages) == 2


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_an_untrusted_certificate_is_refused_and_the_messages_wait(store, certificate, security):
    context = _tls_server_context(certificate)
    options = ({"tls_context": context, "require_starttls": True} if security == "starttls"
               else {"ssl_context": context})
    inbox = Inbox()
    with Server(inbox, **options) as server:
        config = config_for(server.port, smtp={"security": security, "timeout_seconds": 10})  # no ca_file
        queue(store, config, 1)
        refused = deliver(store, config, now=NOW)
    assert refused["retry"] == 1 and "CERTIFICATE_VERIFY_FAILED" in refused["error"] and not inbox.messages
    assert outbox(store)[0][3] == 0  # not the message's fault: no attempt of its own used
