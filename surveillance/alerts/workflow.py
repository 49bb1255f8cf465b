"""The alert workflow (after WHO EWARS): who is doing what about an alert.

States: ``new`` -> ``verifying`` -> ``monitoring`` | ``investigating`` -> ``closed`` (with an
outcome: ``confirmed_outbreak``, ``not_an_outbreak`` or ``data_artefact``). Monitoring and
investigating may hand over to each other; an alert may be closed from any open state (a
``new`` alert only as ``not_an_outbreak`` or ``data_artefact``: confirming an outbreak needs
verification first); a closed alert can be reopened (to ``verifying``, ``monitoring`` or
``investigating``). Every change is an event with its user, time and note. Closing as a
confirmed outbreak records, when known, the day the outbreak began (not after the alert opened,
not in the future), which the 7-1-7 detection target is measured from.

The workflow is independent of the signal: an episode keeps collecting evidence while it is
being verified, and a closed alert stays closed when its signal goes on (an escalation is
still recorded and emailed).
"""

from __future__ import annotations

from datetime import date, datetime

from .. import notes, vocabulary
from ..errors import SurveillanceError
from ..store.alerts import episode_opened_on, episode_state, record_event, set_state

STATES = tuple(vocabulary.STATES)  # the codes (their words are the vocabulary's)
OUTCOMES = tuple(vocabulary.OUTCOMES)
TRANSITIONS = {
    "new": ("verifying", "closed"),
    "verifying": ("monitoring", "investigating", "closed"),
    "monitoring": ("investigating", "closed"),
    "investigating": ("monitoring", "closed"),
    "closed": ("verifying", "monitoring", "investigating"),  # reopening
}


# What a refused change says, in English (the CLI, the logs, the audit trail) and Chinese (the alert page).
# Each {state} is a state's words; {states}, {allowed} and {outcomes} lists of words.
REFUSALS: dict[str, vocabulary.Term] = {
    "no_user": vocabulary.Term("a workflow change needs the user who makes it", "流程变更需要注明操作人"),
    "unknown_state": vocabulary.Term("unknown state {to}; states: {states}", "未知状态：{to}；可用状态：{states}"),
    "not_allowed": vocabulary.Term("an alert in state {state} cannot move to {to}; allowed from {state}: {allowed}",
                                   "处于“{state}”状态的预警不能转为“{to}”；可转为：{allowed}"),
    "no_outcome": vocabulary.Term("closing an alert needs an outcome: {outcomes}", "关闭预警需要选择结论：{outcomes}"),
    "unknown_outcome": vocabulary.Term("closing an alert needs an outcome: {outcomes} (got {outcome})",
                                       "关闭预警需要选择结论：{outcomes}（收到的是：{outcome}）"),
    "unverified": vocabulary.Term("a new alert cannot be closed as a confirmed outbreak without verification; "
                                  "move it to {verifying} first",
                                  "新预警未经核实不能以“确认暴发”关闭；请先转为“{verifying}”"),
    "outcome_too_early": vocabulary.Term("an outcome is given only when closing an alert, not when moving to {to}",
                                         "只有关闭预警时才填写结论，转为“{to}”时不填"),
    "no_alert": vocabulary.Term("no alert {id}", "没有预警 {id}"),
    "empty_note": vocabulary.Term("a note needs a user and a text", "备注需要操作人和内容"),
}


class WorkflowError(SurveillanceError):
    """A transition the workflow does not allow (the message says which ones it does). ``str()`` is English
    with the codes quoted; :meth:`say` gives the reason in a reader's language with the codes' words."""

    def __init__(self, reason: str, **values):
        self.reason, self.values = reason, values
        super().__init__(self.say(None))

    def say(self, lang: str | None) -> str:
        words = {key: self._words(key, value, lang) for key, value in self.values.items()}
        return REFUSALS[self.reason].say(lang).format(**words)

    @staticmethod
    def _words(key: str, value, lang: str | None) -> str:
        comma = "、" if lang == "zh" else ", "
        if key in ("state", "to", "verifying"):
            return vocabulary.state_label(value, "zh") if lang == "zh" else repr(value)
        if key in ("states", "allowed"):
            return comma.join(vocabulary.state_label(v, lang) if lang == "zh" else v for v in value)
        if key == "outcomes":
            return comma.join(vocabulary.outcome_label(v, lang) if lang == "zh" else v for v in value)
        if key == "outcome":
            return vocabulary.outcome_label(value, "zh") if lang == "zh" else repr(value)
        return str(value)


class OutbreakStartError(WorkflowError):
    """An outbreak's start refused; ``code`` names why (``vocabulary.OUTBREAK_START_ERRORS``), ``say`` in a language."""

    def __init__(self, code: str, **facts):
        self.code, self.facts = code, {k: str(v) for k, v in facts.items()}
        super().__init__(self.say("en"))

    def say(self, lang: str | None) -> str:
        return vocabulary.OUTBREAK_START_ERRORS[self.code].say(lang).format(**self.facts)


def check_outbreak_start(outbreak_start, *, outcome: str | None, opened_on: date, today: date) -> date | None:
    """The outbreak's start as a day, or None when not given; refused unless closing as a confirmed outbreak,
    on or before the alert's opening day and not after ``today``."""
    if outbreak_start is None or (isinstance(outbreak_start, str) and not outbreak_start.strip()):
        return None
    if outcome != "confirmed_outbreak":
        raise OutbreakStartError("not_confirmed")
    try:
        start = outbreak_start if isinstance(outbreak_start, date) else date.fromisoformat(str(outbreak_start).strip())
    except ValueError:
        raise OutbreakStartError("not_a_date") from None
    if isinstance(start, datetime):
        start = start.date()
    if start > today:
        raise OutbreakStartError("in_future", start=start, today=today)
    if start > opened_on:
        raise OutbreakStartError("after_opening", start=start, opened=opened_on)
    return start


def allowed(state: str) -> tuple[str, ...]:
    return TRANSITIONS.get(state, ())


def check_transition(state: str, to_state: str, outcome: str | None = None, user: str | None = None) -> str:
    """Validate a transition; returns the event's action (``transition`` or ``reopened``)."""
    if not user or not str(user).strip():
        raise WorkflowError("no_user")
    if to_state not in STATES:
        raise WorkflowError("unknown_state", to=to_state, states=STATES)
    if to_state not in allowed(state):
        raise WorkflowError("not_allowed", state=state, to=to_state, allowed=allowed(state))
    if to_state == "closed":
        if outcome is None or outcome == "":
            raise WorkflowError("no_outcome", outcomes=OUTCOMES)
        if outcome not in OUTCOMES:
            raise WorkflowError("unknown_outcome", outcomes=OUTCOMES, outcome=outcome)
        if state == "new" and outcome == "confirmed_outbreak":
            raise WorkflowError("unverified", verifying="verifying")
    elif outcome is not None:
        raise WorkflowError("outcome_too_early", to=to_state)
    return "reopened" if state == "closed" else "transition"


def transition(store, episode_id: int, to_state: str, *, user: str, note: str | None = None,
               outcome: str | None = None, outbreak_start: date | str | None = None,
               at: datetime | None = None) -> dict:
    """Move an episode to ``to_state`` and record the event, in one transaction. Returns the event.
    ``outbreak_start``: when closing as a confirmed outbreak, the day it began (see ``check_outbreak_start``)."""
    at = at or datetime.now()
    with store.transaction() as cur:
        state = episode_state(cur, episode_id)
        if state is None:
            raise WorkflowError("no_alert", id=episode_id)
        action = check_transition(state, to_state, outcome, user)
        start = check_outbreak_start(outbreak_start, outcome=outcome, opened_on=episode_opened_on(cur, episode_id),
                                     today=at.date())
        set_state(cur, episode_id, to_state, outcome if to_state == "closed" else None, at, start)
        said = [] if outcome is None else [notes.note("outcome", outcome=outcome),
                                           *([notes.note("outbreak_began", day=start)] if start else [])]
        event = {"episode_id": episode_id, "at": at, "user_name": user, "action": action, "from_state": state,
                 "to_state": to_state, "outbreak_start": start,
                 "note": notes.joined([*said, *([note] if note else [])]) if said else note}
        record_event(cur, episode_id, at=at, user=user, action=action, from_state=state, to_state=to_state,
                     note=event["note"])
    return event


def add_note(store, episode_id: int, *, user: str, note: str, at: datetime | None = None) -> None:
    if not user or not note:
        raise WorkflowError("empty_note")
    with store.transaction() as cur:
        if episode_state(cur, episode_id) is None:
            raise WorkflowError("no_alert", id=episode_id)
        record_event(cur, episode_id, at=at or datetime.now(), user=user, action="note", note=note)
