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

from .. import vocabulary
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


class WorkflowError(SurveillanceError):
    """A transition the workflow does not allow (the message says which ones it does)."""


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
        raise WorkflowError("a workflow change needs the user who makes it")
    if to_state not in STATES:
        raise WorkflowError(f"unknown state {to_state!r}; states: {', '.join(STATES)}")
    if to_state not in allowed(state):
        raise WorkflowError(f"an alert in state {state!r} cannot move to {to_state!r}; "
                            f"allowed from {state!r}: {', '.join(allowed(state))}")
    if to_state == "closed":
        if outcome not in OUTCOMES:
            raise WorkflowError(f"closing an alert needs an outcome: {', '.join(OUTCOMES)} (got {outcome!r})")
        if state == "new" and outcome == "confirmed_outbreak":
            raise WorkflowError("a new alert cannot be closed as a confirmed outbreak without verification; "
                                "move it to 'verifying' first")
    elif outcome is not None:
        raise WorkflowError(f"an outcome is given only when closing an alert, not when moving to {to_state!r}")
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
            raise WorkflowError(f"no alert {episode_id}")
        action = check_transition(state, to_state, outcome, user)
        start = check_outbreak_start(outbreak_start, outcome=outcome, opened_on=episode_opened_on(cur, episode_id),
                                     today=at.date())
        set_state(cur, episode_id, to_state, outcome if to_state == "closed" else None, at, start)
        said = None if outcome is None else f"outcome: {outcome}" + (f"; outbreak began {start}" if start else "")
        event = {"episode_id": episode_id, "at": at, "user_name": user, "action": action, "from_state": state,
                 "to_state": to_state, "outbreak_start": start,
                 "note": note if said is None else said + (f"; {note}" if note else "")}
        record_event(cur, episode_id, at=at, user=user, action=action, from_state=state, to_state=to_state,
                     note=event["note"])
    return event


def add_note(store, episode_id: int, *, user: str, note: str, at: datetime | None = None) -> None:
    if not user or not note:
        raise WorkflowError("a note needs a user and a text")
    with store.transaction() as cur:
        if episode_state(cur, episode_id) is None:
            raise WorkflowError(f"no alert {episode_id}")
        record_event(cur, episode_id, at=at or datetime.now(), user=user, action="note", note=note)
