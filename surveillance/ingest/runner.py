"""Pulling every configured feed once: the body of the scheduled ingest job."""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from ..errors import FeedError
from ..store import Store
from ..store.write import BatchOutcome, load_feed_state, record_failed_batch
from .dropfolder import process_folder
from .pipeline import IngestContext, ingest_batch


def pull_feed(store: Store, feed, config, today: date,
              progress: Callable[[str, BatchOutcome], None] | None = None) -> list[BatchOutcome]:
    """Ingest what is new in one feed. A feed that fails is recorded as a failed batch, not raised."""
    ctx = IngestContext.for_feed(feed, config, today)
    if feed.kind in ("folder", "fhir"):
        return process_folder(store, feed, ctx, progress=(lambda p, o: progress(str(p), o)) if progress else None)
    if feed.kind == "http":
        from .http import pull_http as pull
        from .http_client import mask_url
    elif feed.kind == "sql":
        from .sql import mask_url, pull_sql as pull
    else:  # a new kind must be wired here
        raise ValueError(f"feed kind {feed.kind!r} has no reader")
    outcomes = []
    started = datetime.now()
    try:
        # Each batch carries the state to save with it, so a failure resumes after the last good one.
        for raw in pull(feed, load_feed_state(store, feed.name)):
            outcome = ingest_batch(store, raw, ctx)
            outcomes.append(outcome)
            if progress:
                progress(raw.label, outcome)
            if outcome.status == "failed":  # stop at a bad page; the next pull retries it
                break
    except FeedError as exc:
        outcomes.append(record_failed_batch(store, feed=feed.name, source=mask_url(feed.url or feed.url_env or feed.name) if feed.kind == "sql" else mask_url(feed.url),
                                            checksum=None, message=str(exc), received_at=started,
                                            started_at=started))
    return outcomes


def pull_all(store: Store, config, today: date,
             progress: Callable[[str, BatchOutcome], None] | None = None) -> dict[str, list[BatchOutcome]]:
    return {feed.name: pull_feed(store, feed, config, today, progress) for feed in config.feeds if feed.enabled}


def summarise(outcomes: dict[str, list[BatchOutcome]]) -> dict:
    """Per feed: batches by status and row counts, for job details and the API."""
    summary = {}
    for name, items in outcomes.items():
        summary[name] = {
            "batches": len(items),
            "failed": sum(o.status == "failed" for o in items),
            "new_rows": sum(o.new_rows for o in items),
            "revised_rows": sum(o.revised_rows for o in items),
            "rejected_rows": sum(o.rejected_rows for o in items),
            "errors": [o.message for o in items if o.status == "failed"][:5],
        }
    return summary
