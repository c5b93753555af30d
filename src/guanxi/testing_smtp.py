"""A real SMTP server on loopback for tests (aiosmtpd): mail leaves through Django's SMTP backend,
crosses a socket and is parsed back, so headers, encodings and attachments are what a mail server sees."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, inbox: list, arrived: threading.Condition):
        self.inbox, self.arrived = inbox, arrived

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.arrived:
            self.inbox.append((list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpListener:
    """`with SmtpListener() as smtp:` … `smtp.port`, `smtp.messages`, `smtp.wait(n)`; stopped on exit."""

    def __init__(self):
        self.inbox: list[tuple[list[str], EmailMessage]] = []
        self._arrived = threading.Condition()
        self.port = _free_port()
        self._controller = Controller(_Handler(self.inbox, self._arrived), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpListener:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return [m for _to, m in self.inbox]

    def wait(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The first `count` messages, waiting for them to arrive (delivery is asynchronous)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.inbox) >= count, timeout=timeout)
        assert len(self.inbox) >= count, f"expected {count} messages, got {len(self.inbox)}"
        return self.messages[:count]
