"""The notes the service writes itself, in the history of an alert and beside its evidence, said in the
reader's language when they are shown.

The service stores its notes in English (the CLI, the API and the audit trail read them as they are) as
``;``-separated parts, each written by :func:`note` from one of the templates below. A page turns each part
back into its template and fields and says it in the reader's language (:func:`render`): the detector, the
severities, the outcome and the places in their words, the figures as they are. So rows written before
there was a Chinese edition read in Chinese too, and a part no template knows (a person's note) is shown as
it was written. The privacy filter strips figures from stored notes for readers without exact counts
(``surveillance.privacy.alerts``); what it leaves is again a sequence of known parts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .vocabulary import DETECTORS, Term, detector_label, outcome_label, severity_label

SEPARATOR = "; "

NOTES: dict[str, Term] = {
    # the opened event: the most significant signal (surveillance.alerts.episode_types)
    "observed": Term("{detector}: observed {observed} vs expected {expected}",
                     "{detector}：观察值 {observed}，期望值 {expected}"),
    "pvalue": Term("p={pvalue}", "P={pvalue}"),
    "incomplete_known": Term("{severity} on incomplete data (completeness {share})",
                             "基于不完整数据（完整率{share}）判为{severity}"),
    "incomplete": Term("{severity} on incomplete data", "基于不完整数据判为{severity}"),
    "said_as": Term("said as {severity} until the data fill in", "数据补齐前按{severity}通知"),
    # escalations and the end (surveillance.alerts.episodes)
    "rose": Term("severity rose to {severity}", "级别升至{severity}"),
    "confirmed": Term("{severity} confirmed on complete data", "数据完整后确认为{severity}"),
    "grew": Term("cluster grew by {regions}", "聚集范围扩大：{regions}"),
    "joined": Term("neighbouring region {region} joined", "相邻地区{region}同时出现预警"),
    "ended_days": Term("no signal for {n} days since {day}", "自{day}起{n}天无信号"),
    "ended_periods": Term("no signal for {n} periods since {day}", "自{day}起{n}个周期无信号"),
    # the workflow (surveillance.alerts.workflow): a closing note starts with its outcome
    "outcome": Term("outcome: {outcome}", "结论：{outcome}"),
    "outbreak_began": Term("outbreak began {day}", "疫情始于{day}"),
    # evidence details: space-time clusters (surveillance.alerts.signals)
    "cluster": Term("{k} regions over {days} days, relative risk {rr}", "{k}个地区，{days}天，相对危险度{rr}"),
    "cluster_hidden": Term("{k} regions over {days} days", "{k}个地区，{days}天"),
    # evidence details: data-quality findings (surveillance.quality, surveillance.notify.undelivered)
    "unit_silent": Term("no data for {n} days from a unit that reported on {share} of the previous {window} days",
                        "连续{n}天无数据（此前{window}天中有{share}的日子报告）"),
    "county_share": Term("the county's silent units usually bring {share} of its visits",
                         "停报单位通常占该县（区）就诊量的{share}"),
    "feed_silent": Term("feed {feed} delivered nothing for {n} days", "数据源{feed}已{n}天未送达数据"),
    "feed_usual": Term("it delivered on {share} of the {window} days before", "此前{window}天中有{share}的日子送达"),
    "visits_drop": Term("{now} visits against a usual {usual} on this weekday ({share})",
                        "就诊{now}人次，同一星期几通常为{usual}人次（{share}）"),
    "undelivered": Term("{missing} of {due} emails due were not delivered ({parts})",
                        "应发送的{due}封邮件中有{missing}封未送达（{parts}）"),
    "undelivered_error": Term("{missing} of {due} emails due were not delivered ({parts}): {error}",
                              "应发送的{due}封邮件中有{missing}封未送达（{parts}）：{error}"),
    # the jobs' messages (surveillance.service.cycle)
    "judged": Term("judged {days} day(s), {signals} signals", "判断{days}天，信号{signals}个"),
    "episodes": Term("{opened} opened, {escalated} escalated, {ended} ended",
                     "新开预警{opened}个，升级{escalated}个，结束{ended}个"),
    "failed_feeds": Term("feed(s) with failed batches: {feeds}", "有失败批次的数据源：{feeds}"),
    "interrupted": Term("interrupted: the process ended during the run", "已中断：运行期间进程结束"),
    "queued": Term("{n} queued", "{n}封进入发送队列"),
    "delivered": Term("{sent} sent, {retry} to retry, {failed} failed", "已发送{sent}封，待重试{retry}封，失败{failed}封"),
    "delivered_unconfirmed": Term("{sent} sent, {retry} to retry, {failed} failed, {unconfirmed} unconfirmed",
                                  "已发送{sent}封，待重试{retry}封，失败{failed}封，未确认{unconfirmed}封"),
}

# How the email parts of "undelivered" are counted.
DELIVERY_STATES: dict[str, Term] = {
    "failed": Term("failed for good", "永久失败"),
    "unconfirmed": Term("unconfirmed", "未确认"),
    "retry": Term("waiting to be retried", "等待重试"),
}


def note(key: str, **values) -> str:
    """One part of a note, in English (as stored)."""
    return NOTES[key].en.format(**values)


def joined(parts) -> str:
    """The parts of a note as stored."""
    return SEPARATOR.join(parts)


def delivery_parts(counts: Mapping[str, int]) -> str:
    """``2 failed for good, 1 unconfirmed`` for the undelivered emails' note."""
    return ", ".join(f"{n} {DELIVERY_STATES[state].en}" for state, n in counts.items() if n)


def patterns(templates: Mapping[str, Term]) -> list[tuple[str, re.Pattern]]:
    """Each English template as a pattern whose groups are its fields; those with the most fixed text first
    ("from {address}: wrong current password" is tried before "from {address}")."""
    def fixed(term: Term) -> int:
        return len(re.sub(r"\{\w+\}", "", term.en))

    found = []
    for key, term in sorted(templates.items(), key=lambda item: -fixed(item[1])):
        pieces = re.split(r"\{(\w+)\}", term.en)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
        found.append((key, re.compile(f"^{regex}$", re.DOTALL)))
    return found


PATTERNS = patterns(NOTES)


def render(text: str | None, lang: str | None, names: Mapping[str, str] | None = None) -> str:
    """A stored note said in ``lang`` (``names``: the places' names in ``lang`` by code). English returns
    the note as stored."""
    if not isinstance(text, str) or not text:
        return ""
    if lang != "zh":
        return str(text)
    return "；".join(_part(part, lang, names or {}) for part in str(text).split(SEPARATOR))


def _part(part: str, lang: str, names: Mapping[str, str]) -> str:
    if part in DETECTORS or part.endswith("_percent") and part[:-len("_percent")] in DETECTORS:
        return detector_label(part, lang)  # an opened note whose figures were stripped
    for key, pattern in PATTERNS:
        match = pattern.match(part)
        if match:
            fields = {name: _field(name, value, lang, names) for name, value in match.groupdict().items()}
            return NOTES[key].say(lang).format(**fields)
    return part


def _field(name: str, value: str, lang: str, names: Mapping[str, str]) -> str:
    if name == "detector":
        return detector_label(value, lang)
    if name == "severity":
        return severity_label(value, lang)
    if name == "outcome":
        return outcome_label(value, lang)
    if name == "region":
        return names.get(value, value)
    if name == "regions":
        return "、".join(names.get(code, code) for code in value.split(", "))
    if name == "parts":
        words = {term.en: term.say(lang) for term in DELIVERY_STATES.values()}
        return "，".join(_delivery(piece, words) for piece in value.split(", "))
    return value


def _delivery(piece: str, words: Mapping[str, str]) -> str:
    count, _, state = piece.partition(" ")
    return f"{words[state]}{count}封" if state in words else piece
