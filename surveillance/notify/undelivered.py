"""Emails that could not be delivered are a data-quality alert for administrators.

An alert nobody received is as bad as one never raised, and the people who must act on a broken
mail relay read the dashboard, not (only) their mail. So a delivery run that left due messages
undelivered (refused, timed out, unconfirmed, or waiting on a server that cannot be reached) adds a
finding ``email_undelivered`` of the service's email (level ``service``, region ``email``) for that
day, red: an alert nobody received, or that may have been received late, is the service failing at
its one job (and a day's first finding is its finding: signals are one per day, so a yellow one could
not turn red when the retries run out). It becomes a data-quality episode like an outage of a feed (seen by administrators, emailed to
subscriptions with ``data_quality = true`` once the server takes mail again), and ends by itself
once delivery works again for ``alerts.quiet_days``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..alerts.apply import apply_signals
from ..alerts.signals import signals_from_findings
from ..config import Config
from ..notes import delivery_parts, note
from ..quality import FINDING_COLUMNS

KIND, LEVEL, REGION = "email_undelivered", "service", "email"


def undelivered_count(delivery: dict) -> int:
    """Messages a delivery run did not get through (failed, unconfirmed, to retry)."""
    return int(delivery.get("failed", 0) + delivery.get("unconfirmed", 0) + delivery.get("retry", 0))


def delivery_finding(delivery: dict, day: date) -> pd.DataFrame:
    """The ``email_undelivered`` finding of one delivery run's result (none when everything went out)."""
    missing = undelivered_count(delivery)
    if not missing:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    due = missing + int(delivery.get("sent", 0))
    parts = delivery_parts({state: delivery.get(state, 0) for state in ("failed", "unconfirmed", "retry")})
    if delivery.get("error"):
        detail = note("undelivered_error", missing=missing, due=due, parts=parts, error=str(delivery["error"])[:300])
    else:
        detail = note("undelivered", missing=missing, due=due, parts=parts)
    return pd.DataFrame([{"kind": KIND, "level": LEVEL, "region": REGION, "date": pd.Timestamp(day),
                          "severity": "red", "detail": detail,
                          "value": float(missing), "usual": float(due)}], columns=FINDING_COLUMNS)


def raise_delivery_alert(store, config: Config, day: date, delivery: dict) -> bool:
    """Store the run's finding as a signal of the ``quality`` detector and update the episodes; returns
    whether there was one."""
    finding = delivery_finding(delivery, day)
    if finding.empty:
        return False
    with store.transaction() as cur:
        apply_signals(cur, signals_from_findings(finding, as_of=day), today=day, gap_days=config.alerts.gap_days,
                      quiet_days=config.alerts.quiet_days, notify_since=day, by_event=config.alerts.by_event)
    return True
