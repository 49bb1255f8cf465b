"""Headers on every response, and the check that a request changing something comes from our own pages.

The Content-Security-Policy lets scripts come only from the service itself, plus Dash's inline start-up
scripts by their hashes (``Dash.csp_hashes``); styles may be inline (Dash and Plotly set them on
elements); nothing may frame the pages (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, request

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def content_security_policy(script_hashes: list[str]) -> str:
    parts = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in parts.items())


def install_security_headers(server: Flask, *, secure: bool, script_hashes: Callable[[], list[str]]) -> None:
    """Security headers on every response. ``script_hashes`` gives the hashes of the inline scripts the
    pages need; it is asked once, at the first response (when every callback is registered)."""
    policy: list[str] = []

    @server.after_request
    def security_headers(response):
        if not policy:
            policy.append(content_security_policy(script_hashes()))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy[0])
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "Cache-Control" not in headers and response.mimetype in ("application/json", "text/html"):
            headers["Cache-Control"] = "no-store"  # answers carry health data or who is signed in
        return response


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_request(base_url: str) -> str | None:
    """Why this request does not come from the service's own pages (None when it does or cannot tell).

    The browser says where a request comes from in ``Origin`` (or ``Referer``) and ``Sec-Fetch-Site``;
    the service's own origin is the address the request was sent to, or the configured ``base_url``
    (behind a proxy). A request without any of them (scripts, older clients) is judged by its CSRF token alone."""
    own = {_origin(request.host_url), _origin(base_url)}
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return "a cross-site request"
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if _origin(origin) in own else f"a request from {origin[:100]}"
    referer = request.headers.get("Referer")
    if referer:
        return None if _origin(referer) in own else "a request from another site"
    return None
