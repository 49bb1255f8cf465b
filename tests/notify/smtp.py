"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": msg})
        return "250 OK"

    def to(self, address: str) -> list:
        return [m["message"] for m in self.messages if address in m["to"]]


class SmtpServer:
    """Start and stop a loopback SMTP server on a fixed port (to simulate an outage and recovery)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class SlowInbox(Inbox):
    """An inbox whose server answers late while ``slow`` is set: to EHLO (``at="ehlo"``), to a recipient
    (``"rcpt"``, before the message is sent) or to a whole message (``"data"``: after keeping it, as a
    server does that answers after the client's timeout); ``only``: for that recipient only."""

    def __init__(self, delay: float, *, at: str = "data", only=None):
        super().__init__()
        self.delay, self.at, self.only, self.slow = delay, at, only, True
        self.waiting = 0  # answers being held back, so far

    def _late(self, envelope=None) -> bool:
        return self.slow and (self.only is None or envelope is None or self.only in envelope.rcpt_tos)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        import asyncio

        session.host_name = hostname
        if self.at == "ehlo" and self._late():
            self.waiting += 1
            await asyncio.sleep(self.delay)
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        if self.at == "rcpt" and self.slow and (self.only is None or address == self.only):
            self.waiting += 1
            await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        answer = await super().handle_DATA(server, session, envelope)
        if self.at == "data" and self._late(envelope):
            self.waiting += 1
            await asyncio.sleep(self.delay)
        return answer


class FailingInbox(Inbox):
    """An inbox whose server answers ``reply`` to the message of ``recipient`` (every one when None)
    the first ``times`` times, then takes it."""

    def __init__(self, reply: str, *, times: int = 10**9, recipient: str | None = None):
        super().__init__()
        self.reply, self.times, self.recipient, self.refused = reply, times, recipient, 0

    async def handle_DATA(self, server, session, envelope):
        if (self.recipient is None or self.recipient in envelope.rcpt_tos) and self.refused < self.times:
            self.refused += 1
            return self.reply
        return await super().handle_DATA(server, session, envelope)


def self_signed_certificate(folder) -> tuple:
    """A certificate for 127.0.0.1 and its key, made with the openssl command (skips without it)."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key
