"""Days whose data are still arriving are marked provisional on the alert list, the alert page and the
overview's data day (the detect run of the dashboard demo judged its newest days the morning after)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboards import data
from dashboards.access import RegionIndex, Scope
from dashboards.server import create_server
from surveillance.users import get_user

from .conftest import END, TODAY
from .test_access import _call, _client, _route


@pytest.fixture(scope="module")
def server(demo_store):
    store, config = demo_store
    return create_server(store, config, announce=lambda message: None)


def _episodes(store, provisional: bool) -> list[int]:
    rows = store.cursor().execute("SELECT episode_id FROM alert_episodes WHERE kind = 'outbreak'"
                                  " AND provisional = ? ORDER BY episode_id", [provisional]).fetchall()
    return [r[0] for r in rows]


def test_alerts_whose_last_signal_was_on_data_still_arriving_are_marked(server, demo_store):
    store, _ = demo_store
    provisional_signals = store.cursor().execute(
        "SELECT count(*) FROM signals WHERE provisional AND severity <> 'none'").fetchone()[0]
    assert provisional_signals  # the detect run judged the newest day the morning after
    marked, settled = _episodes(store, True), _episodes(store, False)
    by_the_run = list(marked)
    if not marked:  # that day's provisional signals were the lesser parts of their alerts: mark one alert
        with store.transaction() as cur:
            cur.execute("UPDATE alert_episodes SET provisional = true WHERE episode_id = ?", [settled[-1]])
        marked, settled = _episodes(store, True), _episodes(store, False)
    client = _client(server, "ada")
    page = _route(client, f"/app/alerts/{marked[0]}")
    assert "alert-provisional" in page and "provisional: data still arriving" in page
    assert "alert-provisional" not in _route(client, f"/app/alerts/{settled[0]}")
    table = _call(client, server, "alerts-box", {"alerts-severity.value": [], "alerts-state.value": [],
                                                 "alerts-syndrome.value": [], "alerts-kind.value": [],
                                                 "alerts-ended.value": ["1"]}).get_data(as_text=True)
    assert table.count("(provisional: data still arriving)") == len(marked)
    with store.transaction() as cur:  # the fixture is shared: as the detect run left it
        cur.execute("UPDATE alert_episodes SET provisional = false WHERE episode_id IN (SELECT unnest(?))",
                    [[int(i) for i in marked if i not in by_the_run]])


def test_the_newest_data_day_is_provisional_the_morning_after(demo_store):
    store, config = demo_store
    cur = store.cursor()
    index = RegionIndex(store)
    scope = Scope(get_user(store, "ada"), index)
    delay = config.detection.delay
    assert data.provisional_day(cur, scope, END, TODAY, delay)
    assert data.provisional_day(cur, Scope(get_user(store, "vic"), index), END, TODAY, delay)
    assert not data.provisional_day(cur, scope, END - timedelta(days=10), TODAY, delay)
    assert not data.provisional_day(cur, scope, END, TODAY, delay.model_copy(update={"adjust": False}))
