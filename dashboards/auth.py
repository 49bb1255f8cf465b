"""Signing in and out: the login form, the server-side session behind the cookie, the language switch.

A sign-in starts a session (:mod:`surveillance.credentials`): the browser holds its random secret in the
``surveillance_session`` cookie (HttpOnly, SameSite=Lax, Secure with ``service.https``), the store holds
its hash, user, expiry and CSRF token. Signing out deletes it, so a cookie saved before then opens
nothing; a password change ends every session of the user; a restart of the service ends none.

The login form carries its own CSRF token (kept in Flask's signed cookie until the form is sent), a
sign-in from a foreign ``Origin`` is refused (:mod:`dashboards.guard`), and failed sign-ins are
throttled per name and address, per name, per address and overall (:mod:`dashboards.throttle`).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode, urlparse

from flask import Flask, abort, g, redirect, render_template_string, request, send_file, session

from surveillance import credentials, users
from surveillance.users import User
from surveillance.vocabulary import LANGUAGES, classification_line

from .auditing import client_address, record as record_audit
from .i18n import t
from .throttle import WINDOW, LoginThrottle

log = logging.getLogger(__name__)

SESSION_COOKIE = "surveillance_session"
CSRF_COOKIE = "_csrf_token"  # Dash's front end sends it back as the X-CSRFToken header
CSRF_HEADER = "X-CSRFToken"
LOGIN_CSRF = "login_csrf"

FORM_STYLE = """<style>
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
 .classification { margin: 1rem 0 0; font-size: .8rem; color: #52606d; text-align: center; }
</style>"""

LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('login.title', lang) }} · {{ t('app.title', lang) }}</title>
""" + FORM_STYLE + """</head><body>
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
 <p class="classification" id="login-classification">{{ classification }}</p>
</form></body></html>"""


def public(view):
    """Mark a route as answering without sign-in (it must reveal nothing); every other route needs a
    signed-in user or an API token (:mod:`dashboards.guard`)."""
    view.public = True
    return view


def session_secret(env_var: str | None) -> str:
    """The secret signing Flask's own cookie (the login form's token and the language before sign-in),
    from ``env_var``; a random one when it is unset (sign-ins do not depend on it)."""
    value = os.environ.get(env_var) if env_var else None
    if value:
        if len(value) < 16:
            log.warning("%s holds a short session secret; use at least 32 random characters", env_var)
        return value
    return secrets.token_urlsafe(48)


def page_language() -> str:
    """The language of a page before (or without) the user's own: asked for, kept, or the browser's."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    best = request.accept_languages.best_match(["en", "zh", "zh-CN"]) or "en"
    return "zh" if best.startswith("zh") else "en"


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: an absolute URL or ``//host`` in ``next`` would send the user elsewhere."""
    if not target:
        return default
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def signed_in(store) -> tuple[User, str] | None:
    """The user of this request's session cookie and the session's CSRF token (read once per request)."""
    if "session_user" not in g:
        g.session_user = credentials.session_user(store, request.cookies.get(SESSION_COOKIE))
    return g.session_user


def current_user(store) -> User | None:
    """The signed-in user of this request (a session, not an API token), or None."""
    found = signed_in(store)
    return found[0] if found else None


def _login_csrf() -> str:
    token = session.get(LOGIN_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[LOGIN_CSRF] = token
    return token


def set_session_cookies(response, secret: str, csrf: str, *, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(credentials.SESSION_HOURS * 3600), httponly=True,
                        samesite="Lax", secure=secure, path="/")
    set_csrf_cookie(response, csrf, secure=secure)


def set_csrf_cookie(response, csrf: str, *, secure: bool) -> None:
    # Readable by the page's script (Dash sends it back as a header): that is the double submit.
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="Lax", secure=secure, path="/")


def install_auth(server: Flask, store, config, *, prefix: str) -> None:
    """The login, logout and language routes (the guard in front of every route is :mod:`dashboards.guard`)."""
    secure = config.service.secure
    server.secret_key = session_secret(config.service.session_key_env)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure)
    server.extensions["surveillance_login_throttle"] = LoginThrottle()

    def login_page(*, error=None, info=None, name="", status=200):
        lang = page_language()
        target = safe_next(request.values.get("next"), prefix)
        html = render_template_string(LOGIN_PAGE, t=t, lang=lang, error=error, info=info, name=name,
                                      next=target, csrf=_login_csrf(), action="/login", languages=LANGUAGES,
                                      classification=classification_line(config.audit.classification, lang))
        return html, status

    @server.route("/login", methods=["GET", "POST"])
    @public
    def login():
        if request.method == "GET":
            info = t("login.signed_out", page_language()) if request.args.get("signed_out") else None
            return login_page(info=info)
        expected = session.get(LOGIN_CSRF)
        if not expected or not hmac.compare_digest(str(request.form.get("csrf", "")), str(expected)):
            abort(400, "the sign-in form expired; reload the page")
        name = (request.form.get("name") or "").strip()[:64]
        password = request.form.get("password") or ""
        address = request.remote_addr or "?"
        lang = page_language()
        throttle = server.extensions["surveillance_login_throttle"]
        refused = throttle.locked(name, address)
        if refused:
            record_audit(store, name or "?", "login_refused", name, f"from {address}: too many failures ({refused})")
            page, status = login_page(error=t("login.locked", lang), name=name, status=429)
            return page, status, {"Retry-After": str(int(WINDOW))}
        user = users.verify_password(store, name, password)
        if user is None:
            throttle.failed(name, address)
            known = users.get_user(store, name) if name else None
            record_audit(store, name or "?", "login_failed", name,
                         f"from {address}" + (": the account is disabled" if known and known.disabled else ""))
            return login_page(error=t("login.failed", lang), name=name, status=401)
        throttle.succeeded(name, address)
        target = safe_next(request.form.get("next"), prefix)
        if user.must_change_password:  # a one-time password: the new one first, then where they were going
            target = "/password?" + urlencode({"next": target})
        credentials.end_session(store, request.cookies.get(SESSION_COOKIE))  # a fresh session (no fixation)
        started = credentials.start_session(store, user, address=address)
        session.pop(LOGIN_CSRF, None)  # the form's token is used up
        record_audit(store, user.name, "login", user.name, f"from {address}")
        response = redirect(target)
        set_session_cookies(response, started.secret, started.csrf, secure=secure)
        return response

    @server.get("/logout")
    @public
    def logout():
        name = credentials.end_session(store, request.cookies.get(SESSION_COOKIE))
        if name:
            record_audit(store, name, "logout", name, None)
        response = redirect("/login?signed_out=1")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    @server.get("/favicon.ico")
    @public
    def favicon():
        import dash

        return send_file(Path(dash.__file__).parent / "favicon.ico", mimetype="image/x-icon", max_age=86400)

    @server.get("/language/<code>")
    @public
    def set_language(code: str):
        user = current_user(store)
        if code not in LANGUAGES:
            abort(404)
        session["lang"] = code
        if user is not None and user.language != code:
            users.set_language(store, user.name, code, address=client_address())
        return redirect(safe_next(request.args.get("next"), prefix))

    @server.after_request
    def csrf_cookie(response):
        path = request.path
        found = signed_in(store) if (path == prefix.rstrip("/") or path.startswith(prefix)) else None
        if found and request.cookies.get(CSRF_COOKIE) != found[1]:
            set_csrf_cookie(response, found[1], secure=secure)
        return response
