"""The dashboard's own words in English and Simplified Chinese, and how dates and weeks are written.

The words of codes (syndromes, age groups, severities, workflow states, alert kinds, region
levels, measures) are the library's, in :mod:`surveillance.vocabulary`, shared with the emails.

Each user's language is stored with the user (``users.language``) and switched from the header.
Weeks are ISO weeks (Monday to Sunday), as in the store's weekly panels.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from surveillance.vocabulary import language

STRINGS: dict[str, tuple[str, str]] = {
    # shell
    "app.title": ("Syndromic surveillance", "症状监测预警"),
    "nav.overview": ("Overview", "概览"),
    "nav.trends": ("Trends", "趋势"),
    "nav.quality": ("Data quality", "数据质量"),
    "nav.jobs": ("Jobs", "任务"),
    "nav.reports": ("Reports", "周报"),
    "nav.status": ("Service status", "服务状态"),
    "logout": ("Sign out", "退出"),
    "role.viewer": ("viewer", "查看者"),
    "role.epidemiologist": ("epidemiologist", "流行病学专业人员"),
    "role.admin": ("administrator", "管理员"),
    "scope.all": ("all regions", "全部地区"),
    "not_found": ("There is no page at this address.", "此地址没有页面。"),
    "forbidden": ("This page is for administrators.", "此页面仅供管理员使用。"),
    "no_data": ("No data", "无数据"),
    "select": ("Select...", "请选择…"),
    "loading": ("Loading…", "加载中…"),
    # login
    "login.title": ("Sign in", "登录"),
    "login.name": ("User name", "用户名"),
    "login.password": ("Password", "密码"),
    "login.submit": ("Sign in", "登录"),
    "login.failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "login.locked": ("Too many failed attempts; try again in a few minutes.", "失败次数过多，请几分钟后再试。"),
    "login.signed_out": ("You have signed out.", "您已退出。"),
    # overview
    "overview.title": ("Today at a glance", "今日概览"),
    "overview.day": ("Data day", "数据日期"),
    "overview.syndrome": ("Syndrome", "症候群"),
    "overview.visits_today": ("{syndrome} visits", "{syndrome}就诊人次"),
    "overview.vs_usual": ("usual {expected} (same weekday, 4 weeks before)", "平常 {expected}（前4周同一星期几的平均）"),
    "overview.percent": ("{syndrome} as % of all visits", "{syndrome}占总就诊的百分比"),
    "overview.percent_usual": ("usual {expected}", "平常 {expected}"),
    "overview.completeness": ("Reporting completeness", "报告完整率"),
    "overview.completeness_detail": ("{reporting} of {usual} usually reporting units",
                                     "{usual} 个常规报告单位中 {reporting} 个已报告"),
    "overview.map": ("Observed / expected by county", "各县（区）观察值/期望值"),
    "overview.map_hint": ("Expected: the same weekday's average over the 4 weeks before. Click a county for its trends.",
                          "期望值：前4周同一星期几的平均值。点击县（区）查看趋势。"),
    "overview.high": ("Counties at 1.5 × usual or more", "达到平常1.5倍及以上的县（区）"),
    "overview.high_detail": ("of {n} counties with a usual", "共 {n} 个有基线的县（区）"),
    "overview.ranking": ("Highest observed / expected", "观察值/期望值最高"),
    "overview.recent": ("{syndrome} visits per day, last 8 weeks", "近8周每日{syndrome}就诊人次"),
    "overview.usual_line": ("usual (4-week same-weekday average)", "平常（前4周同一星期几平均）"),
    # common words
    "word.observed": ("observed", "观察值"),
    "word.seconds": ("s", "秒"),
    "freq.daily": ("daily", "按日"),
    "freq.weekly": ("weekly", "按周"),
    "word.expected": ("expected", "期望值"),
    "word.ratio": ("obs/exp", "观察/期望"),
    "word.region": ("region", "地区"),
    "word.code": ("code", "编码"),
    "word.visits": ("visits", "就诊人次"),
    "word.percent": ("% of visits", "占就诊百分比"),
    "word.completeness": ("completeness", "完整率"),
    "word.date": ("date", "日期"),
    "word.week": ("week", "周"),
    # trends
    "trends.title": ("Trends", "趋势"),
    "trends.region": ("Region", "地区"),
    "trends.down": ("Go down to", "下钻到"),
    "trends.syndromes": ("Syndromes", "症候群"),
    "trends.ages": ("Age groups (none: all ages)", "年龄组（不选：全部年龄）"),
    "trends.measure": ("Measure", "指标"),
    "trends.freq": ("Period", "时间单位"),
    "trends.daily": ("daily", "每日"),
    "trends.weekly": ("ISO week", "周（周一至周日）"),
    "trends.range": ("Time span", "时间范围"),
    "trends.range.90": ("90 days", "90天"),
    "trends.range.365": ("1 year", "1年"),
    "trends.range.1095": ("3 years", "3年"),
    "trends.range.all": ("all", "全部"),
    "trends.smooth": ("Moving average", "移动平均"),
    "trends.smooth.0": ("none", "无"),
    "trends.smooth.7": ("7 days / 2 weeks", "7天/2周"),
    "trends.smooth.28": ("28 days / 4 weeks", "28天/4周"),
    "trends.overlay": ("Year over year", "逐年对比"),
    "trends.overlay.on": ("overlay the seasons", "按季节叠加各年"),
    "trends.children": ("{level} in {region}, last 7 days (click to go down)", "{region}下属{level}，近7天（点击下钻）"),
    "trends.series_title": ("{what}: {measure} per {freq}, {region}", "{region}，{what}：每{freq}{measure}"),
    "trends.season_axis": ("week of the year (ISO)", "年内周次（周一至周日）"),
    "trends.season_axis_day": ("day of the year", "年内天数"),
    # data quality
    "quality.title": ("Data quality", "数据质量"),
    "quality.county": ("County", "县（区）"),
    "quality.days": ("Days", "天数"),
    "quality.heatmap": ("Reporting by unit and day", "各单位每日报告情况"),
    "quality.on_time": ("on time", "及时"),
    "quality.late": ("late (after the next day)", "迟报（次日之后）"),
    "quality.revised": ("revised later", "后来修订"),
    "quality.missing": ("no report", "未报告"),
    "quality.revisions": ("Late revisions", "迟到的修订"),
    "quality.quarantine": ("Quarantined rows", "隔离的数据行"),
    "quality.feeds": ("Feeds", "数据源"),
    "quality.none_quarantined": ("No quarantined rows.", "没有隔离的数据行。"),
    "quality.none_revised": ("No revisions in this period.", "此期间没有修订。"),
    "col.date": ("date", "日期"),
    "col.unit": ("unit", "单位"),
    "col.syndrome": ("syndrome", "症候群"),
    "col.age_group": ("age group", "年龄组"),
    "col.total_before": ("all visits before", "修订前总就诊"),
    "col.total_after": ("all visits after", "修订后总就诊"),
    "col.changes": ("counts changed", "变化的计数"),
    "col.revision": ("revision", "版本"),
    "col.received_at": ("received", "接收时间"),
    "col.feed": ("feed", "数据源"),
    "col.source": ("source", "来源"),
    "col.row": ("row", "行"),
    "col.field": ("field", "字段"),
    "col.value": ("value", "值"),
    "col.reason": ("reason", "原因"),
    "col.quarantined_at": ("quarantined", "隔离时间"),
    "col.batches": ("batches (7 days)", "批次（7天）"),
    "col.failed": ("failed (7 days)", "失败（7天）"),
    "col.rows": ("rows (7 days)", "行数（7天）"),
    "col.last_batch": ("last batch", "最近批次"),
    "col.last_good": ("last good batch", "最近成功批次"),
    "col.last_message": ("last message", "最近消息"),
    "col.run": ("run", "运行编号"),
    "col.job": ("job", "任务"),
    "col.started": ("started", "开始"),
    "col.finished": ("finished", "结束"),
    "col.duration": ("seconds", "耗时（秒）"),
    "col.status": ("status", "状态"),
    "col.message": ("message", "消息"),
    "col.next_run": ("next run", "下次运行"),
    # jobs
    "jobs.title": ("Jobs", "任务"),
    "jobs.runs": ("Recent runs", "最近运行"),
    "jobs.durations": ("Run durations", "运行耗时"),
    "jobs.failures": ("failed runs in the last 7 days: {n}", "近7天失败 {n} 次"),
    "jobs.next": ("Next scheduled runs", "下次计划运行"),
    "jobs.no_schedule": ("The schedule is not known to this server.", "此服务器不了解任务计划。"),
    # alerts
    "nav.alerts": ("Alerts", "预警"),
    "nav.clusters": ("Clusters", "时空聚集"),
    "alerts.title": ("Alerts", "预警信号"),
    "alerts.severity": ("Severity", "级别"),
    "alerts.state": ("Workflow state", "处理状态"),
    "alerts.syndrome": ("Syndrome", "症候群"),
    "alerts.kind": ("Kind", "类型"),
    "alerts.include_ended": ("include ended and closed alerts", "包括已结束和已关闭的预警"),
    "alerts.count": ("{n} alerts", "共 {n} 条预警"),
    "alerts.none": ("No alerts match.", "没有符合条件的预警。"),
    "alerts.active": ("Active alerts", "当前预警"),
    "alerts.active_detail": ("{red} red · {yellow} yellow", "红色 {red} · 黄色 {yellow}"),
    "alerts.newest": ("Alerts that matter most", "最需关注的预警"),
    "alerts.all": ("all alerts", "全部预警"),
    "alerts.ended": ("ended", "已结束"),
    "alerts.running": ("running", "持续中"),
    "alerts.incomplete": ("incomplete data", "数据不完整"),
    "col.alert": ("alert", "预警"),
    "col.rank": ("rank", "排序"),
    "col.why": ("why", "原因"),
    "col.severity": ("severity", "级别"),
    "col.state": ("state", "状态"),
    "col.kind": ("kind", "类型"),
    "col.region": ("region", "地区"),
    "col.opened": ("opened", "开始"),
    "col.last_signal": ("last signal", "最近信号"),
    "col.ended": ("ended", "结束"),
    "col.detectors": ("detectors", "检测方法"),
    "col.detector": ("detector", "检测方法"),
    "col.observed": ("observed", "观察值"),
    "col.expected": ("expected", "期望值"),
    "col.upperbound": ("threshold", "阈值"),
    "col.pvalue": ("p-value", "P值"),
    "col.completeness": ("completeness", "完整率"),
    "col.as_of": ("data as of", "数据截至"),
    "col.detail": ("detail", "说明"),
    "col.time": ("time", "时间"),
    "col.user": ("user", "用户"),
    "col.action": ("action", "操作"),
    "col.change": ("change", "变化"),
    "col.note": ("note", "备注"),
    "col.total_7": ("7 days", "7天合计"),
    "col.share": ("share", "占比"),
    "col.in_alert": ("in this alert", "属于本预警"),
    "col.regions": ("regions", "地区"),
    "col.centre": ("centre", "中心"),
    "col.days": ("days", "天数"),
    "col.recurrence": ("recurrence interval", "重现间隔"),
    "col.rr": ("relative risk", "相对危险度"),
    # alert detail
    "alert.title": ("Alert {id}: {syndrome}, {region}", "预警 {id}：{region} {syndrome}"),
    "alert.not_found": ("There is no alert {id} among your regions.", "您的地区中没有预警 {id}。"),
    "alert.back": ("‹ all alerts", "‹ 全部预警"),
    "alert.summary": ("{kind} · {age} · opened {opened} · last signal {last}", "{kind} · {age} · 开始于 {opened} · 最近信号 {last}"),
    "alert.series": ("Counts, expected and threshold", "计数、期望值与阈值"),
    "alert.series_hint": ("Expected and threshold come from the detector's judgement of each day; marked days are the alert's signals.",
                          "期望值与阈值来自检测方法对每日的判断；标记的日期为本预警的信号。"),
    "alert.threshold": ("threshold (upper bound)", "阈值（上限）"),
    "alert.signal": ("signal", "信号"),
    "alert.evidence": ("Evidence", "证据"),
    "alert.parameters": ("Detectors and parameters", "检测方法与参数"),
    "alert.default_params": ("default parameters", "默认参数"),
    "alert.ages": ("By age group, last 7 days", "按年龄组，近7天"),
    "alert.neighbours": ("Neighbouring regions, last 7 days", "相邻地区，近7天"),
    "alert.no_neighbours": ("No neighbouring regions among yours.", "您的地区中没有相邻地区。"),
    "alert.workflow": ("Workflow", "处理流程"),
    "alert.state_now": ("State: {state}", "状态：{state}"),
    "alert.outcome_now": ("outcome: {outcome}", "结论：{outcome}"),
    "alert.note": ("Note (who was called, what was found)", "备注（联系了谁，发现了什么）"),
    "alert.outcome": ("Outcome (to close)", "结论（关闭时填写）"),
    "alert.outbreak_start": ("Outbreak began on (when closing as a confirmed outbreak)", "暴发开始日期（以确认暴发关闭时填写）"),
    "alert.read_only": ("Epidemiologists and administrators act on alerts; you can follow its state and history.",
                        "流行病学专业人员和管理员可以处理预警；您可以查看其状态和历史。"),
    "alert.history": ("History", "历史记录"),
    "alert.done": ("{state} (recorded).", "已记录：{state}。"),
    "alert.note_added": ("Note recorded.", "备注已记录。"),
    "alert.need_note": ("Write a note first.", "请先填写备注。"),
    "alert.refused": ("Not allowed.", "不允许此操作。"),
    "alert.no_series": ("No count series for this alert.", "此预警没有计数序列。"),
    "action.verifying": ("Verify", "核实"),
    "action.monitoring": ("Monitor", "监测"),
    "action.investigating": ("Investigate", "调查"),
    "action.closed": ("Close", "关闭"),
    "action.note": ("Add note", "添加备注"),
    "action.reopen": ("Reopen: {state}", "重新开启：{state}"),
    # clusters
    "clusters.title": ("Space-time clusters", "时空聚集"),
    "clusters.days": ("Last days", "最近天数"),
    "clusters.none": ("No space-time clusters in the last {n} days.", "最近 {n} 天没有时空聚集。"),
    "clusters.map": ("Cluster regions (marker: centre)", "聚集地区（标记：中心）"),
    "clusters.list": ("Clusters", "聚集列表"),
    "clusters.recurrence": ("once in {n} days", "每 {n} 天一次"),
    "clusters.centre": ("centre", "中心"),
    "clusters.count": ("{n} clusters with a signal in the last {days} days", "最近 {days} 天有信号的聚集 {n} 个"),
    "clusters.window": ("{n} days: {window}", "{n} 天：{window}"),
    "clusters.window1": ("1 day: {window}", "1 天：{window}"),
    "clusters.signal_days": ("signals on {days}", "信号日期：{days}"),
    # changing one's password
    "password.link": ("Password", "修改密码"),
    "password.title": ("Change your password", "修改密码"),
    "password.must": ("Your password is a one-time password: choose your own to go on.",
                      "您的密码是一次性密码，请设置自己的密码后继续。"),
    "password.current": ("Current (or one-time) password", "当前密码（或一次性密码）"),
    "password.new": ("New password", "新密码"),
    "password.repeat": ("New password again", "再次输入新密码"),
    "password.submit": ("Change password", "修改密码"),
    "password.expired": ("The form expired; try again.", "表单已过期，请重试。"),
    "password.wrong": ("The current password is wrong.", "当前密码错误。"),
    "password.mismatch": ("The two new passwords differ.", "两次输入的新密码不一致。"),
    "password.same": ("Choose a new password, not the current one.", "新密码不能与当前密码相同。"),
    "password.weak": ("The new password needs at least {n} characters and no spaces at its ends.",
                      "新密码至少需要 {n} 个字符，且首尾不能有空格。"),
    # administration: users
    "nav.users": ("Users", "用户"),
    "nav.audit": ("Audit trail", "审计记录"),
    "users.title": ("Users", "用户管理"),
    "users.add": ("Add a user", "添加用户"),
    "users.name": ("User name", "用户名"),
    "users.role": ("Role", "角色"),
    "users.region": ("Region", "地区"),
    "users.language": ("Language", "语言"),
    "users.add_button": ("Add, with a one-time password", "添加（生成一次性密码）"),
    "users.change": ("Change a user", "修改用户"),
    "users.pick": ("User", "用户"),
    "users.save": ("Save role and region", "保存角色和地区"),
    "users.reset": ("Reset password", "重置密码"),
    "users.disable": ("Disable", "停用"),
    "users.enable": ("Enable again", "重新启用"),
    "users.list": ("Accounts", "账户列表"),
    "users.added": ("User {name} added. Their one-time password, shown only now (to be changed at the first "
                    "sign-in):", "已添加用户 {name}。其一次性密码仅显示这一次（首次登录时须修改）："),
    "users.reset_done": ("New one-time password of {name}, shown only now (to be changed at the next sign-in; their "
                         "sessions ended):", "{name} 的新一次性密码仅显示这一次（下次登录时须修改；其会话已结束）："),
    "users.disabled_done": ("{name} is disabled: their sessions ended and their API tokens were revoked.",
                            "已停用 {name}：其会话已结束，API令牌已撤销。"),
    "users.enabled_done": ("{name} may sign in again (revoked tokens stay revoked).",
                           "{name} 可以重新登录（已撤销的令牌保持撤销）。"),
    "users.changed_done": ("{name}: {role}, {region}. Their sessions ended and their API tokens were revoked.",
                           "{name}：{role}，{region}。其会话已结束，API令牌已撤销。"),
    "users.unchanged": ("Nothing to change.", "没有需要修改的内容。"),
    "users.pick_first": ("Choose a user first.", "请先选择用户。"),
    "users.not_done": ("Not done: {reason}", "未完成：{reason}"),
    "users.state.active": ("active", "正常"),
    "users.state.disabled": ("disabled", "已停用"),
    "users.state.must_change": ("must change password", "须修改密码"),
    "users.tokens_link": ("API tokens ›", "API令牌 ›"),
    "col.name": ("name", "用户名"),
    "col.role": ("role", "角色"),
    "col.language": ("language", "语言"),
    "col.created": ("created", "创建时间"),
    "col.sessions": ("sessions", "会话数"),
    "col.tokens": ("live tokens", "有效令牌"),
    "col.address": ("address", "地址"),
    "col.target": ("target", "对象"),
    "col.token": ("token", "令牌"),
    "col.label": ("label", "标签"),
    "col.expires": ("expires", "过期时间"),
    "col.created_by": ("made by", "创建者"),
    # administration: API tokens
    "tokens.title": ("API tokens", "API令牌"),
    "tokens.back": ("‹ users", "‹ 用户"),
    "tokens.create": ("Create a read-only token", "创建只读令牌"),
    "tokens.user": ("Reads as user", "以此用户身份读取"),
    "tokens.region": ("Region (inside the user's; empty: the user's)", "地区（在该用户范围内；留空：该用户的地区）"),
    "tokens.label": ("Label (what it is for)", "标签（用途）"),
    "tokens.days": ("Expires after days (empty: never)", "有效天数（留空：不过期）"),
    "tokens.create_button": ("Create", "创建"),
    "tokens.created": ("Token {id} for {user}. Its secret, shown only now (send it as Authorization: Bearer …):",
                       "已为 {user} 创建令牌 {id}。其密钥仅显示这一次（以 Authorization: Bearer … 发送）："),
    "tokens.revoke": ("Revoke a token", "撤销令牌"),
    "tokens.revoke_button": ("Revoke", "撤销"),
    "tokens.revoked": ("Token {id} of {user} revoked.", "已撤销 {user} 的令牌 {id}。"),
    "tokens.list": ("Tokens", "令牌列表"),
    "tokens.state.active": ("active", "有效"),
    "tokens.state.revoked": ("revoked", "已撤销"),
    "tokens.state.expired": ("expired", "已过期"),
    # administration: the audit trail
    "audit.title": ("Audit trail", "审计记录"),
    "audit.user": ("User", "用户"),
    "audit.action": ("Action", "操作"),
    "audit.dates": ("Days", "日期范围"),
    "audit.from": ("from", "开始日期"),
    "audit.to": ("to", "结束日期"),
    "audit.count": ("{n} lines match; the newest {shown} are shown.", "共 {n} 条符合条件，显示最新的 {shown} 条。"),
    "audit.export": ("Export CSV", "导出CSV"),
    "audit.keep": ("Lines are kept {days} days, then deleted by the daily cycle.", "记录保留 {days} 天，之后由每日任务删除。"),
    "audit.too_many": ("Only the newest {n} lines were exported; narrow the filters for the rest.",
                       "仅导出了最新的 {n} 条；请缩小筛选范围导出其余记录。"),
    # exports
    "export.csv": ("Download CSV", "下载CSV"),
    # the epidemic situation (Overview, Trends) and the response indicators page
    "situation.title": ("Epidemic situation", "疫情态势"),
    "situation.trends": ("Trend of the share of visits, last 12 days", "近12天就诊占比趋势"),
    "situation.trend_hint": ("Increasing or decreasing: the syndrome's share of all visits changed significantly over "
                             "the 12 days (p < 0.01, the rule of CDC's Rnssp); 10 or fewer visits: insufficient data.",
                             "上升或下降：12天内该症候群占总就诊的比例变化显著（p < 0.01，采用美国疾病预防控制中心的趋势判定规则）；"
                             "就诊不超过10人次：数据不足。"),
    "situation.trend_cell": ("{percent} of visits; p = {p}", "占就诊 {percent}；p = {p}"),
    "situation.season": ("Season status, {week}", "流行季状态，{week}"),
    "situation.season_hint": ("Level of the week's share of visits against thresholds from the past seasons "
                              "(Moving Epidemic Method); the week the epidemic started.",
                              "本周就诊占比相对既往流行季阈值的流行强度（移动流行区间法），及流行开始周。"),
    "situation.started": ("started {week}", "{week}开始"),
    "situation.not_started": ("not started", "未开始"),
    "situation.no_level": ("no thresholds yet (too few past seasons)", "暂无阈值（既往流行季不足）"),
    "situation.forecast": ("{syndrome}: visits per week and the forecast 1-4 weeks ahead",
                           "{syndrome}：每周就诊人次及未来1-4周预测"),
    "situation.forecast_hint": ("Forecast: median with 50% and 90% intervals, shown where the model beat the naive "
                                "baseline over the past year's weeks.",
                                "预测：中位数及50%、90%区间；仅在过去一年回测中优于朴素基线时显示。"),
    "situation.forecast_some": ("Forecast shown where the model beat the naive baseline; not {weeks} week(s) ahead.",
                                "仅显示优于朴素基线的预测；未显示提前 {weeks} 周的预测。"),
    "situation.forecast_none": ("No forecast shown: {why}.", "不显示预测：{why}。"),
    "situation.why.not_better": ("the model did not beat the naive baseline on this series",
                                 "该序列上模型未优于朴素基线"),
    "situation.why.insufficient_history": ("fewer than 104 weeks of data", "数据不足104周"),
    "situation.why.no_recent_value": ("no data in the last 3 weeks", "近3周无数据"),
    "situation.why.no_data": ("no data", "无数据"),
    "situation.why.exact_only": ("forecasts are shown to users who read exact counts", "预测仅向可查看精确计数的用户显示"),
    "situation.median": ("forecast (median)", "预测（中位数）"),
    "situation.band50": ("50% interval", "50%区间"),
    "situation.band90": ("90% interval", "90%区间"),
    "nav.indicators": ("Indicators", "响应指标"),
    "indicators.title": ("How fast were alerts answered?", "预警响应是否及时？"),
    "indicators.period": ("Alerts opened", "预警开启日期"),
    "indicators.region": ("Region", "地区"),
    "indicators.from": ("From", "起始日期"),
    "indicators.to": ("To", "截止日期"),
    "indicators.alerts": ("Alerts", "预警数"),
    "indicators.alerts_detail": ("{closed} closed; {pending} opened less than 24 h ago, not answered yet",
                                 "已关闭 {closed} 起；{pending} 起开启不足24小时、尚未响应"),
    "indicators.answered": ("Answered within 24 hours", "24小时内响应"),
    "indicators.answered_detail": ("median {hours} h to the first action", "首次响应中位 {hours} 小时"),
    "indicators.ppv": ("Positive predictive value", "阳性预测值"),
    "indicators.ppv_detail": ("{confirmed} confirmed outbreaks of {closed} closed with an outcome",
                              "在 {closed} 起有结论的预警中确认暴发 {confirmed} 起"),
    "indicators.717": ("7-1-7 targets met", "达到7-1-7目标"),
    "indicators.717_detail": ("of {n} confirmed outbreaks with a start date", "共 {n} 起有开始日期的确认暴发"),
    "indicators.717_parts": ("detection within 7 days {detect} · notification within 1 day {notify} · "
                             "response within 7 days {respond}",
                             "7天内发现 {detect} · 1天内通报 {notify} · 7天内响应 {respond}"),
    "indicators.table": ("Per detector and syndrome", "按检测方法和症候群"),
    "indicators.hint": ("First action: the first note or change by a person. 7-1-7: the outbreak detected within 7 "
                        "days of its start, the alert answered within 1 day, investigated or closed within 7 days "
                        "of that.", "首次响应：人员的首条备注或状态变更。7-1-7：暴发开始后7天内发现，"
                        "预警后1天内响应，其后7天内开展调查或关闭。"),
    "col.alerts": ("alerts", "预警数"),
    "col.answered_24h": ("answered in 24 h", "24小时内响应"),
    "col.hours_action": ("median h to action", "首次响应中位小时"),
    "col.hours_verification": ("median h to verify", "核实中位小时"),
    "col.hours_closure": ("median h to close", "关闭中位小时"),
    "col.closed_outcome": ("closed", "已关闭"),
    "col.confirmed": ("confirmed", "确认暴发"),
    "col.ppv": ("PPV", "阳性预测值"),
    "col.share_717": ("7-1-7 met", "达到7-1-7"),
    # tables
    "table.filter": ("filter data...", "筛选数据…"),
}

WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "zh": ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]}


def t(key: str, lang: str | None, **values) -> str:
    """The text of ``key`` in ``lang`` (English for an unknown language); ``values`` fill ``{...}``."""
    pair = STRINGS.get(key)
    text = key if pair is None else pair[1 if language(lang) == "zh" else 0]
    return text.format(**values) if values else text


def calendar(lang: str | None) -> dict:
    """A date picker's month heading in ``lang`` (``2026年11月``; English keeps the picker's own)."""
    return {"month_format": "YYYY年M月"} if language(lang) == "zh" else {}


def listing(items, lang: str | None) -> str:
    """Items of a list in a line: ``A, B`` / ``A、B``."""
    return ("、" if language(lang) == "zh" else ", ").join(items)


def aside(text: str, lang: str | None) -> str:
    """Words in brackets after others: `` (daily)`` / ``（按日）``."""
    return f"（{text}）" if language(lang) == "zh" else f" ({text})"


def iso_week(day) -> tuple[int, int]:
    year, week, _ = pd.Timestamp(day).isocalendar()
    return int(year), int(week)


def week_label(day, lang: str | None) -> str:
    """The ISO week of ``day``: ``2026-W47`` / ``2026年第47周``."""
    year, week = iso_week(day)
    return f"{year}年第{week}周" if language(lang) == "zh" else f"{year}-W{week:02d}"


def week_span(monday, lang: str | None) -> str:
    """An ISO week by its days: ``2026-W47 (16-22 Nov)`` / ``2026年第47周（11月16日-22日）``."""
    start = pd.Timestamp(monday)
    end = start + pd.Timedelta(days=6)
    if language(lang) == "zh":
        last = f"{end.month}月{end.day}日" if end.month != start.month else f"{end.day}日"
        return f"{week_label(start, lang)}（{start.month}月{start.day}日-{last}）"
    first = start.strftime("%-d %b") if start.month != end.month else str(start.day)
    return f"{week_label(start, lang)} ({first}-{end.strftime('%-d %b')})"


def date_label(day, lang: str | None, *, weekday: bool = True, week: bool = False) -> str:
    """``Thu 19 Nov 2026`` / ``2026年11月19日 星期四``, optionally with the ISO week."""
    if day is None or (not isinstance(day, (str, date)) and pd.isna(day)):
        return "–"
    d = pd.Timestamp(day)
    name = WEEKDAYS[language(lang)][d.dayofweek]
    if language(lang) == "zh":
        text = f"{d.year}年{d.month}月{d.day}日" + (f" {name}" if weekday else "")
        return text + (f"，{week_label(d, lang)}" if week else "")
    text = (f"{name} " if weekday else "") + f"{d.day} {d.strftime('%b')} {d.year}"
    return text + (f", week {week_label(d, lang)}" if week else "")


def number(value, lang: str | None = None, digits: int = 0) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{100 * value:.{digits}f}%"
