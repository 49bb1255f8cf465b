"""A Chinese subscription's emails hold no English word: the alert email (subject, text and HTML) and the
digest, with the places' Chinese names from the regions and units files."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from surveillance.notify import deliver, queue_alert_messages, queue_digests
from surveillance.store.reference import load_reference

from ..alerts.test_episodes import sig
from ..conftest import small_regions, small_units
from .smtp import SmtpServer
from .test_email import DAY, NOW, add_signals, history, make_config

NAMES_ZH = {"320000": "江南省", "320100": "临城市", "320102": "东城区", "320103": "西城区",
            "F320102001": "东城区人民医院", "F320102002": "东城社区卫生服务站", "F320103001": "西城区医院"}
WORD = re.compile(r"[A-Za-z]{2,}")
URL = re.compile(r"https?://\S+")


class _Text(HTMLParser):
    """The text a reader sees in an HTML body (not its tags, attributes or styles)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def seen(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def english_words(text: str) -> list[str]:
    """Runs of two or more ASCII letters, once the links are taken out (codes and numbers have none)."""
    return sorted(set(WORD.findall(URL.sub(" ", text))))


@pytest.fixture
def chinese_store(store):
    regions, units = small_regions(), small_units()
    regions["name_zh"] = regions["code"].map(NAMES_ZH)
    units["name_zh"] = units["code"].map(NAMES_ZH)
    load_reference(store, regions, units)
    return store


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_the_word_finder_finds_english_and_passes_codes():
    assert english_words("【红色预警】发热 东城区 (320102)：观察值 30，期望值 10 https://x.example.org/alerts/1") == []
    assert english_words("检测方法：ears_c2") == ["ears"]


def test_a_chinese_alert_email_and_digest_have_no_english_word(chinese_store, smtp):
    store = chinese_store
    history(store)
    config = make_config(smtp.port)
    add_signals(store, [sig(DAY, region="320102", severity="red"), sig(DAY, region="320103", severity="yellow")])
    queue_alert_messages(store, config, DAY, now=NOW)
    queue_digests(store, config, DAY, now=NOW)
    deliver(store, config, now=NOW)
    mine = smtp.inbox.to("dongcheng@example.org")
    alerts = [m for m in mine if "每日摘要" not in m["Subject"]]
    digests = [m for m in mine if "每日摘要" in m["Subject"]]
    assert alerts[0]["Subject"].startswith("【红色预警】发热 东城区 (320102)") and len(digests) == 1
    for message in alerts + digests:
        text = message.get_body(("plain",)).get_content()
        page = seen(message.get_body(("html",)).get_content())
        assert "东城区" in text and "东城区" in page
        for part in (message["Subject"], text, page):
            assert english_words(part) == [], (message["Subject"], part)
    english = [m for m in smtp.inbox.to("province@example.org")]
    assert english and "Dongcheng District (320102)" in english[0]["Subject"]  # English readers: English names
