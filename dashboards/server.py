"""The service's web server: the dashboard (``/app/``, after signing in at ``/login``), a status
page (``/`` and ``/status``) and a JSON API (``/api/*``, :mod:`dashboards.api`) over the store.

Every route needs a signed-in session (or, for the API, a token): see :mod:`dashboards.guard`. The
status page shows the caller's own regions (days with data, units, fever visits, a day's small count left
out of the chart for a user without exact counts) and the feeds; the ingest ledger, job runs and store
totals to administrators only. Every request takes its own DuckDB
cursor: the server is threaded and a connection is not thread-safe.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Callable

import pandas as pd
from flask import Flask, redirect, request

from surveillance.config import Config
from surveillance.privacy import SmallCells
from surveillance.store import Store
from surveillance.store.counts import date_range
from surveillance.store.operations import daily_counts, feed_summary, store_status
from surveillance.vocabulary import suppression_note
from surveillance.vocabulary import classification_line, language

from .access import RegionIndex, Scope
from .disclosure import hidden_rows
from .api import error, feeds_table, install_api
from .app import PREFIX, create_dashboard
from .auditing import install_api_audit
from .auth import install_auth, public
from .guard import install_guard, principal
from .params import BadParameter, Int, parse
from .password import install_password
from .security import install_security_headers
from .status import STATUS_PAGE, page_values
from .status_cache import PerVersion


def _chart(counts: list[dict], hidden=None, width: int = 720, height: int = 160) -> dict | None:
    """The fever line: one polyline per run of days shown (a hidden day is a gap, not a zero)."""
    values = [row["count"] or 0 for row in counts]
    if not values:
        return None
    hidden = list(hidden) if hidden is not None else [False] * len(values)
    top = max([v for v, h in zip(values, hidden) if not h], default=0) or 1
    step = width / max(len(values) - 1, 1)
    lines, run = [], []
    for i, (v, h) in enumerate(zip(values, hidden)):
        if h:
            lines, run = lines + ([run] if run else []), []
            continue
        run.append(f"{i * step:.1f},{height - 22 - (v / top) * (height - 42):.1f}")
    lines += [run] if run else []
    return {"lines": [" ".join(r) for r in lines], "width": width, "height": height, "max": int(top),
            "first": counts[0]["date"], "last": counts[-1]["date"], "hidden": sum(hidden)}


log = logging.getLogger(__name__)
STATUS_PARAMS = {"days": Int(60, 1, 366)}


def settle_heap() -> None:
    """Take what was built at start (region index and shapes, Dash's registry, imported modules) out of
    the garbage collector's full passes. They live as long as the process; walking them cost the national
    demo a pause of over 100 ms every few requests (alerts table p95 350 ms, 160 ms after)."""
    gc.collect()
    gc.freeze()


def create_server(store: Store, config: Config, *, dashboard: bool = True,
                  next_runs: Callable[[], list[dict]] | None = None, announce=None) -> Flask:
    """The Flask app of the service: the guard, sign-in at ``/login``, the status page, the JSON API and
    (with ``dashboard``, the default) the Dash dashboard at ``/app/``. On a database without users a first
    admin account is made and its generated password passed once to ``announce`` (default: printed to
    stderr). ``next_runs`` returns the scheduler's next runs for the dashboard's Jobs page."""
    server = Flask(__name__)
    server.config["JSON_SORT_KEYS"] = False
    regions = RegionIndex(store)
    small_cells = SmallCells(config.privacy, config.age_groups)  # one per service: its masks are shared
    install_guard(server, store, config, prefix=PREFIX)  # first: it runs before every other hook
    install_auth(server, store, config, prefix=PREFIX)
    install_password(server, store, config, prefix=PREFIX)
    install_api_audit(server, store)
    _default_admin(store, config, announce)
    dash_app = None
    if dashboard:
        dash_app = create_dashboard(server, store, config, next_runs=next_runs, regions=regions,
                                    small_cells=small_cells)

        @server.get("/alerts/<int:episode_id>")
        @public
        def alert_link(episode_id: int):
            """The alert emails link to ``{base_url}/alerts/ID``: the alert's page in the dashboard (which
            asks for sign-in); the redirect says nothing the address did not."""
            return redirect(f"{PREFIX.rstrip('/')}/alerts/{episode_id}")

    install_security_headers(server, secure=config.service.secure,
                             script_hashes=lambda: list(dash_app.csp_hashes()) if dash_app else [])

    cache = PerVersion(store)  # the figures, until the store changes
    template: dict = {}  # the page's template, compiled once

    @server.get("/")
    @server.get("/status")
    def status_page():
        user = principal(store).user
        scope = Scope(user, regions, small_cells)
        try:
            days = parse(STATUS_PARAMS, request.args, scope=scope)["days"]
        except BadParameter as exc:
            return error(400, str(exc))
        lang = language(user.language)
        figures = cache.get(("status page", scope.root, days, user.is_admin, scope.exact),
                            lambda cur: _status_figures(cur, config, scope, days, admin=user.is_admin))
        page = template.get("status") or template.setdefault("status", server.jinja_env.from_string(STATUS_PAGE))
        return page.render(
            user=user, **figures, suppressed=suppression_note(small_cells.min_cell, lang),
            dashboard=PREFIX if dashboard else None,
            classification=classification_line(config.audit.classification, lang),
            **page_values(lang, user=user, scope=scope, days=days,
                          hidden=figures["chart"]["hidden"] if figures["chart"] else 0))

    install_api(server, store, config, regions, small_cells, status_cache=cache)
    return server


def _status_figures(cur, config: Config, scope: Scope, days: int, *, admin: bool) -> dict:
    """What the status page shows of the store to this scope: days with data, units, the fever chart
    (a small count hidden for a reader without exact counts), the feeds, and to administrators the
    store's totals."""
    first, last = date_range(cur, within=scope.root)
    units = scope.index.units()
    in_scope = sum(1 for code in units["code"] if scope.allows(code)) if scope.root else len(units)
    fever = daily_counts(cur, days=days, syndrome="fever", within=scope.root)
    hidden = hidden_rows(cur, scope, pd.DataFrame(fever, columns=["date", "syndrome", "count"]), region=scope.root) \
        if "fever" in config.syndromes else None
    return {"first": first, "last": last, "units": in_scope, "chart": _chart(fever, hidden),
            "feeds": feeds_table(config, feed_summary(cur)), "s": store_status(cur) if admin else None}


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
