"""The alert workflow: transitions, clear refusals, and the audit trail in the store."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from surveillance.alerts import WorkflowError, check_transition, transition
from surveillance.alerts.apply import apply_signals
from surveillance.store.alerts import episode_detail
from surveillance.alerts.workflow import OutbreakStartError, add_note

from .test_episodes import frame, sig


def test_the_ewars_path_and_reopening():
    assert check_transition("new", "verifying", user="li") == "transition"
    assert check_transition("verifying", "investigating", user="li") == "transition"
    assert check_transition("investigating", "monitoring", user="li") == "transition"
    assert check_transition("monitoring", "closed", "confirmed_outbreak", user="li") == "transition"
    assert check_transition("closed", "verifying", user="li") == "reopened"


@pytest.mark.parametrize("state, to, outcome, message", [
    ("new", "investigating", None, "an alert in state 'new' cannot move to 'investigating'; allowed from 'new': verifying, closed"),
    ("verifying", "closed", None, "closing an alert needs an outcome: confirmed_outbreak, not_an_outbreak, data_artefact"),
    ("verifying", "closed", "maybe", "closing an alert needs an outcome"),
    ("new", "closed", "confirmed_outbreak", "cannot be closed as a confirmed outbreak without verification"),
    ("verifying", "monitoring", "not_an_outbreak", "an outcome is given only when closing"),
    ("verifying", "archived", None, "unknown state 'archived'"),
    ("closed", "closed", "data_artefact", "cannot move to 'closed'"),
])
def test_invalid_transitions_are_refused_with_a_clear_message(state, to, outcome, message):
    with pytest.raises(WorkflowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_transition(state, to, outcome, user="li")


def test_a_change_needs_a_user():
    with pytest.raises(WorkflowError, match="needs the user"):
        check_transition("new", "verifying", user=" ")


def test_transitions_are_events_with_user_time_and_note(store):
    with store.transaction() as cur:
        apply_signals(cur, frame(sig(date(2026, 3, 1))), today=date(2026, 3, 1), gap_days=2, quiet_days=7,
                      notify_since=None)
    transition(store, 1, "verifying", user="li.wei", note="called the county CDC")
    transition(store, 1, "closed", user="li.wei", outcome="data_artefact", note="duplicate upload")
    add_note(store, 1, user="zhang", note="checked the upload log")
    transition(store, 1, "investigating", user="zhang", note="more cases reported")
    with pytest.raises(WorkflowError, match="allowed from 'investigating': monitoring, closed"):
        transition(store, 1, "new", user="zhang")
    with pytest.raises(WorkflowError, match="no alert 99"):
        transition(store, 99, "verifying", user="zhang")
    detail = episode_detail(store.cursor(), 1)
    assert detail["state"] == "investigating" and detail["outcome"] is None
    trail = [(e["user_name"], e["action"], e["from_state"], e["to_state"], e["note"]) for e in detail["events"]]
    assert trail == [
        ("system", "opened", None, None, trail[0][4]),
        ("li.wei", "transition", "new", "verifying", "called the county CDC"),
        ("li.wei", "transition", "verifying", "closed", "outcome: data_artefact; duplicate upload"),
        ("zhang", "note", None, None, "checked the upload log"),
        ("zhang", "reopened", "closed", "investigating", "more cases reported"),
    ]
    assert all(isinstance(e["at_time"], pd.Timestamp) or e["at_time"] is not None for e in detail["events"])


def test_the_cycle_keeps_the_workflow_state(store):
    with store.transaction() as cur:
        apply_signals(cur, frame(sig(date(2026, 3, 1), severity="yellow")), today=date(2026, 3, 1), gap_days=2,
                      quiet_days=7, notify_since=None)
    transition(store, 1, "verifying", user="li")
    with store.transaction() as cur:
        summary = apply_signals(cur, frame(sig(date(2026, 3, 2))), today=date(2026, 3, 2), gap_days=2,
                                quiet_days=7, notify_since=None)
        again = apply_signals(cur, frame(sig(date(2026, 3, 2))), today=date(2026, 3, 2), gap_days=2,
                              quiet_days=7, notify_since=None)
    assert summary["episodes_escalated"] == 1
    assert again == {"signals": 0, "signals_coloured": 0, "episodes_opened": 0, "episodes_escalated": 0,
                     "episodes_ended": 0}
    row = store.cursor().execute("SELECT state, severity FROM alert_episodes").fetchall()
    assert row == [("verifying", "red")]


def test_closing_as_a_confirmed_outbreak_records_its_start(store):
    with store.transaction() as cur:
        apply_signals(cur, frame(sig(date(2026, 3, 1))), today=date(2026, 3, 1), gap_days=2, quiet_days=7,
                      notify_since=None)
    at = datetime(2026, 3, 10, 9, 0)
    transition(store, 1, "verifying", user="li", at=at)
    event = transition(store, 1, "closed", user="li", outcome="confirmed_outbreak", outbreak_start="2026-02-25",
                       note="school cluster", at=at)
    assert event["outbreak_start"] == date(2026, 2, 25)
    assert event["note"] == "outcome: confirmed_outbreak; outbreak began 2026-02-25; school cluster"
    detail = episode_detail(store.cursor(), 1)
    assert detail["outbreak_start"] == date(2026, 2, 25) and detail["outcome"] == "confirmed_outbreak"
    transition(store, 1, "investigating", user="li", at=at)  # reopened: neither outcome nor start any more
    assert episode_detail(store.cursor(), 1)["outbreak_start"] is None
    transition(store, 1, "closed", user="li", outcome="confirmed_outbreak", at=at)  # a start is not required
    assert episode_detail(store.cursor(), 1)["outbreak_start"] is None


@pytest.mark.parametrize("outcome, start, code, english, chinese", [
    ("confirmed_outbreak", "2026-03-02", "after_opening",
     "The outbreak cannot have begun on 2026-03-02, after the alert opened on 2026-03-01.",
     "暴发开始日期（2026-03-02）不能晚于预警开启日期（2026-03-01）。"),
    ("confirmed_outbreak", date(2026, 3, 11), "in_future",
     "The outbreak's start, 2026-03-11, is in the future (today is 2026-03-10).", "不能晚于今天（2026-03-10）"),
    ("confirmed_outbreak", "1 March", "not_a_date", "for example 2026-03-01", "请按日期格式填写"),
    ("not_an_outbreak", "2026-02-25", "not_confirmed", "only when closing an alert as a confirmed outbreak",
     "仅在以“确认暴发”关闭预警时"),
])
def test_a_wrong_outbreak_start_is_refused_in_the_users_language(store, outcome, start, code, english, chinese):
    with store.transaction() as cur:
        apply_signals(cur, frame(sig(date(2026, 3, 1))), today=date(2026, 3, 1), gap_days=2, quiet_days=7,
                      notify_since=None)
    at = datetime(2026, 3, 10, 9, 0)
    transition(store, 1, "verifying", user="li", at=at)
    with pytest.raises(OutbreakStartError) as refused:
        transition(store, 1, "closed", user="li", outcome=outcome, outbreak_start=start, at=at)
    assert refused.value.code == code
    assert english in str(refused.value) and english in refused.value.say("en")
    assert chinese in refused.value.say("zh")
    detail = episode_detail(store.cursor(), 1)
    assert detail["state"] == "verifying" and detail["outbreak_start"] is None  # nothing changed
