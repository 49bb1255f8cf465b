"""The JSON API under ``/api/``: for a signed-in session or an API token, within its region scope.

Each route declares the least role it needs and its parameters (:mod:`dashboards.params`); the guard
(:mod:`dashboards.guard`) has already refused anonymous requests and writes with a token. Counts and
alerts are those of the caller's subtree: an alert outside it is answered exactly like a missing one,
and an alert's evidence holds only rows of regions the caller may see (a cluster's own figures are
the cluster's, shown to everyone who sees it). A caller without exact counts (``privacy.exact_roles``)
gets a hidden count as ``null`` with ``"suppressed": true`` (and ``min_cell`` in the answer), a hidden
evidence row without its observed count, p-value and score, and the service's notes without figures. The feeds need any role; the ingest ledger and the
store's status (source paths, job messages, the database's place) are for administrators.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from datetime import datetime

import pandas as pd
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from surveillance.config import Config
from surveillance.privacy import SmallCells
from surveillance.store import Store
from surveillance.store.alerts import EPISODE_COLUMNS, episode_state
from surveillance.store.migrate import schema_version
from surveillance.store.operations import daily_counts, feed_summary, last_good_ingest, recent_batches, store_status

from . import data
from .access import RegionIndex, Scope
from .disclosure import hidden_rows
from .auditing import record as record_audit
from .guard import API_PREFIX, principal
from .params import MAX_ID, BadParameter, Choice, Flag, Int, Region, parse

log = logging.getLogger(__name__)

KINDS = ("outbreak", "cluster", "data_quality")
DAY_COLUMNS = ("opened_on", "last_signal_on", "ended_on")


def jsonable(value):
    """Dates, timestamps, NaN and JSON-in-text columns as JSON values."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value.item() if hasattr(value, "item") else value


def feeds_table(config: Config, summary: list[dict]) -> list[dict]:
    """Each configured feed with its batches, failures, last batch and last good batch."""
    stats = {f["feed"]: f for f in summary}
    rows = []
    for feed in config.feeds:
        s = stats.get(feed.name, {})
        rows.append({"name": feed.name, "kind": feed.kind, "enabled": feed.enabled,
                     "batches": s.get("batches", 0), "failed_batches": s.get("failed_batches", 0),
                     "last_batch_at": s.get("last_batch_at"), "last_good_batch_at": s.get("last_good_batch_at")})
    return rows


def error(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    return response


def _alert_record(row: dict) -> dict:
    out = {column: row.get(column) for column in EPISODE_COLUMNS}
    out["regions"] = list(row.get("alert_regions") or [])  # those the caller may see
    for column in DAY_COLUMNS:
        value = out[column]
        out[column] = None if value is None or value != value else value.date().isoformat()
    return jsonable(out)


def install_api(server: Flask, store: Store, config: Config, regions: RegionIndex,
                small_cells: SmallCells | None = None, status_cache=None) -> None:
    """The ``/api/*`` routes; ``status_cache`` (``status_cache.PerVersion``) keeps ``/api/status``'s figures
    until the store changes."""
    syndromes = tuple(config.syndromes)
    small_cells = small_cells or SmallCells(config.privacy, config.age_groups)

    def route(rule: str, *, role: str = "viewer", public: bool = False, **spec):
        """Register ``fn(scope, **parameters)`` at ``rule`` (GET) for ``role`` and up; ``public`` routes
        also answer anonymous requests (with ``scope=None``)."""

        def decorate(fn):
            @functools.wraps(fn)
            def view(**path):
                who = principal(store)
                if who is None and not public:
                    return error(401, "sign in first, or send an API token")
                scope = Scope(who.user, regions, small_cells) if who else None
                if who is not None and not who.user.can(role):
                    return error(403, f"{rule} is for the {role} role and above")
                try:
                    values = parse(spec, request.args, path, scope=scope)
                except BadParameter as exc:
                    return error(400, str(exc))
                return fn(scope, **values)

            if public:
                view.public = True
            server.add_url_rule(rule, endpoint=f"api_{fn.__name__}", view_func=view, methods=["GET"])
            return fn

        return decorate

    @route("/api/health", public=True)
    def health(scope):
        """Anyone: up, and when the last good batch arrived; signed in: the time and schema; admins: where."""
        cur = store.cursor()
        last = last_good_ingest(cur)
        answer = {"status": "ok", "last_good_ingest": last.isoformat() if last else None}
        if scope is not None:
            answer.update(time=datetime.now().isoformat(timespec="seconds"), schema_version=schema_version(cur))
            if scope.user.is_admin:
                answer["database"] = str(store.path)
        return jsonify(answer)

    @route("/api/feeds")
    def feeds(scope):
        return jsonify(feeds=feeds_table(config, feed_summary(store.cursor())))

    @route("/api/ingest/last", role="admin", limit=Int(20, 1, 500))
    def last_ingest(scope, limit):
        return jsonify(batches=recent_batches(store.cursor(), limit))

    @route("/api/counts", days=Int(60, 1, 3660), syndrome=Choice(syndromes), region=Region())
    def counts(scope, days, syndrome, region):
        within = scope.region(region)
        cur = store.cursor()
        rows = daily_counts(cur, days=days, syndrome=syndrome, within=within)
        if scope.exact:
            return jsonify(region=within, counts=rows)
        hidden = hidden_rows(cur, scope, pd.DataFrame(rows, columns=["date", "syndrome", "count"]), region=within)
        rows = [{**row, "count": None if gone else row["count"], "suppressed": bool(gone)}
                for row, gone in zip(rows, hidden)]
        return jsonify(region=within, min_cell=small_cells.min_cell, counts=rows)

    @route("/api/status", role="admin")
    def full_status(scope):
        if status_cache is None:
            return jsonify(store_status(store.cursor()))
        return jsonify(status_cache.get(("api status",), store_status))

    @route("/api/alerts", all=Flag(False), kind=Choice(KINDS), limit=Int(500, 1, 10000))
    def alerts(scope, all, kind, limit):  # noqa: A002 (the parameter's name in the address)
        frame = data.alerts(store.cursor(), scope, include_ended=all, kind=kind)
        frame = frame.head(limit)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return jsonify(alerts=[_alert_record(r) for r in rows])

    @route("/api/alerts/<episode_id>", episode_id=Int(None, 1, MAX_ID))
    def alert_detail(scope, episode_id):
        cur = store.cursor()
        detail = data.alert(cur, scope, episode_id)
        if detail is None:
            if episode_state(cur, episode_id) is not None:  # another region's: answered like a missing one
                record_audit(store, scope.user.name, "refused", "api", f"alert {episode_id} is outside the regions")
            return error(404, f"no alert {episode_id}")
        record_audit(store, scope.user.name, "alert_viewed", f"alert {episode_id}",
                     f"API ({principal(store).via})")
        return jsonify(jsonable(detail))

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith(API_PREFIX):
            return error(exc.code or 500, exc.description or exc.name)
        return exc

    @server.errorhandler(500)
    def internal_error(exc):
        log.error("failed: %s %s", request.method, request.path, exc_info=getattr(exc, "original_exception", exc))
        if request.path.startswith(API_PREFIX):
            return error(500, "the service failed to answer; the error is in its log")
        return "The service failed to answer; the error is in its log.", 500
