"""Pull rows from a SQL database into raw batches.

The feed's ``query`` is plain SQL returning the source's columns (the pipeline maps them).
It runs through SQLAlchemy against ``feed.url``, or the URL held by the environment
variable ``feed.url_env`` when that is set (the place for a URL with a password). The
result is read in chunks of ``chunksize`` rows, one :class:`RawBatch` per chunk.

Incremental pulls (``feed.incremental_column``): the user's query is wrapped, so it never
needs a parameter of its own::

    SELECT * FROM (<query>) q WHERE q.<col> > :since ORDER BY q.<col>

and on the first pull (no state) ``SELECT * FROM (<query>) q ORDER BY q.<col>``, which
takes everything. ``<col>`` must be a column of the query's result (an alias if the query
renames it). The state ``{"column": col, "since": value, "type": kind}`` is the largest
value committed so far, in the database's own ordering; ``type`` (int, float, decimal,
datetime, date, text) restores the value's Python type when it is bound again. Rows that
share a value of ``<col>`` are never split across batches, so saving a batch's state can
never skip the rest of its tie. Rows whose ``<col>`` is NULL are taken by the first pull
only: they have no place in the sequence. If ``incremental_column`` changes, a state
saved for another column is ignored and the next pull takes everything again. The query
must not end with something that cannot sit in a subquery (SQL Server does not allow
ORDER BY in a subquery without TOP).

Without ``incremental_column`` every pull runs the query as written and takes
everything; re-ingesting unchanged rows changes nothing in the store.

``feed.timeout_seconds`` becomes the driver's connect timeout (and the statement timeout
on PostgreSQL, the read timeout on MySQL, the busy timeout on SQLite). SQLite files are
opened read-only, so a mistyped path fails instead of creating an empty database.

Every failure raises :class:`~surveillance.errors.FeedError` naming the feed, the URL
with its password masked, and the first line of the database's error.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import logging
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, quote_plus

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ..config import SqlFeed, secret
from ..errors import FeedError
from .batch import RawBatch, plain_objects

log = logging.getLogger(__name__)

# Rows per batch; a large result becomes several batches.
CHUNK_ROWS = 50_000


def pull_sql(feed: SqlFeed, state: dict, *, chunksize: int | None = None) -> Iterator[RawBatch]:
    """Yield the rows of ``feed.query`` newer than ``state``, ``chunksize`` rows a batch.

    Nothing new yields nothing. Errors surface while iterating, as :class:`FeedError`.
    """
    chunksize = chunksize or feed.chunk_rows
    if chunksize <= 0:
        raise ValueError("chunksize must be positive")
    raw_url = _url_text(feed)
    shown = mask_url(raw_url)
    password = _password(raw_url)

    def fail(why: str, exc: BaseException | None = None) -> FeedError:
        text = f"feed {feed.name}: {shown}: {why}"
        if exc is not None:
            text += f": {_first_line(exc)}"
        if password:
            for form in {password, quote_plus(password), quote(password, safe="")}:
                text = text.replace(form, "***")
        return FeedError(" ".join(text.split()))

    try:
        url = make_url(raw_url)
        engine = sa.create_engine(_read_only(url), poolclass=NullPool, connect_args=_timeouts(url, feed.timeout_seconds))
    except ImportError as exc:
        raise fail("the database driver is not installed", exc) from None
    except (sa.exc.SQLAlchemyError, ValueError) as exc:
        raise fail("cannot use this database URL", exc) from None

    column = feed.incremental_column
    since, kind = _since(feed, state)
    try:
        try:
            conn = engine.connect().execution_options(stream_results=True)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            raise fail("cannot connect", exc) from None
        with conn:
            sql, params = _statement(feed.query, column, since, kind, engine.dialect)
            where = f"since={since}" if column and since is not None else ""
            label = f"sql:{feed.name} {shown}" + (f" {where}" if where else "")
            try:
                chunks = pd.read_sql(sql, conn, params=params, chunksize=chunksize)
                yield from _batches(chunks, column, since, kind, label, fail)
            except FeedError:
                raise
            except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
                hint = ""
                if column and column.lower() in _first_line(exc).lower():
                    hint = f" (incremental_column {column!r} must be a column of the query's result)"
                raise fail("query failed" + hint, exc) from None
    finally:
        engine.dispose()


def _batches(chunks, column, since, kind, label, fail) -> Iterator[RawBatch]:
    """Chunks as batches; with an incremental column, ties held together and state attached.

    The rows sharing the chunk's last value of ``column`` are held back and joined to the
    next chunk, so a batch's state (its last value) covers every row with that value. The
    last batch takes the held rows along, so a small result is a single batch.
    """
    position = 0
    mark = _state(column, since, kind) if column else {}
    ready: pd.DataFrame | None = None
    held: pd.DataFrame | None = None
    for chunk in chunks:
        if chunk.empty:
            continue
        numbers = np.arange(position + 1, position + len(chunk) + 1)
        position += len(chunk)
        chunk = chunk.assign(_row_number=numbers)
        if not column:
            yield _batch(label, chunk, {})
            continue
        if column not in chunk.columns:
            raise fail(
                f"incremental_column {column!r} is not a column of the query's result "
                f"(columns: {', '.join(map(str, chunk.columns[:-1]))})"
            )
        if held is not None:
            chunk = pd.concat([held, chunk], ignore_index=True)
        values = chunk[column]
        present = values[values.notna()]
        if present.empty:
            tie = np.zeros(len(chunk), dtype=bool)
        else:
            tie = (values == present.iloc[-1]).to_numpy()
        if ready is not None:
            mark = _mark(ready, column, mark)
            yield _batch(label, ready, mark)
        held = chunk[tie]
        ready = chunk[~tie] if (~tie).any() else None
    if column:
        rest = [f for f in (ready, held) if f is not None and not f.empty]
        if rest:
            last = pd.concat(rest, ignore_index=True) if len(rest) > 1 else rest[0]
            yield _batch(label, last, _mark(last, column, mark))


def _mark(frame: pd.DataFrame, column: str, previous: dict) -> dict:
    """The state after ``frame``: its last non-null value of ``column`` (rows are ordered)."""
    present = frame[column][frame[column].notna()]
    if present.empty:
        return previous
    value, kind = _plain(present.iloc[-1])
    return _state(column, value, kind)


def _batch(label: str, chunk: pd.DataFrame, state: dict) -> RawBatch:
    numbers = chunk["_row_number"].tolist()
    frame = plain_objects(chunk.drop(columns="_row_number").reset_index(drop=True))
    payload = frame.to_json(orient="split", index=False, date_format="iso", default_handler=str)
    return RawBatch(
        label=f"{label} {_rows(numbers)}",
        frame=frame,
        checksum=hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        state=state,
        row_numbers=[int(n) for n in numbers],
    )






def _rows(numbers: list) -> str:
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    return f"rows {numbers[0]}-{numbers[-1]}"


def _state(column: str, value, kind: str | None) -> dict:
    if value is None:
        return {}
    return {"column": column, "since": value, "type": kind}


# --- the incremental value: JSON-safe in the state, typed when bound ---------------


def _plain(value) -> tuple[object, str]:
    """A JSON-safe form of ``value`` and the kind that restores it."""
    if isinstance(value, (bool, np.bool_)):
        return int(value), "int"
    if isinstance(value, (int, np.integer)):
        return int(value), "int"
    if isinstance(value, (float, np.floating)):
        return float(value), "float"
    if isinstance(value, decimal.Decimal):
        return str(value), "decimal"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(), "datetime"
    if isinstance(value, dt.datetime):
        return value.isoformat(), "datetime"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat(), "datetime"
    return str(value), "text"


def _typed(value, kind: str | None):
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return decimal.Decimal(str(value))
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value))
    if kind == "date":
        return dt.date.fromisoformat(str(value))
    return value


def _since(feed: SqlFeed, state: dict) -> tuple[object, str | None]:
    column = feed.incremental_column
    state = state or {}
    if not column or state.get("since") is None:
        return None, None
    if state.get("column", column) != column:
        log.warning(
            "feed %s: saved state is for column %r, not %r; taking everything again",
            feed.name, state.get("column"), column,
        )
        return None, None
    return state["since"], state.get("type")


def _statement(query: str, column: str | None, since, kind, dialect) -> tuple[sa.TextClause, dict]:
    query = query.strip().rstrip(";").strip()
    if not column:
        return sa.text(query), {}
    col = "q." + dialect.identifier_preparer.quote(column)
    if since is None:
        return sa.text(f"SELECT * FROM ({query}) q ORDER BY {col}"), {}
    sql = f"SELECT * FROM ({query}) q WHERE {col} > :since ORDER BY {col}"
    return sa.text(sql), {"since": _typed(since, kind)}


# --- connecting ----------------------------------------------------------------------


def _url_text(feed: SqlFeed) -> str:
    if feed.url_env:
        value = secret(feed.url_env)
        if not value:
            raise FeedError(
                f"feed {feed.name}: environment variable {feed.url_env} (url_env) is not set; "
                "it must hold the database URL"
            )
        return value
    return feed.url


def _read_only(url: URL) -> URL:
    """SQLite files opened read-only (``mode=ro``) unless the URL already says how to open."""
    if url.get_backend_name() != "sqlite" or "uri" in url.query:
        return url
    if not url.database or url.database == ":memory:":
        return url
    return url.set(database=Path(url.database).absolute().as_uri() + "?mode=ro", query={**url.query, "uri": "true"})


def _timeouts(url: URL, seconds: float) -> dict:
    backend, driver = url.get_backend_name(), url.get_driver_name()
    given = set(url.query)
    args: dict = {}
    if backend == "sqlite":
        args["timeout"] = seconds
    elif backend == "postgresql" and driver in ("psycopg2", "psycopg"):
        args["connect_timeout"] = max(1, round(seconds))
        args["options"] = f"-c statement_timeout={int(seconds * 1000)}"
    elif backend == "mysql" and driver in ("pymysql", "mysqldb"):
        args["connect_timeout"] = max(1, round(seconds))
        args["read_timeout"] = max(1, round(seconds))
    return {k: v for k, v in args.items() if k not in given}


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _password(url: str) -> str | None:
    try:
        password = make_url(url).password
    except Exception:
        match = re.search(r"://[^:/@]*:([^@]*)@", url)
        password = match.group(1) if match else None
    return str(password) if password else None


def _first_line(exc: BaseException) -> str:
    """The database's own message: the DBAPI error inside SQLAlchemy's wrapper, first line."""
    if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ is not None:
        exc = exc.__cause__  # pandas' wrapper repeats the whole query
    inner = getattr(exc, "orig", None)
    if inner is not None and str(inner).strip():
        text = f"{type(inner).__name__}: {inner}"
    else:
        text = str(exc)
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
