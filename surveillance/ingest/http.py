"""Pull a paged JSON API into raw batches, one per page.

Each response is a JSON object holding a list of flat records under ``feed.records_field``
and, while more pages follow, the next cursor under ``feed.next_cursor_field`` (null or
absent on the last page). Both field names may be dotted paths (``"meta.next"``) for
APIs that nest them. The page size is sent as ``feed.page_size_param``, the cursor as
``feed.cursor_param``.

Incremental state (``RawBatch.state``, saved by the pipeline once a page is committed):

``incremental = "cursor"``
    ``{"cursor": c}``: the cursor to ask for next. A pull starts from the saved cursor and
    follows the API's next cursors. An API that answers a cursor with no records and the
    same (or no) next cursor has nothing new: no batch is produced. When the last page
    has a null next cursor, the cursor that fetched it is kept, so the next pull asks for
    that page again and picks up records appended to it (the rows already stored are
    unchanged, so re-reading them changes nothing).

``incremental = "modified_since"``
    ``{"modified_since": m}``: the newest ``feed.modified_field`` value of the last
    complete pull, sent as ``feed.since_param`` (omitted on the first pull). Within a pull
    the pages are followed by cursor; while a pull is under way the state also holds
    ``cursor`` and ``newest_seen``, so an interrupted pull resumes at its first
    uncommitted page with the same ``modified_since``. The mark moves only when a pull
    has reached its last page, so records that arrive out of order within one pull are
    never skipped. Modification values are compared as numbers, as ISO-8601 timestamps
    (offsets respected) or else as text, and sent back exactly as the API wrote them.

``incremental = "none"``
    Every pull reads all pages from the first; the state is always empty (an interrupted
    pull starts again; pages already stored are recognised by their checksum).

A page with no records produces no batch, except when it is the only place the state
moves forward (e.g. the last page of a ``modified_since`` pull is empty): then a batch
with no rows (an empty frame with the canonical column names) carries the new state.

Requests time out after ``feed.timeout_seconds`` (connecting, and each read). Connection
errors, timeouts, HTTP 429 and 5xx are retried ``feed.retries`` times with exponential
backoff (``backoff_seconds``, then twice that, ...; a longer ``Retry-After`` is honoured up
to :data:`.http_client.MAX_RETRY_AFTER_SECONDS`); other 4xx fail at once. Every failure raises
:class:`~surveillance.errors.FeedError` with one line naming the feed, the URL and why.
The bearer token is read from the environment variable named by ``feed.token_env`` and
is never logged or shown in errors.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import requests

from ..config import HttpFeed
from .batch import RawBatch
from .http_client import Client, Page, show


def pull_http(
    feed: HttpFeed,
    state: dict,
    *,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
) -> Iterator[RawBatch]:
    """Yield one :class:`RawBatch` per page of ``feed``, resuming from ``state``.

    ``now`` (a clock returning an aware datetime; default UTC now) and ``sleep`` are
    injectable so tests control time; ``session`` lets a caller reuse connections.
    Errors surface while iterating, as :class:`FeedError`; batches yielded before an
    error are complete and their state is safe to save.
    """
    state = dict(state or {})
    clock = now or (lambda: datetime.now(timezone.utc))
    client = Client(feed, sleep=sleep, clock=clock, session=session)
    try:
        if feed.incremental == "cursor":
            yield from _pull_cursor(feed, state, client)
        else:
            yield from _pull_sweep(feed, state, client)
    finally:
        client.close()


# --- the two paging disciplines ------------------------------------------------------


def _pull_cursor(feed: HttpFeed, state: dict, client: "Client") -> Iterator[RawBatch]:
    cursor = state.get("cursor")
    saved = {"cursor": cursor} if cursor is not None else {}
    pages = 0
    while True:
        pages = _count_page(feed, client, pages, cursor)
        page = client.get_page(cursor=cursor, since=None)
        nxt = page.next_cursor
        ended = nxt is None or nxt == cursor
        new_cursor = cursor if nxt is None else nxt
        new_state = {"cursor": new_cursor} if new_cursor is not None else {}
        if page.records or new_state != saved:
            yield page.batch(new_state)
            saved = new_state
        if ended:
            return
        cursor = nxt


def _pull_sweep(feed: HttpFeed, state: dict, client: "Client") -> Iterator[RawBatch]:
    """Read from the first page (or an interrupted pull's cursor) to the last."""
    incremental = feed.incremental == "modified_since"
    if not incremental:
        state = {}
    since = state.get("modified_since") if incremental else None
    cursor = state.get("cursor")
    newest = state.get("newest_seen", since) if incremental else None
    saved = dict(state)
    pages = 0
    while True:
        pages = _count_page(feed, client, pages, cursor)
        page = client.get_page(cursor=cursor, since=since)
        if incremental:
            newest = _newest(feed, client, page, newest)
        nxt = page.next_cursor
        ended = nxt is None or nxt == cursor
        if not incremental:
            new_state: dict[str, Any] = {}
        elif ended:
            new_state = {"modified_since": newest} if newest is not None else {}
        else:
            new_state = {"cursor": nxt}
            if since is not None:
                new_state["modified_since"] = since
            if newest is not None:
                new_state["newest_seen"] = newest
        if page.records or new_state != saved:
            yield page.batch(new_state)
            saved = new_state
        if ended:
            return
        cursor = nxt


def _count_page(feed: HttpFeed, client: "Client", pages: int, cursor) -> int:
    if pages >= feed.max_pages:
        raise client.error(
            f"more than max_pages={feed.max_pages} pages in one pull (stopped before cursor "
            f"{cursor!r}); raise max_pages or check that the API's next cursor advances"
        )
    return pages + 1


def _newest(feed: HttpFeed, client: "Client", page: "Page", newest):
    if not page.records:
        return newest
    values = [r[feed.modified_field] for r in page.records if r.get(feed.modified_field) is not None]
    if not values:
        raise client.error(
            f"none of the {len(page.records)} records has a "
            f"{feed.modified_field!r} field, which incremental='modified_since' needs "
            f"(set modified_field to the API's modification-time field)",
            f"cursor={show(page.cursor)}",
        )
    for value in values:
        if newest is None or _later(value, newest):
            newest = value
    return newest


def _later(a, b) -> bool:
    """Whether modification value ``a`` is after ``b`` (numbers, ISO timestamps, else text)."""
    ka, kb = _order_key(a), _order_key(b)
    if type(ka[1]) is type(kb[1]) and ka[0] == kb[0]:
        return ka[1] > kb[1]
    return str(a) > str(b)


def _order_key(value):
    if isinstance(value, bool):
        return ("text", str(value))
    if isinstance(value, (int, float)):
        return ("number", float(value))
    text = str(value).strip()
    try:
        return ("number", float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ("text", text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return ("time", moment.timestamp())
