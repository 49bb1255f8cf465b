"""The service's end of the control channel (:mod:`surveillance.admin.channel`): a small HTTP server on a
loopback port of its own that runs the administrative operations of commands on the machine
(``surveillance user ...`` while the service holds the database).

It answers only requests from a loopback address that carry the secret of the channel file, and only
``POST /control``; the dashboard's public port has no such route.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from surveillance.admin import Operator, run
from surveillance.admin.channel import PATH, SECRET_HEADER, new_secret, remove_channel, write_channel
from surveillance.errors import SurveillanceError
from surveillance.store import Store

log = logging.getLogger(__name__)


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def control_app(store: Store, secret: str) -> Flask:
    app = Flask(__name__)

    @app.post(PATH)
    def control():
        if not _loopback(request.remote_addr):
            return jsonify(error="the control channel answers this machine only"), 403
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return jsonify(error="wrong or missing control channel secret"), 403
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("operation"), str):
            return jsonify(error="send {operation, args, operator} as JSON"), 400
        operator = body.get("operator") if isinstance(body.get("operator"), dict) else {}
        who = Operator(name=str(operator.get("name") or "cli")[:64],
                       address=str(operator.get("address") or "local")[:100])
        try:
            result = run(store, body["operation"], body.get("args") or {}, who)
        except SurveillanceError as exc:
            return jsonify(error=str(exc), exit_code=exc.exit_code), 400
        log.info("control channel: %s by %s (%s)", body["operation"], who.name, who.address)
        return jsonify(result=result)

    return app


class ControlChannel:
    """The channel's server thread and file, for the life of the service."""

    def __init__(self, store: Store):
        self.store = store
        self.secret = new_secret()
        self.server = make_server("127.0.0.1", 0, control_app(store, self.secret), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="control-channel", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_port

    def start(self) -> "ControlChannel":
        self.thread.start()
        path = write_channel(self.store.path, self.port, self.secret)
        log.info("control channel on 127.0.0.1:%s (%s)", self.port, path)
        return self

    def stop(self) -> None:
        remove_channel(self.store.path, self.secret)
        self.server.shutdown()
        self.thread.join(timeout=10)
