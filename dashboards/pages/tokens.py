"""API tokens (administrators): the read-only tokens of the users the administrator manages; make one (its
secret shown once, never stored) or revoke one, while the service runs. Reached from the Users page."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update
from dash import ctx as callback_context

from surveillance import credentials, users
from surveillance.errors import SurveillanceError
from surveillance.vocabulary import user_label

from ..auditing import client_address
from ..i18n import t
from .admin_forms import manageable, refusal, region_options, region_value, shown_once, user_options
from .quality import _table

NAME = "tokens"
PATH = "/tokens"
TITLE = "nav.users"
ROLE = "admin"
NAV = False
NAV_PARENT = "users"

BUTTONS = ("tokens-create", "tokens-revoke")


def layout(ctx, scope, lang, query, multi):
    regions = [o for o in region_options(ctx, scope, lang) if o["value"] != "all"]
    return html.Div(className="page page-tokens", children=[
        dcc.Link(t("tokens.back", lang), href=ctx.url("/users"), className="back", id="tokens-back"),
        html.Div(className="page-head", children=[html.H1(t("tokens.title", lang))]),
        html.Div(id="tokens-message", className="admin-message"),
        html.Section(className="card", children=[
            html.H2(t("tokens.create", lang)),
            html.Div(className="admin-form", children=[
                html.Label([t("tokens.user", lang), dcc.Dropdown(placeholder=t("select", lang),
                    id="tokens-user", options=user_options(ctx, scope),
                                                                 clearable=False)]),
                html.Label([t("tokens.region", lang), dcc.Dropdown(placeholder=t("select", lang),
                                                                        id="tokens-region", options=regions)],
                           className="wide"),
                html.Label([t("tokens.label", lang), dcc.Input(id="tokens-label", type="text", maxLength=200)]),
                html.Label([t("tokens.days", lang), dcc.Input(id="tokens-days", type="number", min=1, step=1)]),
            ]),
            html.Div(className="admin-actions", children=[
                html.Button(t("tokens.create_button", lang), id="tokens-create", n_clicks=0, className="primary")]),
        ]),
        html.Section(className="card", children=[
            html.H2(t("tokens.revoke", lang)),
            html.Div(className="admin-form", children=[
                html.Label([t("col.token", lang), dcc.Dropdown(placeholder=t("select", lang),
                                                                   id="tokens-pick", clearable=False)],
                           className="wide")]),
            html.Div(className="admin-actions", children=[
                html.Button(t("tokens.revoke_button", lang), id="tokens-revoke", n_clicks=0, className="danger")]),
        ]),
        html.Section(className="card", children=[html.H2(t("tokens.list", lang)), html.Div(id="tokens-table")]),
    ])


def _tokens(ctx, scope) -> list[credentials.ApiToken]:
    names = {u.name for u in manageable(ctx, scope)}
    return [token for token in credentials.list_tokens(ctx.store) if token.user_name in names]


def _state(token, lang) -> str:
    if token.revoked_at is not None:
        return f"{t('tokens.state.revoked', lang)} {token.revoked_at:%Y-%m-%d %H:%M}"
    return t("tokens.state.active" if token.live() else "tokens.state.expired", lang)


def _table_and_choices(ctx, scope, lang):
    tokens = _tokens(ctx, scope)
    frame = pd.DataFrame([{
        "token": token.token_id, "user": token.user_name,
        "region": ctx.regions.label(token.region, lang) if token.region else "", "label": token.label or "",
        "created": token.created_at, "created_by": user_label(token.created_by, lang), "expires": token.expires_at,
        "state": _state(token, lang)} for token in reversed(tokens)],
        columns=["token", "user", "region", "label", "created", "created_by", "expires", "state"])
    table = _table("tokens-list", frame, [("token", "col.token"), ("user", "col.user"), ("region", "col.region"),
                                          ("label", "col.label"), ("created", "col.created"),
                                          ("created_by", "col.created_by"), ("expires", "col.expires"),
                                          ("state", "col.state")], lang, page_size=25)
    choices = [{"label": f"{token.token_id}: {token.user_name}" + (f" ({token.label})" if token.label else ""),
                "value": token.token_id} for token in tokens if token.live()]
    return table, choices


def _act(ctx, scope, button, user, region, label, days, token_id):
    lang, me = scope.user.language, scope.user
    if button == "tokens-create":
        target = users.get_user(ctx.store, user) if user else None
        if target is None or not users.may_manage(ctx.store, me, target):
            return html.Span(t("users.pick_first", lang), className="error", id="tokens-refused")
        token, secret = credentials.create_token(
            ctx.store, target.name, region=region_value(region), label=(label or "").strip() or None,
            days=int(days) if days else None, by=me.name, address=client_address())
        return shown_once(t("tokens.created", lang, id=token.token_id, user=token.user_name), secret, "tokens-secret")
    token = next((tk for tk in _tokens(ctx, scope) if tk.token_id == token_id), None)
    if token is None:
        return html.Span(t("users.pick_first", lang), className="error", id="tokens-refused")
    credentials.revoke_token(ctx.store, token.token_id, by=me.name, address=client_address())
    return html.Span(t("tokens.revoked", lang, id=token.token_id, user=token.user_name), id="tokens-done")


def register(ctx):
    @ctx.callback(
        Output("tokens-message", "children"), Output("tokens-table", "children"), Output("tokens-pick", "options"),
        *[Input(button, "n_clicks") for button in BUTTONS],
        State("tokens-user", "value"), State("tokens-region", "value"), State("tokens-label", "value"),
        State("tokens-days", "value"), State("tokens-pick", "value"),
        role="admin",
        empty=lambda lang: (html.Span(t("alert.refused", lang), className="error", id="tokens-refused"), no_update,
                            no_update),
    )
    def act(scope, create, revoke, user, region, label, days, token_id):
        lang = scope.user.language
        button = callback_context.triggered_id
        message = None
        if button in BUTTONS:
            try:
                message = _act(ctx, scope, button, user, region, label, days, token_id)
            except (SurveillanceError, ValueError, TypeError) as exc:  # outside the user's regions, bad days...
                message = refusal(exc, lang, "tokens-refused")
        table, choices = _table_and_choices(ctx, scope, lang)
        return message, table, choices
