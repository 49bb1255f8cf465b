"""Changing one's own password at ``/password``: by choice, or because an administrator reset it to a
one-time password (the guard sends such a session nowhere else until it is changed).

The form needs the session's CSRF token and the current password; a wrong current password counts as
a failed sign-in (:mod:`dashboards.throttle`), so a stolen session cannot guess it. The change ends every
session of the user (:func:`surveillance.users.set_password`); this browser gets a fresh one.
"""

from __future__ import annotations

import hmac

from flask import Flask, redirect, render_template_string, request

from surveillance import credentials, users
from surveillance.vocabulary import classification_line

from .auditing import client_address, record
from .auth import FORM_STYLE, safe_next, set_session_cookies, signed_in
from .i18n import t
from .throttle import WINDOW

PASSWORD_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t('password.title', lang) }} · {{ t('app.title', lang) }}</title>
""" + FORM_STYLE + """</head><body>
<form method="post" action="/password" id="password-form">
 <h1>{{ t('password.title', lang) }}</h1>
 <p class="message info" id="password-user">{{ name }}</p>
 {% if must %}<p class="message info" id="password-must">{{ t('password.must', lang) }}</p>{% endif %}
 {% if error %}<p class="message error" id="password-error">{{ error }}</p>{% endif %}
 <input type="hidden" name="csrf" value="{{ csrf }}">
 <input type="hidden" name="next" value="{{ next }}">
 <label for="password-current">{{ t('password.current', lang) }}</label>
 <input type="password" id="password-current" name="current" autocomplete="current-password" required>
 <label for="password-new">{{ t('password.new', lang) }}</label>
 <input type="password" id="password-new" name="new" autocomplete="new-password" required minlength="8">
 <label for="password-repeat">{{ t('password.repeat', lang) }}</label>
 <input type="password" id="password-repeat" name="repeat" autocomplete="new-password" required minlength="8">
 <button type="submit" id="password-submit">{{ t('password.submit', lang) }}</button>
 <div class="lang"><a href="/logout" id="password-logout">{{ t('logout', lang) }}</a></div>
 <p class="classification" id="password-classification">{{ classification }}</p>
</form></body></html>"""


def install_password(server: Flask, store, config, *, prefix: str) -> None:
    secure = config.service.secure

    def page(user, csrf, *, error=None, status=200):
        lang = user.language
        html = render_template_string(
            PASSWORD_PAGE, t=t, lang=lang, name=user.name, must=user.must_change_password, error=error,
            csrf=csrf, next=safe_next(request.values.get("next"), prefix),
            classification=classification_line(config.audit.classification, lang))
        return html, status

    @server.route("/password", methods=["GET", "POST"])
    def change_password():
        user, csrf = signed_in(store)  # the guard let only a signed-in session through
        if request.method == "GET":
            return page(user, csrf)
        lang = user.language
        if not hmac.compare_digest(str(request.form.get("csrf", "")), csrf):
            return page(user, csrf, error=t("password.expired", lang), status=400)
        current, new = request.form.get("current") or "", request.form.get("new") or ""
        address = client_address()
        throttle = server.extensions["surveillance_login_throttle"]
        if throttle.locked(user.name, address):
            record(store, user.name, "login_refused", user.name, f"from {address}: too many failures (password form)")
            html, status = page(user, csrf, error=t("login.locked", lang), status=429)
            return html, status, {"Retry-After": str(int(WINDOW))}
        if users.verify_password(store, user.name, current) is None:
            throttle.failed(user.name, address)
            record(store, user.name, "login_failed", user.name, f"from {address}: wrong current password")
            return page(user, csrf, error=t("password.wrong", lang), status=401)
        if new != request.form.get("repeat"):
            return page(user, csrf, error=t("password.mismatch", lang), status=400)
        if new == current:
            return page(user, csrf, error=t("password.same", lang), status=400)
        try:
            users.set_password(store, user.name, new, by=user.name, address=address)
        except users.UserError:
            return page(user, csrf, error=t("password.weak", lang, n=users.MIN_PASSWORD_LENGTH), status=400)
        throttle.succeeded(user.name, address)
        started = credentials.start_session(store, users.get_user(store, user.name), address=address)
        response = redirect(safe_next(request.form.get("next"), prefix))
        set_session_cookies(response, started.secret, started.csrf, secure=secure)
        return response
