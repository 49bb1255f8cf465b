"""One vocabulary: every code has English and Chinese words, the library's codes are all in it,
and an alert email and the dashboard say the same words for the same alert."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboards import data
from dashboards.pages import alerts as alerts_page
from dashboards.server import create_server
from dashboards.theme import severity_badge
from surveillance import vocabulary
from surveillance.alerts.signals import SIGNAL_COLUMNS
from surveillance.alerts.apply import apply_signals
from surveillance.alerts.workflow import OUTCOMES, STATES, TRANSITIONS, check_transition, transition
from surveillance.config import Config, parse_config
from surveillance.notify import deliver, queue_alert_messages
from surveillance.notify.compose import TEXT
from surveillance.users import add_user, get_user

from .alerts.test_episodes import sig
from .notify.smtp import SmtpServer

CJK = re.compile(r"[\u4e00-\u9fff]")
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 11, 7, 0)


@pytest.mark.parametrize("table", sorted(vocabulary.TABLES))
def test_every_code_has_english_and_chinese_words(table):
    for code, term in vocabulary.TABLES[table].items():
        assert term.en.strip() and not CJK.search(term.en), (table, code, term)
        assert CJK.search(term.zh), (table, code, term)  # written in Chinese, not left in English
        assert term.say("en") == term.en and term.say("zh") == term.zh and term.say("fr") == term.en
        assert vocabulary.label(vocabulary.TABLES[table], code, "zh") == term.zh
    assert vocabulary.label(vocabulary.TABLES[table], "no_such_code", "zh") == "no_such_code"  # shown, not hidden


def test_every_dashboard_text_has_english_and_chinese_words():
    from dashboards.i18n import STRINGS, t

    for key, (en, zh) in STRINGS.items():
        assert en.strip() and not CJK.search(en) and CJK.search(zh), key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key  # the same blanks to fill
    assert t("password.weak", "zh", n=8).startswith("新密码至少需要 8 个字符")
    assert vocabulary.classification_line("敏感", "zh") == "数据分级：敏感"
    assert vocabulary.classification_line("敏感", "en") == "Data classification: 敏感"


def test_levels_have_plurals_and_severities_rise_with_distinct_colours():
    for code, level in vocabulary.LEVELS.items():
        assert level.en_plural and vocabulary.level_label(code, "en", plural=True) == level.en_plural
        assert vocabulary.level_label(code, "zh", plural=True) == level.zh
    assert list(vocabulary.SEVERITIES) == ["none", "yellow", "red"]
    assert [vocabulary.severity_rank(code) for code in vocabulary.SEVERITIES] == [0, 1, 2]
    colours = [s.colour for s in vocabulary.SEVERITIES.values()] + [s.ink for s in vocabulary.SEVERITIES.values()]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert len({s.colour for s in vocabulary.SEVERITIES.values()}) == 3


def test_the_codes_the_library_uses_are_the_vocabulary_s():
    assert STATES == tuple(vocabulary.STATES) and OUTCOMES == tuple(vocabulary.OUTCOMES)
    assert set(TRANSITIONS) == set(STATES) and {s for moves in TRANSITIONS.values() for s in moves} <= set(STATES)
    actions = {check_transition("new", "verifying", user="u"), check_transition("closed", "verifying", user="u")}
    assert actions | {"opened", "escalated", "ended", "note"} == set(vocabulary.EVENTS)
    config = Config()
    assert config.syndromes == list(vocabulary.SYNDROMES) and config.age_groups == list(vocabulary.AGE_GROUPS)
    assert vocabulary.ALL_AGES in vocabulary.AGE_GROUPS and set(vocabulary.PANEL_LEVELS) <= set(vocabulary.LEVELS)
    assert vocabulary.syndrome_label("rash_fever", "zh") == "发热伴出疹"
    assert vocabulary.age_label("65+", "zh") == "65岁及以上" and vocabulary.age_label("0-4", "zh") == "0-4岁"


def _facts(message) -> dict[str, str]:
    """The ``name: value`` lines of an alert email's plain text."""
    text = message.get_body(("plain",)).get_content()
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def _badge_colour(message) -> str:
    page = message.get_body(("html",)).get_content()
    return re.search(r"<h2><span style='background:(#[0-9a-f]{6})", page).group(1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_alert_email_and_the_dashboard_say_the_same_words(store, lang):
    # One alert per syndrome, one in an age group, one data-quality finding, one moved on in the workflow.
    rows = [sig(DAY, region="320102", syndrome=s, severity="red" if k % 2 else "yellow")
            for k, s in enumerate(vocabulary.SYNDROMES)]
    rows.append({**sig(DAY, region="320103", syndrome="hfmd"), "age_group": "0-4"})
    rows.append({**sig(DAY, region="F320102001"), "detector": "quality", "syndrome": "unit_silent",
                 "level": "facility", "severity": "yellow", "detail": "no data for 2 days"})
    with store.transaction() as cur:
        apply_signals(cur, pd.DataFrame(rows, columns=SIGNAL_COLUMNS), today=DAY, gap_days=2, quiet_days=7,
                      notify_since=None)
    transition(store, 1, "verifying", user="li.wei", note="called the district")
    smtp = SmtpServer().start()
    try:
        config = parse_config({
            "service": {"base_url": "https://surveillance.example.org"},
            "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none", "sender": "alerts@example.org"},
            "subscriptions": [{"email": "duty@example.org", "language": lang, "data_quality": True}],
        }, Path("."))
        queue_alert_messages(store, config, DAY, now=NOW)
        assert deliver(store, config, now=NOW)["sent"] == len(rows)
        emails = {int(re.search(r"/alerts/(\d+)", m.get_body(("plain",)).get_content()).group(1)): m
                  for m in smtp.inbox.to("duty@example.org")}
    finally:
        smtp.stop()

    add_user(store, "ada", "correct horse battery", role="admin", language=lang)
    ctx = create_server(store, config, announce=lambda message: None).extensions["surveillance_dashboard"]
    scope = ctx.scope(get_user(store, "ada"))
    shown = {r["episode_id"]: r for r in alerts_page.rows(ctx, data.alerts(ctx.cursor(), scope), lang)}
    assert set(shown) == set(emails)
    for episode_id, row in shown.items():
        facts = _facts(emails[episode_id])
        said = {key: facts.get(TEXT[key].say(lang)) for key in ("severity", "syndrome", "state", "age")}
        everyone = vocabulary.age_label(vocabulary.ALL_AGES, lang)  # emails name an age group only when there is one
        assert said == {"severity": row["severity"], "syndrome": row["syndrome"], "state": row["state"],
                        "age": None if row["age_group"] == everyone else row["age_group"]}, episode_id
        severity = next(code for code in vocabulary.SEVERITIES if vocabulary.severity_label(code, lang) == row["severity"])
        assert _badge_colour(emails[episode_id]) == severity_badge(severity, lang).style["background"]
    words = {r["syndrome"] for r in shown.values()}
    assert words == {vocabulary.topic_label(s, lang) for s in [*vocabulary.SYNDROMES, "unit_silent"]}
    assert {r["state"] for r in shown.values()} == {vocabulary.state_label(s, lang) for s in ("new", "verifying")}


def test_the_situations_codes_are_the_vocabulary_s():
    from surveillance.situation import season, trends

    assert tuple(vocabulary.TRENDS) == trends.LABELS
    assert tuple(vocabulary.SEASON_LEVELS) == season.LEVELS and tuple(vocabulary.SEASON_PHASES) == season.PHASES
    assert set(vocabulary.SEASON_EVENTS) == {"started", "intensity_rose"}
    colours = {vocabulary.tone_colours(vocabulary.TRENDS, code)[0] for code in trends.LABELS}
    assert len(colours) == len(trends.LABELS)
    assert vocabulary.label(vocabulary.SEASON_LEVELS, "very_high", "zh") == "极高"
