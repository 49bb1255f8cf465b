"""The epidemic situation in headless Chromium: the Indicators page, the trend labels and season status
on the Overview and Trends pages, the forecast card; screenshots in ``var/screenshots/``."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from .test_browser import _login, _logout, _screenshot, _severe, _wait_drawn, browser, pytestmark, site  # noqa: F401


def test_the_situation_pages_show_their_labels(site, browser, dashboard_errors):
    base, _ = site
    _login(browser, base, "eve")
    browser.get(f"{base}/app/indicators?since=2026-08-01&until=2026-11-21")
    _wait_drawn(browser, "#indicators-kpi-717")
    assert "app-nav-indicators" in {e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "#app-nav a")}
    kpis = browser.find_element(By.ID, "indicators-kpis").text
    for words in ("Alerts", "Answered within 24 hours", "Positive predictive value", "7-1-7 targets met",
                  "detection within 7 days"):
        assert words in kpis, kpis
    assert browser.find_elements(By.CSS_SELECTOR, "#indicators-detectors td[data-dash-column='detector']")
    assert browser.find_element(By.ID, "indicators-region").text.startswith("Guangjiao")
    _screenshot(browser, "epidemiologist-indicators")

    browser.get(f"{base}/app/")
    _wait_drawn(browser, "#overview-trend-table")
    trends = browser.find_element(By.ID, "overview-trend-table").text
    assert "Guangjiao" in trends and any(w in trends for w in ("increasing", "stable", "decreasing"))
    seasons = browser.find_element(By.ID, "overview-season-table").text
    assert "Influenza-like illness" in seasons and "no thresholds yet" in seasons  # 60 days: no past season
    badge = browser.find_element(By.CSS_SELECTOR, "#overview-trend-table .situation-badge")
    assert badge.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    _screenshot(browser, "epidemiologist-overview-situation")

    browser.get(f"{base}/app/trends?region=320100&syndrome=ili")
    _wait_drawn(browser, "#trends-season-table")
    assert "Influenza-like illness: visits per week" in browser.find_element(By.ID, "trends-forecast-title").text
    assert "No forecast shown: fewer than 104 weeks of data." in browser.find_element(By.ID, "trends-forecast-note").text
    assert "Influenza-like illness" in browser.find_element(By.ID, "trends-trend-table").text
    _screenshot(browser, "epidemiologist-trends-situation")
    assert _severe(browser) == [] and dashboard_errors.messages() == []
    _logout(browser)
