"""The paged JSON API reader, against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pyarrow as pa
import pytest

from surveillance.config import HttpFeed
from surveillance.errors import FeedError
from surveillance.ingest.http import pull_http
from surveillance.ingest.http_client import mask_url


@dataclass
class Seen:
    path: str
    params: dict
    headers: dict


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0


def json_reply(payload, status: int = 200, **headers) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})


class Api:
    """A scripted API: ``handler(Seen) -> Reply``; every request and body is kept."""

    def __init__(self):
        self.url = ""
        self.requests: list[Seen] = []
        self.bodies: list[bytes] = []
        self.handler = lambda seen: json_reply({"data": []})


@pytest.fixture
def api():
    api = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            seen = Seen(parts.path, dict(parse_qsl(parts.query)), dict(self.headers))
            api.requests.append(seen)
            reply = api.handler(seen)
            api.bodies.append(reply.body)
            try:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/api/visits"
    yield api
    server.shutdown()
    server.server_close()


def records(n: int, start: int = 0) -> list[dict]:
    return [
        {"day": f"2024-03-{1 + i % 28:02d}", "facility": f"F{i:03d}", "syndrome": "fever", "visits": i}
        for i in range(start, start + n)
    ]


def offset_pages(rows: list[dict], *, end_cursor: bool = False):
    """Cursor = offset. The last page's next cursor is null, or (``end_cursor``) the end
    offset, which answers with no records and the same cursor ("nothing new")."""

    def handler(seen: Seen) -> Reply:
        start = int(seen.params.get("cursor", 0))
        limit = int(seen.params["limit"])
        page = rows[start : start + limit]
        end = start + len(page)
        if end < len(rows):
            nxt = str(end)
        else:
            nxt = str(end) if end_cursor else None
        return json_reply({"data": page, "next_cursor": nxt})

    return handler


def feed(api: Api, **kw) -> HttpFeed:
    kw.setdefault("page_size", 3)
    kw.setdefault("backoff_seconds", 0.0)
    return HttpFeed(kind="http", name="clinics", url=api.url, **kw)


def concat(batches) -> pd.DataFrame:
    return pd.concat([b.frame for b in batches], ignore_index=True)


# --- paging and incremental state ----------------------------------------------------


def test_pages_through_three_pages_one_batch_each(api):
    rows = records(7)
    api.handler = offset_pages(rows)
    batches = list(pull_http(feed(api), {}))

    assert len(batches) == 3
    assert [len(b.frame) for b in batches] == [3, 3, 1]
    assert concat(batches).to_dict("records") == rows
    assert [r.params.get("cursor") for r in api.requests] == [None, "3", "6"]
    assert all(r.params["limit"] == "3" for r in api.requests)
    assert [b.state for b in batches] == [{"cursor": "3"}, {"cursor": "6"}, {"cursor": "6"}]
    assert [b.label for b in batches] == [
        f"http:clinics {api.url} cursor=-",
        f"http:clinics {api.url} cursor=3",
        f"http:clinics {api.url} cursor=6",
    ]
    assert [b.checksum for b in batches] == [hashlib.sha256(body).hexdigest() for body in api.bodies]


def test_resumes_from_saved_cursor(api):
    rows = records(7)
    api.handler = offset_pages(rows)
    batches = list(pull_http(feed(api), {"cursor": "3"}))
    assert [r.params.get("cursor") for r in api.requests] == ["3", "6"]
    assert concat(batches).to_dict("records") == rows[3:]


def test_interrupted_pull_resumes_at_first_uncommitted_page(api):
    rows = records(7)
    api.handler = offset_pages(rows)
    pull = pull_http(feed(api), {})
    first = next(pull)
    pull.close()  # interrupted after the first page was committed
    rest = list(pull_http(feed(api), first.state))
    assert concat([first, *rest]).to_dict("records") == rows
    assert [r.params.get("cursor") for r in api.requests] == [None, "3", "6"]


def test_same_cursor_without_records_means_nothing_new(api):
    rows = records(7)
    api.handler = offset_pages(rows, end_cursor=True)
    batches = list(pull_http(feed(api), {}))
    state = batches[-1].state
    assert state == {"cursor": "7"}
    assert len(concat(batches)) == 7

    api.requests.clear()
    assert list(pull_http(feed(api), state)) == []
    assert [r.params.get("cursor") for r in api.requests] == ["7"]

    rows.extend(records(2, start=7))
    new = list(pull_http(feed(api), state))
    assert concat(new).to_dict("records") == rows[7:]
    assert new[-1].state == {"cursor": "9"}


def test_modified_since(api):
    rows = [
        {"facility": "F1", "day": "2024-03-01", "visits": 5, "modified": "2024-03-02T08:00:00+08:00"},
        {"facility": "F2", "day": "2024-03-01", "visits": 7, "modified": "2024-03-02T09:30:00+08:00"},
        {"facility": "F3", "day": "2024-03-01", "visits": 2, "modified": "2024-03-02T07:00:00+08:00"},
        {"facility": "F4", "day": "2024-03-01", "visits": 1, "modified": "2024-03-02T01:10:00Z"},
    ]

    def handler(seen: Seen) -> Reply:
        since = seen.params.get("modified_since")
        chosen = [r for r in rows if since is None or r["modified"] > since]
        start = int(seen.params.get("cursor", 0))
        page = chosen[start : start + int(seen.params["limit"])]
        end = start + len(page)
        return json_reply({"data": page, "next_cursor": str(end) if end < len(chosen) else None})

    api.handler = handler
    f = feed(api, incremental="modified_since")
    batches = list(pull_http(f, {}))
    assert "modified_since" not in api.requests[0].params
    assert [len(b.frame) for b in batches] == [3, 1]
    # Mid-pull the mark has not moved yet; the newest seen so far travels with the cursor.
    assert batches[0].state == {"cursor": "3", "newest_seen": "2024-03-02T09:30:00+08:00"}
    # 01:10Z is 09:10+08:00: earlier than 09:30+08:00 although its text sorts later.
    assert batches[1].state == {"modified_since": "2024-03-02T09:30:00+08:00"}
    assert "modified_since=-" in batches[0].label

    rows.append({"facility": "F5", "day": "2024-03-02", "visits": 3, "modified": "2024-03-03T08:00:00+08:00"})
    rows[0] = {**rows[0], "visits": 6, "modified": "2024-03-03T09:00:00+08:00"}  # a correction
    api.requests.clear()
    again = list(pull_http(f, batches[-1].state))
    assert api.requests[0].params["modified_since"] == "2024-03-02T09:30:00+08:00"
    assert sorted(concat(again)["facility"]) == ["F1", "F5"]
    assert again[-1].state == {"modified_since": "2024-03-03T09:00:00+08:00"}

    api.requests.clear()
    assert list(pull_http(f, again[-1].state)) == []  # nothing newer: no batch
    assert len(api.requests) == 1


def test_modified_since_resumes_interrupted_pull_with_same_mark(api):
    rows = [{"id": i, "modified": 100 + i} for i in range(5)]

    def handler(seen: Seen) -> Reply:
        since = int(seen.params.get("modified_since", 0))
        chosen = [r for r in rows if r["modified"] > since]
        start = int(seen.params.get("cursor", 0))
        page = chosen[start : start + 2]
        end = start + len(page)
        return json_reply({"data": page, "next_cursor": end if end < len(chosen) else None})

    api.handler = handler
    f = feed(api, incremental="modified_since", page_size=2)
    pull = pull_http(f, {"modified_since": 100})
    first = next(pull)
    pull.close()
    assert first.state == {"cursor": 2, "modified_since": 100, "newest_seen": 102}
    rest = list(pull_http(f, first.state))
    assert api.requests[1].params == {"limit": "2", "modified_since": "100", "cursor": "2"}
    assert [r["id"] for r in concat([first, *rest]).to_dict("records")] == [1, 2, 3, 4]
    assert rest[-1].state == {"modified_since": 104}


def test_modified_since_needs_the_modified_field(api):
    api.handler = lambda seen: json_reply({"data": [{"facility": "F1"}], "next_cursor": None})
    with pytest.raises(FeedError, match=r"none of the 1 records has a 'modified' field"):
        list(pull_http(feed(api, incremental="modified_since"), {}))


def test_empty_last_page_still_moves_the_mark(api):
    def handler(seen: Seen) -> Reply:
        if "cursor" not in seen.params:
            return json_reply({"data": [{"id": 1, "modified": 7}], "next_cursor": "p2"})
        return json_reply({"data": [], "next_cursor": None})

    api.handler = handler
    batches = list(pull_http(feed(api, incremental="modified_since"), {}))
    assert [len(b.frame) for b in batches] == [1, 0]
    assert batches[-1].state == {"modified_since": 7}
    # A batch with no rows still has the canonical columns, so it can be stored as such.
    assert list(batches[-1].frame.columns) == ["date", "unit", "syndrome", "age_group", "count", "total"]


def test_not_incremental_reads_everything_and_keeps_no_state(api):
    rows = records(5)
    api.handler = offset_pages(rows)
    f = feed(api, incremental="none")
    for _ in range(2):
        batches = list(pull_http(f, {"cursor": "3"}))  # a stale cursor is ignored
        assert concat(batches).to_dict("records") == rows
        assert [b.state for b in batches] == [{}, {}]


def test_mixed_and_nested_values_become_text(api):
    api.handler = lambda seen: json_reply({"data": [
        {"unit": "F1", "count": 5, "extra": {"source": "his"}},
        {"unit": "F2", "count": "7", "extra": None},
    ]})
    frame = concat(list(pull_http(feed(api), {})))
    assert frame["count"].tolist() == ["5", "7"]
    assert frame["extra"].tolist()[0] == '{"source": "his"}'
    pa.Table.from_pandas(frame, preserve_index=False)  # every column converts


# --- retries, timeouts and errors ----------------------------------------------------


def test_retries_after_two_503_then_succeeds(api):
    calls = []

    def handler(seen: Seen) -> Reply:
        calls.append(1)
        if len(calls) <= 2:
            return Reply(503, b"busy, try later", {"Content-Type": "text/plain"})
        return json_reply({"data": records(2), "next_cursor": None})

    api.handler = handler
    sleeps: list[float] = []
    batches = list(pull_http(feed(api, retries=3, backoff_seconds=0.5), {}, sleep=sleeps.append))
    assert len(api.requests) == 3
    assert sleeps == [0.5, 1.0]
    assert len(concat(batches)) == 2


def test_429_honours_retry_after(api):
    calls = []

    def handler(seen: Seen) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply(429, b"slow down", {"Retry-After": "4"})
        return json_reply({"data": records(1)})

    api.handler = handler
    sleeps: list[float] = []
    list(pull_http(feed(api, retries=2, backoff_seconds=0.5), {}, sleep=sleeps.append))
    assert sleeps == [4.0]


def test_retry_after_as_http_date_uses_the_clock(api):
    from datetime import datetime, timezone

    calls = []

    def handler(seen: Seen) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply(503, b"maintenance", {"Retry-After": "Fri, 01 Mar 2024 08:00:30 GMT"})
        return json_reply({"data": records(1)})

    api.handler = handler
    sleeps: list[float] = []
    clock = lambda: datetime(2024, 3, 1, 8, 0, 0, tzinfo=timezone.utc)  # noqa: E731
    list(pull_http(feed(api, retries=1, backoff_seconds=1.0), {}, now=clock, sleep=sleeps.append))
    assert sleeps == [30.0]


def test_gives_up_after_retries_with_status_and_body(api):
    api.handler = lambda seen: Reply(502, b"<html>\n<h1>Bad gateway</h1>\n</html>", {"Content-Type": "text/html"})
    sleeps: list[float] = []
    with pytest.raises(FeedError) as info:
        list(pull_http(feed(api, retries=2, backoff_seconds=0.25), {}, sleep=sleeps.append))
    message = str(info.value)
    assert len(api.requests) == 3
    assert sleeps == [0.25, 0.5]
    assert message.startswith(f"feed clinics: {api.url} cursor=-: HTTP 502 Bad Gateway after 3 tries")
    assert "<h1>Bad gateway</h1>" in message
    assert "\n" not in message


def test_timeout(api):
    api.handler = lambda seen: Reply(delay=0.6, body=b'{"data": []}')
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"timed out after 2 tries \(0\.2 s each\)") as info:
        list(pull_http(feed(api, timeout_seconds=0.2, retries=1), {}))
    assert time.monotonic() - started < 1.5
    assert "feed clinics" in str(info.value) and api.url in str(info.value)


def test_unreachable_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = HttpFeed(kind="http", name="clinics", url=f"http://127.0.0.1:{port}/x", retries=1, backoff_seconds=0)
    with pytest.raises(FeedError, match=r"feed clinics: http://127\.0\.0\.1:\d+/x cursor=-: could not connect after 2 tries"):
        list(pull_http(f, {}))


def test_garbage_body(api):
    html = "<!DOCTYPE html><html><head><title>Login</title></head><body>" + "x" * 500 + "</body></html>"
    api.handler = lambda seen: Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})
    with pytest.raises(FeedError) as info:
        list(pull_http(feed(api), {}))
    message = str(info.value)
    assert "returned garbage: not JSON (text/html; charset=utf-8" in message
    assert "<!DOCTYPE html><html><head><title>Login" in message
    assert "x" * 201 not in message  # the body is quoted, not dumped


def test_json_without_records_field(api):
    api.handler = lambda seen: json_reply({"items": records(2), "next": None})
    with pytest.raises(FeedError, match=r"response has no 'data' field \(fields: items, next\)"):
        list(pull_http(feed(api), {}))


@pytest.mark.parametrize(
    "payload, why",
    [
        ({"data": "F1,fever,3"}, r"'data' is a JSON string, not a list of records"),
        ({"data": [{"a": 1}, [1, 2]]}, r"record 2 of 'data' is a JSON list, not an object"),
        ([{"a": 1}], r"response is a JSON list, not an object with a 'data' field"),
    ],
)
def test_records_must_be_a_list_of_objects(api, payload, why):
    api.handler = lambda seen: json_reply(payload)
    with pytest.raises(FeedError, match=why):
        list(pull_http(feed(api), {}))


def test_404_fails_without_retry(api):
    api.handler = lambda seen: Reply(404, b'{"error": "no such dataset"}')
    sleeps: list[float] = []
    with pytest.raises(FeedError, match=r"HTTP 404 Not Found: '\{\"error\": \"no such dataset\"\}'"):
        list(pull_http(feed(api, retries=5), {}, sleep=sleeps.append))
    assert len(api.requests) == 1
    assert sleeps == []


def test_max_pages(api):
    api.handler = lambda seen: json_reply(
        {"data": records(1), "next_cursor": str(int(seen.params.get("cursor", 0)) + 1)}
    )
    with pytest.raises(FeedError, match=r"more than max_pages=3 pages"):
        list(pull_http(feed(api, max_pages=3), {}))
    assert len(api.requests) == 3


# --- authentication ------------------------------------------------------------------


def test_bearer_token_sent_and_never_shown(api, monkeypatch, caplog):
    monkeypatch.setenv("CLINICS_TOKEN", "s3cret-t0ken")
    api.handler = lambda seen: json_reply({"data": records(1)})
    caplog.set_level(logging.DEBUG)
    list(pull_http(feed(api, token_env="CLINICS_TOKEN", headers={"X-Client": "cdc"}), {}))
    seen = api.requests[0].headers
    assert seen["Authorization"] == "Bearer s3cret-t0ken"
    assert seen["X-Client"] == "cdc"

    api.handler = lambda seen: Reply(503, b"down")
    with pytest.raises(FeedError) as info:
        list(pull_http(feed(api, token_env="CLINICS_TOKEN", retries=1), {}))
    assert "s3cret" not in str(info.value)
    assert "s3cret" not in caplog.text


def test_missing_token_variable(api, monkeypatch):
    monkeypatch.delenv("CLINICS_TOKEN", raising=False)
    with pytest.raises(FeedError, match=r"environment variable CLINICS_TOKEN \(token_env\) is not set"):
        list(pull_http(feed(api, token_env="CLINICS_TOKEN"), {}))
    assert api.requests == []


def test_mask_url():
    assert mask_url("https://bob:pw@example.org/v1?api_key=abc&day=1") == "https://bob:***@example.org/v1?api_key=***&day=1"
    assert mask_url("https://example.org/v1?day=1") == "https://example.org/v1?day=1"
