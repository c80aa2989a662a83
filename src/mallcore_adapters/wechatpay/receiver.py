"""A minimal loopback endpoint for WeChat's notifications, for demos and tests.

Production mounts ``NotificationHandler.handle`` in its own web framework; this is
the same thing on stdlib ``http.server``, threaded, so concurrent deliveries are real.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mallcore_adapters.wechatpay.notifications import NotificationAnswer, NotificationHandler


class NotificationReceiver:
    """``url`` accepts WeChat Pay notifications; ``answers`` keeps what each one did."""

    def __init__(self, handler: NotificationHandler, path: str = "/wechatpay/notify") -> None:
        self.handler = handler
        self.path = path
        self.answers: list[NotificationAnswer] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.path}"

    def start(self) -> NotificationReceiver:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.receiver = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="wechatpay-notify",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> NotificationReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, answer: NotificationAnswer) -> None:
        with self._lock:
            self.answers.append(answer)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        receiver: NotificationReceiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != receiver.path:
            answer = NotificationAnswer(404, b"")
        else:
            answer = receiver.handler.handle(dict(self.headers.items()), body)
            receiver._record(answer)
        self.send_response(answer.status)
        if answer.body:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
