"""The guard in front of every route: who is asking, and whether they may.

Every route needs a signed-in session or, under ``/api/``, an API token sent as
``Authorization: Bearer svt_...``; only routes marked :func:`dashboards.auth.public` (the login form,
sign-out, the language switch, the icon and the health check's public minimum) answer anyone. A new
route is therefore closed until it is opened on purpose. Without credentials an API or callback request
gets 401 and a page a redirect to the login form; neither says anything about the data.

Tokens only read: any other method with a token is refused. A request that changes something (a
callback, a sign-in) must come from the service's own pages (its ``Origin``) and, for a session, carry
the session's CSRF token in the ``X-CSRFToken`` header (Dash sends it from the ``_csrf_token`` cookie)
or, for a plain form (the password form), in its ``csrf`` field.

A session whose user must change a one-time password opens only the password form (and signing out)
until it is changed: pages redirect there, the API and callbacks answer 403.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, g, jsonify, redirect, request

from surveillance import credentials
from surveillance.credentials import ApiToken
from surveillance.users import User

from .auditing import record as record_audit
from .auth import CSRF_HEADER, signed_in
from .security import SAFE_METHODS, foreign_request

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
READ_METHODS = ("GET", "HEAD")
PASSWORD_FORM = "/password"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user, with the region of their scope (a token's region for a token)."""

    user: User
    via: str  # "session" or "token"
    csrf: str | None = None  # a session's
    token: ApiToken | None = None


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def principal(store) -> Principal | None:
    """This request's :class:`Principal` (found once per request), or None for an anonymous one."""
    if "principal" in g:
        return g.principal
    found = None
    if request.path.startswith(API_PREFIX) and "Authorization" in request.headers:
        token = credentials.token_user(store, _bearer())
        if token is not None:
            found = Principal(user=token[0], via="token", token=token[1])
    else:
        session = signed_in(store)
        if session is not None:
            found = Principal(user=session[0], via="session", csrf=session[1])
    g.principal = found
    return found


def _wants_json(path: str, prefix: str) -> bool:
    return (path.startswith(API_PREFIX) or path.startswith(f"{prefix}_dash-") or request.method not in READ_METHODS
            or request.accept_mimetypes.best == "application/json")


def _refuse(status: int, message: str):
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="surveillance"'
    return response


def install_guard(server: Flask, store, config, *, prefix: str) -> None:
    base_url = config.service.base_url

    @server.before_request
    def guard():
        view = server.view_functions.get(request.endpoint) if request.endpoint else None
        if request.method not in SAFE_METHODS:
            why = foreign_request(base_url)
            if why:
                log.warning("refused %s %s: %s", request.method, request.path, why)
                return _refuse(403, f"refused: {why}; use the service's own pages")
        if view is None or getattr(view, "public", False):
            return None  # unknown addresses get their 404; public routes answer for themselves
        who = principal(store)
        if who is None:
            if request.path.startswith(API_PREFIX) and "Authorization" in request.headers:
                return _refuse(401, "the API token is not valid (unknown, revoked or expired)")
            if _wants_json(request.path, prefix):
                return _refuse(401, "sign in first, or send an API token (Authorization: Bearer ...)")
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}")
        if who.via == "token" and request.method not in READ_METHODS:
            record_audit(store, who.user.name, "refused", "api", f"token {who.token.token_id}: {request.method} "
                         f"{request.path[:200]}: tokens are read-only")
            return _refuse(403, "API tokens are read-only")
        if who.via == "session" and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent and request.mimetype in FORM_TYPES:
                sent = str(request.form.get("csrf", ""))
            if not who.csrf or not hmac.compare_digest(sent, who.csrf):
                return _refuse(403, "missing or wrong CSRF token; reload the page")
        if who.via == "session" and who.user.must_change_password and request.path != PASSWORD_FORM:
            if _wants_json(request.path, prefix):
                return _refuse(403, f"change your one-time password first ({PASSWORD_FORM})")
            return redirect(f"{PASSWORD_FORM}?next={quote(request.full_path.rstrip('?'), safe='/')}")
        return None
