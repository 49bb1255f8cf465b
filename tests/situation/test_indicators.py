"""Response indicators against small cases worked out by hand, and on the workflow's own tables."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from surveillance.alerts import workflow
from surveillance.alerts.apply import apply_signals
from surveillance.store.alerts import episode_detail, list_episodes
from surveillance.errors import SurveillanceError
from surveillance.situation import indicators
from surveillance.situation.indicators import episode_timeliness, response_indicators
from surveillance.users import SYSTEM_USER

from ..alerts.test_episodes import frame, sig

EVENTS = pd.DataFrame([
    # 1: confirmed outbreak that started 4 days before the alert: noted after 2 h, verified after 12 h,
    #    investigated 46 h after the note, closed after 120 h. Meets 7-1-7.
    (1, "2026-03-01 08:00", "system", "opened", None, None),
    (1, "2026-03-01 10:00", "li.wei", "note", None, None),
    (1, "2026-03-01 20:00", "li.wei", "transition", "new", "verifying"),
    (1, "2026-03-03 08:00", "li.wei", "transition", "verifying", "investigating"),
    (1, "2026-03-06 08:00", "li.wei", "transition", "investigating", "closed"),
    # 2: first answered after 30 h, closed as not an outbreak after 48 h.
    (2, "2026-03-02 09:00", "system", "opened", None, None),
    (2, "2026-03-03 15:00", "zhang", "transition", "new", "verifying"),
    (2, "2026-03-04 09:00", "zhang", "transition", "verifying", "closed"),
    # 3: the system escalates it; a person closes it from 'new' as a data artefact after 6 h.
    (3, "2026-03-05 00:00", "system", "opened", None, None),
    (3, "2026-03-05 03:00", "system", "escalated", None, None),
    (3, "2026-03-05 06:00", "zhang", "transition", "new", "closed"),
    # 4: opened 6 h before the last event and not answered yet: pending.
    (4, "2026-03-12 06:00", "system", "opened", None, None),
    # 5: never answered (4.5 days to the last event).
    (5, "2026-03-08 00:00", "system", "opened", None, None),
    (5, "2026-03-09 00:00", "system", "ended", None, None),
    # 6: confirmed outbreak alerted 9 days after its start; answered after 12 h; investigated 9 days
    #    after that; closed after 264 h. Misses detection and response.
    (6, "2026-03-01 00:00", "system", "opened", None, None),
    (6, "2026-03-01 12:00", "wang", "transition", "new", "verifying"),
    (6, "2026-03-10 12:00", "wang", "transition", "verifying", "investigating"),
    (6, "2026-03-12 00:00", "wang", "transition", "investigating", "closed"),
    (6, "2026-03-12 12:00", "wang", "note", None, None),
], columns=["episode_id", "at_time", "user_name", "action", "from_state", "to_state"])

EPISODES = pd.DataFrame([
    (1, "A", "ili", ["ears_c2", "farrington"], "closed", "confirmed_outbreak", "2026-02-25"),
    (2, "A", "ili", ["ears_c2"], "closed", "not_an_outbreak", None),
    (3, "B", "hfmd", ["farrington"], "closed", "data_artefact", None),
    (4, "B", "hfmd", ["farrington"], "new", None, None),
    (5, "B", "hfmd", ["ears_c2"], "new", None, None),
    (6, "A", "ili", ["farrington"], "closed", "confirmed_outbreak", "2026-02-20"),
], columns=["episode_id", "region", "syndrome", "detectors", "state", "outcome", "outbreak_start"])
EPISODES["detectors"] = EPISODES["detectors"].map(json.dumps)  # as the store keeps them
EPISODES["kind"] = "temporal"
EPISODES["created_at"] = pd.to_datetime(EVENTS.groupby("episode_id")["at_time"].min().to_numpy())
EPISODES["opened_on"] = EPISODES["created_at"].dt.date


def test_the_vocabulary_is_the_workflows():
    assert indicators.FIRST_STATE == workflow.STATES[0]
    assert {indicators.INVESTIGATING, indicators.CLOSED} <= set(workflow.STATES)
    assert indicators.OUTCOMES == workflow.OUTCOMES and indicators.CONFIRMED in workflow.OUTCOMES
    assert indicators.SYSTEM_USER == SYSTEM_USER


def test_per_episode_times_and_7_1_7():
    t = episode_timeliness(EVENTS, EPISODES).set_index("episode_id")
    assert list(t["hours_to_action"].fillna(-1)) == [2, 30, 6, -1, -1, 12]
    assert list(t["hours_to_verification"].fillna(-1)) == [12, 30, 6, -1, -1, 12]
    assert list(t["hours_to_closure"].fillna(-1)) == [120, 48, 6, -1, -1, 264]
    assert list(t["pending"]) == [False, False, False, True, False, False]
    assert t.loc[[1, 2, 3, 5, 6], "action_within_24h"].tolist() == [True, False, True, False, True]
    assert np.isnan(t.loc[4, "action_within_24h"])
    assert t.loc[1, "detection_days"] == 4 and t.loc[6, "detection_days"] == 9
    assert t.loc[1, "response_days"] == pytest.approx(46 / 24) and t.loc[6, "response_days"] == 9
    assert t.loc[1, ["detect_7d", "notify_1d", "respond_7d", "meets_717"]].tolist() == [True] * 4
    assert t.loc[6, ["detect_7d", "notify_1d", "respond_7d", "meets_717"]].tolist() == [False, True, False, False]
    assert t.loc[[2, 3, 4, 5], "meets_717"].isna().all()  # not confirmed outbreaks


def test_overall_indicators_by_hand():
    row = response_indicators(EVENTS, EPISODES, by=()).iloc[0]
    assert (row["alerts"], row["actioned"], row["pending"]) == (6, 4, 1)
    assert row["share_action_24h"] == pytest.approx(3 / 5)  # 2 h, 30 h, 6 h, never, 12 h
    # Hours to first action 2, 6, 12, 30: median 9; 90th percentile 12 + 0.7 * 18 (R's type 7).
    assert row["median_hours_to_action"] == pytest.approx(9) and row["p90_hours_to_action"] == pytest.approx(24.6)
    assert row["median_hours_to_verification"] == pytest.approx(12) and row["verified"] == 4
    # Hours to closure 6, 48, 120, 264: median 84; 90th percentile 120 + 0.7 * 144.
    assert row["median_hours_to_closure"] == pytest.approx(84) and row["p90_hours_to_closure"] == pytest.approx(220.8)
    assert (row["closed_with_outcome"], row["confirmed_outbreak"], row["not_an_outbreak"], row["data_artefact"]) == (4, 2, 1, 1)
    assert row["ppv"] == pytest.approx(0.5)
    assert row["outbreaks_717"] == 2
    assert (row["share_detect_7d"], row["share_notify_1d"], row["share_respond_7d"], row["share_717"]) == (0.5, 1.0, 0.5, 0.5)


def test_an_episode_counts_for_each_of_its_detectors():
    by_detector = response_indicators(EVENTS, EPISODES, by=["detector"]).set_index("detector")
    assert by_detector.loc["ears_c2", "alerts"] == 3 and by_detector.loc["farrington", "alerts"] == 4
    assert by_detector.loc["ears_c2", "share_action_24h"] == pytest.approx(1 / 3)  # 2 h, 30 h, never
    assert by_detector.loc["farrington", "share_action_24h"] == 1.0  # 2 h, 6 h, 12 h; one pending
    assert by_detector.loc["ears_c2", "ppv"] == pytest.approx(1 / 2)
    assert by_detector.loc["farrington", "ppv"] == pytest.approx(2 / 3)
    full = response_indicators(EVENTS, EPISODES)
    assert list(full.columns[:3]) == ["region", "detector", "syndrome"]
    assert full["alerts"].sum() == 7


def test_period_and_as_of():
    march_1_to_5 = response_indicators(EVENTS, EPISODES, by=["region"], since="2026-03-01", until="2026-03-05")
    assert dict(zip(march_1_to_5["region"], march_1_to_5["alerts"])) == {"A": 3, "B": 1}
    early = episode_timeliness(EVENTS, EPISODES, as_of="2026-03-01 21:00").set_index("episode_id")
    assert early.loc[1, "hours_to_verification"] == 12 and np.isnan(early.loc[1, "hours_to_closure"])
    with pytest.raises(SurveillanceError, match="cannot group by county"):
        response_indicators(EVENTS, EPISODES, by=["county"])
    with pytest.raises(SurveillanceError, match="lacks column"):
        response_indicators(EVENTS.drop(columns="user_name"), EPISODES)


def test_on_the_workflows_own_tables(store):
    with store.transaction() as cur:
        apply_signals(cur, frame(sig(date(2026, 3, 1))), today=date(2026, 3, 1), gap_days=2, quiet_days=7,
                      notify_since=None)
    opened_at = pd.Timestamp(episode_detail(store.cursor(), 1)["events"][0]["at_time"])
    later = lambda hours: (opened_at + pd.Timedelta(hours=hours)).to_pydatetime()  # noqa: E731
    workflow.transition(store, 1, "verifying", user="li.wei", at=later(3))
    workflow.transition(store, 1, "closed", user="li.wei", outcome="not_an_outbreak", at=later(50))
    events = pd.DataFrame(episode_detail(store.cursor(), 1)["events"])
    episodes = pd.DataFrame(list_episodes(store.cursor(), include_ended=True))
    row = response_indicators(events, episodes, by=["region", "syndrome", "detector"]).iloc[0]
    assert row["alerts"] == 1 and row["median_hours_to_action"] == pytest.approx(3)
    assert row["median_hours_to_closure"] == pytest.approx(50) and row["not_an_outbreak"] == 1
    assert row["ppv"] == 0.0 and row["share_action_24h"] == 1.0
