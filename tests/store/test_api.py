"""The store's read API on a small store with known counts: the latest-revision, as-of, subtree and
on-time rules, and the alert tables' round trip."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from surveillance.ingest.pipeline import ingest_file
from surveillance.store import alerts, counts, delays, operations, reference

from ..conftest import write_csv

HEADER = "date,unit,syndrome,age_group,count,total\n"
FIRST = (HEADER
         + "2026-11-01,F320102001,fever,all,12,100\n"
         + "2026-11-01,F320102002,fever,all,5,60\n"
         + "2026-11-01,F320103001,fever,all,7,70\n"
         + "2026-11-02,F320102001,fever,all,9,90\n")
LATE_CORRECTION = HEADER + "2026-11-01,F320102001,fever,all,15,104\n"
ON_TIME = datetime(2026, 11, 2, 8, 30)   # by the end of the day after 1 November
LATE = datetime(2026, 11, 4, 9, 0)


@pytest.fixture
def filled(store, ctx, tmp_path):
    ingest_file(store, write_csv(tmp_path / "first.csv", FIRST), ctx, received_at=ON_TIME)
    ingest_file(store, write_csv(tmp_path / "fix.csv", LATE_CORRECTION), ctx, received_at=LATE)
    return store


def test_counts_take_the_newest_revision_unless_asked_as_of_an_earlier_day(filled):
    now = counts.read_counts(filled.con, level="county", start="2026-11-01", end="2026-11-01")
    assert dict(zip(now["region"], now["count"])) == {"320102": 20.0, "320103": 7.0}
    assert dict(zip(now["region"], now["units"])) == {"320102": 2, "320103": 1}
    before = counts.read_counts(filled.con, level="county", start="2026-11-01", end="2026-11-01", as_of="2026-11-03")
    assert dict(zip(before["region"], before["count"])) == {"320102": 17.0, "320103": 7.0}


def test_within_keeps_a_subtree_at_any_level(filled):
    one = counts.read_counts(filled.con, level="facility", within="320102", start="2026-11-01", end="2026-11-01")
    assert sorted(one["region"]) == ["F320102001", "F320102002"]
    unit = counts.subtree_daily(filled.con, syndromes=["fever"], within="F320103001")
    assert unit["count"].tolist() == [7.0]
    everything = counts.subtree_daily(filled.con, syndromes=["fever"])
    assert everything["count"].tolist() == [27.0, 9.0] and everything["units"].tolist() == [3, 1]
    assert counts.date_range(filled.con, within="320103") == (date(2026, 11, 1), date(2026, 11, 1))
    assert counts.date_range(filled.con) == (date(2026, 11, 1), date(2026, 11, 2))
    with pytest.raises(ValueError, match="empty list"):
        counts.read_counts(filled.con, within=[])


def test_on_time_timeliness_arrivals_and_revisions(filled):
    timely = counts.timeliness(filled.con, "2026-11-01", "2026-11-01")
    # 320102's final count is 15 + 5 = 20, of which the 5 of the clinic and the first 12 of the hospital
    # arrived on time: the on-time share counts the on-time revision (12) of the corrected row.
    assert dict(zip(timely["region"], timely["timeliness"].round(4))) == {"320102": round(17 / 20, 4), "320103": 1.0}
    arrived = counts.arrivals(filled.con, "2026-11-01", "2026-11-01", within="320102").set_index("unit")
    assert arrived.loc["F320102001", "on_time"] and arrived.loc["F320102001", "revision"] == 2
    assert arrived.loc["F320102001", "fever"] == 15  # the newest revision, not a sum over revisions
    changed = counts.revisions(filled.con, "2026-11-01", "2026-11-02")
    assert changed[["unit", "revision", "changes"]].values.tolist() == [["F320102001", 2, "fever 12→15"]]
    assert counts.revisions(filled.con, "2026-11-01", "2026-11-02", within="320103").empty


def test_unit_days_count_visits_once_per_unit_and_day(filled):
    days = counts.unit_days(filled.con, "2026-11-01", "2026-11-02")
    assert days.set_index(["unit", days["date"].dt.day])["visits"].to_dict() == {
        ("F320102001", 1): 104.0, ("F320102002", 1): 60.0, ("F320103001", 1): 70.0, ("F320102001", 2): 90.0}
    early = counts.unit_days(filled.con, "2026-11-01", "2026-11-01", as_of="2026-11-02", within="320102")
    assert early["visits"].tolist() == [100.0, 60.0]


def test_reference_reads(filled):
    tree = reference.hierarchy(filled.con)
    assert tree.lineage("F320102001") == {"F320102001", "320102", "320100", "320000"}
    assert tree.lineage("a-feed") == {"a-feed"}
    assert reference.neighbours_of(filled.con, "320103") == ["320102"]
    assert reference.reference_sizes(filled.con) == ({"city": 1, "county": 2, "province": 1}, 3)
    assert reference.region_points(filled.con)["code"].tolist() == ["320102", "320103"]


def test_operations_status_and_quarantine(filled, ctx, tmp_path):
    ingest_file(filled, write_csv(tmp_path / "bad.csv", HEADER + "2026-11-01,F320102001,cough,all,1,70\n"), ctx,
                received_at=LATE)
    status = operations.store_status(filled.con)
    assert status["rows"] == {"latest": 4, "revisions": 5}
    assert status["quarantine"]["rows"] == 1
    assert operations.quarantined(filled.con, within="320102")["unit"].tolist() == ["F320102001"]
    assert operations.quarantined(filled.con, within="320103").empty
    assert operations.feed_days(filled.con, "2026-11-01", "2026-11-05")["date"].dt.day.tolist() == [2, 4]
    totals = operations.daily_counts(filled.con, days=2, syndrome="fever")
    assert [(r["date"], r["count"]) for r in totals] == [("2026-11-01", 27), ("2026-11-02", 9)]


def test_arrivals_by_delay_give_each_revision_its_change_at_its_delay(filled):
    # 1 November: 12 + 5 (320102) and 7 (320103) arrived the next day, the hospital's correction to 15
    # three days after it; 2 November: 9 the same day (received 2 November).
    arrived = delays.arrivals_by_delay(filled.con, level="county", start="2026-11-01", end="2026-11-02",
                                       max_delay=7)
    rows = [(r.region, str(r.date.date()), r.delay, r.count) for r in arrived.itertuples()]
    assert rows == [("320102", "2026-11-01", 1, 17.0), ("320102", "2026-11-01", 3, 3.0),
                    ("320102", "2026-11-02", 0, 9.0), ("320103", "2026-11-01", 1, 7.0)]
    capped = delays.arrivals_by_delay(filled.con, level="city", start="2026-11-01", end="2026-11-01", max_delay=2)
    assert capped[["delay", "count"]].values.tolist() == [[1, 24.0], [2, 3.0]]  # the 3-day correction at 2
    before = delays.arrivals_by_delay(filled.con, level="county", start="2026-11-01", end="2026-11-01",
                                      as_of="2026-11-03", max_delay=7, by_syndrome=True)
    assert before[["region", "syndrome", "delay", "count"]].values.tolist() == [
        ["320102", "fever", 1, 17.0], ["320103", "fever", 1, 7.0]]


def test_alert_tables_round_trip(filled):
    signal = {"detector": "switch", "method": "switch", "level": "county", "region": "320102", "syndrome": "fever",
              "age_group": "all", "date": date(2026, 11, 2), "period_days": 1, "as_of": date(2026, 11, 3),
              "measure": "count", "observed": 9.0, "expected": 3.0, "upperbound": 7.0, "score": 4.0, "pvalue": 0.001,
              "status": "ok", "severity": "red", "completeness": 1.0, "incomplete": False, "regions": None,
              "detail": None}
    now = datetime(2026, 11, 3, 6, 30)
    with filled.transaction() as cur:
        fresh = alerts.insert_new_signals(cur, pd.DataFrame([signal]), now)
        again = alerts.insert_new_signals(cur, pd.DataFrame([signal]), now)
    assert len(fresh) == 1 and len(again) == 0  # idempotent
    assert alerts.last_judged_day(filled.con) == date(2026, 11, 2)
    episode = {"episode_id": 1, "kind": "outbreak", "level": "county", "region": "320102", "regions": '["320102"]',
               "syndrome": "fever", "age_group": "all", "detectors": '["switch"]', "period_days": 1,
               "opened_on": date(2026, 11, 2), "last_signal_on": date(2026, 11, 2), "ended_on": None,
               "severity": "red", "notify_severity": "red", "incomplete": False, "state": "new", "outcome": None}
    event = {"episode_id": 1, "day": date(2026, 11, 2), "user_name": "system", "action": "opened", "from_state": None,
             "to_state": "new", "severity": "red", "note": None, "notify": True}
    with filled.transaction() as cur:
        alerts.save_alerts(cur, pd.DataFrame([episode]), pd.DataFrame([event]), pd.DataFrame(columns=alerts.EVIDENCE_COLUMNS), now)
    assert alerts.next_episode_id(filled.con) == 2
    assert alerts.pending_events(filled.con)["action"].tolist() == ["opened"]
    with filled.transaction() as cur:
        alerts.set_state(cur, 1, "verifying", None, now)
        alerts.record_event(cur, 1, at=now, user="li.wei", action="transition", from_state="new", to_state="verifying")
        alerts.mark_events_notified(cur)
    assert alerts.pending_events(filled.con).empty
    detail = alerts.episode_detail(filled.con, 1)
    assert detail["state"] == "verifying" and [e["action"] for e in detail["events"]] == ["opened", "transition"]
    assert alerts.episode_state(filled.con, 2) is None
    judged = alerts.episodes_signals(filled.con, [{**episode, "detectors": ["switch"]}])
    assert judged[["episode_id", "observed", "severity"]].values.tolist() == [[1, 9.0, "red"]]
    assert [e["episode_id"] for e in alerts.list_episodes(filled.con)] == [1]
    assert alerts.open_episodes(filled.con)["episode_id"].tolist() == [1]
