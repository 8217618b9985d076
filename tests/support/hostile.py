"""Hostile HTTPS hosts for tests: one that never answers, one that drips a byte at a time,
one that sends far more than any document should be. Each on loopback with the
self-signed certificate of tests.support.https_server."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.https_server import self_signed_certificate


@dataclass
class HostileHosts:
    silent: str
    dripping: str
    huge: str
    cert_path: Path
    stop: threading.Event


def _handler(kind: str, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if kind == "silent":
                stop.wait(120)  # the connection is open, TLS done, and nothing comes
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                if kind == "dripping":
                    self.wfile.write(b"{")
                    while not stop.wait(0.5):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                else:  # huge: as fast as it goes, no Content-Length, never ending
                    chunk = b" " * 65536
                    while not stop.is_set():
                        self.wfile.write(chunk)
            except OSError:
                return  # the client gave up, as it should

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def hostile_hosts(folder: Path) -> Iterator[HostileHosts]:
    cert_path, key_path = self_signed_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    stop = threading.Event()
    servers = {}
    for kind in ("silent", "dripping", "huge"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(kind, stop))
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[kind] = server
    try:
        yield HostileHosts(
            *(f"https://localhost:{servers[k].server_address[1]}" for k in servers),
            cert_path=cert_path,
            stop=stop,
        )
    finally:
        stop.set()
        time.sleep(0.1)
        for server in servers.values():
            server.shutdown()
            server.server_close()
