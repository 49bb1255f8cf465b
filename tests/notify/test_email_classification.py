"""Every alert email and digest carries the configured data classification label (audit.classification),
through a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from surveillance.notify import deliver, queue_alert_messages, queue_digests

from ..alerts.test_episodes import sig
from .smtp import SmtpServer
from .test_email import DAY, NOW, add_signals, history, make_config


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("label", ["敏感", None])
def test_alert_emails_and_digests_say_the_data_classification(store, smtp, label):
    history(store)
    config = make_config(smtp.port, **({"audit": {"classification": label}} if label else {}))
    expected = label or "内部"  # the default label
    add_signals(store, [sig(DAY, region="320102", severity="red")])
    assert queue_alert_messages(store, config, DAY, now=NOW)["queued"] == 3
    assert queue_digests(store, config, DAY, now=NOW)["queued"] == 1
    assert deliver(store, config, now=NOW)["sent"] == 4
    for delivered in smtp.inbox.messages:
        message = delivered["message"]
        zh = delivered["to"] == ["dongcheng@example.org"]
        line = f"数据分级：{expected}" if zh else f"Data classification: {expected}"
        text = message.get_body(("plain",)).get_content().splitlines()
        page = message.get_body(("html",)).get_content()
        assert text[1] == line and text[-1] == line, (message["Subject"], text[:2], text[-2:])  # top and foot
        assert page.count(line) == 2 and message["X-Data-Classification"] == expected
    digest = [m for m in smtp.inbox.to("dongcheng@example.org") if "每日摘要" in m["Subject"]]
    assert len(digest) == 1
