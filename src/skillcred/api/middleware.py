"""Pure ASGI middleware: a request body size limit answered with a 413 problem, rate limits
on the public endpoints answered with a 429 problem, and the request id, access log and
per-route metrics of every request."""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skillcred.api.problems import problem
from skillcred.logs import REQUEST_ID
from skillcred.services.metrics import HTTP_LATENCY, HTTP_REQUESTS

ACCESS = logging.getLogger("skillcred.access")


class BodySizeLimit:
    """Refuses bodies over ``limit`` bytes with 413, by Content-Length or — for a body
    sent in chunks, whose size is known only once read — while reading it: the body is
    read here (at most ``limit`` bytes) and handed on whole. ``exceptions`` gives some
    (method, path) their own limit (the batch endpoint takes a whole class's results)."""

    def __init__(
        self, app: ASGIApp, *, limit: int, exceptions: dict[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.exceptions = exceptions or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.exceptions.get((scope.get("method", ""), scope.get("path", "")), self.limit)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(scope, receive, send, limit)
                    return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message]), send)
                return
            body = message.get("body", b"")
            received += len(body)
            if received > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], then=receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            title="Content Too Large",  # RFC 9110's name (HTTPStatus still says "Request Entity")
            detail=f"the request body is larger than {limit} bytes",
            headers={"connection": "close"},
            instance=scope.get("path", ""),
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A receive that gives ``messages`` first, then (for disconnects) ``then``."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class RateLimit:
    """Per client address token buckets for the endpoints anyone may call: ``rules`` maps
    a (method, path prefix) to (requests per minute, burst). Past it: 429 with
    ``Retry-After``. Counted per worker process (with N workers or instances behind a
    proxy, a client gets up to N times the figure; the proxy can hold a global limit).
    The client address is the connection's, or the one a trusted proxy forwards (uvicorn's
    ``--forwarded-allow-ips``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: list[tuple[str, str, int, int]],
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self.app = app
        self.rules = [rule for rule in rules if rule[2] > 0]
        self.clock = clock
        self.max_clients = max_clients
        #: (rule index, client) -> (tokens, last refill)
        self._buckets: OrderedDict[tuple[int, str], tuple[float, float]] = OrderedDict()

    def _rule(self, scope: Scope) -> int | None:
        method, path = scope.get("method", ""), scope.get("path", "")
        for index, (rule_method, prefix, _rate, _burst) in enumerate(self.rules):
            if method == rule_method and path.startswith(prefix):
                return index
        return None

    def _take(self, index: int, client: str) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        _method, _prefix, per_minute, burst = self.rules[index]
        rate = per_minute / 60.0
        now = self.clock()
        key = (index, client)
        tokens, last = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1.0 - tokens) / rate
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)  # the longest idle client
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        index = self._rule(scope) if scope["type"] == "http" else None
        if index is not None:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self._take(index, client)
            if wait > 0:
                _method, _prefix, per_minute, burst = self.rules[index]
                response = problem(
                    429,
                    title="Too Many Requests",
                    detail=f"more than {per_minute} requests a minute (bursts of {burst}) from "
                    f"{client} to {scope.get('path', '')}; try again in {math.ceil(wait)} s",
                    headers={"retry-after": str(math.ceil(wait))},
                    instance=scope.get("path", ""),
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class Observe:
    """Per request: an id (the caller's ``X-Request-Id`` if it is a short token, else a
    new one) set for every log line and returned as ``X-Request-Id``; one access log line
    (JSON fields: method, route, status, duration); the per-route Prometheus metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        text = incoming.decode("latin-1")
        request_id = text if _REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(elapsed)
            if ACCESS.isEnabledFor(logging.INFO):
                ACCESS.info(
                    "%s %s %s",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "durationMs": round(elapsed * 1000, 2),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            REQUEST_ID.reset(token)
