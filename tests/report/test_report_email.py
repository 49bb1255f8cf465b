"""The Monday emails of the weekly report through a real (loopback) SMTP server: one per subscription with
``report = "weekly"`` and week, in its language, with the PDF attached (HTML when there is no PDF)."""

from __future__ import annotations

from datetime import datetime

import pytest

from surveillance.report import build_report
from surveillance.report.mail import compose_report_email
from surveillance.report.numbers import count, parse_week
from surveillance.report.pdf import find_browser
from surveillance.report.weekly import weekly_report_job
from surveillance.store.reports import list_reports

from ..notify.smtp import SmtpServer
from .conftest import COUNTY, MONDAY, PROVINCE, WEEK
from .test_report import week_figures

pytestmark = pytest.mark.slow


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setenv("SURVEILLANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SURVEILLANCE_SMTP_PORT", str(server.port))
    yield server
    server.stop()


def test_each_subscription_gets_its_week_s_report_once(report_store, smtp):
    store, config = report_store
    first = weekly_report_job(store, config, MONDAY, now=datetime(2026, 11, 30, 7, 30))
    assert (first["week"], first["queued"], first["built"]) == (WEEK, 2, 2)
    assert first["delivery"]["sent"] == 2
    again = weekly_report_job(store, config, MONDAY, now=datetime(2026, 11, 30, 9, 0))  # a retry, a restart
    assert (again["queued"], again["built"]) == (0, 0)
    assert sorted(m["to"][0] for m in smtp.inbox.messages) == ["county-team@example.org", "director@example.org"]

    director = smtp.inbox.to("director@example.org")[0]
    assert director["Subject"] == f"疫情周报 {WEEK}：沙山省 ({PROVINCE})"
    body = director.get_body(("plain",)).get_content()
    visits = week_figures(store, PROVINCE, "province")
    assert f"总就诊人次：{count(visits['visits'], 'zh')}（较上周" in body
    assert "附件为" in body and config.audit.classification in body
    assert "<5：少于5" in body  # the director reads counts as a viewer does
    team = smtp.inbox.to("county-team@example.org")[0]
    assert team["Subject"] == f"Weekly situation report {WEEK}: Jiangtan District ({COUNTY})"
    county = week_figures(store, COUNTY, "county")
    assert f"Fever: {count(county['fever'], 'en')} (vs last week" in team.get_body(("plain",)).get_content()
    for message, language in ((director, "zh"), (team, "en")):
        files = list(message.iter_attachments())
        assert len(files) == 1
        if find_browser() is not None:
            assert files[0].get_content_type() == "application/pdf"
            assert files[0].get_filename().endswith(f"-{WEEK}-{language}.pdf")
            assert files[0].get_content()[:5] == b"%PDF-"
    stored = list_reports(store.cursor())
    mine = stored[stored["week"] == WEEK].set_index("region")
    assert {PROVINCE, COUNTY} <= set(mine.index)
    assert not mine.at[PROVINCE, "exact"] and mine.at[COUNTY, "exact"]
    assert mine.at[PROVINCE, "language"] == "zh"


def test_without_a_pdf_the_html_is_attached(report_store):
    store, config = report_store
    report = build_report(store, config, region=COUNTY, week=parse_week(WEEK), language="en", pdf=False)
    message = compose_report_email(report, sender="s@example.org", recipient="r@example.org",
                                   base_url="https://surveillance.example.org", place="Jiangtan District (320102)")
    files = list(message.iter_attachments())
    assert [f.get_content_type() for f in files] == ["text/html"]
    assert "Weekly epidemic situation report" in files[0].get_content()
    assert "Attached as HTML" in message.get_body(("plain",)).get_content()
    assert "https://surveillance.example.org/app/reports" in message.get_body(("plain",)).get_content()
