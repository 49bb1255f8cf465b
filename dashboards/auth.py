"""Signing in and out on the Flask side, and the guard in front of every dashboard request.

The session cookie is signed with the secret held by the environment variable
``config.service.session_key_env``; without it a random secret is made at start (sessions
then end when the service restarts). Dash's own requests (layout, callbacks, its scripts)
under the dashboard prefix need a signed-in user, and callbacks also carry the CSRF token
Dash reads from the ``_csrf_token`` cookie.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, abort, g, redirect, render_template_string, request, send_file, session

from surveillance import users
from surveillance.users import User
from surveillance.vocabulary import LANGUAGES

from .i18n import t

log = logging.getLogger(__name__)

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
MAX_FAILURES = 5  # failed logins per name and address ...
FAILURE_WINDOW = 300.0  # ... within this many seconds lock that pair out for the rest of the window

LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('login.title', lang) }} · {{ t('app.title', lang) }}</title>
<style>
 body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: #f3f5f7;
        color: #1f2933; display: flex; min-height: 100vh; margin: 0; align-items: center; justify-content: center; }
 form { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 2px 12px rgba(0,0,0,.08);
        width: 20rem; }
 h1 { font-size: 1.3rem; margin: 0 0 1.2rem; }
 label { display: block; font-size: .9rem; margin: .8rem 0 .3rem; }
 input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem;
        border: 1px solid #bcc5cf; border-radius: 4px; }
 button { margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem; background: #1f4e79; color: #fff;
        border: 0; border-radius: 4px; cursor: pointer; }
 .message { margin: 0 0 .8rem; padding: .5rem .7rem; border-radius: 4px; font-size: .9rem; }
 .error { background: #fdecea; color: #8a1c1c; } .info { background: #e8f1fb; color: #1f4e79; }
 .lang { margin-top: 1rem; font-size: .85rem; text-align: right; } .lang a { color: #1f4e79; margin-left: .6rem; }
</style></head><body>
<form method="post" action="{{ action }}" id="login-form">
 <h1>{{ t('app.title', lang) }}</h1>
 {% if error %}<p class="message error" id="login-error">{{ error }}</p>{% endif %}
 {% if info %}<p class="message info" id="login-info">{{ info }}</p>{% endif %}
 <input type="hidden" name="csrf" value="{{ csrf }}">
 <input type="hidden" name="next" value="{{ next }}">
 <label for="login-name">{{ t('login.name', lang) }}</label>
 <input type="text" id="login-name" name="name" autocomplete="username" autofocus required value="{{ name }}">
 <label for="login-password">{{ t('login.password', lang) }}</label>
 <input type="password" id="login-password" name="password" autocomplete="current-password" required>
 <button type="submit" id="login-submit">{{ t('login.submit', lang) }}</button>
 <div class="lang">{% for code, label in languages.items() %}<a href="?lang={{ code }}&amp;next={{ next|urlencode }}">{{ label }}</a>{% endfor %}</div>
</form></body></html>"""


def session_secret(env_var: str | None) -> str:
    """The session signing secret from ``env_var``; a random one (with a warning) when it is unset."""
    value = os.environ.get(env_var) if env_var else None
    if value:
        if len(value) < 16:
            log.warning("%s holds a short session secret; use at least 32 random characters", env_var)
        return value
    log.warning("%s is not set: using a random session secret, so sign-ins end when the service restarts",
                env_var or "the session key variable")
    return secrets.token_urlsafe(48)


class LoginThrottle:
    """Refuses a name from an address after too many failures in a short window (in memory)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW):
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key) -> deque:
        q = self._failures[key]
        cutoff = time.monotonic() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def locked(self, name: str, address: str) -> bool:
        with self._lock:
            return len(self._recent((name, address))) >= self.limit

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            self._recent((name, address)).append(time.monotonic())

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name, address), None)


def _safe_next(target: str | None, default: str) -> str:
    """Only local paths: an absolute URL or ``//host`` in ``next`` would send the user elsewhere."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def current_user(store) -> User | None:
    """The signed-in user of this request (read once per request), or None."""
    if "user" in g:
        return g.user
    name = session.get("user")
    user = users.get_user(store, name) if isinstance(name, str) else None
    if name and user is None:  # the account is gone: the session ends
        session.clear()
    g.user = user
    return user


def _csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def install_auth(server: Flask, store, config, *, prefix: str) -> None:
    """Login, logout and language routes; the guard for everything under ``prefix``."""
    server.secret_key = session_secret(config.service.session_key_env)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.service.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    throttle = LoginThrottle()
    server.extensions["surveillance_login_throttle"] = throttle

    def page_language() -> str:
        chosen = request.args.get("lang") or session.get("lang")
        if chosen in LANGUAGES:
            session["lang"] = chosen
            return chosen
        best = request.accept_languages.best_match(["en", "zh", "zh-CN"]) or "en"
        return "zh" if best.startswith("zh") else "en"

    def login_page(*, error=None, info=None, name="", status=200):
        lang = page_language()
        target = _safe_next(request.values.get("next"), prefix)
        html = render_template_string(LOGIN_PAGE, t=t, lang=lang, error=error, info=info, name=name,
                                      next=target, csrf=_csrf_token(), action="/login", languages=LANGUAGES)
        return html, status

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            info = t("login.signed_out", page_language()) if request.args.get("signed_out") else None
            return login_page(info=info)
        if not hmac.compare_digest(str(request.form.get("csrf", "")), str(session.get("csrf", ""))):
            abort(400, "the sign-in form expired; reload the page")
        name = (request.form.get("name") or "").strip()[:64]
        password = request.form.get("password") or ""
        address = request.remote_addr or "?"
        lang = page_language()
        if throttle.locked(name, address):
            users.record_audit(store, name or "?", "login_refused", name, f"from {address}: too many failures")
            return login_page(error=t("login.locked", lang), name=name, status=429)
        user = users.verify_password(store, name, password)
        if user is None:
            throttle.failed(name, address)
            users.record_audit(store, name or "?", "login_failed", name, f"from {address}")
            return login_page(error=t("login.failed", lang), name=name, status=401)
        throttle.succeeded(name, address)
        target = _safe_next(request.form.get("next"), prefix)
        session.clear()  # a fresh session on sign-in (no fixation)
        session.permanent = True
        session["user"] = user.name
        users.record_audit(store, user.name, "login", user.name, f"from {address}")
        response = redirect(target)
        _set_csrf_cookie(response)
        return response

    @server.get("/logout")
    def logout():
        name = session.get("user")
        lang = session.get("lang")
        if name:
            users.record_audit(store, name, "logout", name, None)
        session.clear()
        if lang:
            session["lang"] = lang
        response = redirect("/login?signed_out=1")
        response.delete_cookie(CSRF_COOKIE)
        return response

    @server.get("/favicon.ico")
    def favicon():
        import dash

        return send_file(Path(dash.__file__).parent / "favicon.ico", mimetype="image/x-icon", max_age=86400)

    @server.get("/language/<code>")
    def set_language(code: str):
        user = current_user(store)
        if code not in LANGUAGES:
            abort(404)
        session["lang"] = code
        if user is not None and user.language != code:
            users.set_language(store, user.name, code)
        return redirect(_safe_next(request.args.get("next"), prefix))

    @server.before_request
    def guard():
        path = request.path
        if not (path == prefix.rstrip("/") or path.startswith(prefix)):
            return None
        user = current_user(store)
        if user is None:
            if request.method == "GET" and not path.startswith(f"{prefix}_dash-"):
                full = request.full_path.rstrip("?")
                return redirect(f"/login?next={_quote(full)}")
            return ("sign in first", 401)
        if request.method == "POST":
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, str(session.get("csrf", ""))):
                return ("missing or wrong CSRF token; reload the page", 403)
        return None

    @server.after_request
    def csrf_cookie(response):
        path = request.path
        if (path == prefix.rstrip("/") or path.startswith(prefix)) and session.get("user"):
            if request.cookies.get(CSRF_COOKIE) != session.get("csrf"):
                _set_csrf_cookie(response)
        return response


def _set_csrf_cookie(response) -> None:
    # Readable by the page's script (Dash sends it back as a header): that is the double submit.
    response.set_cookie(CSRF_COOKIE, _csrf_token(), httponly=False, samesite="Lax", path="/")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
