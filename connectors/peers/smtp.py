"""Fake mail server: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every e-mail.

    with SmtpPeer() as mail:            # listens on a free port
        ...                             # deliver to 127.0.0.1:mail.port
        assert mail.wait_for(lambda m: m["To"] == "a@b.vn")

``refuse(times=n)`` answers the next ``n`` transactions with ``451`` (try again later), as
a busy server does; ``stop()`` takes it down (connections refused) and ``start()`` brings
it back on the same port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

__all__ = ["SmtpPeer"]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


class _Handler:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return self.peer._received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)


class SmtpPeer:
    """An SMTP server for tests; ``messages()`` are the parsed e-mails it accepted."""

    name = "smtp"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._refusals = 0
        self.refused = 0
        self._controller: Controller | None = None

    def start(self) -> Self:
        controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def refuse(self, times: int) -> None:
        """Answer the next ``times`` messages with 451 (transient)."""
        with self._lock:
            self._refusals = times

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(
        self, match: Callable[[EmailMessage], bool], timeout_s: float = 60.0
    ) -> list[EmailMessage]:
        """The accepted e-mails matching ``match``, once there is one (AssertionError if not)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if match(m)]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no matching e-mail within {timeout_s}s; got {self.messages()}")

    def _received(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> str:
        with self._lock:
            if self._refusals > 0:
                self._refusals -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            parsed["X-Envelope-From"] = mail_from
            self._messages.append(parsed)
        return "250 OK"
