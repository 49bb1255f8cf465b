"""Email: who gets which alert (subscriptions), composition in English or Chinese, the outbox
and delivery over SMTP with retries.

    queue_alert_messages(store, config, today)   # after the detect job
    deliver(store, config)                        # now, and again on the service's retry schedule
"""

from .compose import alert_link, compose_alert, compose_digest
from ..store.outbox import outbox_status
from .delivery import deliver
from .outbox import queue_alert_messages, queue_digests, subscribers_for

__all__ = ["alert_link", "compose_alert", "compose_digest", "deliver", "outbox_status", "queue_alert_messages",
           "queue_digests", "subscribers_for"]
