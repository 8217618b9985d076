"""A small HTTPS server on loopback that serves fixed documents (another issuer's did:web
document, its status lists, schemas) and records every request it gets."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed_certificate(folder: Path, hosts: Sequence[str] = ()) -> tuple[Path, Path]:
    """A certificate for localhost, 127.0.0.1 and ``hosts`` (its own CA), and its key, as
    PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    *(x509.DNSName(host) for host in hosts),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class DocumentServer:
    port: int
    cert_path: Path
    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    @property
    def did(self) -> str:
        """The did:web whose document is at /.well-known/did.json."""
        return f"did:web:localhost%3A{self.port}"

    def url(self, path: str) -> str:
        return f"https://localhost:{self.port}{path}"

    def put(self, path: str, document: Any, media_type: str = "application/json") -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.documents[path] = (body, media_type)
        return self.url(path)


@contextmanager
def document_server(
    folder: Path, *, address: str = "127.0.0.1", port: int = 0, hosts: Sequence[str] = ()
) -> Iterator[DocumentServer]:
    """Serves ``documents`` by path; ``address``, ``port`` and ``hosts`` (names in its
    certificate) let it stand in for other parties' servers, their hosts resolved to it."""
    cert_path, key_path = self_signed_certificate(folder, hosts)
    state = DocumentServer(port, cert_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            # By host and path when the server stands in for several hosts, else by path.
            host = (self.headers.get("Host") or "").removesuffix(":443")
            found = state.documents.get(host + self.path) or state.documents.get(self.path)
            if found is None:
                self.send_response(404)
                self.end_headers()
                return
            body, media_type = found
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((address, port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
