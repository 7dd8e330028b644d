"""A real SMTP server on localhost (aiosmtpd) that keeps what it receives, for delivery tests."""

from __future__ import annotations

import email
import socket
import threading
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 OK"


class SmtpSink:
    """Start/stop on a fixed port, so a test can take the mail server down and bring it back."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Message]:
        """The messages received once there are at least `count` (or all of them after `timeout` seconds)."""
        from .celery_support import wait_until

        def received() -> bool:
            with self.lock:
                return len(self.messages) >= count

        wait_until(received, timeout=timeout)
        with self.lock:
            return list(self.messages)


def pdf_attachments(message: Message) -> list[bytes]:
    return [part.get_payload(decode=True) for part in message.walk() if part.get_content_type() == "application/pdf"]


def subject(message: Message) -> str:
    """The Subject header decoded (non-ASCII subjects travel as RFC 2047 encoded words) and unfolded (long
    subjects are folded over several lines on the wire)."""
    from email.header import decode_header, make_header

    return " ".join(str(make_header(decode_header(message["Subject"]))).split())
