"""The audit trail's targets and details said in the reader's language when the trail is shown.

Audit lines are stored as they were written, in English (an export for an auditor is the record itself, and
the CLI reads it too); the audit page says each ``;``-separated part of a detail, and the target, through
the templates below (:mod:`surveillance.notes` does the same for alert notes). A part no template knows is
shown as it was written: a person's note on an alert, an error of another system.
"""

from __future__ import annotations

from collections.abc import Mapping

from .notes import SEPARATOR, patterns
from .notes import render as render_note
from .vocabulary import LANGUAGES, Term, kind_label, role_label, severity_label, state_label, topic_label

DETAILS: dict[str, Term] = {
    # sign-in and passwords (dashboards.auth, dashboards.password)
    "from": Term("from {address}", "来自{address}"),
    "disabled": Term("from {address}: the account is disabled", "来自{address}：账户已停用"),
    "wrong_password": Term("from {address}: wrong current password", "来自{address}：当前密码错误"),
    "locked_form": Term("from {address}: too many failures (password form)", "来自{address}：失败次数过多（修改密码表单）"),
    "locked": Term("from {address}: too many failures ({n})", "来自{address}：失败次数过多（{n}次）"),
    # users and tokens (surveillance.users, surveillance.credentials)
    "added_once": Term("role {role}, region {region}, one-time password", "角色：{role}，地区：{region}，一次性密码"),
    "added": Term("role {role}, region {region}", "角色：{role}，地区：{region}"),
    "sessions_tokens": Term("{n} session(s) ended, token(s) {tokens} revoked", "结束{n}个会话，撤销令牌{tokens}"),
    "sessions": Term("{n} session(s) ended", "结束{n}个会话"),
    "next_sign_in": Term("to be changed at the next sign-in", "下次登录时须修改"),
    "role_region": Term("role {role} -> {to_role}, region {region} -> {to_region}",
                        "角色：{role} → {to_role}，地区：{region} → {to_region}"),
    "role_change": Term("role {role} -> {to_role}", "角色：{role} → {to_role}"),
    "region_change": Term("region {region} -> {to_region}", "地区：{region} → {to_region}"),
    "token_expires": Term("token {id}, region {region}, expires {day}", "令牌{id}，地区：{region}，{day}过期"),
    "token_region": Term("token {id}, region {region}", "令牌{id}，地区：{region}"),
    "token": Term("token {id}", "令牌{id}"),
    # alerts and exports (dashboards.pages, dashboards.api)
    "page": Term("page", "页面"),
    "api": Term("API ({via})", "API（{via}）"),
    "states": Term("{state} -> {to_state}", "{state} → {to_state}"),
    "alert_list_with": Term("alert list CSV: {n} alert(s), with ended ones", "预警列表CSV：{n}条（含已结束）"),
    "alert_list": Term("alert list CSV: {n} alert(s), without ended ones", "预警列表CSV：{n}条（不含已结束）"),
    "audit_export": Term("audit trail CSV: {n} of {total} line(s)", "审计记录CSV：共{total}条中的{n}条"),
    # refusals (dashboards.access, dashboards.api, dashboards.guard)
    "outside": Term("region {region} is outside {user}'s scope", "地区{region}超出{user}的范围"),
    "role_needed": Term("{user} is a {role}, not a {to_role}", "{user}的角色是{role}，不是{to_role}"),
    "alert_outside": Term("alert {id} is outside the user's regions", "预警{id}不在该用户的地区内"),
    "alert_outside_api": Term("alert {id} is outside the regions", "预警{id}不在该用户的地区内"),
    "alert_not_among": Term("alert {id} is not among {user}'s regions", "预警{id}不在{user}的地区内"),
    "read_only": Term("token {id}: {request}: tokens are read-only", "令牌{id}：{request}：令牌只能读取"),
    "shapes": Term("county shapes of {region}", "{region}的县（区）边界"),
    "call": Term("{method} {path} -> {status} ({via})", "{method} {path} → {status}（{via}）"),
    # the retention (surveillance.audit)
    "pruned": Term("{n} line(s) older than {time} ({days} days)", "{n}条早于{time}（{days}天）的记录"),
}
TARGETS: dict[str, Term] = {
    "alert": Term("alert {id}", "预警{id}"),
}
# Fixed targets, and what an export or a refusal was about.
PLACES: dict[str, Term] = {
    "api": Term("api", "接口"), "geo": Term("geo", "地图边界"), "alerts": Term("alerts", "预警列表"),
    "audit_log": Term("audit_log", "审计记录"), "alert": Term("alert", "预警"), "severity": Term("severity", "级别"),
    "state": Term("state", "处理状态"), "syndrome": Term("syndrome", "症候群"), "kind": Term("kind", "类型"),
}
FILTERS = {"severity": severity_label, "state": state_label, "syndrome": topic_label, "kind": kind_label}
VIA: dict[str, Term] = {"session": Term("session", "登录会话"), "token": Term("token", "令牌")}
ALL_REGIONS = Term("all", "全部地区")


_DETAILS = patterns(DETAILS)
_TARGETS = patterns(TARGETS)


def detail_words(text: str | None, action: str, lang: str | None, names: Mapping[str, str] | None = None) -> str:
    """An audit line's detail in ``lang`` (as stored for English; a language change names the language)."""
    if not isinstance(text, str) or not text:
        return ""  # a line without a detail (a sign-out)
    if lang != "zh":
        return text
    if action == "language_set":
        return LANGUAGES.get(text, text)
    if action in ("alert_note",):
        return text  # the person's own words
    return "；".join(_part(part, lang, names or {}) for part in str(text).split(SEPARATOR))


def target_words(text: str | None, lang: str | None) -> str:
    """An audit line's target in ``lang``: ``alert 12`` -> ``预警12``; a user name as it is."""
    if not isinstance(text, str) or not text:
        return ""
    if lang != "zh":
        return text
    if text in PLACES:
        return PLACES[text].say(lang)
    for key, pattern in _TARGETS:
        match = pattern.match(text)
        if match:
            return TARGETS[key].say(lang).format(**match.groupdict())
    return text


def _part(part: str, lang: str, names: Mapping[str, str]) -> str:
    for key, pattern in _DETAILS:
        match = pattern.match(part)
        if match:
            fields = {name: _field(name, value, lang, names) for name, value in match.groupdict().items()}
            return DETAILS[key].say(lang).format(**fields)
    what, _, values = part.partition(" ")
    if what in FILTERS and values:  # an export's filters: "severity red,yellow"
        return f"{PLACES[what].say(lang)}：" + "、".join(FILTERS[what](v, lang) for v in values.split(","))
    return render_note(part, lang, names)  # a workflow change's note: the outcome, the service's own words


def _field(name: str, value: str, lang: str, names: Mapping[str, str]) -> str:
    value = value.strip("'")
    if name in ("role", "to_role"):
        return role_label(value, lang)
    if name in ("region", "to_region"):
        return ALL_REGIONS.say(lang) if value in ("all", "None") else names.get(value, value)
    if name in ("state", "to_state"):
        return state_label(value, lang)
    if name == "via":
        first, _, rest = value.partition(" ")
        return VIA[first].say(lang) + rest if first in VIA else value
    if name == "what":
        return PLACES[value].say(lang) if value in PLACES else value
    return value
