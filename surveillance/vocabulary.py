"""The shared vocabulary: canonical column names, and every code the service writes and shows,
with its words in English and Simplified Chinese.

Emails (:mod:`surveillance.notify.compose`), the dashboard and the library take a code's words
from here, so a syndrome, severity or workflow state reads the same wherever it appears. The
Chinese terms follow China's syndromic surveillance (发热伴出疹 for fever with rash; age groups
written 0-4岁, 65岁及以上). Severities carry ESSENCE's colours: red (alert), yellow (warning),
blue (judged, nothing unusual).

Every table is ``code -> Term``; ``*_label(code, language)`` gives the words in ``"en"`` or
``"zh"`` (English for any other language), and the code itself for a code the table does not
know, so an unexpected value is shown rather than hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- columns ---------------------------------------------------------------------------------

# The long table at every boundary (storage adds revision columns).
OBSERVATION_COLUMNS = ("date", "unit", "syndrome", "age_group", "count", "total")
REQUIRED_COLUMNS = ("date", "unit", "syndrome", "count")

# --- languages -------------------------------------------------------------------------------

Language = Literal["en", "zh"]
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}  # code -> the language's own name
DEFAULT_LANGUAGE = "en"


def language(code: str | None) -> str:
    """``code`` if it is a known language, else the default (English)."""
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Term:
    """A code's words in English and Simplified Chinese."""

    en: str
    zh: str

    def say(self, lang: str | None) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Severity(Term):
    """A severity's words, its place in the order (``rank``, higher is worse) and ESSENCE colour,
    with the ``ink`` that stays legible on that colour."""

    rank: int = 0
    colour: str = "#000000"
    ink: str = "#ffffff"


@dataclass(frozen=True)
class Level(Term):
    """A level of the region hierarchy; English has a plural for lists (Chinese needs none)."""

    en_plural: str = ""

    def say_plural(self, lang: str | None) -> str:
        return self.zh if lang == "zh" else self.en_plural


# --- what is counted -------------------------------------------------------------------------

# Syndromes a feed may report; `count` is visits with that syndrome, `total` all visits.
SYNDROMES: dict[str, Term] = {
    "fever": Term("Fever", "发热"),
    "ili": Term("Influenza-like illness", "流感样病例"),
    "ari": Term("Acute respiratory infection", "急性呼吸道感染"),
    "diarrhoea": Term("Acute diarrhoea", "急性腹泻"),
    "rash_fever": Term("Rash with fever", "发热伴出疹"),
    "hfmd": Term("Hand, foot and mouth disease", "手足口病"),
}

# Syndromes that one event raises together (an influenza cluster shows in fever, ILI and ARI alike):
# alerts of one group in one place and time are one event.
SYNDROME_GROUPS: dict[str, str] = {
    "fever": "respiratory", "ili": "respiratory", "ari": "respiratory",
    "diarrhoea": "diarrhoea", "rash_fever": "rash_fever", "hfmd": "hfmd",
}


def syndrome_group(code: str) -> str:
    """The group of a syndrome (an unknown code is a group of its own)."""
    return SYNDROME_GROUPS.get(code, code)


# "all" is the age group of a row that is not broken down by age.
ALL_AGES = "all"
AGE_GROUPS: dict[str, Term] = {
    "0-4": Term("0-4 years", "0-4岁"),
    "5-14": Term("5-14 years", "5-14岁"),
    "15-64": Term("15-64 years", "15-64岁"),
    "65+": Term("65 years and over", "65岁及以上"),
    ALL_AGES: Term("all ages", "全部年龄"),
}

# What a signal's `observed` and `expected` are in.
MEASURES: dict[str, Term] = {
    "count": Term("visits", "就诊人次"),
    "percent": Term("% of all visits", "占总就诊百分比"),
    "visits": Term("all visits", "总就诊人次"),  # data-quality findings
}

# --- where -----------------------------------------------------------------------------------

# The hierarchy, coarsest first. Facilities are reporting units, each in a county.
REGION_LEVELS = ("province", "city", "county")
PANEL_LEVELS = ("province", "city", "county", "facility")
LEVELS: dict[str, Level] = {
    "province": Level("province", "省", en_plural="provinces"),
    "city": Level("city", "市", en_plural="cities"),
    "county": Level("county", "县（区）", en_plural="counties and districts"),
    "facility": Level("facility", "医疗机构", en_plural="facilities"),
    "feed": Level("feed", "数据源", en_plural="feeds"),  # where a silent feed's finding sits
    "service": Level("service", "系统服务", en_plural="services"),  # the service's own parts (its email)
}
# The places of level "service" (findings about the service itself), named like regions.
SERVICE_PLACES: dict[str, Term] = {
    "email": Term("the service's email", "系统邮件"),
}

# --- signals and alerts ----------------------------------------------------------------------

# In rising order: a signal's colour from its p-value (see alerts.signals).
SEVERITIES: dict[str, Severity] = {
    "none": Severity("none", "无", rank=0, colour="#2c7bb6", ink="#ffffff"),
    "yellow": Severity("yellow", "黄色", rank=1, colour="#f5c400", ink="#1f2933"),
    "red": Severity("red", "红色", rank=2, colour="#d7191c", ink="#ffffff"),
}

# What a judgement's data were (see alerts.signals), said beside a signal, an alert or a day.
DATA_STATES: dict[str, Term] = {
    "incomplete": Term("incomplete data", "数据不完整"),  # fewer units than usual reported
    "provisional": Term("provisional: data still arriving", "临时：数据仍在上报"),  # the newest days
}

# Data-quality findings (see surveillance.quality); a data_quality episode's `syndrome` is one.
FINDINGS: dict[str, Term] = {
    "unit_silent": Term("Reporting unit silent", "报告单位停报"),
    "feed_silent": Term("Feed silent", "数据源中断"),
    "visits_drop": Term("Total visits dropped sharply", "总就诊量骤降"),
    "email_undelivered": Term("Alert emails not delivered", "预警邮件未送达"),
}

# Kinds of alert episode (see alerts.episodes).
KINDS: dict[str, Term] = {
    "outbreak": Term("outbreak", "暴发"),
    "cluster": Term("space-time cluster", "时空聚集"),
    "data_quality": Term("data quality", "数据质量"),
}

# The user name the service signs its own events with (episodes opened, escalated, ended by the detect job),
# and how a page says it.
SYSTEM_USER = "system"
SYSTEM_USER_TERM = Term("system", "系统")

# The detectors (surveillance.detectors, surveillance.spatial) and the data-quality checks, by the code that
# signals carry. English keeps the code, as the configuration and the evaluation write it.
DETECTORS: dict[str, Term] = {
    "ears_c1": Term("ears_c1", "早期异常报告系统C1法"),
    "ears_c2": Term("ears_c2", "早期异常报告系统C2法"),
    "ears_c3": Term("ears_c3", "早期异常报告系统C3法"),
    "farrington": Term("farrington", "法林顿回归法"),
    "farrington_flexible": Term("farrington_flexible", "改进法林顿回归法"),
    "cusum": Term("cusum", "累积和控制图法"),
    "glrnb": Term("glrnb", "负二项广义似然比法"),
    "bayes": Term("bayes", "贝叶斯预测法"),
    "mpm": Term("mpm", "移动百分位数法"),
    "ewma": Term("ewma", "指数加权移动平均法"),
    "regression": Term("regression", "自适应回归法"),
    "switch": Term("switch", "回归与指数加权移动平均切换法"),
    "serfling": Term("serfling", "塞尔夫林周期回归法"),
    "gbm": Term("gbm", "梯度提升树模型"),
    "regional_excess": Term("regional_excess", "区域超额检测"),
    "spacetime_permutation": Term("spacetime_permutation", "时空重排扫描"),
    "spacetime_poisson": Term("spacetime_poisson", "时空泊松扫描"),
    "quality": Term("quality", "数据质量检查"),
}
# The service's jobs (surveillance.service.cycle; "daily" is the scheduler's whole cycle) and how a run ended.
JOBS: dict[str, Term] = {
    "ingest": Term("ingest", "数据采集"),
    "detect": Term("detect", "预警检测"),
    "notify": Term("notify", "邮件通知"),
    "deliver": Term("deliver", "邮件投递"),
    "snapshot": Term("snapshot", "数据快照"),
    "daily": Term("daily", "每日全流程"),
}
JOB_STATUSES: dict[str, Term] = {
    "ok": Term("ok", "成功"),
    "failed": Term("failed", "失败"),
    "running": Term("running", "运行中"),
}
# How a feed delivers (config: feeds[].kind).
FEED_KINDS: dict[str, Term] = {
    "folder": Term("folder", "文件夹"),
    "http": Term("http", "网络接口"),
    "sql": Term("sql", "数据库"),
    "fhir": Term("fhir", "快速医疗互操作性资源文件"),
}
# The roles of users (surveillance.users), as the audit trail and the pages name them.
ROLES: dict[str, Term] = {
    "viewer": Term("viewer", "查看者"),
    "epidemiologist": Term("epidemiologist", "流行病学专业人员"),
    "admin": Term("administrator", "管理员"),
}
PERCENT_SUFFIX = "_percent"  # a detector judging percentages of all visits (config: `percent = true`)
PERCENT_DETECTOR = Term("{name}", "{name}（百分比）")

# The workflow (after WHO EWARS; transitions in alerts.workflow): states in their usual order,
# the outcomes a closed alert records, and the actions of an alert's events.
STATES: dict[str, Term] = {
    "new": Term("new", "新预警"),
    "verifying": Term("verifying", "核实中"),
    "monitoring": Term("monitoring", "监测中"),
    "investigating": Term("investigating", "调查中"),
    "closed": Term("closed", "已关闭"),
}
OUTCOMES: dict[str, Term] = {
    "confirmed_outbreak": Term("confirmed outbreak", "确认暴发"),
    "not_an_outbreak": Term("not an outbreak", "非暴发"),
    "data_artefact": Term("data artefact", "数据问题"),
}
# The day a confirmed outbreak began (given when its alert is closed), and why a given day is refused.
OUTBREAK_START = Term("Outbreak began on", "暴发开始日期")
OUTBREAK_START_ERRORS: dict[str, Term] = {
    "not_confirmed": Term("An outbreak's start is given only when closing an alert as a confirmed outbreak.",
                          "仅在以“确认暴发”关闭预警时填写暴发开始日期。"),
    "not_a_date": Term("Write the outbreak's start as a date, for example 2026-03-01.",
                       "暴发开始日期请按日期格式填写，例如 2026-03-01。"),
    "after_opening": Term("The outbreak cannot have begun on {start}, after the alert opened on {opened}.",
                          "暴发开始日期（{start}）不能晚于预警开启日期（{opened}）。"),
    "in_future": Term("The outbreak's start, {start}, is in the future (today is {today}).",
                      "暴发开始日期（{start}）不能晚于今天（{today}）。"),
}
EVENTS: dict[str, Term] = {
    "opened": Term("opened", "开启"),
    "escalated": Term("escalated", "升级"),
    "ended": Term("ended", "结束"),
    "transition": Term("state changed", "状态变更"),
    "reopened": Term("reopened", "重新开启"),
    "note": Term("note", "备注"),
}

# --- the epidemic situation (surveillance.situation) ------------------------------------------------


@dataclass(frozen=True)
class Tone(Term):
    """A situation's words with the colour that marks it, and the ``ink`` legible on that colour."""

    colour: str = "#6b7785"
    ink: str = "#ffffff"


# Trend of a syndrome's share of visits (Rnssp's classify_trend): rising red, falling blue.
TRENDS: dict[str, Tone] = {
    "increasing": Tone("increasing", "上升", colour="#d7191c"),
    "stable": Tone("stable", "平稳", colour="#6b7785"),
    "decreasing": Tone("decreasing", "下降", colour="#2c7bb6"),
    "insufficient_data": Tone("insufficient data", "数据不足", colour="#e4e8ec", ink="#1f2933"),
}
# A season's intensity by the Moving Epidemic Method (流行强度), its phase, and what is emailed.
SEASON_LEVELS: dict[str, Tone] = {
    "baseline": Tone("baseline", "基线水平", colour="#e4e8ec", ink="#1f2933"),
    "low": Tone("low", "低", colour="#fee08b", ink="#1f2933"),
    "medium": Tone("medium", "中", colour="#f5c400", ink="#1f2933"),
    "high": Tone("high", "高", colour="#e8590c"),
    "very_high": Tone("very high", "极高", colour="#b2182b"),
}
SEASON_PHASES: dict[str, Term] = {
    "pre_epidemic": Term("before the epidemic", "流行前期"),
    "epidemic": Term("epidemic", "流行期"),
    "post_epidemic": Term("after the epidemic", "流行后期"),
}
SEASON_EVENTS: dict[str, Term] = {
    "started": Term("the season started", "流行季开始"),
    "intensity_rose": Term("the intensity rose", "流行强度上升"),
}

# --- small counts ----------------------------------------------------------------------------------

# What stands in for a figure a reader may not see (surveillance.privacy): a count under the threshold, or
# one hidden with it so that it cannot be worked out from a total (one mark for both, as statistics offices
# do: a different mark would tell which is which); and a figure computed from such a count (a sum over days
# or regions, a mean, a ratio, a percentage, a p-value).
SUPPRESSED = Term("<{n}", "<{n}")
WITHHELD = Term("*", "*")
SUPPRESSION_NOTE = Term(
    "<{n}: fewer than {n}, or hidden with such a count so that it cannot be worked out from a total; "
    "*: computed from a hidden count, not shown.",
    "<{n}：少于{n}，或为防止由合计推算而一并隐藏；*：由隐藏的计数算出，不予显示。")

# --- the audit trail --------------------------------------------------------------------------

# What an audit line records (surveillance.audit): sign-ins, views, API calls, exports, administration.
AUDIT_ACTIONS: dict[str, Term] = {
    "login": Term("signed in", "登录"),
    "login_failed": Term("sign-in failed", "登录失败"),
    "login_refused": Term("sign-in refused: too many failures", "登录被拒绝：失败次数过多"),
    "logout": Term("signed out", "退出"),
    "password_set": Term("password changed", "修改密码"),
    "password_reset": Term("password reset (one-time password)", "重置密码（一次性密码）"),
    "language_set": Term("language changed", "切换语言"),
    "user_added": Term("user added", "添加用户"),
    "user_disabled": Term("user disabled", "停用用户"),
    "user_enabled": Term("user enabled again", "重新启用用户"),
    "user_changed": Term("role or region changed", "更改角色或地区"),
    "token_created": Term("API token created", "创建API令牌"),
    "token_revoked": Term("API token revoked", "撤销API令牌"),
    "refused": Term("refused: outside the user's regions or role", "拒绝：超出用户的地区或角色"),
    "alert_viewed": Term("alert viewed", "查看预警"),
    "api_call": Term("API call", "API调用"),
    "export": Term("export", "导出"),
    "alert_note": Term("note on an alert", "预警备注"),
    "alert_transition": Term("alert's state changed", "预警状态变更"),
    "alert_reopened": Term("alert reopened", "预警重新开启"),
    "alert_refused": Term("alert action refused", "预警操作被拒绝"),
    "audit_pruned": Term("old audit lines deleted", "删除过期审计记录"),
}

# The data classification label's name (the label itself is configured: audit.classification).
CLASSIFICATION = Term("Data classification", "数据分级")

# Every table of codes, for whoever needs to walk them all (the tests do).
TABLES: dict[str, dict[str, Term]] = {
    "syndromes": SYNDROMES, "age_groups": AGE_GROUPS, "measures": MEASURES, "levels": LEVELS,
    "severities": SEVERITIES, "data_states": DATA_STATES, "findings": FINDINGS, "kinds": KINDS, "states": STATES,
    "outcomes": OUTCOMES, "events": EVENTS, "audit_actions": AUDIT_ACTIONS,
    "outbreak_start_errors": OUTBREAK_START_ERRORS, "trends": TRENDS, "season_levels": SEASON_LEVELS,
    "season_phases": SEASON_PHASES, "season_events": SEASON_EVENTS, "detectors": DETECTORS,
    "jobs": JOBS, "job_statuses": JOB_STATUSES, "feed_kinds": FEED_KINDS, "roles": ROLES,
}


def label(table: dict[str, Term], code, lang: str | None) -> str:
    """The words of ``code`` in ``table`` in ``lang``; the code itself when the table lacks it."""
    term = table.get(code)
    return str(code) if term is None else term.say(lang)


def place_name(code: str, name_en, name_zh, lang: str | None) -> str:
    """A region's or unit's name in ``lang``: its name in that language, else in the other, else the code
    (the one rule for every page, email, export and command that names a place)."""
    first, second = (name_zh, name_en) if lang == "zh" else (name_en, name_zh)
    for name in (first, second):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return str(code)


def place_label(code: str, names: dict, lang: str | None) -> str:
    """A region's or unit's name from ``names`` (already in ``lang``: ``Hierarchy.names(lang)``), a service
    place's words, else the code."""
    name = names.get(code)
    return name if isinstance(name, str) and name else label(SERVICE_PLACES, code, lang)


def syndrome_label(code: str, lang: str | None) -> str:
    return label(SYNDROMES, code, lang)


def topic_label(code: str, lang: str | None) -> str:
    """What an episode is about: its syndrome, or for a data-quality episode (whose ``syndrome``
    column holds the finding) the finding."""
    return label(FINDINGS if code in FINDINGS else SYNDROMES, code, lang)


def age_label(code: str, lang: str | None) -> str:
    return label(AGE_GROUPS, code, lang)


def measure_label(code: str, lang: str | None) -> str:
    return label(MEASURES, code, lang)


def level_label(code: str, lang: str | None, *, plural: bool = False) -> str:
    level = LEVELS.get(code)
    if level is None:
        return str(code)
    return level.say_plural(lang) if plural else level.say(lang)


def severity_label(code: str, lang: str | None) -> str:
    return label(SEVERITIES, code, lang)


def severity_rank(code: str) -> int:
    """Higher is worse: none 0, yellow 1, red 2."""
    return SEVERITIES[code].rank


def severity_colour(code: str) -> str:
    """ESSENCE's colour of a severity (an unknown one is shown as none)."""
    return SEVERITIES.get(code, SEVERITIES["none"]).colour


def severity_ink(code: str) -> str:
    """The text colour legible on :func:`severity_colour`."""
    return SEVERITIES.get(code, SEVERITIES["none"]).ink


def data_state_label(code: str, lang: str | None) -> str:
    return label(DATA_STATES, code, lang)


def kind_label(code: str, lang: str | None) -> str:
    return label(KINDS, code, lang)


def state_label(code: str, lang: str | None) -> str:
    return label(STATES, code, lang)


def outcome_label(code: str, lang: str | None) -> str:
    return label(OUTCOMES, code, lang)


def event_label(code: str, lang: str | None) -> str:
    return label(EVENTS, code, lang)


def tone_colours(table: dict[str, Tone], code) -> tuple[str, str]:
    """``(colour, ink)`` of a trend or season level (grey for a code the table does not know)."""
    tone = table.get(code) or Tone("", "")
    return tone.colour, tone.ink


def detector_label(code: str, lang: str | None) -> str:
    """A detector's words; ``farrington_percent`` is Farrington on percentages; a configured label of its own
    (``label = "..."``) is shown as it was written."""
    code = str(code)
    if code not in DETECTORS and code.endswith(PERCENT_SUFFIX) and code[:-len(PERCENT_SUFFIX)] in DETECTORS:
        return PERCENT_DETECTOR.say(lang).format(name=label(DETECTORS, code[:-len(PERCENT_SUFFIX)], lang))
    return label(DETECTORS, code, lang)


def job_label(code: str, lang: str | None) -> str:
    return label(JOBS, code, lang)


def job_status_label(code: str, lang: str | None) -> str:
    return label(JOB_STATUSES, code, lang)


def feed_kind_label(code: str, lang: str | None) -> str:
    return label(FEED_KINDS, code, lang)


def role_label(code: str, lang: str | None) -> str:
    return label(ROLES, code, lang)


def user_label(name: str | None, lang: str | None) -> str:
    """A user name as pages show it: the service's own (``system``) in the reader's language."""
    if name == SYSTEM_USER:
        return SYSTEM_USER_TERM.say(lang)
    return "" if name is None else str(name)


def suppressed_label(min_cell: int, lang: str | None) -> str:
    """The mark of a count not shown (under ``min_cell``, or hidden with one): ``<5``."""
    return SUPPRESSED.say(lang).format(n=min_cell)


def withheld_label(lang: str | None) -> str:
    """The mark of a figure computed from a count not shown: ``*``."""
    return WITHHELD.say(lang)


def suppression_note(min_cell: int, lang: str | None) -> str:
    """What the two marks mean, for a page or an email that shows them."""
    return SUPPRESSION_NOTE.say(lang).format(n=min_cell)


def audit_action_label(code: str, lang: str | None) -> str:
    return label(AUDIT_ACTIONS, code, lang)


def classification_line(label_text: str, lang: str | None) -> str:
    """``Data classification: 内部`` / ``数据分级：内部``: the line every page, export and email carries."""
    return f"{CLASSIFICATION.zh}：{label_text}" if lang == "zh" else f"{CLASSIFICATION.en}: {label_text}"
