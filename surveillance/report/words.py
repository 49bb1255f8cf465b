"""The weekly report's own words in English and Simplified Chinese (codes take theirs from the
vocabulary: syndromes, severities, workflow states, outcomes)."""

from __future__ import annotations

from ..vocabulary import SEASON_LEVELS, SEASON_PHASES, TRENDS, Term, label

TEXT: dict[str, Term] = {
    "title": Term("Weekly epidemic situation report", "传染病症状监测周报"),
    "week": Term("Week", "周次"),
    "region": Term("Region", "地区"),
    "generated": Term("Generated", "生成时间"),
    "data_to": Term("Data to", "数据截至"),
    "headline": Term("This week at a glance", "本周概况"),
    "headline_note": Term("Visits in the week (Monday to Sunday) and the share of all visits with each syndrome, "
                          "against the week before and the same ISO week a year earlier; the trend is the share's "
                          "over the last 12 days (Rnssp's rule).",
                          "本周（周一至周日）就诊人次及各症候群占总就诊的百分比，与上周及去年同期（同一周次）比较；"
                          "趋势为近12天占比的变化（美国疾病预防控制中心的趋势判定规则）。"),
    "measure": Term("Measure", "指标"),
    "all_visits": Term("All visits", "总就诊人次"),
    "this_week": Term("This week", "本周"),
    "last_week": Term("Last week", "上周"),
    "last_year": Term("Same week last year", "去年同期"),
    "vs_last_week": Term("vs last week", "较上周"),
    "vs_last_year": Term("vs last year", "较去年同期"),
    "share": Term("% of visits", "占就诊%"),
    "trend": Term("Trend", "趋势"),
    "by_area": Term("By area", "分地区"),
    "area": Term("Area", "地区"),
    "season": Term("Season status", "流行季状态"),
    "season_note": Term("Weekly share of visits against the Moving Epidemic Method's thresholds from past "
                        "seasons (influenza-like illness: seasons from ISO week 40; HFMD: calendar years).",
                        "每周就诊占比与移动流行区间法根据既往流行季得出的阈值比较（流感样病例：流行季自第40周起；"
                        "手足口病：按日历年）。"),
    "season_col": Term("Season", "流行季"),
    "level": Term("Intensity", "强度"),
    "phase": Term("Phase", "阶段"),
    "threshold": Term("Epidemic threshold", "流行阈值"),
    "started": Term("Epidemic started", "流行开始"),
    "ended": Term("Epidemic ended", "流行结束"),
    "maps": Term("Syndromes by county", "各县（区）症候群分布"),
    "maps_note": Term("Share of all visits with the syndrome this week, by county.",
                      "本周各县（区）该症候群占总就诊的百分比。"),
    "one_county": Term("The report covers one county: its shares are in the headline above.",
                       "本报告仅涉及一个县（区），其占比见上方概况。"),
    "no_shape": Term("No county boundaries configured.", "未配置县（区）边界。"),
    "alerts": Term("Alerts of the week", "本周预警"),
    "alerts_summary": Term("{opened} opened, {escalated} escalated, {closed} closed, {ended} ended",
                           "新开{opened}条，升级{escalated}条，关闭{closed}条，结束{ended}条"),
    "no_alerts": Term("No alert was opened, escalated, closed or ended this week.", "本周无预警开启、升级、关闭或结束。"),
    "alert": Term("Alert", "预警"),
    "syndrome": Term("Syndrome", "症候群"),
    "severity": Term("Severity", "级别"),
    "opened_on": Term("Opened", "开启日期"),
    "this_week_events": Term("This week", "本周变化"),
    "state": Term("State", "处理状态"),
    "outcome": Term("Outcome", "结论"),
    "response": Term("Response to alerts", "预警响应"),
    "response_note": Term("Alerts opened in the period: answered (a person's first action) within 24 hours, "
                          "hours to first action, verification and closure (medians), and the share of closed "
                          "alerts that were confirmed outbreaks.",
                          "期间开启的预警：24小时内响应（首次人工处理）的比例、至首次处理、核实和关闭的时间（中位数，小时），"
                          "以及已关闭预警中确认暴发的比例。"),
    "period": Term("Period", "期间"),
    "period_week": Term("This week", "本周"),
    "period_4w": Term("Last 4 weeks", "近4周"),
    "alerts_n": Term("Alerts", "预警数"),
    "answered_24h": Term("Answered within 24 h", "24小时内响应"),
    "hours_action": Term("Hours to first action", "至首次处理（小时）"),
    "hours_verify": Term("Hours to verification", "至核实（小时）"),
    "hours_close": Term("Hours to closure", "至关闭（小时）"),
    "ppv": Term("Confirmed among closed", "关闭预警中确认暴发"),
    "quality": Term("Data quality", "数据质量"),
    "quality_note": Term("Completeness: units reporting of those that usually report (mean over the week's days); "
                         "timeliness: share of the final counts that arrived by the next day; silent: units that "
                         "report daily but sent nothing for the last days of the week.",
                         "完整率：通常报告的单位中实际报告的比例（本周各日平均）；及时率：次日前到达的数据占最终数据的比例；"
                         "停报：日常每日报告但本周末连续数日未报告的单位。"),
    "completeness": Term("Completeness", "完整率"),
    "timeliness": Term("Timeliness", "及时率"),
    "silent": Term("Silent units", "停报单位"),
    "quarantined": Term("Rows quarantined this week", "本周隔离（拒收）数据行"),
    "silent_list": Term("Silent at the end of the week", "本周末停报单位"),
    "none": Term("none", "无"),
    "forecast": Term("Forecast for the next two weeks", "未来两周预测"),
    "forecast_note": Term("Weekly visits with the syndrome: median and 50% / 90% intervals; only series whose "
                          "forecasts beat the naive baseline in their backtest are shown.",
                          "各症候群每周就诊人次预测：中位数及50%/90%区间；仅列出回测中优于朴素基线的序列。"),
    "forecast_week": Term("Week", "周次"),
    "median": Term("Median", "中位数"),
    "interval50": Term("50% interval", "50%区间"),
    "interval90": Term("90% interval", "90%区间"),
    "no_forecast": Term("No forecast beat the naive baseline for these series.", "无优于朴素基线的预测。"),
    "footer": Term("Aggregated counts only; no patient data.", "仅含汇总数据，不含任何患者信息。"),
    "email_subject": Term("Weekly situation report {week}: {region}", "疫情周报 {week}：{region}"),
    "email_intro": Term("The weekly situation report for {region}, {span}, is attached.",
                        "附件为{region}{span}的疫情周报。"),
    "email_attached_html": Term("(Attached as HTML: no PDF printer was available.)",
                                "（附件为网页格式：未能生成PDF。）"),
    "everywhere": Term("All regions", "全部地区"),
    "no_data": Term("no data", "无数据"),
    "reports": Term("Weekly reports", "周报"),
    "reports_current": Term("This week's report", "本周周报"),
    "reports_build": Term("Build it now", "立即生成"),
    "reports_missing": Term("Not built yet.", "尚未生成。"),
    "reports_past": Term("Past reports", "往期周报"),
    "reports_open": Term("Open", "查看"),
    "reports_pdf": Term("PDF", "PDF"),
    "reports_created": Term("Created", "生成时间"),
    "reports_language": Term("Language", "语言"),
    "reports_counts": Term("Counts", "计数"),
    "counts_exact": Term("exact", "精确"),
    "counts_suppressed": Term("small counts suppressed", "小数值已隐藏"),
    "reports_none": Term("No reports yet.", "暂无周报。"),
}

# Trend labels, season levels and phases take the vocabulary's words and colours (TRENDS, SEASON_LEVELS).
LEVEL_COLOURS = {code: tone.colour for code, tone in SEASON_LEVELS.items()}
LEVEL_INKS = {code: tone.ink for code, tone in SEASON_LEVELS.items()}
NO_MODEL = Term("too few past seasons", "既往流行季不足")


def say(key: str, lang: str | None, **values) -> str:
    text = TEXT[key].say(lang)
    return text.format(**values) if values else text


def trend_word(code, lang: str | None) -> str:
    return label(TRENDS, code, lang) if isinstance(code, str) else "–"


def level_word(code, lang: str | None) -> str:
    return label(SEASON_LEVELS, code, lang) if isinstance(code, str) else NO_MODEL.say(lang)


def phase_word(code, lang: str | None) -> str:
    return label(SEASON_PHASES, code, lang) if isinstance(code, str) else "–"
