"""An alert's reason in one sentence a duty officer understands, in English or Simplified Chinese.

The sentence says a :class:`~surveillance.alerts.explain.Headline`: observed against expected over the
alert's days, the excess cases, the age groups, facilities and syndromes that carry it, the neighbours
that joined and how complete the data were; a data-quality alert says which units (or which feed) are
silent since when, or what dropped. Codes take their words from :mod:`surveillance.vocabulary`, the
sentence's own words are the :class:`~surveillance.vocabulary.Term` table below, and places are
whatever the region table calls them, so a Chinese sentence holds no English word of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..vocabulary import ALL_AGES, Term, age_label, syndrome_label, topic_label
from .explain import Headline

MAX_LISTED = 3  # names listed before "and n more"

WORDS: dict[str, Term] = {
    "headline": Term("{syndrome} in {place}: ", "{place} {syndrome}："),
    "headline_age": Term("{syndrome}, {age}, in {place}: ", "{place} {age} {syndrome}："),
    "cluster": Term("{syndrome} cluster of {k} regions around {place}{others}: ",
                    "以{place}为中心的{k}个地区{syndrome}时空聚集{others}："),
    "cluster_others": Term(" (with {names})", "（含{names}）"),
    "cluster_one": Term("{syndrome} cluster in {place}: ", "{place}{syndrome}时空聚集："),
    "count_on": Term("{obs} {visits} on {day} against {exp} expected", "{day}就诊{obs}人次，期望{exp}人次"),
    "count_days": Term("{obs} {visits} over {n} days to {day} against {exp} expected",
                       "截至{day}的{n}天内就诊{obs}人次，期望{exp}人次"),
    "count_week": Term("{obs} {visits} in the week to {day} against {exp} expected",
                       "截至{day}的一周内就诊{obs}人次，期望{exp}人次"),
    "count_weeks": Term("{obs} {visits} over {n} weeks to {day} against {exp} expected",
                        "截至{day}的{n}周内就诊{obs}人次，期望{exp}人次"),
    "percent_on": Term("{obs}% of visits on {day} against {exp}% expected", "{day}占就诊{obs}%，期望{exp}%"),
    "percent_days": Term("{obs}% of visits over {n} days to {day} against {exp}% expected",
                         "截至{day}的{n}天内占就诊{obs}%，期望{exp}%"),
    "percent_week": Term("{obs}% of visits in the week to {day} against {exp}% expected",
                         "截至{day}的一周内占就诊{obs}%，期望{exp}%"),
    "percent_weeks": Term("{obs}% of visits over {n} weeks to {day} against {exp}% expected",
                          "截至{day}的{n}周内占就诊{obs}%，期望{exp}%"),
    "visit": Term("visit", "人次"), "visits": Term("visits", "人次"),
    "excess": Term(" ({n} excess case)", "（超出{n}例）"),
    "excess_many": Term(" ({n} excess cases)", "（超出{n}例）"),
    "ages": Term(", mostly {names}", "，以{names}为主"),
    "facilities": Term(", carried by {names}", "，主要来自{names}"),
    "parts": Term("; also above expected: {names}", "；同时高于期望：{names}"),
    "joined": Term("; neighbouring {names} joined", "；邻近的{names}同时出现预警"),
    "complete": Term("; data {pct} complete", "；数据完整率{pct}"),
    "no_signal": Term("{syndrome} in {place}: no signal recorded", "{place} {syndrome}：尚无信号记录"),
    "end": Term(".", "。"),
    "and": Term(" and ", "和"), "comma": Term(", ", "、"), "more": Term(" and {n} more", "等{total}个"),
    "unit_since": Term("{name} since {since}", "{name}自{since}起"),
    "units_silent": Term("{place}: {n} reporting units have sent no data, {names} (to {day})",
                         "{place}：{n}个报告单位无数据，{names}（截至{day}）"),
    "unit_silent": Term("{place}: {name} has sent no data since {since} (to {day})",
                        "{place}：{name}自{since}起无数据（截至{day}）"),
    "reporting_again": Term("; {n} more reporting again", "；另有{n}个已恢复报告"),
    "feed_silent": Term("Feed {name} has delivered nothing since {since} (to {day})",
                        "数据源（{name}）自{since}起未送达数据（截至{day}）"),
    "visits_drop": Term("Total visits in {place} fell to {obs} on {day} against a usual {exp} for that weekday ({pct})",
                        "{place}{day}总就诊量降至{obs}人次，同一星期几通常为{exp}人次（{pct}）"),
    "email_undelivered": Term("{obs} of {exp} emails due could not be delivered on {day}; the jobs page shows why",
                              "{day}应发送的{exp}封邮件中有{obs}封未能送达；原因见任务页面"),
    "finding": Term("{finding} in {place} on {day}", "{place}{finding}（{day}）"),
}


def say(key: str, lang: str | None, **values) -> str:
    return WORDS[key].say(lang).format(**values)


def sentence(h: Headline, lang: str | None, names: Mapping[str, str] | None = None) -> str:
    """Why the alert ``h`` was raised, in ``lang`` (``en`` or ``zh``); ``names``: region and unit names by code."""
    names = names or {}
    if h.kind == "data_quality":
        return _quality(h, lang, names) + say("end", lang)
    place = _name(h.place, names)
    syndrome = syndrome_label(h.syndrome, lang)
    if h.day is None:
        return say("no_signal", lang, syndrome=syndrome, place=place) + say("end", lang)
    if h.kind == "cluster" and h.regions:
        others = say("cluster_others", lang, names=_listing([_name(r, names) for r in h.regions], lang))
        text = say("cluster", lang, syndrome=syndrome, k=len(h.regions) + 1, place=place, others=others)
    elif h.kind == "cluster":
        text = say("cluster_one", lang, syndrome=syndrome, place=place)
    elif h.age_group != ALL_AGES:
        text = say("headline_age", lang, syndrome=syndrome, age=age_label(h.age_group, lang), place=place)
    else:
        text = say("headline", lang, syndrome=syndrome, place=place)
    text += _figures(h, lang)
    if h.ages:
        text += say("ages", lang, names=_listing([age_label(a, lang) for a in h.ages], lang))
    if h.facilities:
        text += say("facilities", lang, names=_listing([_name(u, names) for u in h.facilities], lang))
    if h.parts:
        text += say("parts", lang, names=_listing([_part(s, a, lang, h.syndrome) for s, a in h.parts], lang))
    if h.kind == "outbreak" and h.regions:
        text += say("joined", lang, names=_listing([_name(r, names) for r in h.regions], lang))
    if math.isfinite(h.completeness):
        text += say("complete", lang, pct=f"{h.completeness:.0%}")
    return text + say("end", lang)


def _figures(h: Headline, lang) -> str:
    percent = h.measure == "percent"
    shape = ("on" if h.days <= 1 else "days") if h.period_days == 1 or h.kind == "cluster" else \
        ("week" if h.days <= 1 else "weeks")
    write = percent_text if percent else count_text
    obs, exp = h.shown("observed", write(h.observed), lang), write(h.expected)
    text = say(("percent_" if percent else "count_") + shape, lang, obs=obs, exp=exp, n=h.days, day=h.day.isoformat(),
               visits=WORDS["visit" if obs == "1" else "visits"].say(lang))
    excess = round(h.excess) if math.isfinite(h.excess) else 0  # a withheld excess is NaN: not said
    if not percent and excess >= 1:
        text += say("excess" if excess == 1 else "excess_many", lang, n=f"{excess:,}")
    return text


def _quality(h: Headline, lang, names) -> str:
    place = _name(h.place, names)
    day = h.day.isoformat() if h.day is not None else ""
    if h.syndrome == "unit_silent" and h.since:
        silent = [(_name(u, names), since.isoformat()) for u, since in h.since]
        if len(silent) == 1:
            text = say("unit_silent", lang, place=place, name=silent[0][0], since=silent[0][1], day=day)
        else:
            listed = [say("unit_since", lang, name=n, since=s) for n, s in silent]
            text = say("units_silent", lang, place=place, n=len(silent), names=_listing(listed, lang), day=day)
        again = len(set(h.regions) - {u for u, _ in h.since})
        return text + (say("reporting_again", lang, n=again) if again else "")
    if h.syndrome == "feed_silent" and h.since:
        return say("feed_silent", lang, name=h.since[0][0], since=h.since[0][1].isoformat(), day=day)
    if h.syndrome == "visits_drop" and math.isfinite(h.observed) and math.isfinite(h.expected) and h.expected > 0:
        return say("visits_drop", lang, place=place, obs=count_text(h.observed), exp=count_text(h.expected), day=day,
                   pct=f"{h.observed / h.expected:.0%}")
    if h.syndrome == "email_undelivered" and math.isfinite(h.observed) and math.isfinite(h.expected):
        return say("email_undelivered", lang, obs=count_text(h.observed), exp=count_text(h.expected), day=day)
    return say("finding", lang, finding=topic_label(h.syndrome, lang), place=place, day=day)


def _name(code: str, names: Mapping[str, str]) -> str:
    name = names.get(code)
    return name if isinstance(name, str) and name else str(code)


def _part(syndrome: str, age: str, lang, headline_syndrome: str) -> str:
    """A part's syndrome, with its age group (all ages said only beside an age group of the same syndrome)."""
    label = syndrome_label(syndrome, lang)
    if age == ALL_AGES and syndrome != headline_syndrome:
        return label
    return f"{label}（{age_label(age, lang)}）" if lang == "zh" else f"{label} ({age_label(age, lang)})"


def _listing(items: list[str], lang) -> str:
    """``A, B and C`` / ``A、B和C``; past :data:`MAX_LISTED` the rest counted (``and 2 more`` / ``等5个``)."""
    if len(items) > MAX_LISTED:
        shown = WORDS["comma"].say(lang).join(items[:MAX_LISTED])
        return shown + say("more", lang, n=len(items) - MAX_LISTED, total=len(items))
    if len(items) <= 1:
        return "".join(items)
    return WORDS["comma"].say(lang).join(items[:-1]) + WORDS["and"].say(lang) + items[-1]


def count_text(value) -> str:
    """A count or an expectation as alerts write it: whole numbers from 10 up, else one decimal."""
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 10:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def percent_text(value) -> str:
    """A percentage of visits, one decimal (without the sign)."""
    return "–" if value is None or not math.isfinite(value) else f"{value:.1f}"
