"""One SMTP session of the delivery loop: the connection (plain, STARTTLS or implicit TLS, with the
login), a deadline per message, and the moment the whole message has been handed over.

Each message's exchange (MAIL, RCPT, DATA, the message, the server's answer) must end within
``smtp.timeout_seconds``: a watchdog shuts the socket down when the time is up, so a server that
answers late, or trickles its answer byte by byte, costs that message one attempt and never holds
the queue. What the outcome means for the message depends on whether the whole message was
written before the time ran out (see :class:`Sent`).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Callable

from ..config import SmtpConfig, secret


@dataclass(frozen=True)
class Sent:
    """How one message's exchange ended.

    ``outcome``: ``sent`` (the server took it), ``refused`` (a 5xx answer: the server will not take it),
    ``deferred`` (a 4xx answer: not now), ``lost`` (no answer, or the connection broke, before the whole
    message was written: the server does not have it) or ``unconfirmed`` (the message was written but its
    answer never came: the server most likely has it)."""

    outcome: str
    error: str | None = None
    session_usable: bool = True


class Deadline:
    """Shuts the session's socket down after ``seconds``, ending whatever it waits for."""

    def __init__(self, session: smtplib.SMTP, seconds: float):
        self.session, self.expired = session, False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def __enter__(self) -> "Deadline":
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.session, "sock", None)
        if sock is not None:
            try:  # the plain socket's shutdown, also under TLS: it wakes a thread blocked in a read
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _HandOver:
    """smtplib's DATA command with a call once the message is written and only the final dot is left."""

    on_handed_over: Callable[[], None] | None = None
    handed_over = False

    def data(self, msg: bytes):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", msg)  # RFC 5321 4.5.2: a leading dot is doubled
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body)
        self.handed_over = True
        if self.on_handed_over is not None:
            self.on_handed_over()  # recorded before the server can take the message (the dot)
        self.send(b".\r\n")
        return self.getreply()


class Session(_HandOver, smtplib.SMTP):
    pass


class TlsSession(_HandOver, smtplib.SMTP_SSL):
    pass


def tls_context(smtp: SmtpConfig) -> ssl.SSLContext:
    """Certificates checked against the system's authorities, or the ``ca_file`` the config names (a
    private authority, or a test server's own certificate)."""
    return ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)


def open_session(smtp: SmtpConfig) -> smtplib.SMTP:
    """Connected, encrypted as configured and logged in, within ``timeout_seconds``."""
    timeout = smtp.timeout_seconds  # connecting and the greeting: each step within it (the socket's timeout)
    if smtp.security == "ssl":
        session = TlsSession(smtp.host, smtp.port, timeout=timeout, context=tls_context(smtp))
    else:
        session = Session(smtp.host, smtp.port, timeout=timeout)
    with Deadline(session, timeout):  # a server slow to answer EHLO is unreachable, not a message's failure
        session.ehlo()
        if smtp.security == "starttls":
            session.starttls(context=tls_context(smtp))
            session.ehlo()
        if smtp.user:
            session.login(smtp.user, secret(smtp.password_env) or "")
    return session


def send_one(session: smtplib.SMTP, smtp: SmtpConfig, recipient: str, message: bytes,
             on_handed_over: Callable[[], None]) -> Sent:
    """One message over an open session, within ``timeout_seconds``."""
    session.handed_over, session.on_handed_over = False, on_handed_over
    deadline = Deadline(session, smtp.timeout_seconds)
    try:
        with deadline:
            refused = session.sendmail(smtp.sender, [recipient], message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        return _answered(code, reply, f"recipient refused: {exc.recipients}", session)
    except smtplib.SMTPResponseException as exc:
        return _answered(exc.smtp_code, exc.smtp_error, None, session)
    except (OSError, smtplib.SMTPException) as exc:
        # the socket's own timeout can fire just before the deadline's: the same silence
        timed_out = deadline.expired or isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
        why = f"no answer within {smtp.timeout_seconds:g} s" if timed_out else f"connection lost: {exc}"
        if session.handed_over:
            return Sent("unconfirmed", f"unconfirmed: the whole message was sent but {why}; not sent again "
                                       "(the server most likely has it)", session_usable=False)
        return Sent("lost", why, session_usable=False)
    finally:
        session.on_handed_over = None
    if refused:
        code, reply = next(iter(refused.values()))
        return _answered(code, reply, f"recipient refused: {refused}", session)
    return Sent("sent")


def _answered(code: int, reply, error: str | None, session: smtplib.SMTP) -> Sent:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    error = error or f"{code} {text!r}"
    usable = code != 421 and session.sock is not None  # 421: the server is closing the connection
    return Sent("refused" if 500 <= code < 600 else "deferred", error, session_usable=usable)


def close(session: smtplib.SMTP | None) -> None:
    if session is None:
        return
    try:
        with Deadline(session, 5):
            session.quit()
    except (OSError, smtplib.SMTPException):
        session.close()
