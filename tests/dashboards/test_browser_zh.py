"""The Chinese edition in headless Chromium: an administrator switches to Chinese and walks every page of the
navigation, an alert's page (a data-quality alert's too) and the API tokens, and no page shows an English word.

A word here is a run of two or more ASCII letters in what the reader sees: the page's text, the charts' text
(axes, legends, annotations), the placeholders of inputs and tables and the charts' button titles. Codes,
numbers and dates have no such run (``320102``, ``F320102001``, ``2026年11月20日``); what may still have one
is the short list below, what people typed (user names, token labels, their notes: the store says which;
the other tests of the package share the store and type English), text the page marks as code (``<code>``:
a detector's configured parameters) and the error of a failed job run (quoted as the failing part, a feed
or the database, said it).
Screenshots land in ``var/screenshots/zh-*.png``.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from surveillance.notes import SEPARATOR, render

from .test_browser import _login, _screenshot, _wait_drawn, browser, site  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

# Words a Chinese page may show besides what people typed (typed_words): the feed's name (the configuration's),
# the file format of the exports, the API (the service's interface for programs, named so in Chinese too)
# and the language switch's "English" (each language is offered in its own words).
ALLOWED = {"clinics", "CSV", "API", "English"}
WORD = re.compile(r"[A-Za-z]{2,}")

# path -> an element that shows when the page has drawn (the navigation's pages come from the page itself)
DRAWN = {
    "/app/": "#overview-kpi-visits",
    "/app/trends": "#trends-series .main-svg",
    "/app/alerts": "#alerts-count",
    "/app/clusters": "#clusters-map .main-svg",
    "/app/quality": "#quality-heatmap .main-svg",
    "/app/jobs": "#jobs-durations .main-svg",
    "/app/users": "#users-accounts",
    "/app/tokens": "#tokens-list, #tokens-list-empty",
    "/app/audit": "#audit-table, #audit-table-empty",
}

# What the reader sees: the text of the page without what it marks as code, the charts' own texts, the
# placeholders (inputs, table filters, dropdowns) and the titles of the charts' buttons.
VISIBLE_TEXT = """
// text shown as it came: code, and the error of a failed job run (what the failing part said)
const failed = Array.from(document.querySelectorAll('#jobs-runs-table tr'))
    .filter(r => (r.querySelector("td[data-dash-column='status']") || {}).innerText === '失败')
    .map(r => r.querySelector("td[data-dash-column='message']").innerText);
const code = Array.from(document.querySelectorAll('#app-page code')).map(e => e.innerText).concat(failed);
let text = document.body.innerText;
for (const c of code) { text = text.split(c).join(' '); }
const svg = Array.from(document.querySelectorAll('svg text')).map(e => e.textContent);
const held = Array.from(document.querySelectorAll('[placeholder]')).map(e => e.getAttribute('placeholder'));
const shown = Array.from(document.querySelectorAll('.Select-placeholder, [class*="placeholder"]'))
    .map(e => e.innerText || '');
const titles = Array.from(document.querySelectorAll('.modebar-btn')).map(e => e.getAttribute('data-title') || '');
return [text, ...svg, ...held, ...shown, ...titles].join('\\n');
"""


def english_words(text: str, typed: set[str] = frozenset()) -> list[str]:
    return sorted({w for w in WORD.findall(text) if w not in ALLOWED and w not in typed})


def typed_words(store) -> set[str]:
    """The words people typed, in whatever language they wrote: user names, API token labels, their own
    notes on alerts (the parts of a note the service wrote, such as a closing's outcome, are not theirs) and
    the requests their clients sent to the API (the audit trail shows each request line as it came)."""
    cur = store.cursor()
    texts = [name for (name,) in cur.execute("SELECT name FROM users").fetchall()]
    texts += [label for (label,) in cur.execute("SELECT label FROM api_tokens").fetchall() if label]
    notes = cur.execute("SELECT note FROM alert_events WHERE user_name <> 'system' AND note IS NOT NULL").fetchall()
    texts += [part for (note,) in notes for part in note.split(SEPARATOR) if render(part, "zh") == part]
    calls = cur.execute("SELECT detail FROM audit_log WHERE action = 'api_call' AND detail IS NOT NULL").fetchall()
    texts += [detail.partition(" -> ")[0] for (detail,) in calls]
    return {word for text in texts for word in WORD.findall(text)}


def test_english_words_are_found_and_codes_pass():
    assert english_words("江潭区 320102 F320102001 2026年11月20日 导出CSV ada", {"ada"}) == []
    assert english_words("filter data... 报告单位停报 unit_silent ada") == ["ada", "data", "filter", "silent", "unit"]


def _visit(driver, base: str, path: str, name: str, typed: set[str]) -> list[str]:
    driver.get(base + path)
    _wait_drawn(driver, DRAWN.get(path.split("?")[0], "#app-page > div"))
    # a chart's first drawing comes a moment after its callback: wait until its axes have their ticks
    WebDriverWait(driver, 10).until(lambda d: all(
        g.find_elements(By.CSS_SELECTOR, ".xtick, .geo, .annotation")
        for g in d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")))
    _screenshot(driver, f"zh-{name}")
    return english_words(driver.execute_script(VISIBLE_TEXT), typed)


def test_every_page_in_chinese_has_no_english_word(site, browser, demo_store):  # noqa: F811
    base, _ = site
    store, _ = demo_store
    _login(browser, base, "ada")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-kpi-visits")
    browser.find_element(By.ID, "app-lang-zh").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "概览"))
    try:
        nav = [a.get_attribute("href").removeprefix(base) for a in browser.find_elements(By.CSS_SELECTOR, "#app-nav a")]
        assert {"/app/", "/app/alerts", "/app/clusters", "/app/trends", "/app/quality", "/app/jobs", "/app/users",
                "/app/audit"} <= set(nav)
        cur = store.cursor()
        outbreak = cur.execute("SELECT min(episode_id) FROM alert_episodes WHERE kind = 'outbreak'").fetchone()[0]
        cluster = cur.execute("SELECT min(episode_id) FROM alert_episodes WHERE kind = 'cluster'").fetchone()[0]
        quality = cur.execute("SELECT min(episode_id) FROM alert_episodes WHERE kind = 'data_quality'").fetchone()[0]
        pages = {path.removeprefix("/app").strip("/").replace("/", "-") or "overview": path for path in nav}
        pages.update({"alerts-all": "/app/alerts?all=1", "tokens": "/app/tokens", "alert": f"/app/alerts/{outbreak}",
                      "trends-county": "/app/trends?region=320102",
                      "trends-facility-weekly": "/app/trends?region=F320102001&freq=weekly&overlay=1"})
        if cluster is not None:
            pages["alert-cluster"] = f"/app/alerts/{cluster}"
        if quality is not None:
            pages["alert-data-quality"] = f"/app/alerts/{quality}"
        found, typed = {}, typed_words(store)
        for name, path in pages.items():
            words = _visit(browser, base, path, name, typed)
            if words:
                found[name] = words
        assert found == {}, "\n".join(f"{page}: {' '.join(words)}" for page, words in found.items())
    finally:
        browser.get(base + "/app/")
        _wait_drawn(browser, "#app-lang-en")
        browser.find_element(By.ID, "app-lang-en").click()  # the other tests read English
        WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "Overview"))


def test_the_date_pickers_weekdays_are_chinese_when_the_calendar_opens(site, browser):  # noqa: F811
    base, _ = site
    _login(browser, base, "ada")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-kpi-visits")
    browser.find_element(By.ID, "app-lang-zh").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "概览"))
    try:
        _wait_drawn(browser, "#overview-kpi-visits")
        WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "overview-day-wrapper"))).click()
        header = ".dash-datepicker-calendar thead th"
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, header))
        WebDriverWait(browser, 10).until(
            lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, header)][:7] == list("一二三四五六日"))
        _screenshot(browser, "zh-date-picker")
    finally:
        browser.get(base + "/app/")
        _wait_drawn(browser, "#app-lang-en")
        browser.find_element(By.ID, "app-lang-en").click()  # the other tests read English
        WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "Overview"))
    WebDriverWait(browser, 10).until(EC.element_to_be_clickable((By.ID, "overview-day-wrapper"))).click()
    WebDriverWait(browser, 10).until(  # an English page keeps the picker's own names
        lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, ".dash-datepicker-calendar thead th")][:7]
        == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])
