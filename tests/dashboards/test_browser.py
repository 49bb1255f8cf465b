"""The dashboard in headless Chromium: every page for every role, signing in and out, drilling
down, switching language, region scoping with the browser's own session, and an alert taken
through its workflow.

Screenshots of every page land in ``var/screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
from datetime import datetime
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboards.server import create_server

from .conftest import OTHER_CITY, PASSWORD, USERS, alert_in, callback_payload, workflow_payload

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTH = 1440

# page path -> an element that appears when its callbacks have drawn it
PAGES = {
    "overview": ("/app/", "#overview-kpi-visits"),
    "trends": ("/app/trends", "#trends-series .main-svg"),
    "alerts": ("/app/alerts?all=1", "#alerts-count"),
    "clusters": ("/app/clusters", "#clusters-map .main-svg"),
    "indicators": ("/app/indicators", "#indicators-kpi-alerts"),
    "quality": ("/app/quality", "#quality-heatmap .main-svg"),
    "jobs": ("/app/jobs", "#jobs-durations .main-svg"),
}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                 reason="needs chromium and chromedriver (make system-packages)")]


@pytest.fixture(scope="module")
def site(demo_store):
    store, config = demo_store
    announced: list[str] = []
    schedule = [{"job": "ingest", "next_run": datetime(2026, 11, 22, 9, 0)},
                {"job": "daily", "next_run": datetime(2026, 11, 23, 6, 30)}]
    app = create_server(store, config, announce=announced.append, next_runs=lambda: schedule)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={WIDTH},1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _severe(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _wait_drawn(driver, selector: str, timeout: float = 20) -> None:
    WebDriverWait(driver, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))
    # then until no Dash component is still waiting for a callback
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"):
            return
        time.sleep(0.1)
    raise TimeoutException(f"callbacks still running after {timeout} s")


def _wait_shapes(driver, map_selector: str, timeout: float = 20) -> int:
    """The number of county shapes a map drew, once it drew any."""
    selector = f"{map_selector} .choroplethlayer path"
    WebDriverWait(driver, timeout).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector))
    return len({e.get_attribute("d") for e in driver.find_elements(By.CSS_SELECTOR, selector)})


def _screenshot(driver, name: str) -> Path:
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 800)")
    driver.set_window_size(WIDTH, min(height + 40, 4000))
    time.sleep(0.3)  # plotly redraws on resize
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 1000)
    return path


def _login(driver, base: str, name: str, password: str = PASSWORD) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "login-name").send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.ID, "app-user-name")))


def _nav(driver) -> set[str]:
    return {e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, "#app-nav a")}


def _logout(driver) -> None:
    driver.find_element(By.ID, "app-logout").click()
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.ID, "login-info")))


def test_sign_in_refuses_a_wrong_password(site, browser):
    base, _ = site
    browser.get(f"{base}/app/quality")
    assert "/login" in browser.current_url
    browser.find_element(By.ID, "login-name").send_keys("vic")
    browser.find_element(By.ID, "login-password").send_keys("not the password")
    browser.find_element(By.ID, "login-submit").click()
    error = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "Wrong user name or password" in error.text
    _screenshot(browser, "login-refused")
    browser.get_log("browser")  # the 401 of the refused form is expected


@pytest.mark.parametrize("user", list(USERS))
def test_every_page_loads_for_each_role(site, browser, dashboard_errors, user):
    base, _ = site
    role, region = USERS[user]
    _login(browser, base, user)
    assert browser.find_element(By.ID, "app-user-name").text == user
    for page, (path, drawn) in PAGES.items():
        browser.get(base + path)
        if page == "jobs" and role != "admin":
            _wait_drawn(browser, "#app-forbidden")
            assert "app-nav-jobs" not in _nav(browser)
            _screenshot(browser, f"{role}-{page}-refused")
        else:
            _wait_drawn(browser, drawn)
            assert f"app-nav-{page}" in _nav(browser)
            # the county shapes arrive by their own request (the viewer's district has no cluster: no map)
            if page == "overview" or (page == "clusters" and region != "320102"):
                shapes = _wait_shapes(browser, f"#{page}-map")
                assert shapes == 1 if region == "320102" else shapes > 1, (user, page, shapes)
            if page == "jobs":
                assert "failed runs in the last 7 days: 1" in browser.find_element(By.ID, "jobs-failures").text
                assert "HTTP 503" in browser.find_element(By.ID, "jobs-runs").text
                assert "2026-11-23 06:30" in browser.find_element(By.ID, "jobs-next").text
            _screenshot(browser, f"{role}-{page}")
        assert _severe(browser) == [], (user, page)
    # an alert of the user's regions, from the alert list
    browser.get(base + "/app/alerts?all=1")  # with the ended ones: the viewer's district has no running alert
    _wait_drawn(browser, "#alerts-table a")
    assert browser.find_element(By.CSS_SELECTOR, "#alerts-ended input").is_selected()
    link = browser.find_element(By.CSS_SELECTOR, "#alerts-table a")
    assert link.get_attribute("href").startswith(f"{base}/app/alerts/")
    link.click()
    WebDriverWait(browser, 10).until(EC.url_matches(r"/app/alerts/\d+$"))
    _wait_drawn(browser, "#alert-series .main-svg")
    assert browser.find_elements(By.ID, "alert-history")
    assert bool(browser.find_elements(By.ID, "alert-actions")) == (role != "viewer")
    assert "app-nav-alerts" in _nav(browser) and "active" in browser.find_element(By.ID, "app-nav-alerts").get_attribute("class")
    _screenshot(browser, f"{role}-alert")
    assert _severe(browser) == [], (user, "alert")
    browser.get(base + "/app/clusters")
    _wait_drawn(browser, "#clusters-map .main-svg")
    if region == "320102":  # no cluster is centred in the viewer's district: an honest empty state
        assert "No space-time clusters in the last 30 days" in browser.find_element(By.ID, "clusters-list").text
    else:
        assert browser.find_elements(By.CSS_SELECTOR, "#clusters-table a")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-kpi-visits")
    assert "Active alerts" in browser.find_element(By.ID, "overview-kpi-alerts").text
    assert _severe(browser) == [], (user, "overview alerts")
    text = browser.find_element(By.ID, "app-page").text
    if region == "320102":  # the viewer's county only
        browser.get(base + "/app/quality")
        _wait_drawn(browser, "#quality-heatmap .main-svg")
        options = browser.find_element(By.ID, "quality-county").text
        assert "Jiangtan" in options and "Xingchi" not in options
    assert "Traceback" not in text
    _logout(browser)
    assert dashboard_errors.messages() == []


def test_drill_down_from_the_overview_to_a_facility(site, browser, dashboard_errors):
    base, _ = site
    _login(browser, base, "eve")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-ranking-table")
    link = browser.find_element(By.CSS_SELECTOR, "#overview-ranking-table a")
    county = link.text
    link.click()
    WebDriverWait(browser, 10).until(EC.url_contains("/app/trends?region=3201"))
    _wait_drawn(browser, "#trends-children .main-svg")
    assert county in browser.find_element(By.ID, "trends-title").text
    crumbs = browser.find_element(By.ID, "trends-breadcrumb").text
    assert "Guangjiao City" in crumbs and "Shashan" not in crumbs  # eve cannot go above her city
    # down to a facility with the children chart's bars
    bar = browser.find_element(By.CSS_SELECTOR, "#trends-children .point path")
    ActionChains(browser).move_to_element(bar).pause(0.3).click().perform()  # plotly takes clicks on its drag layer
    WebDriverWait(browser, 10).until(EC.url_contains("region=F"))
    _wait_drawn(browser, "#trends-series .main-svg")
    assert "facility" in browser.find_element(By.ID, "trends-title").text
    # weekly, percent, moving average, year-over-year: each redraws without an error
    for control in ("trends-freq", "trends-measure", "trends-smooth"):
        browser.find_elements(By.CSS_SELECTOR, f"#{control} input")[1].click()
        _wait_drawn(browser, "#trends-series .main-svg")
    browser.find_element(By.CSS_SELECTOR, "#trends-overlay input").click()
    _wait_drawn(browser, "#trends-series .main-svg")
    _screenshot(browser, "epidemiologist-trends-facility-weekly-overlay")
    assert _severe(browser) == []
    _logout(browser)
    assert dashboard_errors.messages() == []


def test_language_switches_per_user(site, browser, demo_store):
    base, _ = site
    store, _ = demo_store
    _login(browser, base, "vic")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-kpi-visits")
    browser.find_element(By.ID, "app-lang-zh").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "概览"))
    _wait_drawn(browser, "#overview-kpi-visits")
    assert "发热" in browser.find_element(By.ID, "overview-kpis").text
    assert "周" in browser.find_element(By.ID, "overview-day-label").text  # 2026年第47周
    _screenshot(browser, "viewer-overview-zh")
    for page in ("trends", "alerts", "clusters", "quality"):
        browser.get(base + PAGES[page][0])
        _wait_drawn(browser, PAGES[page][1])
        _screenshot(browser, f"viewer-{page}-zh")
    own = store.cursor().execute("SELECT min(episode_id) FROM alert_episodes WHERE region = '320102'").fetchone()[0]
    browser.get(f"{base}/app/alerts/{own}")
    _wait_drawn(browser, "#alert-series .main-svg")
    assert "预警" in browser.find_element(By.ID, "alert-title").text
    assert "历史记录" in browser.find_element(By.ID, "app-page").text
    _screenshot(browser, "viewer-alert-zh")
    assert _severe(browser) == []
    _logout(browser)
    _login(browser, base, "vic")  # the choice is kept with the user
    assert "退出" in browser.find_element(By.ID, "app-logout").text
    browser.find_element(By.ID, "app-lang-en").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "Overview"))
    _logout(browser)


def test_a_forged_callback_from_the_browser_session_gets_nothing(site, browser):
    base, app = site
    _login(browser, base, "vic")
    browser.get(base + "/app/trends")
    _wait_drawn(browser, "#trends-series .main-svg")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    dash_app = app.extensions["surveillance_dashboard"].app

    def post(region, csrf=cookies["_csrf_token"]):
        body = callback_payload(dash_app, "trends-series", {
            "trends-region.data": region, "trends-syndromes.value": ["fever"], "trends-ages.value": [],
            "trends-measure.value": "count", "trends-freq.value": "daily", "trends-range.value": "90",
            "trends-smooth.value": "0", "trends-overlay.value": []})
        request = urllib.request.Request(
            f"{base}/app/_dash-update-component", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf,
                     "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())["response"]["trends-series"]["figure"]

    assert len(post("320102")["data"]) == 1  # her own county
    assert post(OTHER_CITY)["data"] == []  # another city: nothing
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(OTHER_CITY, csrf="forged")
    assert refused.value.code == 403
    _logout(browser)


def _button(driver, to: str):
    return driver.find_element(By.CSS_SELECTOR, f"button[id='{{\"to\":\"{to}\",\"type\":\"alert-action\"}}']")


def _act(driver, to: str, note: str, outcome: str | None = None) -> None:
    box = driver.find_element(By.CSS_SELECTOR, "#alert-note")
    box.clear()
    box.send_keys(note)
    if outcome:
        driver.find_element(By.CSS_SELECTOR, f"#alert-outcome input[value='{outcome}']").click()
    _button(driver, to).click()
    WebDriverWait(driver, 10).until(EC.text_to_be_present_in_element((By.ID, "alert-history"), note))
    _wait_drawn(driver, "#alert-state")


def test_an_alert_through_its_workflow(site, browser, demo_store, dashboard_errors):
    base, _ = site
    store, _ = demo_store
    episode_id = alert_in(store, "320100", skip=3)
    _login(browser, base, "eve")
    # the list filters by severity (from the address too) and shows the state of each alert
    browser.get(f"{base}/app/alerts?all=1&severity=red")
    _wait_drawn(browser, "#alerts-table a")
    severities = {c.text for c in browser.find_elements(By.CSS_SELECTOR, "#alerts-table td[data-dash-column='severity']")}
    assert severities == {"red"}
    _screenshot(browser, "epidemiologist-alerts-red")
    browser.get(f"{base}/alerts/{episode_id}")  # the link in the alert emails
    WebDriverWait(browser, 10).until(EC.url_contains(f"/app/alerts/{episode_id}"))
    _wait_drawn(browser, "#alert-series .main-svg")
    assert browser.find_element(By.ID, "alert-state").text == "new"
    steps = [("verifying", "phoned the county CDC", None, "verifying"),
             ("investigating", "field team sent to two schools", None, "investigating"),
             ("closed", "norovirus confirmed in 6 samples", "confirmed_outbreak", "closed"),
             ("monitoring", "new cases after closing: watch for a week", None, "monitoring")]
    for to, note, outcome, state in steps:
        _act(browser, to, note, outcome)
        assert browser.find_element(By.ID, "alert-state").text == state
        if to == "closed":
            assert "confirmed outbreak" in browser.find_element(By.ID, "alert-outcome-now").text
            _screenshot(browser, "epidemiologist-alert-closed")
    rows = browser.find_elements(By.CSS_SELECTOR, "#alert-history tbody tr")
    history = [r.text for r in rows]
    for _, note, _, state in steps:  # each step with its user, its change and its note
        assert any(note in row and "eve" in row and f"→ {state}" in row for row in history), (note, history)
    assert any("outcome: confirmed_outbreak" in row for row in history)
    assert any("reopened" in row for row in history)
    assert any("system" in row and "opened" in row for row in history)
    assert store.cursor().execute("SELECT state, outcome FROM alert_episodes WHERE episode_id = ?",
                                  [episode_id]).fetchone() == ("monitoring", None)
    audit = store.cursor().execute("SELECT action FROM audit_log WHERE user_name = 'eve' AND target = ?"
                                   " ORDER BY audit_id", [f"alert {episode_id}"]).fetchall()
    assert [a for (a,) in audit if a != "alert_viewed"] == ["alert_transition"] * 3 + ["alert_reopened"]
    assert audit[0] == ("alert_viewed",)  # the page was opened first
    _screenshot(browser, "epidemiologist-alert-workflow")
    assert _severe(browser) == []
    _logout(browser)
    assert dashboard_errors.messages() == []


def test_a_viewer_sees_the_workflow_but_cannot_act(site, browser, demo_store):
    base, app = site
    store, _ = demo_store
    mine = alert_in(store, "320100", skip=3)  # the alert moved above: in Guangjiao City, maybe not in vic's district
    own = store.cursor().execute("SELECT min(episode_id) FROM alert_episodes WHERE region = '320102'").fetchone()[0]
    other = alert_in(store, OTHER_CITY)
    _login(browser, base, "vic")
    if own is not None:
        browser.get(f"{base}/app/alerts/{own}")
        _wait_drawn(browser, "#alert-series .main-svg")
        assert browser.find_elements(By.ID, "alert-read-only") and not browser.find_elements(By.ID, "alert-actions")
        assert not browser.find_elements(By.CSS_SELECTOR, "#alert-note, #alert-outcome")
        _screenshot(browser, "viewer-alert")
    browser.get(f"{base}/app/alerts/{other}")
    _wait_drawn(browser, "#alert-not-found")
    assert "Hanwan" not in browser.find_element(By.ID, "app-page").text
    _screenshot(browser, "viewer-alert-not-found")
    assert _severe(browser) == []
    # the workflow callback forged with the viewer's own session changes nothing
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    target = own if own is not None else mine
    before = store.cursor().execute("SELECT state, outcome FROM alert_episodes WHERE episode_id = ?", [target]).fetchone()
    refused = store.cursor().execute("SELECT count(*) FROM audit_log WHERE user_name = 'vic' AND action = 'refused'"
                                     ).fetchone()[0]
    body = workflow_payload(target, "closed", note="forged", outcome="not_an_outbreak")
    request = urllib.request.Request(
        f"{base}/app/_dash-update-component", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-CSRFToken": cookies["_csrf_token"],
                 "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())["response"]
    assert "alert-workflow" not in answer
    assert store.cursor().execute("SELECT state, outcome FROM alert_episodes WHERE episode_id = ?",
                                  [target]).fetchone() == before
    assert store.cursor().execute("SELECT count(*) FROM audit_log WHERE user_name = 'vic' AND action = 'refused'"
                                  ).fetchone()[0] == refused + 1
    _logout(browser)


# What a Chinese sentence says of an alert's figures, or of a data-quality finding.
REASON_ZH = re.compile(r"(就诊[\d,]+人次，期望[\d,.]+人次|占就诊[\d.]+%，期望[\d.]+%|无数据|未送达数据|总就诊量降至)")


def test_alerts_say_why_most_important_first_in_chinese(site, browser, demo_store, dashboard_errors):
    base, _ = site
    _login(browser, base, "eve")
    browser.get(base + "/app/")
    _wait_drawn(browser, "#overview-kpi-visits")
    browser.find_element(By.ID, "app-lang-zh").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "概览"))
    _wait_drawn(browser, "#overview-kpi-visits")
    reasons = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#overview-alerts-list .alert-why")]
    assert reasons and all(REASON_ZH.search(r) for r in reasons), reasons
    assert "最需关注的预警" in browser.find_element(By.ID, "overview-alerts").text
    _screenshot(browser, "epidemiologist-overview-zh")
    # the list: ranked (red before yellow among the running alerts), each with its reason
    browser.get(base + "/app/alerts")
    _wait_drawn(browser, "#alerts-table a")
    column = lambda name: [c.text for c in browser.find_elements(  # noqa: E731
        By.CSS_SELECTOR, f"#alerts-table td[data-dash-column='{name}']")]
    ranks, why, severity = column("rank"), column("why"), column("severity")
    assert ranks == [str(k) for k in range(1, len(ranks) + 1)] and len(why) == len(ranks) > 0
    assert all(REASON_ZH.search(w) for w in why), why
    assert severity == sorted(severity, key=lambda s: s != "红色"), severity
    first = browser.find_element(By.CSS_SELECTOR, "#alerts-table a")
    _screenshot(browser, "epidemiologist-alerts-zh")
    first.click()  # the alert's page says the same reason at the top
    WebDriverWait(browser, 10).until(EC.url_matches(r"/app/alerts/\d+$"))
    _wait_drawn(browser, "#alert-series .main-svg")
    assert browser.find_element(By.ID, "alert-why").text == why[0]
    _screenshot(browser, "epidemiologist-alert-zh")
    assert _severe(browser) == []
    browser.find_element(By.ID, "app-lang-en").click()  # eve reads English in the other tests
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "app-nav"), "Overview"))
    _logout(browser)
    assert dashboard_errors.messages() == []


def test_an_administrator_adds_a_user_who_then_chooses_a_password(site, browser, demo_store, dashboard_errors):
    """The Users page in the browser: a new account with its one-time password shown once, the audit trail
    showing it, and the new user's first sign-in going through the password form."""
    base, _ = site
    store, _ = demo_store
    _login(browser, base, "ada")
    browser.get(base + "/app/users")
    _wait_drawn(browser, "#users-accounts")
    assert "app-nav-users" in _nav(browser) and "app-nav-audit" in _nav(browser)
    assert browser.find_element(By.ID, "app-footer").text == "Data classification: 内部"
    browser.find_element(By.ID, "users-new-name").send_keys("browser.user")
    browser.find_element(By.ID, "users-add").click()
    once = WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "users-password"))).text
    assert len(once) >= 12 and "browser.user" in browser.find_element(By.ID, "users-accounts").text
    _screenshot(browser, "admin-users")
    browser.get(base + "/app/audit")
    _wait_drawn(browser, "#audit-table")
    assert "user added" in browser.find_element(By.ID, "audit-table").text
    _screenshot(browser, "admin-audit")
    browser.get(base + "/app/tokens")
    _wait_drawn(browser, "#tokens-list, #tokens-list-empty")
    assert _severe(browser) == []
    _logout(browser)

    browser.get(f"{base}/login")
    browser.find_element(By.ID, "login-name").send_keys("browser.user")
    browser.find_element(By.ID, "login-password").send_keys(once)
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "password-must")))
    browser.find_element(By.ID, "password-current").send_keys(once)
    for field in ("password-new", "password-repeat"):
        browser.find_element(By.ID, field).send_keys("a password of my own")
    _screenshot(browser, "password-form")
    browser.find_element(By.ID, "password-submit").click()
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "app-user-name")))
    assert browser.find_element(By.ID, "app-user-name").text == "browser.user"
    assert _severe(browser) == []
    _logout(browser)
    assert dashboard_errors.messages() == []
