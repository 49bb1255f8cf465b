"""Season emails against a real SMTP server on loopback: a region's ILI season rising week after week
(tests/situation/stored.py's data: Dongcheng's influenza season comes early and high in November 2026)
goes once to each subscription covering the region, in its language, never twice."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from surveillance.config import parse_config
from surveillance.notify import deliver
from surveillance.service.cycle import notify_job
from surveillance.service.season_emails import queue_season_messages, season_regions, subscribers_of
from surveillance.store.reference import hierarchy

from ..situation.stored import REGION_UNITS, subtree_sums, write_seasonal
from .smtp import SmtpServer

NOW = datetime(2026, 11, 17, 7, 0)


def make_config(port: int):
    return parse_config({
        "service": {"base_url": "https://surveillance.example.org"},
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "alerts@example.org"},
        "subscriptions": [
            {"email": "province@example.org", "region": "320000"},
            {"email": "dongcheng@example.org", "region": "320102", "syndromes": ["ili"], "language": "zh",
             "exact_counts": True},
            {"email": "red-only@example.org", "min_severity": "red"},
            {"email": "hfmd@example.org", "syndromes": ["hfmd"]},
            {"email": "xicheng@example.org", "region": "320103"},
            {"email": "admin@example.org", "outbreaks": False, "data_quality": True},
        ],
    }, Path("."))


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def subjects(smtp, address):
    return [m["Subject"] for m in smtp.inbox.to(address)]


def test_a_season_rising_is_emailed_once_to_each_subscription_covering_it(store, smtp):
    rows = write_seasonal(store)
    config = make_config(smtp.port)
    assert season_regions(config, hierarchy(store.cursor())) == ["320000", "320100", "320102", "320103"]
    # Week 46 (to Sunday 15 November): Dongcheng's ILI reaches medium; the emails go out with the cycle's.
    done = notify_job(store, config, date(2026, 11, 17), now=NOW)
    assert done["season"] == {"queued": 2, "events": 1} and done["delivery"]["sent"] == 2
    assert subjects(smtp, "province@example.org") == [
        "[SEASON] Influenza-like illness: the intensity rose in Dongcheng District (320102), 2026-W46 (level medium)"]
    chinese = smtp.inbox.to("dongcheng@example.org")[0]
    assert chinese["Subject"] == "【流行季】流感样病例：Dongcheng District (320102)流行强度上升，2026-W46（流行强度：中）"
    text = chinese.get_body(("plain",)).get_content()
    week = subtree_sums(rows, REGION_UNITS["320102"]).query(
        "syndrome == 'ili' and date >= '2026-11-09' and date <= '2026-11-15'")
    assert f"当周占总就诊比例：{100 * week['count'].sum() / week['total'].sum():.2f}%" in text  # exact counts
    assert "https://surveillance.example.org/app/trends?region=320102&syndrome=ili" in text
    english = smtp.inbox.to("province@example.org")[0].get_body(("plain",)).get_content()
    assert "Level: medium" in english and "Share of all visits" not in english  # no exact counts
    assert "Thresholds (share of visits): epidemic" in english and "内部" in english  # classification label

    # The same week again: nothing new.
    assert queue_season_messages(store, config, date(2026, 11, 18), now=NOW) == {"queued": 0, "events": 1}
    # Week 47: the province and the city reach medium, Dongcheng high (the red-only subscription hears of it);
    # week 46's rise is still among the recent events but was sent.
    assert queue_season_messages(store, config, date(2026, 11, 24), now=NOW)["queued"] == 5
    # Week 48: high in the province and the city, very high in Dongcheng.
    assert queue_season_messages(store, config, date(2026, 12, 1), now=NOW)["queued"] == 7
    assert deliver(store, config, now=NOW)["sent"] == 12
    assert len(subjects(smtp, "province@example.org")) == 1 + 3 + 3
    assert [s.rsplit("(", 1)[1] for s in subjects(smtp, "red-only@example.org")] == [
        "level high)", "level high)", "level high)", "level very high)"]
    assert len(subjects(smtp, "dongcheng@example.org")) == 3
    assert not smtp.inbox.to("hfmd@example.org") and not smtp.inbox.to("admin@example.org")
    assert not smtp.inbox.to("xicheng@example.org")  # too few past seasons there: no thresholds, no events
    # Every message once, whatever is queued again.
    assert queue_season_messages(store, config, date(2026, 12, 1), now=NOW)["queued"] == 0
    keys = store.cursor().execute("SELECT count(*), count(DISTINCT dedupe_key) FROM outbox WHERE kind = 'season'")
    assert keys.fetchone() == (14, 14)


def test_who_hears_of_a_season_event(store):
    config = make_config(25)
    tree = hierarchy(store.cursor())
    start = {"region": "320103", "syndrome": "hfmd", "level": "low"}
    assert [s.email for s in subscribers_of(config, start, tree)] == [
        "province@example.org", "hfmd@example.org", "xicheng@example.org"]
    assert [s.email for s in subscribers_of(config, {**start, "region": "320102", "syndrome": "ili",
                                                     "level": "very_high"}, tree)] == [
        "province@example.org", "dongcheng@example.org", "red-only@example.org"]
