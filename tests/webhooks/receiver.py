"""A real HTTP receiver for webhook tests: a thread running http.server on 127.0.0.1, recording every request
and answering what the test scripts (a status code per request, 204 when nothing is scripted)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.script: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self.hold = threading.Event()  # cleared: every request waits until the test sets it
        self.hold.set()
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._port = port
        self.server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str = "/hooks/libro") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self.script.append((status, body, headers or {}))

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    status, answer, headers = receiver.script.popleft() if receiver.script else (204, b"", {})
                receiver.arrived.set()
                receiver.hold.wait(timeout=30)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again (same port)."""
        if self.server is not None:
            self.hold.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None
