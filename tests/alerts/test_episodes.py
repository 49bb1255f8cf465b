"""Episodes from signals: a pure function of explicit inputs."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd

from surveillance.alerts import update_episodes
from surveillance.alerts.signals import SIGNAL_COLUMNS

D0 = date(2026, 3, 1)


def sig(day, region="320102", severity="red", detector="ears_c2", syndrome="fever", incomplete=False,
        pvalue=None, regions=None, period_days=1, completeness=1.0):
    p = pvalue if pvalue is not None else {"red": 0.001, "yellow": 0.03, "none": 0.5}[severity]
    return {"detector": detector, "method": detector, "level": "county", "region": region, "syndrome": syndrome,
            "age_group": "all", "date": pd.Timestamp(day), "period_days": period_days, "as_of": pd.Timestamp(day),
            "measure": "count", "observed": 30.0, "expected": 10.0, "upperbound": 20.0, "score": 2.0, "pvalue": p,
            "status": "ok", "severity": severity, "completeness": completeness, "incomplete": incomplete,
            "regions": json.dumps(regions) if regions else None, "detail": None}


def frame(*rows):
    return pd.DataFrame(list(rows), columns=SIGNAL_COLUMNS)


def day(k):
    return D0 + timedelta(days=k)


def run(existing, signals, today, **kw):
    kw.setdefault("gap_days", 2)
    kw.setdefault("quiet_days", 7)
    return update_episodes(existing, signals, kw.pop("neighbours", None), today, **kw)


def test_one_episode_while_the_signal_lasts_and_a_new_one_after_the_gap():
    signals = frame(sig(day(0), severity="yellow"), sig(day(1)), sig(day(4)),  # 2 quiet days: same episode
                    sig(day(8)))  # 3 quiet days: a new episode
    episodes, events, evidence = run(None, signals, day(8))
    assert len(episodes) == 2
    first, second = episodes.iloc[0], episodes.iloc[1]
    assert (first.opened_on, first.last_signal_on) == (day(0), day(4))
    assert second.opened_on == day(8) and first.severity == "red"
    assert list(events["action"]) == ["opened", "escalated", "opened"]
    assert events.iloc[1]["note"] == "severity rose to red" and events["notify"].all()
    assert len(evidence) == 4 and set(evidence["episode_id"]) == {1, 2}


def test_persisting_signals_do_not_make_new_events_and_quiet_episodes_end():
    episodes, events, _ = run(None, frame(sig(day(0))), day(0))
    episodes2, events2, evidence2 = run(episodes, frame(sig(day(1)), sig(day(2))), day(2), next_id=2)
    assert events2.empty and len(episodes2) == 1 and episodes2.iloc[0].last_signal_on == day(2)
    assert len(evidence2) == 2
    # quiet for 7 days after day 2: it ends on day 9
    episodes3, events3, _ = run(episodes2, frame(), day(10))
    assert episodes3.iloc[0].ended_on == day(9) and list(events3["action"]) == ["ended"]
    assert not events3["notify"].any()
    # nothing changes before the quiet period is over
    assert run(episodes2, frame(), day(8))[0].empty


def test_several_detectors_on_one_series_make_one_episode_with_the_highest_severity():
    episodes, events, evidence = run(None, frame(sig(day(0), severity="yellow", detector="a"),
                                                 sig(day(0), severity="red", detector="b")), day(0))
    assert len(episodes) == 1 and episodes.iloc[0].severity == "red"
    assert json.loads(episodes.iloc[0].detectors) == ["a", "b"]
    assert list(events["action"]) == ["opened"] and len(evidence) == 2


def test_red_on_incomplete_data_is_said_as_yellow_until_the_data_fill_in():
    episodes, events, _ = run(None, frame(sig(day(0), incomplete=True, completeness=0.6)), day(0))
    ep = episodes.iloc[0]
    assert ep.severity == "red" and ep.notify_severity == "yellow" and ep.incomplete
    assert events.iloc[0]["severity"] == "yellow" and "incomplete data (completeness 60%)" in events.iloc[0]["note"]
    # the same day judged again on complete data: red is confirmed, an escalation that is emailed
    later = frame(sig(day(0), incomplete=False))
    later.loc[0, "as_of"] = pd.Timestamp(day(2))
    episodes2, events2, evidence2 = run(episodes, later, day(2), next_id=2)
    assert episodes2.iloc[0].notify_severity == "red" and not episodes2.iloc[0].incomplete
    assert list(events2["action"]) == ["escalated"] and events2.iloc[0]["notify"]
    assert "red confirmed on complete data" in events2.iloc[0]["note"]
    assert evidence2.iloc[0]["as_of"] == day(2)  # the newer judgement replaces the evidence row


def test_neighbouring_regions_joining_escalate_an_episode():
    neighbours = pd.DataFrame({"region": ["A"], "neighbour": ["B"]})
    episodes, events, _ = run(None, frame(sig(day(0), region="A")), day(0), neighbours=neighbours)
    episodes2, events2, _ = run(episodes, frame(sig(day(1), region="A"), sig(day(1), region="B")), day(1),
                                neighbours=neighbours, next_id=2)
    a = episodes2.set_index("region").loc["A"]
    b = episodes2.set_index("region").loc["B"]
    assert json.loads(a.regions) == ["A", "B"] and json.loads(b.regions) == ["A", "B"]
    actions = sorted(zip(events2["episode_id"], events2["action"], events2["note"]))
    assert actions == [(1, "escalated", "neighbouring region B joined"), (2, "opened", actions[1][2])]
    # other syndromes do not join
    episodes3, events3, _ = run(episodes, frame(sig(day(1), region="B", syndrome="ili")), day(1),
                                neighbours=neighbours, next_id=3)
    assert list(events3["action"]) == ["opened"]


def test_a_space_time_cluster_is_one_episode_covering_its_regions():
    c1 = sig(day(0), region="A", detector="scan", regions=["A", "B"])
    c2 = sig(day(1), region="C", detector="scan", regions=["B", "C"])
    episodes, events, _ = run(None, frame(c1, c2), day(1))
    assert len(episodes) == 1 and episodes.iloc[0].kind == "cluster"
    assert json.loads(episodes.iloc[0].regions) == ["A", "B", "C"]
    assert list(events["action"]) == ["opened", "escalated"] and "grew by C" in events.iloc[1]["note"]


def test_weekly_series_count_the_gap_in_weeks_and_quiet_signals_are_ignored():
    signals = frame(sig(day(6), period_days=7), sig(day(13), period_days=7), sig(day(20), severity="none"))
    episodes, events, _ = run(None, signals, day(20))
    assert len(episodes) == 1 and episodes.iloc[0].last_signal_on == day(13)
    assert list(events["action"]) == ["opened"]


def test_old_events_are_not_for_email_and_the_function_is_deterministic():
    signals = frame(sig(day(0)), sig(day(5), region="X"))
    a = run(None, signals, day(5), notify_since=day(3))
    b = run(None, signals, day(5), notify_since=day(3))
    assert list(a[1]["notify"]) == [False, True]
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    assert np.all(a[0]["state"] == "new")
