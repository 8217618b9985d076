"""Fetching other parties' documents (did:web DID documents, status lists) safely.

Every fetch: HTTPS only; the host is resolved once and every address it resolves to must
be a public (globally routable) one unless the operator allows private networks — this
refuses loopback, private, link-local, shared and reserved ranges, and the connection
goes to the checked address (no DNS rebinding between check and use); a timeout on
every phase; a size limit enforced while reading; redirects followed only a few times,
each target checked again. A refused URL is refused before any request is made.

Remote work is bounded so that a slow or hostile host can only slow the requests that
need it: each request's fetches share one :class:`FetchBudget` (a deadline for all of
them and a cap on how many), a transfer must keep a minimum rate, and fetches in flight
are capped per host and in all — past a cap a fetch is refused at once rather than
queued, so waiting never ties up the threads other requests need. What was not fetched
is *cannot check* to the verifier, never a pass.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from skillcred.errors import RemoteFetchError, RemoteRefusedError
from skillcred.services.metrics import REMOTE_FETCHES

MAX_REDIRECTS = 3


@dataclass
class FetchBudget:
    """What one request may spend on remote fetches: a deadline for all of them, and a
    number of fetches (a credential naming a hundred status lists is not checked a
    hundred times over)."""

    deadline: float  # time.monotonic()
    fetches_left: int

    def take(self, url: str) -> float:
        """Spend one fetch; the seconds left for it. Raises RemoteFetchError when the
        request's deadline has passed or its fetches are spent."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RemoteFetchError(
                f"{url}: not fetched, the request's time for lookups ran out", outcome="skipped"
            )
        if self.fetches_left <= 0:
            raise RemoteFetchError(
                f"{url}: not fetched, this request has made as many remote lookups as one "
                "request may",
                outcome="skipped",
            )
        self.fetches_left -= 1
        return remaining


_budget: ContextVar[FetchBudget | None] = ContextVar("skillcred_fetch_budget", default=None)


@contextmanager
def fetch_budget(seconds: float, max_fetches: int) -> Iterator[FetchBudget]:
    """Every fetch made inside (in this thread or context) shares one budget."""
    budget = FetchBudget(time.monotonic() + seconds, max_fetches)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


class _InFlight:
    """Counts fetches in flight, per host and in all; refuses past either cap at once."""

    def __init__(self, per_host: int, total: int) -> None:
        self._per_host = per_host
        self._total = total
        self._hosts: dict[str, int] = {}
        self._all = 0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, host: str, url: str) -> Iterator[None]:
        with self._lock:
            if self._all >= self._total:
                raise RemoteFetchError(
                    f"{url}: not fetched, {self._all} remote lookups are already under way here",
                    outcome="skipped",
                )
            if self._hosts.get(host, 0) >= self._per_host:
                raise RemoteFetchError(
                    f"{url}: not fetched, {self._per_host} lookups to {host} are already under "
                    "way (it answers slowly or not at all)",
                    outcome="skipped",
                )
            self._all += 1
            self._hosts[host] = self._hosts.get(host, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._all -= 1
                self._hosts[host] -= 1
                if not self._hosts[host]:
                    del self._hosts[host]


Resolve = Callable[[str, int], list[str]]


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


#: IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, 8215)
#: and the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1)
_EMBEDDING_IPV4 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64,
    IPv4-compatible), which is where a connection to it ends up."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _EMBEDDING_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(address: str) -> bool:
    """A globally routable unicast address — and so is any IPv4 address it embeds
    (``ip.is_global`` alone says yes to 64:ff9b::7f00:1, 2002:7f00:1::, ::127.0.0.1)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return embedded.is_global and not embedded.is_multicast
    return ip.is_global and not ip.is_multicast


@dataclass
class GuardedFetcher:
    timeout_seconds: float = 5.0
    max_bytes: int = 2 * 1024 * 1024
    allow_private_addresses: bool = False
    verify: ssl.SSLContext | bool = True
    resolve: Resolve = _system_resolve
    transport: httpx.BaseTransport | None = None
    #: a transfer slower than this (after its first second) is given up
    min_bytes_per_second: int = 4096
    #: fetches in flight to one host, and in all; past either, a fetch is refused at once
    max_per_host: int = 4
    max_in_flight: int = 16

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout_seconds),
            verify=self.verify,
            follow_redirects=False,
            transport=self.transport,
            headers={"User-Agent": "skillcred"},
            limits=httpx.Limits(max_connections=self.max_in_flight),
        )
        self._in_flight = _InFlight(self.max_per_host, self.max_in_flight)

    def fetch(self, url: str, *, accept: str = "application/json") -> bytes:
        """The body at ``url``, within the current request's budget (one fetch of it, and
        its deadline for this fetch and its redirects; without a budget, one fetch's
        timeout)."""
        try:
            body = self._fetch(url, accept)
        except RemoteRefusedError:
            REMOTE_FETCHES.labels("refused").inc()
            raise
        except RemoteFetchError as exc:
            REMOTE_FETCHES.labels(exc.outcome).inc()
            raise
        REMOTE_FETCHES.labels("ok").inc()
        return body

    def _fetch(self, url: str, accept: str) -> bytes:
        budget = _budget.get()
        remaining = budget.take(url) if budget is not None else self.timeout_seconds
        deadline = time.monotonic() + min(remaining, self.timeout_seconds * (MAX_REDIRECTS + 1))
        for _ in range(MAX_REDIRECTS + 1):
            host = (urlsplit(url).hostname or "").lower()
            with self._in_flight.slot(host, url):
                response = self._get(url, accept, deadline)
                if (
                    response.status_code in (301, 302, 303, 307, 308)
                    and "location" in response.headers
                ):
                    response.close()
                    url = urljoin(url, response.headers["location"])
                    continue
                return self._body(url, response, deadline)
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

    def _get(self, url: str, accept: str, deadline: float) -> httpx.Response:
        pinned, host_header, extensions = self._target(url)
        left = deadline - time.monotonic()
        if left <= 0:
            raise RemoteFetchError(f"{url}: not fetched, the time for lookups ran out")
        try:
            request = self._client.build_request(
                "GET",
                pinned,
                headers={"Host": host_header, "Accept": accept},
                extensions=extensions,
                timeout=httpx.Timeout(min(left, self.timeout_seconds)),
            )
            return self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise RemoteFetchError(
                f"{url}: no answer within {min(left, self.timeout_seconds):.3g} s",
                outcome="timeout",
            ) from exc
        except httpx.HTTPError as exc:
            raise RemoteFetchError(f"{url}: {type(exc).__name__}: {exc}") from exc

    def _body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        try:
            if response.status_code != 200:
                raise RemoteFetchError(f"{url}: the server answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise RemoteFetchError(f"{url}: the document is larger than {self.max_bytes} bytes")
            chunks = []
            size = 0
            started = time.monotonic()
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise RemoteFetchError(
                        f"{url}: the document is larger than {self.max_bytes} bytes"
                    )
                chunks.append(chunk)
                now = time.monotonic()
                if now > deadline:
                    raise RemoteFetchError(
                        f"{url}: the transfer did not finish in time", outcome="timeout"
                    )
                if now - started > 1.0 and size < self.min_bytes_per_second * (now - started):
                    raise RemoteFetchError(
                        f"{url}: the transfer is slower than {self.min_bytes_per_second} bytes/s",
                        outcome="too-slow",
                    )
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
