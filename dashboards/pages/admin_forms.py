"""Pieces the administration pages share (users, API tokens): the choices of role, region and language an
administrator may give, the users they may manage, and how an answer is shown (a secret shown once, a
refusal). Not a page itself."""

from __future__ import annotations

from dash import html

from surveillance import users
from surveillance.vocabulary import LANGUAGES, REGION_LEVELS, level_label

from ..i18n import t

ALL = "all"  # the region choice "every region" (a dropdown's value cannot be None)


def role_options(lang) -> list[dict]:
    return [{"label": t(f"role.{role}", lang), "value": role} for role in users.ROLES]


def language_options() -> list[dict]:
    return [{"label": label, "value": code} for code, label in LANGUAGES.items()]


def region_options(ctx, scope, lang) -> list[dict]:
    """The regions ``scope``'s administrator may give: every region of their subtree (and "all regions"
    for an administrator of every region), coarsest first."""
    options = [{"label": t("scope.all", lang), "value": ALL}] if scope.root is None else []
    for level in REGION_LEVELS:
        for code in ctx.regions.codes_at(level, scope.root):
            options.append({"label": f"{ctx.regions.label(code, lang)} · {level_label(level, lang)}", "value": code})
    return options


def region_value(value):
    """A region dropdown's value as the library takes it (None: every region)."""
    return None if value in (None, "", ALL) else value


def region_text(ctx, region, lang) -> str:
    return ctx.regions.label(region, lang) if region else t("scope.all", lang)


def manageable(ctx, scope) -> list[users.User]:
    """The users ``scope``'s administrator may manage: those of their own subtree."""
    return [u for u in users.list_users(ctx.store) if users.may_manage(ctx.store, scope.user, u)]


def user_options(ctx, scope) -> list[dict]:
    return [{"label": f"{u.name} ({u.role})", "value": u.name} for u in manageable(ctx, scope)]


def shown_once(text: str, secret: str, secret_id: str):
    """A message with a secret (one-time password, token) shown only in this answer."""
    return html.Div([html.Span(text), html.Br(), html.Code(secret, id=secret_id, className="shown-once")],
                    className="done")


def refusal(exc: Exception, lang, element_id: str):
    """A refused change: its reason, as the library says it (one line)."""
    return html.Span(t("users.not_done", lang, reason=str(exc)), className="error", id=element_id)
