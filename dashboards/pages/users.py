"""Users (administrators): the accounts of the administrator's regions, and changes made while the service
runs: add a user (with a one-time password, shown once), change a role or region, reset a password (a new
one-time password), disable and enable again. Disabling or changing a user ends their sessions and
revokes their API tokens at once (:mod:`surveillance.users`); every change is in the audit trail with
who made it and from where. An administrator with a region manages the users inside it only."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash import ctx as callback_context
from dash.exceptions import PreventUpdate

from surveillance import credentials, users
from surveillance.errors import SurveillanceError
from surveillance.vocabulary import LANGUAGES

from ..auditing import client_address
from ..i18n import t
from .admin_forms import (ALL, language_options, manageable, refusal, region_options, region_text, region_value,
                          role_options, shown_once, user_options)
from .quality import _table

NAME = "users"
PATH = "/users"
TITLE = "nav.users"
ROLE = "admin"
NAV = True

BUTTONS = ("users-add", "users-save", "users-reset", "users-disable", "users-enable")


def _dropdown(element_id, options, value=None, *, lang, **extra):
    return dcc.Dropdown(placeholder=t("select", lang), id=element_id, options=options, value=value, clearable=False,
                        **extra)


def layout(ctx, scope, lang, query, multi):
    regions = region_options(ctx, scope, lang)
    default_region = ALL if scope.root is None else scope.root
    return html.Div(className="page page-users", children=[
        html.Div(className="page-head", children=[
            html.H1(t("users.title", lang)),
            dcc.Link(t("users.tokens_link", lang), href=ctx.url("/tokens"), id="users-tokens-link")]),
        html.Div(id="users-message", className="admin-message"),
        html.Section(className="card", children=[
            html.H2(t("users.add", lang)),
            html.Div(className="admin-form", children=[
                html.Label([t("users.name", lang), dcc.Input(id="users-new-name", type="text", maxLength=64,
                                                             autoComplete="off")]),
                html.Label([t("users.role", lang), _dropdown("users-new-role", role_options(lang), "viewer",
                                                                 lang=lang)]),
                html.Label([t("users.region", lang), _dropdown("users-new-region", regions, default_region, lang=lang)],
                           className="wide"),
                html.Label([t("users.language", lang), _dropdown("users-new-language", language_options(), lang,
                                                                         lang=lang)]),
            ]),
            html.Div(className="admin-actions", children=[
                html.Button(t("users.add_button", lang), id="users-add", n_clicks=0, className="primary")]),
        ]),
        html.Section(className="card", children=[
            html.H2(t("users.change", lang)),
            html.Div(className="admin-form", children=[
                html.Label([t("users.pick", lang), _dropdown("users-pick", user_options(ctx, scope), lang=lang)]),
                html.Label([t("users.role", lang), _dropdown("users-role", role_options(lang), lang=lang)]),
                html.Label([t("users.region", lang), _dropdown("users-region", regions, lang=lang)], className="wide"),
            ]),
            html.Div(className="admin-actions", children=[
                html.Button(t("users.save", lang), id="users-save", n_clicks=0, className="primary"),
                html.Button(t("users.reset", lang), id="users-reset", n_clicks=0),
                html.Button(t("users.disable", lang), id="users-disable", n_clicks=0, className="danger"),
                html.Button(t("users.enable", lang), id="users-enable", n_clicks=0),
            ]),
        ]),
        html.Section(className="card", children=[html.H2(t("users.list", lang)), html.Div(id="users-table")]),
    ])


def _state(user: users.User, lang) -> str:
    if user.disabled:
        return f"{t('users.state.disabled', lang)} {user.disabled_at:%Y-%m-%d %H:%M}"
    return t("users.state.must_change" if user.must_change_password else "users.state.active", lang)


def accounts_table(ctx, scope, lang):
    shown = manageable(ctx, scope)
    sessions = credentials.live_sessions(ctx.store)
    tokens: dict[str, int] = {}
    for token in credentials.list_tokens(ctx.store):
        tokens[token.user_name] = tokens.get(token.user_name, 0) + int(token.live())
    frame = pd.DataFrame([{
        "name": u.name, "role": t(f"role.{u.role}", lang), "region": region_text(ctx, u.region, lang),
        "language": LANGUAGES.get(u.language, u.language), "state": _state(u, lang), "sessions": sessions.get(u.name, 0),
        "tokens": tokens.get(u.name, 0), "created": u.created_at} for u in shown],
        columns=["name", "role", "region", "language", "state", "sessions", "tokens", "created"])
    return _table("users-accounts", frame, [("name", "col.name"), ("role", "col.role"), ("region", "col.region"),
                                            ("language", "col.language"), ("state", "col.state"),
                                            ("sessions", "col.sessions"), ("tokens", "col.tokens"),
                                            ("created", "col.created")], lang, page_size=25)


def _act(ctx, scope, button, values) -> object:
    """Carry out one button's change for ``scope``'s administrator; the message to show."""
    lang, me = scope.user.language, scope.user
    done = {"by": me.name, "address": client_address(), "manager": me}
    if button == "users-add":
        name = (values["new_name"] or "").strip()
        password = users.generate_password()
        user = users.add_user(ctx.store, name, password, role=values["new_role"] or "viewer",
                              region=region_value(values["new_region"]), language=values["new_language"] or "en",
                              must_change_password=True, **done)
        return shown_once(t("users.added", lang, name=user.name), password, "users-password")
    name = values["pick"]
    if not name:
        return html.Span(t("users.pick_first", lang), className="error", id="users-refused")
    if button == "users-reset":
        user, password = users.reset_password(ctx.store, name, **done)
        return shown_once(t("users.reset_done", lang, name=user.name), password, "users-password")
    if button == "users-disable":
        users.disable_user(ctx.store, name, **done)
        return html.Span(t("users.disabled_done", lang, name=name), id="users-done")
    if button == "users-enable":
        users.enable_user(ctx.store, name, **done)
        return html.Span(t("users.enabled_done", lang, name=name), id="users-done")
    before = users.get_user(ctx.store, name)
    region = users.UNCHANGED if values["region"] is None else region_value(values["region"])
    after = users.change_user(ctx.store, name, role=values["role"], region=region, **done)
    if before == after:
        return html.Span(t("users.unchanged", lang), id="users-done")
    return html.Span(t("users.changed_done", lang, name=name, role=t(f"role.{after.role}", lang),
                       region=region_text(ctx, after.region, lang)), id="users-done")


def register(ctx):
    @ctx.callback(
        Output("users-role", "value"), Output("users-region", "value"),
        Input("users-pick", "value"),
        role="admin", prevent_initial_call=True, empty=(no_update, no_update),
    )
    def fill(scope, name):
        user = users.get_user(ctx.store, name) if name else None
        if user is None or not users.may_manage(ctx.store, scope.user, user):
            raise PreventUpdate
        return user.role, user.region or ALL

    @ctx.callback(
        Output("users-message", "children"), Output("users-table", "children"), Output("users-pick", "options"),
        *[Input(button, "n_clicks") for button in BUTTONS],
        State("users-new-name", "value"), State("users-new-role", "value"), State("users-new-region", "value"),
        State("users-new-language", "value"), State("users-pick", "value"), State("users-role", "value"),
        State("users-region", "value"),
        role="admin",
        empty=lambda lang: (html.Span(t("alert.refused", lang), className="error", id="users-refused"), no_update,
                            no_update),
    )
    def act(scope, *values):
        lang = scope.user.language
        fields = dict(zip(("new_name", "new_role", "new_region", "new_language", "pick", "role", "region"),
                          values[len(BUTTONS):]))
        button = callback_context.triggered_id
        message = None
        if button in BUTTONS:
            try:
                message = _act(ctx, scope, button, fields)
            except SurveillanceError as exc:  # a name taken, an unknown region, the last administrator...
                message = refusal(exc, lang, "users-refused")
        return message, accounts_table(ctx, scope, lang), user_options(ctx, scope)
