"""The service's web server: the dashboard (``/app/``, after signing in at ``/login``), a status
page (``/`` and ``/status``) and a JSON API (``/api/*``) over the store.

Every request takes its own DuckDB cursor: the server is threaded and a connection is
not thread-safe.
"""

from __future__ import annotations

import gc
import logging
import sys
from datetime import datetime
from typing import Callable

from flask import Flask, jsonify, redirect, render_template_string, request

from surveillance.config import Config
from surveillance.store.alerts import episode_detail, list_episodes
from surveillance.store.operations import daily_counts, last_good_ingest, store_status
from surveillance.store import Store
from surveillance.store.migrate import schema_version

STATUS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Surveillance service: status</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
 table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
 th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.75rem; text-align: left; font-size: 0.9rem; }
 .failed { color: #b00020; } .ok, .loaded { color: #1b5e20; } .partial { color: #b26a00; }
 svg { background: #fafafa; border: 1px solid #eee; }
</style></head><body>
<h1>Surveillance service</h1>
{% if dashboard %}<p><a href="{{ dashboard }}" id="status-dashboard">Open the dashboard</a> (sign-in required)</p>{% endif %}
<p id="status-summary">Data from <b>{{ s.date_range.first }}</b> to <b>{{ s.date_range.last }}</b>:
 {{ "{:,}".format(s.rows.latest) }} rows ({{ "{:,}".format(s.rows.revisions) }} with revisions),
 {{ s.units }} reporting units in {{ regions }}; {{ "{:,}".format(s.quarantine.rows) }} rows in quarantine.</p>
<h2>Fever visits per day, last {{ days }} days</h2>
{% if chart %}<svg id="status-chart" width="{{ chart.width }}" height="{{ chart.height }}" role="img"
 aria-label="fever visits per day"><polyline fill="none" stroke="#c62828" stroke-width="2" points="{{ chart.points }}"/>
 <text x="4" y="14" font-size="12">max {{ "{:,}".format(chart.max) }}</text>
 <text x="4" y="{{ chart.height - 6 }}" font-size="11" fill="#555">{{ chart.first }}</text>
 <text x="{{ chart.width - 4 }}" y="{{ chart.height - 6 }}" font-size="11" fill="#555" text-anchor="end">{{ chart.last }}</text></svg>{% else %}<p>No data yet.</p>{% endif %}
<h2>Feeds</h2>
<table id="status-feeds"><tr><th>feed</th><th>kind</th><th>batches</th><th>failed</th><th>last batch</th><th>last good batch</th></tr>
{% for f in feeds %}<tr><td>{{ f.name }}</td><td>{{ f.kind }}</td><td>{{ f.batches }}</td>
<td class="{{ 'failed' if f.failed_batches else '' }}">{{ f.failed_batches }}</td><td>{{ f.last_batch_at }}</td><td>{{ f.last_good_batch_at }}</td></tr>{% endfor %}
</table>
<h2>Last batches</h2>
<table id="status-batches"><tr><th>batch</th><th>feed</th><th>source</th><th>status</th><th>new</th><th>revised</th><th>rejected</th><th>message</th></tr>
{% for b in s.last_batches %}<tr><td>{{ b.batch_id }}</td><td>{{ b.feed }}</td><td>{{ b.source }}</td>
<td class="{{ b.status }}">{{ b.status }}</td><td>{{ b.new_rows }}</td><td>{{ b.revised_rows }}</td><td>{{ b.rejected_rows }}</td><td>{{ b.message or '' }}</td></tr>{% endfor %}
</table>
<h2>Job runs</h2>
<table id="status-jobs"><tr><th>run</th><th>job</th><th>started</th><th>finished</th><th>status</th><th>message</th></tr>
{% for r in s.job_runs %}<tr><td>{{ r.run_id }}</td><td>{{ r.job }}</td><td>{{ r.started_at }}</td><td>{{ r.finished_at }}</td>
<td class="{{ r.status }}">{{ r.status }}</td><td>{{ r.message or '' }}</td></tr>{% endfor %}
</table>
<p>JSON: <a href="api/health">health</a> · <a href="api/feeds">feeds</a> · <a href="api/ingest/last">last ingest</a>
 · <a href="api/counts">counts per day</a> · <a href="api/status">status</a></p>
</body></html>"""


def _chart(counts: list[dict], width: int = 720, height: int = 160) -> dict | None:
    values = [row["count"] or 0 for row in counts]
    if not values:
        return None
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - 22 - (v / top) * (height - 42):.1f}" for i, v in enumerate(values))
    return {"points": points, "width": width, "height": height, "max": int(top),
            "first": counts[0]["date"], "last": counts[-1]["date"]}


def _feeds(config: Config, status: dict) -> list[dict]:
    stats = {f["feed"]: f for f in status["feeds"]}
    rows = []
    for feed in config.feeds:
        s = stats.get(feed.name, {})
        rows.append({"name": feed.name, "kind": feed.kind, "enabled": feed.enabled,
                     "batches": s.get("batches", 0), "failed_batches": s.get("failed_batches", 0),
                     "last_batch_at": s.get("last_batch_at"), "last_good_batch_at": s.get("last_good_batch_at")})
    return rows


def _jsonable(value):
    """Dates, timestamps and JSON-in-text columns as JSON values."""
    import json
    import math

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value.item() if hasattr(value, "item") else value


log = logging.getLogger(__name__)


def settle_heap() -> None:
    """Take what was built at start (region index and shapes, Dash's registry, imported modules) out of
    the garbage collector's full passes. They live as long as the process; walking them cost the national
    demo a pause of over 100 ms every few requests (alerts table p95 350 ms, 160 ms after)."""
    gc.collect()
    gc.freeze()


def create_server(store: Store, config: Config, *, dashboard: bool = True,
                  next_runs: Callable[[], list[dict]] | None = None, announce=None) -> Flask:
    """The Flask app of the service. With ``dashboard`` (the default) the Dash dashboard is mounted at
    ``/app/`` with sign-in at ``/login``; on a database without users a first admin account is made
    and its generated password passed once to ``announce`` (default: printed to stderr).
    ``next_runs`` returns the scheduler's next runs for the dashboard's Jobs page."""
    server = Flask(__name__)
    server.config["JSON_SORT_KEYS"] = False
    dashboard_url = None
    if dashboard:
        from .app import PREFIX, create_dashboard

        _default_admin(store, config, announce)
        create_dashboard(server, store, config, next_runs=next_runs)
        dashboard_url = PREFIX

        @server.get("/alerts/<int:episode_id>")
        def alert_link(episode_id: int):
            """The alert emails link to ``{base_url}/alerts/ID``: the alert's page in the dashboard."""
            return redirect(f"{PREFIX.rstrip('/')}/alerts/{episode_id}")

    @server.get("/")
    @server.get("/status")
    def status_page():
        cur = store.cursor()
        status = store_status(cur)
        days = 60
        fever = daily_counts(cur, days=days, syndrome="fever")
        plural = {"province": "provinces", "city": "cities", "county": "counties"}
        regions = ", ".join(f"{n} {level if n == 1 else plural.get(level, level)}"
                            for level, n in status["regions"].items()) or "no regions"
        return render_template_string(STATUS_PAGE, s=status, feeds=_feeds(config, status), days=days,
                                      chart=_chart(fever), regions=regions, dashboard=dashboard_url)

    @server.get("/api/health")
    def health():
        cur = store.cursor()
        last = last_good_ingest(cur)
        return jsonify(status="ok", time=datetime.now().isoformat(timespec="seconds"),
                       database=str(store.path), schema_version=schema_version(cur),
                       last_good_ingest=last.isoformat() if last else None)

    @server.get("/api/feeds")
    def feeds():
        cur = store.cursor()
        return jsonify(feeds=_feeds(config, store_status(cur)))

    @server.get("/api/ingest/last")
    def last_ingest():
        limit = min(int(request.args.get("limit", 20)), 500)
        return jsonify(batches=store_status(store.cursor(), recent=limit)["last_batches"])

    @server.get("/api/counts")
    def counts():
        days = min(int(request.args.get("days", 60)), 3660)
        return jsonify(counts=daily_counts(store.cursor(), days=days, syndrome=request.args.get("syndrome")))

    @server.get("/api/status")
    def full_status():
        return jsonify(store_status(store.cursor()))

    @server.get("/api/alerts")
    def alerts():
        include = request.args.get("all", "0") in ("1", "true", "yes")
        return jsonify(alerts=_jsonable(list_episodes(store.cursor(), include_ended=include)))

    @server.get("/api/alerts/<int:episode_id>")
    def alert_detail(episode_id: int):
        detail = episode_detail(store.cursor(), episode_id)
        if detail is None:
            return jsonify(error=f"no alert {episode_id}"), 404
        return jsonify(_jsonable(detail))

    return server


def _default_admin(store: Store, config: Config, announce) -> None:
    """The first admin account, made (and its password shown, once) when the database has no users."""
    if store.read_only:
        return
    from surveillance.users import ensure_default_admin

    made = ensure_default_admin(store)
    if made is None:
        return
    name, password = made
    message = (f"Created the first dashboard account: user {name!r}, password {password!r} (role admin, every "
               f"region). It is shown only now; sign in at {config.service.base_url.rstrip('/')}/login and add "
               "accounts with `surveillance user add`.")
    log.warning("created the first dashboard account %r; its password was printed once", name)
    if announce is not None:
        announce(message)
    else:
        print(message, file=sys.stderr, flush=True)
