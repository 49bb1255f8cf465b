"""Small counts in alert emails: a subscription's recipients read them as viewers do (``<5``, figures computed
from them withheld) unless the subscription says ``exact_counts``; the subject, the body, the history and the
digest alike."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from surveillance.alerts.apply import apply_signals
from surveillance.alerts.signals import SIGNAL_COLUMNS
from surveillance.config import parse_config
from surveillance.notify import deliver, queue_alert_messages, queue_digests

from ..alerts.test_episodes import sig
from ..batches import write_rows
from .smtp import SmtpServer

DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 7, 0)


@pytest.fixture
def small_alert(store):
    """Xicheng District (one hospital) with one fever visit a day, and four on the 20th: a red alert of
    4 observed against 1.3 expected."""
    rows = [(d.date(), "F320103001", "fever", "all", 4 if d.date() == DAY else 1, 50)
            for d in pd.date_range(DAY - timedelta(days=35), DAY)]
    frame = pd.DataFrame(rows, columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    write_rows(store, frame, NOW)
    with store.transaction() as cur:
        signal = {**sig(DAY, region="320103", pvalue=0.004), "observed": 4.0, "expected": 1.3, "upperbound": 3.5}
        apply_signals(cur, pd.DataFrame([signal], columns=SIGNAL_COLUMNS), today=DAY, gap_days=2, quiet_days=7,
                      notify_since=None, by_event=True)
    return store


def _send(store, lang: str):
    smtp = SmtpServer().start()
    try:
        config = parse_config({
            "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "alerts@example.org"},
            "subscriptions": [{"email": "duty@example.org", "language": lang, "digest": True},
                              {"email": "epi@example.org", "language": lang, "exact_counts": True}],
        }, Path("."))
        queue_alert_messages(store, config, DAY, now=NOW)
        queue_digests(store, config, DAY, now=NOW)
        deliver(store, config, now=NOW)
        return smtp.inbox.to("duty@example.org"), smtp.inbox.to("epi@example.org")
    finally:
        smtp.stop()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _facts(message) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in _text(message).splitlines() if ": " in line)


SAID = {"en": ("{obs} observed vs 1.3 expected on 2026-11-20", "{obs} visits on 2026-11-20 against 1.3 expected",
               "Observed", "p-value"),
        "zh": ("观察值 {obs}，期望值 1.3（2026-11-20）", "2026-11-20就诊{obs}人次，期望1.3人次", "观察值", "P值")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_small_count_is_not_in_a_viewers_email_and_is_in_an_exact_subscriptions(small_alert, lang):
    viewer, exact = _send(small_alert, lang)
    subject, sentence, observed, p_word = SAID[lang]
    alert = next(m for m in viewer if "(320103)" in m["Subject"])
    assert subject.format(obs="<5") in alert["Subject"], alert["Subject"]
    assert not re.search(r"(?<![<\d])4\b", alert["Subject"])
    facts = _facts(alert)
    assert facts[observed].startswith("<5 ") and facts[p_word] == "*"
    text = _text(alert)
    assert sentence.format(obs="<5") in text and "excess" not in text and "超出" not in text
    history = [line.split() for line in text.splitlines() if re.match(r"^\d{4}-\d\d-\d\d\s", line)]
    assert len(history) == 28 and {count for _, count in history} == {"<5"}  # one a day, four on the 20th
    assert ("<5：少于5" if lang == "zh" else "<5: fewer than 5") in text  # what the marks mean
    page = alert.get_body(("html",)).get_content()
    assert "id='suppressed'" in page and not re.search(r">\s*4\s*<", page) and "0.004" not in page
    digest = next(m for m in viewer if m is not alert)
    assert sentence.format(obs="<5") in _text(digest) and sentence.format(obs="4") not in _text(digest)

    told = next(m for m in exact if "(320103)" in m["Subject"])
    assert subject.format(obs="4") in told["Subject"], told["Subject"]
    assert _facts(told)[p_word] == "0.004" and sentence.format(obs="4") in _text(told)
    assert "id='suppressed'" not in told.get_body(("html",)).get_content()
