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
to :data:`MAX_RETRY_AFTER_SECONDS`); other 4xx fail at once. Every failure raises
:class:`~surveillance.errors.FeedError` with one line naming the feed, the URL and why.
The bearer token is read from the environment variable named by ``feed.token_env`` and
is never logged or shown in errors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import requests

from ..config import HttpFeed, secret
from ..errors import FeedError
from ..vocabulary import OBSERVATION_COLUMNS
from .batch import RawBatch, json_type, plain_objects

log = logging.getLogger(__name__)

# A server's Retry-After is honoured up to this many seconds per wait.
MAX_RETRY_AFTER_SECONDS = 300.0
# How much of an unexpected body an error message quotes.
SNIPPET_CHARS = 200

_SECRET_PARAM = re.compile(r"(token|key|secret|passw|sig|auth)", re.IGNORECASE)


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
    client = _Client(feed, sleep=sleep, clock=clock, session=session)
    try:
        if feed.incremental == "cursor":
            yield from _pull_cursor(feed, state, client)
        else:
            yield from _pull_sweep(feed, state, client)
    finally:
        client.close()


# --- the two paging disciplines ------------------------------------------------------


def _pull_cursor(feed: HttpFeed, state: dict, client: "_Client") -> Iterator[RawBatch]:
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


def _pull_sweep(feed: HttpFeed, state: dict, client: "_Client") -> Iterator[RawBatch]:
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


def _count_page(feed: HttpFeed, client: "_Client", pages: int, cursor) -> int:
    if pages >= feed.max_pages:
        raise client.error(
            f"more than max_pages={feed.max_pages} pages in one pull (stopped before cursor "
            f"{cursor!r}); raise max_pages or check that the API's next cursor advances"
        )
    return pages + 1


def _newest(feed: HttpFeed, client: "_Client", page: "_Page", newest):
    if not page.records:
        return newest
    values = [r[feed.modified_field] for r in page.records if r.get(feed.modified_field) is not None]
    if not values:
        raise client.error(
            f"none of the {len(page.records)} records has a "
            f"{feed.modified_field!r} field, which incremental='modified_since' needs "
            f"(set modified_field to the API's modification-time field)",
            f"cursor={_show(page.cursor)}",
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


# --- one page ------------------------------------------------------------------------


class _Page:
    def __init__(self, feed: HttpFeed, url: str, cursor, since, body: bytes, records, next_cursor):
        self.feed = feed
        self.url = url
        self.cursor = cursor
        self.since = since
        self.body = body
        self.records = records
        self.next_cursor = next_cursor

    def batch(self, state: dict) -> RawBatch:
        label = f"http:{self.feed.name} {self.url} cursor={_show(self.cursor)}"
        if self.feed.incremental == "modified_since":
            label += f" {self.feed.since_param}={_show(self.since)}"
        return RawBatch(
            label=label,
            frame=(
                plain_objects(pd.DataFrame.from_records(self.records))
                if self.records
                else pd.DataFrame(columns=list(OBSERVATION_COLUMNS))
            ),
            checksum=hashlib.sha256(self.body).hexdigest(),
            state=state,
        )






def _show(value) -> str:
    return "-" if value is None else str(value)


class _Client:
    """Requests with timeout, retries, backoff and one-line errors."""

    def __init__(self, feed: HttpFeed, *, sleep, clock, session):
        self.feed = feed
        self.sleep = sleep
        self.clock = clock
        self.own_session = session is None
        self.session = session or requests.Session()
        self.url = mask_url(feed.url)
        self.headers = {"Accept": "application/json", **feed.headers}
        if feed.token_env:
            token = secret(feed.token_env)
            if not token:
                raise self.error(
                    f"environment variable {feed.token_env} (token_env) is not set; it must hold the bearer token"
                )
            self.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        if self.own_session:
            self.session.close()

    def error(self, why: str, where: str | None = None) -> FeedError:
        at = f"{self.url} {where}" if where else self.url
        return FeedError(_one_line(f"feed {self.feed.name}: {at}: {why}"))

    def get_page(self, *, cursor, since) -> _Page:
        feed = self.feed
        params: dict[str, Any] = {feed.page_size_param: feed.page_size}
        if since is not None:
            params[feed.since_param] = since
        if cursor is not None:
            params[feed.cursor_param] = cursor
        where = f"cursor={_show(cursor)}"
        response = self._get(params, where)
        body = response.content
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            kind = response.headers.get("Content-Type", "no Content-Type")
            raise self.error(
                f"returned garbage: not JSON ({kind}, {len(body)} bytes): {_snippet(body)}", where
            ) from None
        records = _records(self, payload, where)
        next_cursor = _field(payload, feed.next_cursor_field) if isinstance(payload, dict) else None
        if isinstance(next_cursor, (dict, list)):
            raise self.error(
                f"next cursor {feed.next_cursor_field!r} is a JSON {json_type(next_cursor)}, "
                "not a string or number",
                where,
            )
        if next_cursor == "":
            next_cursor = None
        log.info("feed %s: %s %s: %d records", feed.name, self.url, where, len(records))
        return _Page(feed, self.url, cursor, since, body, records, next_cursor)

    def _get(self, params: dict, where: str) -> requests.Response:
        feed = self.feed
        tries = feed.retries + 1
        for attempt in range(1, tries + 1):
            wait = feed.backoff_seconds * 2 ** (attempt - 1)
            try:
                response = self.session.get(
                    feed.url, params=params, headers=self.headers, timeout=feed.timeout_seconds
                )
            except requests.Timeout:
                failure = f"timed out after {_tries(tries)} ({feed.timeout_seconds:g} s each)"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                failure = f"could not connect after {_tries(tries)}: {_reason(exc)}"
            except requests.RequestException as exc:
                raise self.error(f"request failed: {_reason(exc)}", where) from None
            else:
                status = response.status_code
                if status < 400:
                    return response
                summary = f"HTTP {status} {response.reason or ''}".rstrip()
                if status != 429 and status < 500:
                    raise self.error(f"{summary}: {_snippet(response.content)}", where)
                failure = f"{summary} after {_tries(tries)}: {_snippet(response.content)}"
                wait = max(wait, self._retry_after(response))
            if attempt < tries:
                log.warning(
                    "feed %s: %s %s: attempt %d of %d failed (%s); retrying in %.3g s",
                    feed.name, self.url, where, attempt, tries, failure, wait,
                )
                self.sleep(wait)
        raise self.error(failure, where)

    def _retry_after(self, response: requests.Response) -> float:
        value = response.headers.get("Retry-After")
        if not value:
            return 0.0
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = (parsedate_to_datetime(value) - self.clock()).total_seconds()
            except (TypeError, ValueError):
                return 0.0
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _records(client: _Client, payload, where: str) -> list[dict]:
    name = client.feed.records_field
    if not isinstance(payload, dict):
        raise client.error(
            f"response is a JSON {json_type(payload)}, not an object with a {name!r} field", where
        )
    records = _field(payload, name, missing=_MISSING)
    if records is _MISSING:
        fields = ", ".join(list(payload)[:10]) or "none"
        raise client.error(
            f"response has no {name!r} field (fields: {fields}); set records_field to the "
            "field that holds the records",
            where,
        )
    if records is None:
        return []
    if not isinstance(records, list):
        raise client.error(f"{name!r} is a JSON {json_type(records)}, not a list of records", where)
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise client.error(
                f"record {i} of {name!r} is a JSON {json_type(record)}, not an object", where
            )
    return records


_MISSING = object()


def _field(payload: dict, name: str, missing=None):
    """``payload[name]``, or a dotted path into nested objects (``"meta.next"``)."""
    if name in payload:
        return payload[name]
    node: Any = payload
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return missing
        node = node[part]
    return node




def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


def _reason(exc: Exception) -> str:
    """The innermost useful message of a requests exception."""
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\][^')\"]*|Connection refused|Connection reset[^')\"]*", text)
    if match:
        return match.group(0).strip()
    return text


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return repr(text[:SNIPPET_CHARS]) + ("..." if len(text) > SNIPPET_CHARS else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def mask_url(url: str) -> str:
    """``url`` safe to show: a password in it and secret-looking query values become ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
