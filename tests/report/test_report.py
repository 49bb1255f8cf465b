"""The weekly report on a real demo store: the province and a county, in English and Chinese, as HTML and
PDF; its figures against the store's counts; small counts suppressed for readers without exact counts."""

from __future__ import annotations

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest

from surveillance.report import build_report, write_report
from surveillance.report.numbers import count, parse_week
from surveillance.report.pdf import find_browser
from surveillance.store.counts import read_counts

from .conftest import COUNTY, PROVINCE, WEEK

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CASES = [(PROVINCE, "en"), (PROVINCE, "zh"), (COUNTY, "en"), (COUNTY, "zh")]


@pytest.fixture(scope="module")
def reports(report_store):
    store, config = report_store
    built = {}

    def get(region, language, exact=False):
        key = (region, language, exact)
        if key not in built:
            built[key] = build_report(store, config, region=region, week=parse_week(WEEK), language=language,
                                      exact=exact, pdf=not exact)
        return built[key]

    return get


def week_figures(store, region: str, level: str) -> dict[str, float]:
    """The week's counts per syndrome and all visits, summed straight from the store."""
    week = parse_week(WEEK)
    frame = read_counts(store.cursor(), level=level, start=week.startdate(), end=week.enddate(), within=region)
    frame = frame[frame["region"] == region]
    figures = frame.groupby("syndrome")["count"].sum().to_dict()
    figures["visits"] = frame.groupby("syndrome")["total"].sum().max()
    return figures


@pytest.mark.parametrize("region,language", CASES)
def test_the_report_says_the_week_s_figures_in_html_and_pdf(report_store, reports, region, language):
    from pypdf import PdfReader

    store, config = report_store
    report = reports(region, language)
    page = report.html
    level = "province" if region == PROVINCE else "county"
    figures = week_figures(store, region, level)
    headline = page[page.index("id='headline-figures'"):page.index("id='season'")]
    for measure in ("visits", "fever", "ili"):
        assert count(figures[measure], language) in headline, measure
    assert WEEK in page and ("2026-W49" in page or "2026-W50" in page)  # the forecasts' weeks
    word = {"en": "Weekly epidemic situation report", "zh": "传染病症状监测周报"}[language]
    assert word in page
    assert page.count(config.audit.classification) >= 2  # top and foot
    assert "<script" not in page and "src=" not in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", "")  # self-contained: nothing fetched
    for section in ("headline", "season", "maps", "alerts", "response", "quality", "forecast"):
        assert f"id='{section}'" in page
    if region == PROVINCE:
        assert page.count("<path d=") >= 10 * len(config.syndromes)  # every county on every syndrome's map
        assert "2026年第48周（11月23日—11月29日）" in page if language == "zh" else "week 48 of 2026 (23–29 Nov)" in page
    if find_browser() is None:
        assert report.pdf is None and "Chromium" in report.no_pdf_reason
        return
    reader = PdfReader(BytesIO(report.pdf))
    assert len(reader.pages) >= 2
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    for measure in ("visits", "fever", "ili"):
        assert count(figures[measure], language) in text, measure
    assert WEEK in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    write_report(report, SCREENSHOTS / f"report-{region}-{language}.html")


def test_small_counts_are_suppressed_for_readers_without_exact_counts(report_store, reports):
    store, config = report_store
    shown = reports(COUNTY, "en")
    exact = reports(COUNTY, "en", exact=True)
    rows = exact.content.headline
    small = rows[(rows["count_this"] >= 1) & (rows["count_this"] < config.privacy.min_cell)]
    assert len(small), "the county's facilities have small weekly counts of rare syndromes"
    hidden = shown.content.headline.set_index(["region", "syndrome"])
    for row in small.itertuples():
        assert hidden.at[(row.region, row.syndrome), "hidden_this"]
        assert pd_isna(hidden.at[(row.region, row.syndrome), "count_this"])
    # a hidden count cannot be worked out from the county's total: another part of it is hidden too
    for syndrome, group in shown.content.headline[shown.content.headline["region"] != COUNTY].groupby("syndrome"):
        assert group["hidden_this"].sum() != 1, syndrome
    assert "&lt;5" in shown.html and "id='suppressed'" in shown.html
    assert "id='suppressed'" not in exact.html


def pd_isna(value) -> bool:
    return value != value


def test_the_week_s_alerts_with_their_outcomes_and_the_data_quality(report_store, reports):
    store, _ = report_store
    report = reports(PROVINCE, "en")
    alerts = report.content.alerts
    assert len(alerts) and alerts["actions"].map(lambda a: "opened" in a).sum() >= 1
    closed = alerts[alerts["actions"].map(lambda a: "closed" in a)]
    assert list(closed["outcome"]) == ["not_an_outbreak"]
    assert "not an outbreak" in report.html and "id='alerts-summary'" in report.html
    quality = report.content.quality
    assert list(quality["region"])[0] == PROVINCE and quality["completeness"].between(0, 1).all()
    assert "id='quality-quarantined'" in report.html


def test_the_pdf_is_left_out_with_one_line_without_chromium(report_store, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from surveillance.cli import app

    store, config = report_store
    monkeypatch.setenv("SURVEILLANCE_CHROMIUM", str(tmp_path / "no-such-browser"))
    shutil.copy(config.base_dir / "surveillance.toml", tmp_path / "surveillance.toml")
    out = tmp_path / "week.html"
    # the service's store is open in this process: the command reads the same file read-only through a copy
    copy = tmp_path / "surveillance.duckdb"
    store.con.execute("CHECKPOINT")
    shutil.copy(config.database.path, copy)
    result = CliRunner().invoke(app, ["report", "--config", str(tmp_path / "surveillance.toml"), "--week", WEEK,
                                      "--region", COUNTY, "--language", "zh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and not out.with_suffix(".pdf").exists()
    assert "传染病症状监测周报" in out.read_text(encoding="utf-8")
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("no PDF: headless Chromium was not found")
