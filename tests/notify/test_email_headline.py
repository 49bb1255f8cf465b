"""An alert email's subject, severity colour and body say one day and one set of figures, its reason is
the alert's sentence (not the event's internal note), and the digest lists alerts most important first."""

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
from surveillance.store import open_store
from surveillance.store.reference import load_reference
from surveillance.vocabulary import SEVERITIES, severity_colour, severity_label

from ..alerts.test_episodes import sig
from ..batches import write_rows
from ..conftest import small_regions, small_units
from .smtp import SmtpServer

D1, D2, D3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
NOW = datetime(2026, 11, 21, 7, 0)
ZH_NAMES = {"320000": "江南省", "320100": "临城市", "320102": "东城区", "320103": "西城区",
            "F320102001": "东城人民医院", "F320102002": "东城诊所", "F320103001": "西城医院"}


@pytest.fixture(params=["en", "zh"])
def lang(request):
    return request.param


@pytest.fixture
def outbreak(tmp_path, lang):
    """Dongcheng: ILI 5-14 above expected for three days, carried by its hospital, fever too on the last day,
    and Xicheng next door joining; region names in the subscriber's language."""
    regions, units = small_regions(), small_units()
    if lang == "zh":
        regions["name"] = regions["code"].map(ZH_NAMES)
        units["name"] = units["code"].map(ZH_NAMES)
    store = open_store(tmp_path / "alerts.duckdb")
    load_reference(store, regions, units, pd.DataFrame({"region": ["320102"], "neighbour": ["320103"]}))
    jumps = {D1: 9, D2: 11, D3: 16}  # the hospital's 3 a day rises; the clinic stays at 6: 18, 20, 25 in all
    rows = [(d.date(), unit, "ili", "5-14", (3 + jumps.get(d.date(), 0)) if unit == "F320102001" else 6, 60)
            for d in pd.date_range(D1 - timedelta(days=35), D3) for unit in ("F320102001", "F320102002")]
    frame = pd.DataFrame(rows, columns=["date", "unit", "syndrome", "age_group", "count", "total"])
    write_rows(store, frame, NOW)

    def ili(day, observed, expected, severity, pvalue, upperbound):
        return {**sig(day, syndrome="ili", detector="regional_excess", severity=severity, pvalue=pvalue),
                "age_group": "5-14", "observed": observed, "expected": expected, "upperbound": upperbound}

    days = {D1: [ili(D1, 18.0, 9.0, "yellow", 0.02, 15.0)],
            D2: [ili(D2, 20.0, 9.0, "red", 0.002, 15.0)],
            D3: [ili(D3, 25.0, 10.0, "red", 0.001, 16.0),
                 # another part of the same event, with its own threshold and p-value: not the body's figures
                 {**sig(D3, syndrome="fever", severity="yellow", pvalue=0.04), "observed": 30.0, "expected": 20.0,
                  "upperbound": 25.0},
                 # the neighbour's related signal joins the event
                 {**sig(D3, region="320103", syndrome="fever", severity="yellow", pvalue=0.03), "observed": 14.0,
                  "expected": 9.0},
                 # another event next door: an alert of its own
                 {**sig(D3, region="320103", syndrome="diarrhoea", severity="yellow", pvalue=0.03), "observed": 12.0,
                  "expected": 8.0}]}
    for day, signals in days.items():
        with store.transaction() as cur:
            apply_signals(cur, pd.DataFrame(signals, columns=SIGNAL_COLUMNS), today=day, gap_days=2, quiet_days=7,
                          notify_since=None, by_event=True)
    yield store
    store.close()


def _facts(message) -> dict[str, str]:
    text = message.get_body(("plain",)).get_content()
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def _send(store, lang, **subscription):
    smtp = SmtpServer().start()
    try:
        config = parse_config({
            "service": {"base_url": "https://surveillance.example.org"},
            "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "alerts@example.org"},
            "subscriptions": [{"email": "duty@example.org", "language": lang, **subscription}],
        }, Path("."))
        queue_alert_messages(store, config, D3, now=NOW)
        queue_digests(store, config, D3, now=NOW)
        deliver(store, config, now=NOW)
        return smtp.inbox.to("duty@example.org")
    finally:
        smtp.stop()


SUBJECT = {
    "en": re.compile(r"^\[(?P<severity>[A-Z]+)\] Influenza-like illness alert, 5-14 years: .+ \(320102\): "
                     r"(?P<observed>\S+) observed vs (?P<expected>\S+) expected over (?P<days>\d+) days to "
                     r"(?P<day>\d{4}-\d\d-\d\d)$"),
    "zh": re.compile(r"^【(?P<severity>\S+?)预警】流感样病例 5-14岁 东城区 \(320102\)：观察值 (?P<observed>\S+)，"
                     r"期望值 (?P<expected>\S+)（截至(?P<day>\d{4}-\d\d-\d\d)的(?P<days>\d+)天）$"),
}
SENTENCE = {
    "en": re.compile(r"(?P<observed>\S+) visits over (?P<days>\d+) days to (?P<day>\S+) against (?P<expected>\S+) "
                     r"expected \((?P<excess>\S+) excess cases\)"),
    "zh": re.compile(r"截至(?P<day>\d{4}-\d\d-\d\d)的(?P<days>\d+)天内就诊(?P<observed>[\d,.]+)人次，"
                     r"期望(?P<expected>[\d,.]+)人次（超出(?P<excess>[\d,]+)例）"),
}
WORDS = {"en": ("Observed", "expected", "threshold", "Signal days", "p-value", "Why", "Severity"),
         "zh": ("观察值", "期望值", "阈值", "信号日期", "P值", "原因", "级别")}


def test_subject_colour_and_body_say_the_same_day_and_figures(outbreak, lang):
    emails = [m for m in _send(outbreak, lang) if "(320102)" in m["Subject"]]
    assert len(emails) == 1
    email = emails[0]
    subject = SUBJECT[lang].match(email["Subject"])
    assert subject, email["Subject"]
    observed, expected, threshold, days_word, p_word, why, severity_word = WORDS[lang]
    facts = _facts(email)
    body = re.match(rf"(?P<observed>\S+) \({expected} (?P<expected>\S+), .+\); (?P<day>\S+): 25 \({expected} 10, "
                    rf"{threshold} (?P<threshold>\S+)\)$", facts[observed])
    assert body, facts[observed]
    said = SENTENCE[lang].search(facts[why])
    assert said, facts[why]
    # hand-counted: 18 + 20 + 25 visits against 9 + 9 + 10 over the three days to the 20th, 35 excess cases
    for found in (subject, body, said):
        assert (found["observed"], found["expected"], found["day"]) == ("63", "28", "2026-11-20")
    assert subject["days"] == said["days"] == "3" and said["excess"] == "35"
    assert facts[days_word] == "2026-11-18, 2026-11-19, 2026-11-20"
    assert body["threshold"] == "16" and facts[p_word] == "0.001"  # the headline day's, not the fever part's 25, 0.04
    # one severity: the subject's tag, the facts, the badge and the bars
    code = next(c for c in SEVERITIES if severity_label(c, lang).upper() == subject["severity"])
    assert code == "red" and facts[severity_word] == severity_label("red", lang)
    page = email.get_body(("html",)).get_content()
    colours = set(re.findall(r"background:(#[0-9a-f]{6})", page))
    assert colours == {severity_colour(code)}
    # the reason is the sentence, in the reader's language; the events' internal notes are gone
    text = email.get_body(("plain",)).get_content()
    assert "neighbouring region 320103 joined" not in text and "severity rose" not in text
    # the four weeks of counts are the headline's series (ILI 5-14, not the fever part), ending on its day
    history = [line.split() for line in text.splitlines() if re.match(r"^\d{4}-\d\d-\d\d\s+\d+$", line)]
    assert len(history) == 28 and history[-3:] == [["2026-11-18", "18"], ["2026-11-19", "20"], ["2026-11-20", "25"]]
    if lang == "zh":
        assert not re.search("[A-Za-z]", facts[why]), facts[why]
        assert "主要来自东城人民医院" in facts[why] and "邻近的西城区同时出现预警" in facts[why]
    else:
        assert "carried by Dongcheng People's Hospital" in facts[why] and "Xicheng District joined" in facts[why]
    assert f"<p id='why'>{facts[why]}</p>".replace("'", "&#x27;") in page.replace("'", "&#x27;")


def test_the_digest_lists_alerts_most_important_first_with_their_sentences(outbreak, lang):
    digest = [m for m in _send(outbreak, lang, digest=True) if "2026-11-20:" in m["Subject"]][0]
    lines = [line for line in digest.get_body(("plain",)).get_content().splitlines() if line.startswith("[")]
    assert len(lines) == 2
    red, yellow = severity_label("red", lang).upper(), severity_label("yellow", lang).upper()
    assert lines[0].startswith(f"[{red}] #1 ") and lines[1].startswith(f"[{yellow}] #2 ")  # red (35 excess) first
    assert SENTENCE[lang].search(lines[0])["observed"] == "63"
    assert ("12 visits on 2026-11-20 against 8 expected" if lang == "en" else "2026-11-20就诊12人次，期望8人次") in lines[1]
