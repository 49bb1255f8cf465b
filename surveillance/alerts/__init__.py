"""Alerts: signals from detector output, episodes with their evidence, and the workflow.

    signals_from_result(result, panel, level=..., severity_thresholds=...) -> DataFrame
    update_episodes(existing, new_signals, neighbours, today, gap_days, quiet_days) -> (episodes, events, evidence)
    transition(store, episode_id, "verifying", user="li.wei", note="called the county CDC")

The functions are pure; :func:`apply.apply_signals` stores a cycle's output through the store's API.
"""

from .episodes import update_episodes
from .signals import severity_from_pvalue, signals_from_clusters, signals_from_findings, signals_from_result
from .workflow import OUTCOMES, STATES, TRANSITIONS, WorkflowError, add_note, check_transition, transition

__all__ = [
    "OUTCOMES", "STATES", "TRANSITIONS", "WorkflowError", "add_note", "check_transition", "severity_from_pvalue",
    "signals_from_clusters", "signals_from_findings", "signals_from_result", "transition", "update_episodes",
]
