"""The web server's lines in the audit trail (:mod:`surveillance.audit`), each with the address the request
came from: sign-ins, views of an alert, exports, administrative changes (recorded where they happen), and
every API call of a session or token (recorded here, after the answer).

Anonymous API requests are refused before they reach anything (:mod:`dashboards.guard`) and are not
recorded: strangers must not be able to fill the trail.
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context, request

from surveillance import audit

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def client_address() -> str | None:
    """The address of this request's client (behind a proxy: the proxy's)."""
    return (request.remote_addr or "?") if has_request_context() else None


def record(store, user: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """One line of this request; a failure to record is logged, never turned into an error page."""
    try:
        audit.record(store, user, action, target, detail, address=client_address())
    except Exception:
        log.exception("could not record %s of %s in the audit trail", action, user)


def install_api_audit(server: Flask, store) -> None:
    """Every API call of a session or token: who, the address, the request and its answer's status."""

    @server.after_request
    def audit_api_call(response):
        who = g.get("principal")
        if who is not None and request.path.startswith(API_PREFIX):
            via = f"token {who.token.token_id}" if who.via == "token" else "session"
            query = request.query_string.decode("utf-8", "replace")
            record(store, who.user.name, "api_call", request.path,
                   f"{request.method} {request.path}{'?' + query if query else ''} -> {response.status_code} ({via})")
        return response
