"""The Dash dashboard, mounted on the service's Flask server under ``/app/``.

``create_dashboard(server, store, config)`` adds the Dash app (sign-in is :mod:`dashboards.auth`, the
guard in front of every route :mod:`dashboards.guard`). The app is a shell (header, navigation, the page) and a router: each page
module in :mod:`dashboards.pages` owns its layout and its callbacks, with ids prefixed by its
name. Every callback is registered through :meth:`DashboardContext.callback`, which finds the
signed-in user, checks the page's role and hands the callback the user's :class:`Scope`; a
request for a region outside the scope gets the callback's empty answer.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlencode

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import DependencyException, PreventUpdate
from flask import Flask

from surveillance.config import Config
from surveillance.privacy import SmallCells
from surveillance.store import Store
from surveillance.users import User
from surveillance.vocabulary import LANGUAGES, classification_line

from . import auth
from .access import OutOfScope, RegionIndex, Scope
from .auditing import record as record_audit
from .geo import install_geo_route
from .reports import install_report_routes
from .i18n import t

log = logging.getLogger(__name__)

PREFIX = "/app/"


class DashboardContext:
    """What every page and callback needs: the store, the config, the regions, the schedule."""

    def __init__(self, app: dash.Dash, store: Store, config: Config, *, prefix: str = PREFIX,
                 next_runs: Callable[[], list[dict]] | None = None, regions: RegionIndex | None = None,
                 small_cells: SmallCells | None = None):
        self.app = app
        self.store = store
        self.config = config
        self.prefix = prefix
        self.regions = regions or RegionIndex(store)
        self.small_cells = small_cells or SmallCells(config.privacy, config.age_groups)
        self.next_runs = next_runs

    def url(self, path: str, **query) -> str:
        """A dashboard address: ``url("/trends", region="320102")`` -> ``/app/trends?region=320102``."""
        base = self.prefix.rstrip("/") + (path if path.startswith("/") else "/" + path)
        query = {k: v for k, v in query.items() if v not in (None, "", [])}
        return base + ("?" + urlencode(query, doseq=True) if query else "")

    def user(self) -> User | None:
        return auth.current_user(self.store)

    def scope(self, user: User | None = None) -> Scope | None:
        user = user or self.user()
        return None if user is None else Scope(user, self.regions, self.small_cells)

    def cursor(self):
        return self.store.cursor()

    def callback(self, *dependencies, role: str = "viewer", empty=None, **options):
        """Register a callback that runs only for a signed-in user with ``role``.

        The function is called as ``fn(scope, *values)``. When the request asks for something
        outside the user's scope (:class:`OutOfScope`) or fails, the answer is ``empty(lang)``
        (or ``empty`` itself when it is not callable).
        """

        def decorate(fn):
            @functools.wraps(fn)
            def secured(*values):
                user = self.user()
                if user is None:
                    raise PreventUpdate
                scope = Scope(user, self.regions, self.small_cells)

                def nothing():
                    return empty(user.language) if callable(empty) else empty

                try:
                    scope.require(role)
                    return fn(scope, *values)
                except OutOfScope as exc:
                    log.warning("refused %s for %s: %s", fn.__name__, user.name, exc)
                    record_audit(self.store, user.name, "refused", fn.__module__.rsplit(".", 1)[-1], str(exc))
                    return nothing()
                except PreventUpdate:
                    raise
                except Exception:
                    log.exception("callback %s.%s failed for %s", fn.__module__, fn.__name__, user.name)
                    return nothing()

            self.app.callback(*dependencies, **options)(secured)
            return secured

        return decorate


def create_dashboard(server: Flask, store: Store, config: Config, *, prefix: str = PREFIX,
                     next_runs: Callable[[], list[dict]] | None = None,
                     regions: RegionIndex | None = None, small_cells: SmallCells | None = None) -> dash.Dash:
    """Mount the dashboard on ``server`` at ``prefix`` (sign-in, at ``/login``, and the guard in front of
    every route are the server's: :func:`dashboards.server.create_server`).

    ``next_runs`` (optional) returns the scheduler's next runs as ``[{"job": ..., "next_run": datetime}]``
    for the Jobs page; ``regions`` the region index and ``small_cells`` the small-cell rule to share with the
    rest of the server.
    """
    from .pages import PAGES

    app = dash.Dash(
        __name__,
        server=server,
        url_base_pathname=prefix,
        assets_folder=str(Path(__file__).parent / "assets"),
        suppress_callback_exceptions=True,  # pages are rendered by the router
        title="Surveillance",
        update_title=None,
        serve_locally=True,
        enable_mcp=False,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # Dash answers an address of a script it does not know with an exception: a plain 404 instead.
    server.register_error_handler(DependencyException, lambda exc: ("no such script", 404))
    ctx = DashboardContext(app, store, config, prefix=prefix, next_runs=next_runs, regions=regions,
                           small_cells=small_cells)
    install_geo_route(server, ctx)
    install_report_routes(server, ctx)
    app.layout = functools.partial(_shell, ctx)
    for page in PAGES:
        page.register(ctx)
    _register_router(ctx, PAGES)
    server.extensions["surveillance_dashboard"] = ctx
    return app


def _shell(ctx: DashboardContext):
    user = ctx.user()
    lang = user.language if user else "en"
    return html.Div(className="app", lang="zh-CN" if lang == "zh" else "en", children=[
        dcc.Location(id="app-url", refresh=False),
        html.Header(className="app-header", children=[
            html.Div(className="app-brand", children=t("app.title", lang)),
            html.Nav(id="app-nav", className="app-nav"),
            html.Div(id="app-user", className="app-user"),
        ]),
        html.Main(id="app-page", className="app-page", children=html.Div(t("loading", lang), className="muted")),
        html.Footer(classification_line(ctx.config.audit.classification, lang), id="app-footer",
                    className="app-footer"),
    ])


def _register_router(ctx: DashboardContext, pages) -> None:
    by_path = {page.PATH: page for page in pages}

    @ctx.callback(
        Output("app-page", "children"), Output("app-nav", "children"), Output("app-user", "children"),
        Input("app-url", "pathname"), Input("app-url", "search"),
        empty=lambda lang: (html.Div(t("not_found", lang)), [], []),
    )
    def route(scope: Scope, pathname, search):
        user, lang = scope.user, scope.user.language
        path = "/" + (pathname or "").removeprefix(ctx.prefix).strip("/")
        query = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
        multi = {k: v for k, v in parse_qs((search or "").lstrip("?")).items()}
        page = by_path.get(path)
        if page is None:  # pages with a parameter in the path: ``/alerts/12``
            for candidate in pages:
                match = getattr(candidate, "PATTERN", None) and candidate.PATTERN.fullmatch(path)
                if match:
                    page, query = candidate, {**query, **match.groupdict()}
                    break
        if page is None:
            content = html.Div(t("not_found", lang), className="notice", id="app-not-found")
        elif not user.can(page.ROLE):
            content = html.Div(t("forbidden", lang), className="notice", id="app-forbidden")
        else:
            content = page.layout(ctx, scope, lang, query, multi)
        nav = [
            dcc.Link(t(p.TITLE, lang), href=ctx.url(p.PATH), id=f"app-nav-{p.NAME}",
                     className="nav-link active" if p is page or getattr(page, "NAV_PARENT", None) == p.NAME
                     else "nav-link")
            for p in pages if p.NAV and user.can(p.ROLE)
        ]
        here = (pathname or ctx.prefix) + (search or "")
        region = ctx.regions.label(user.region, lang) if user.region else t("scope.all", lang)
        who = [
            html.Span(user.name, className="user-name", id="app-user-name"),
            html.Span(f"{t('role.' + user.role, lang)} · {region}", className="user-scope"),
            html.Span(className="lang-switch", children=[
                html.A(label, href=f"/language/{code}?{urlencode({'next': here})}", id=f"app-lang-{code}",
                       className="active" if code == lang else "")
                for code, label in LANGUAGES.items()
            ]),
            html.A(t("password.link", lang), href="/password?" + urlencode({"next": here}), id="app-password",
                   className="logout"),
            html.A(t("logout", lang), href="/logout", id="app-logout", className="logout"),
        ]
        return content, nav, who


__all__ = ["create_dashboard", "DashboardContext", "PREFIX", "OutOfScope"]
