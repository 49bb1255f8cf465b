"""One page of a paged JSON API: requests with a timeout, retries with backoff and one-line errors,
the records and next cursor of a response, and URLs with their secrets masked (see :mod:`.http`)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from email.utils import parsedate_to_datetime
from typing import Any
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


class Page:
    def __init__(self, feed: HttpFeed, url: str, cursor, since, body: bytes, records, next_cursor):
        self.feed = feed
        self.url = url
        self.cursor = cursor
        self.since = since
        self.body = body
        self.records = records
        self.next_cursor = next_cursor

    def batch(self, state: dict) -> RawBatch:
        label = f"http:{self.feed.name} {self.url} cursor={show(self.cursor)}"
        if self.feed.incremental == "modified_since":
            label += f" {self.feed.since_param}={show(self.since)}"
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


def show(value) -> str:
    return "-" if value is None else str(value)


class Client:
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

    def get_page(self, *, cursor, since) -> Page:
        feed = self.feed
        params: dict[str, Any] = {feed.page_size_param: feed.page_size}
        if since is not None:
            params[feed.since_param] = since
        if cursor is not None:
            params[feed.cursor_param] = cursor
        where = f"cursor={show(cursor)}"
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
        return Page(feed, self.url, cursor, since, body, records, next_cursor)

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


def _records(client: Client, payload, where: str) -> list[dict]:
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
