"""A demo province with three years of data (enough past seasons for the Moving Epidemic Method and
history for the forecasts), alerts of its last two weeks with some of them answered, one user per role,
and the weekly report's subscriptions."""

from __future__ import annotations

import tomllib
from datetime import date, datetime

import pytest
import tomli_w

from surveillance.alerts.workflow import add_note, transition
from surveillance.config import load_config
from surveillance.service.cycle import detect_job
from surveillance.store import open_store
from surveillance.store.reference import load_configured_reference
from surveillance.synthetic.demo import build_demo
from surveillance.users import add_user

from ..dashboards.conftest import PASSWORD

END = date(2026, 11, 29)  # the Sunday of ISO week 2026-W48
MONDAY = date(2026, 11, 30)  # the report job's day
WEEK = "2026-W48"
PROVINCE, CITY, COUNTY = "320000", "320100", "320102"
USERS = {"ada": ("admin", None), "eve": ("epidemiologist", CITY), "vic": ("viewer", COUNTY)}
SUBSCRIPTIONS = [
    {"email": "director@example.org", "name": "局长", "region": PROVINCE, "language": "zh", "outbreaks": False,
     "report": "weekly"},
    {"email": "county-team@example.org", "name": "County team", "region": COUNTY, "language": "en",
     "outbreaks": False, "report": "weekly", "exact_counts": True},
    {"email": "alerts-only@example.org", "name": "Alerts only", "language": "en"},
]


@pytest.fixture(scope="package")
def report_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-demo")
    db = folder / "surveillance.duckdb"
    build_demo(db, days=800, end=END, geography_options={"n_facilities": 30})
    path = folder / "surveillance.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw["detection"]["detectors"] = [{"name": "ears_c2", "levels": ["county"]}]
    raw["detection"]["budget"] = {"noise_alerts_per_quarter": 0}  # alerts to report on
    raw["subscriptions"] = SUBSCRIPTIONS
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    config = load_config(path)
    store = open_store(db)
    load_configured_reference(store, config)
    for name, (role, region) in USERS.items():
        add_user(store, name, PASSWORD, role=role, region=region)
    detect_job(store, config, MONDAY, since=date(2026, 11, 16))
    ids = [r[0] for r in store.cursor().execute("SELECT episode_id FROM alert_episodes ORDER BY episode_id").fetchall()]
    assert len(ids) >= 3, "the demo's last weeks raise alerts to report on"
    transition(store, ids[0], "verifying", user="eve", at=datetime(2026, 11, 24, 9))
    transition(store, ids[0], "closed", user="eve", outcome="not_an_outbreak", at=datetime(2026, 11, 26, 15))
    add_note(store, ids[1], user="eve", note="called the clinic", at=datetime(2026, 11, 25, 10))
    yield store, config
    store.close()
