"""A webhook receiver on 127.0.0.1 for tests: it records every request and answers with the
statuses it was given, in order (the last one repeats). Given a TLS context, it speaks https."""

import contextlib
import ssl
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    port: int = 0
    received: list[Received] = field(default_factory=list)


@contextlib.contextmanager
def running_receiver(
    statuses: Sequence[int] = (200,), *, tls: ssl.SSLContext | None = None
) -> Iterator[Receiver]:
    receiver = Receiver(url="", statuses=list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            status = (
                receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
            )
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            if 300 <= status < 400:  # back to itself: a client that follows comes again
                self.send_header("Location", receiver.url)
            self.end_headers()
            self.wfile.write(f"answered {status}".encode())

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_port
    receiver.url = f"{'https' if tls else 'http'}://127.0.0.1:{receiver.port}/hooks/relay"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
