"""Fetching other parties' documents (did:web DID documents, status lists) safely.

Every fetch: HTTPS only; the host is resolved once and every address it resolves to must
be a public (globally routable) one unless the operator allows private networks — this
refuses loopback, private, link-local, shared and reserved ranges, and the connection
goes to the checked address (no DNS rebinding between check and use); a timeout on
every phase; a size limit enforced while reading; redirects followed only a few times,
each target checked again. A refused URL is refused before any request is made.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from skillcred.errors import SkillcredError

MAX_REDIRECTS = 3


class RemoteFetchError(SkillcredError):
    code = "REMOTE_FETCH_ERROR"
    type_uri = "urn:skillcred:problem:remote-fetch"
    title = "Remote document unavailable"


class RemoteRefusedError(RemoteFetchError):
    """The URL points somewhere this service will not connect to."""

    code = "REMOTE_ADDRESS_REFUSED"
    type_uri = "urn:skillcred:problem:remote-address-refused"
    title = "Remote address refused"


Resolve = Callable[[str, int], list[str]]


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass
class GuardedFetcher:
    timeout_seconds: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    allow_private_addresses: bool = False
    verify: ssl.SSLContext | bool = True
    resolve: Resolve = _system_resolve
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout_seconds),
            verify=self.verify,
            follow_redirects=False,
            transport=self.transport,
            headers={"User-Agent": "skillcred"},
        )

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get(url, accept)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            return self._body(url, response)
        raise RemoteFetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _target(self, url: str) -> tuple[str, str, dict[str, Any]]:
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise RemoteRefusedError(f"{url}: only https:// URLs are fetched")
        host = parts.hostname
        if not host:
            raise RemoteRefusedError(f"{url}: the URL has no host")
        if parts.username or parts.password:
            raise RemoteRefusedError(f"{url}: URLs with credentials are not fetched")
        port = parts.port or 443
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = self.resolve(host, port)
            except OSError as exc:
                raise RemoteFetchError(
                    f"{url}: the host {host!r} cannot be resolved ({exc})"
                ) from exc
        if not addresses:
            raise RemoteFetchError(f"{url}: the host {host!r} has no address")
        if not self.allow_private_addresses:
            private = [a for a in addresses if not _is_public(a)]
            if private:
                raise RemoteRefusedError(
                    f"{url}: {host} resolves to {private[0]}, a loopback, private or reserved "
                    "address; such addresses are refused (the operator can allow them with "
                    "SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES)"
                )
        address = addresses[0]
        pinned_host = f"[{address}]" if ":" in address else address
        netloc = f"{pinned_host}:{port}"
        pinned = parts._replace(netloc=netloc).geturl()
        host_header = host if parts.port in (None, 443) else f"{host}:{port}"
        return pinned, host_header, {"sni_hostname": host}

    def _get(self, url: str, accept: str) -> httpx.Response:
        pinned, host_header, extensions = self._target(url)
        try:
            request = self._client.build_request(
                "GET",
                pinned,
                headers={"Host": host_header, "Accept": accept},
                extensions=extensions,
            )
            return self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise RemoteFetchError(f"{url}: no answer within {self.timeout_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise RemoteFetchError(f"{url}: {type(exc).__name__}: {exc}") from exc

    def _body(self, url: str, response: httpx.Response) -> bytes:
        try:
            if response.status_code != 200:
                raise RemoteFetchError(f"{url}: the server answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise RemoteFetchError(f"{url}: the document is larger than {self.max_bytes} bytes")
            chunks = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise RemoteFetchError(
                        f"{url}: the document is larger than {self.max_bytes} bytes"
                    )
                chunks.append(chunk)
            return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise RemoteFetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
        finally:
            response.close()

    def close(self) -> None:
        self._client.close()


class TtlCache:
    """A small thread-safe cache whose entries expire."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._items: dict[str, tuple[float, Any]] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            return item[1]

    def put(self, key: str, value: Any, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        with self._lock:
            if len(self._items) >= self._max:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (time.monotonic() + ttl_seconds, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
