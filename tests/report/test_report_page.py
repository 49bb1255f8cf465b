"""The dashboard's Reports page and the report files behind the access guard: a user opens the reports of
their own region and below, exact ones only with a role that reads exact counts; this week's report is
built on request. A browser test saves screenshots of the page and of a report."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboards.server import create_server
from surveillance.report import build_report, store_report
from surveillance.report.numbers import parse_week
from surveillance.store.reports import find_report

from ..dashboards.conftest import call_callback, callback_response, signed_in_client
from .conftest import COUNTY, PROVINCE, WEEK

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(report_store):
    store, config = report_store
    server = create_server(store, config, announce=lambda message: None)
    for region, language, exact in ((PROVINCE, "en", False), (COUNTY, "en", True)):
        if find_report(store.cursor(), region=region, week=WEEK, language=language, exact=exact) is None:
            store_report(store, build_report(store, config, region=region, week=parse_week(WEEK), language=language,
                                             exact=exact))
    return store, server


def _page(client, server) -> str:
    answer = call_callback(client, server, "app-page", {"app-url.pathname": "/app/reports", "app-url.search": ""})
    assert answer.status_code == 200
    return json.dumps(callback_response(answer.get_data())["app-page"])


def _ids(page: str) -> set[int]:
    return {int(n) for n in re.findall(r"/app/reports/(\d+)\.html", page)}


def test_a_viewer_builds_this_week_s_report_of_their_county_and_reads_only_theirs(site):
    store, server = site
    client = signed_in_client(server, "vic")
    page = _page(client, server)
    assert "2026-W48" in page and "reports-build" in page
    province = find_report(store.cursor(), region=PROVINCE, week=WEEK, language="en", exact=False)
    exact = find_report(store.cursor(), region=COUNTY, week=WEEK, language="en", exact=True)
    assert province not in _ids(page) and exact not in _ids(page)

    built = call_callback(client, server, "reports-current", {"reports-build.n_clicks": 1})
    assert built.status_code == 200
    mine = find_report(store.cursor(), region=COUNTY, week=WEEK, language="en", exact=False)
    assert mine is not None and mine in _ids(json.dumps(callback_response(built.get_data())))
    answer = client.get(f"/app/reports/{mine}.html")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "Jiangtan District (320102)" in answer.get_data(as_text=True)
    assert "&lt;5" in answer.get_data(as_text=True)  # a viewer's report: small counts suppressed
    pdf = client.get(f"/app/reports/{mine}.pdf")
    if pdf.status_code != 404:  # 404: no Chromium printed it
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.get_data()[:5] == b"%PDF-"
    for other in (province, exact):  # above the viewer's region; exact counts
        assert client.get(f"/app/reports/{other}.html").status_code == 403
        assert client.get(f"/app/reports/{other}.pdf").status_code == 403
    lines = store.cursor().execute("SELECT action FROM audit_log WHERE user_name = 'vic' AND target = 'report'"
                                   " ORDER BY 1").fetchall()
    assert ("export",) in lines and ("refused",) in lines


def test_an_epidemiologist_reads_exact_reports_of_their_city_and_an_admin_every_one(site):
    store, server = site
    province = find_report(store.cursor(), region=PROVINCE, week=WEEK, language="en", exact=False)
    exact = find_report(store.cursor(), region=COUNTY, week=WEEK, language="en", exact=True)
    eve = signed_in_client(server, "eve")
    assert exact in _ids(_page(eve, server)) and province not in _ids(_page(eve, server))
    assert eve.get(f"/app/reports/{exact}.html").status_code == 200
    assert eve.get(f"/app/reports/{province}.html").status_code == 403
    ada = signed_in_client(server, "ada")
    assert {province, exact} <= _ids(_page(ada, server))
    assert ada.get(f"/app/reports/{province}.html").status_code == 200
    assert ada.get("/app/reports/999999.html").status_code == 404
    anonymous = server.test_client().get(f"/app/reports/{province}.html")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                    reason="needs chromium and chromedriver (make system-packages)")
def test_the_reports_page_and_a_report_in_the_browser(site):
    from selenium.webdriver.common.by import By

    from ..dashboards.test_browser import SCREENSHOTS, _login, _screenshot, _wait_drawn, browser as make_browser

    store, server = site
    app = make_server("127.0.0.1", 0, server, threaded=True)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{app.server_port}"
    driver_gen = make_browser.__wrapped__()
    driver = next(driver_gen)
    try:
        _login(driver, base, "ada")
        driver.get(f"{base}/app/reports")
        _wait_drawn(driver, "#reports-table")
        assert "2026-W48" in driver.find_element(By.ID, "reports-current-title").text
        _screenshot(driver, "admin-reports")
        link = driver.find_element(By.CSS_SELECTOR, "#reports-table a.report-link").get_attribute("href")
        driver.get(link)
        assert driver.find_element(By.ID, "headline-figures").is_displayed()
        path = _screenshot(driver, "admin-report-page")
        assert path.exists() and path.parent == SCREENSHOTS
    finally:
        app.shutdown()
        next(driver_gen, None)
