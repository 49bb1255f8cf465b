"""The standalone status page (``/``, ``/status``) in the reader's language: its template, its words and
the phrases it builds. The language is the signed-in user's (the one the dashboard's switch stores).
Codes, numbers, dates, file names and the feeds' configured names are shown as they are; stored reasons
and job messages through their templates (:mod:`surveillance.ingest_words`, :mod:`surveillance.notes`).
"""

from __future__ import annotations

from surveillance.ingest_words import render as render_reason
from surveillance.notes import render as render_note
from surveillance.vocabulary import (Term, feed_kind_label, job_label, job_status_label, language, level_label,
                                     role_label)

# How an ingest batch ended (surveillance.store.write).
BATCH_STATUSES: dict[str, Term] = {
    "loaded": Term("loaded", "已载入"), "partial": Term("partial", "部分载入"), "failed": Term("failed", "失败"),
}

WORDS: dict[str, Term] = {
    "title": Term("Surveillance service: status", "监测服务：状态"),
    "heading": Term("Surveillance service", "监测服务"),
    "signed_in": Term("Signed in as", "当前用户"),
    "sign_out": Term("sign out", "退出登录"),
    "open_dashboard": Term("open the dashboard", "打开仪表板"),
    "data_from": Term("Data from", "数据时间："),
    "to": Term("to", "至"),
    "units_in": Term("reporting units in", "个报告单位，分布于"),
    "rows": Term("rows", "行"),
    "with_revisions": Term("with revisions", "有修订"),
    "in_quarantine": Term("rows in quarantine", "行被隔离"),
    "fever_heading": Term("Fever visits per day, last {days} days", "近{days}天每日发热就诊数"),
    "fever_aria": Term("fever visits per day", "每日发热就诊数"),
    "max": Term("max", "最大值"),
    "not_drawn": Term("{n} day(s) not drawn:", "{n}天未绘出："),
    "no_data": Term("No data yet.", "尚无数据。"),
    "feeds": Term("Feeds", "数据源"),
    "feed": Term("feed", "数据源"), "kind": Term("kind", "类型"), "batches": Term("batches", "批次"),
    "failed": Term("failed", "失败"), "last_batch": Term("last batch", "最近批次"),
    "last_good": Term("last good batch", "最近成功批次"),
    "last_batches": Term("Last batches", "最近批次"),
    "batch": Term("batch", "批次"), "source": Term("source", "来源"), "status": Term("status", "状态"),
    "new": Term("new", "新增"), "revised": Term("revised", "修订"), "rejected": Term("rejected", "拒收"),
    "message": Term("message", "消息"),
    "job_runs": Term("Job runs", "任务运行"),
    "run": Term("run", "运行"), "job": Term("job", "任务"), "started": Term("started", "开始"),
    "finished": Term("finished", "结束"),
    "feeds_link": Term("feeds", "数据源"),
    "json": Term("JSON", "JSON 接口"), "health": Term("health", "健康状况"), "counts": Term("counts per day", "每日计数"),
    "alerts": Term("alerts", "预警"), "last_ingest": Term("last ingest", "最近导入"),
    "every_region": Term("every region", "全部地区"), "no_regions": Term("no regions", "无地区"),
}

STATUS_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ w.title }}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
 table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
 th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; font-size: 0.9rem; }
 .failed { color: #b00020; } .ok, .loaded { color: #1b5e20; } .partial { color: #b26a00; }
 svg { background: #fafafa; border: 1px solid #eee; }
</style></head><body>
<h1>{{ w.heading }}</h1>
<p>{{ w.signed_in }} <b id="status-user">{{ user.name }}</b> ({{ role }}, {{ scope_label }}) · <a href="/logout">{{ w.sign_out }}</a>
{% if dashboard %} · <a href="{{ dashboard }}" id="status-dashboard">{{ w.open_dashboard }}</a>{% endif %}</p>
<p id="status-summary">{{ w.data_from }} <b>{{ first or "–" }}</b> {{ w.to }} <b>{{ last or "–" }}</b>:
 {{ units }} {{ w.units_in }} {{ regions }}{% if s %}; {{ "{:,}".format(s.rows.latest) }} {{ w.rows }}
 ({{ "{:,}".format(s.rows.revisions) }} {{ w.with_revisions }}), {{ "{:,}".format(s.quarantine.rows) }} {{ w.in_quarantine }}{% endif %}.</p>
<h2>{{ w.fever_heading }}</h2>
{% if chart %}<svg id="status-chart" width="{{ chart.width }}" height="{{ chart.height }}" role="img"
 aria-label="{{ w.fever_aria }}">{% for points in chart.lines %}<polyline fill="none" stroke="#c62828" stroke-width="2" points="{{ points }}"/>{% endfor %}
 <text x="4" y="14" font-size="12">{{ w.max }} {{ "{:,}".format(chart.max) }}</text>
 <text x="4" y="{{ chart.height - 6 }}" font-size="11" fill="#555">{{ chart.first }}</text>
 <text x="{{ chart.width - 4 }}" y="{{ chart.height - 6 }}" font-size="11" fill="#555" text-anchor="end">{{ chart.last }}</text></svg>
{% if chart.hidden %}<p id="status-suppressed">{{ not_drawn }} {{ suppressed }}</p>{% endif %}{% else %}<p>{{ w.no_data }}</p>{% endif %}
<h2>{{ w.feeds }}</h2>
<table id="status-feeds"><tr><th>{{ w.feed }}</th><th>{{ w.kind }}</th><th>{{ w.batches }}</th><th>{{ w.failed }}</th><th>{{ w.last_batch }}</th><th>{{ w.last_good }}</th></tr>
{% for f in feeds %}<tr><td>{{ f.name }}</td><td>{{ say.kind(f.kind) }}</td><td>{{ f.batches }}</td>
<td class="{{ 'failed' if f.failed_batches else '' }}">{{ f.failed_batches }}</td><td>{{ f.last_batch_at }}</td><td>{{ f.last_good_batch_at }}</td></tr>{% endfor %}
</table>
{% if s %}<h2>{{ w.last_batches }}</h2>
<table id="status-batches"><tr><th>{{ w.batch }}</th><th>{{ w.feed }}</th><th>{{ w.source }}</th><th>{{ w.status }}</th><th>{{ w.new }}</th><th>{{ w.revised }}</th><th>{{ w.rejected }}</th><th>{{ w.message }}</th></tr>
{% for b in s.last_batches %}<tr><td>{{ b.batch_id }}</td><td>{{ b.feed }}</td><td>{{ b.source }}</td>
<td class="{{ b.status }}">{{ say.batch_status(b.status) }}</td><td>{{ b.new_rows }}</td><td>{{ b.revised_rows }}</td><td>{{ b.rejected_rows }}</td><td>{{ say.reason(b.message) }}</td></tr>{% endfor %}
</table>
<h2>{{ w.job_runs }}</h2>
<table id="status-jobs"><tr><th>{{ w.run }}</th><th>{{ w.job }}</th><th>{{ w.started }}</th><th>{{ w.finished }}</th><th>{{ w.status }}</th><th>{{ w.message }}</th></tr>
{% for r in s.job_runs %}<tr><td>{{ r.run_id }}</td><td>{{ say.job(r.job) }}</td><td>{{ r.started_at }}</td><td>{{ r.finished_at }}</td>
<td class="{{ r.status }}">{{ say.job_status(r.status) }}</td><td>{{ say.note(r.message) }}</td></tr>{% endfor %}
</table>{% endif %}
<p>{{ w.json }}: <a href="/api/health">{{ w.health }}</a> · <a href="/api/feeds">{{ w.feeds_link }}</a> · <a href="/api/counts">{{ w.counts }}</a>
 · <a href="/api/alerts">{{ w.alerts }}</a>{% if s %} · <a href="/api/ingest/last">{{ w.last_ingest }}</a> · <a href="/api/status">{{ w.status }}</a>{% endif %}</p>
<footer id="status-classification" style="margin-top:2rem;font-size:0.85rem;color:#52606d">{{ classification }}</footer>
</body></html>"""

ENGLISH_PLURALS = {"province": "provinces", "city": "cities", "county": "counties"}


class Sayer:
    """The page's codes and stored texts in one language, for the template. The English page shows the
    codes themselves (the CLI's and the API's words for them)."""

    def __init__(self, lang: str):
        self.lang = lang

    def _code(self, say, code) -> str:
        return say(code, self.lang) if self.lang == "zh" else str(code)

    def kind(self, code) -> str:
        return self._code(feed_kind_label, code)

    def batch_status(self, code) -> str:
        return self._code(lambda c, lang: BATCH_STATUSES[c].say(lang) if c in BATCH_STATUSES else str(c), code)

    def job(self, code) -> str:
        return self._code(job_label, code)

    def job_status(self, code) -> str:
        return self._code(job_status_label, code)

    def role(self, code) -> str:
        return self._code(role_label, code)

    def reason(self, text) -> str:
        return render_reason(text, self.lang) if text else ""

    def note(self, text) -> str:
        return render_note(text, self.lang) if text else ""


def words(lang: str | None) -> dict[str, str]:
    lang = language(lang)
    return {key: term.say(lang) for key, term in WORDS.items()}


def page_values(lang: str | None, *, user, scope, days: int, hidden: int) -> dict:
    """What the template needs besides the figures: its words, the user's role and scope, the regions."""
    lang = language(lang)
    w = words(lang)
    w["fever_heading"] = WORDS["fever_heading"].say(lang).format(days=days)
    scope_label = scope.index.label(scope.root, lang) if scope.root else w["every_region"]
    return {"lang": lang, "w": w, "say": Sayer(lang), "role": Sayer(lang).role(user.role), "scope_label": scope_label,
            "regions": regions_phrase(scope, lang),
            "not_drawn": WORDS["not_drawn"].say(lang).format(n=hidden)}


def regions_phrase(scope, lang: str) -> str:
    """``1 city, 3 counties`` / ``1个市、3个县（区）``: the levels below the user's region."""
    parts = []
    for level in ("province", "city", "county"):
        n = len(scope.index.codes_at(level, scope.root))
        if n and lang == "zh":
            parts.append(f"{n}个{level_label(level, lang)}")
        elif n:
            parts.append(f"{n} {level if n == 1 else ENGLISH_PLURALS[level]}")
    return ("、" if lang == "zh" else ", ").join(parts) or WORDS["no_regions"].say(lang)
