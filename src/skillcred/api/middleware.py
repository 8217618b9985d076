"""Pure ASGI middleware: a request body size limit answered with a 413 problem."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skillcred.api.problems import problem


class BodySizeLimit:
    """Refuses bodies over ``limit`` bytes with 413, by Content-Length or — for a body
    sent in chunks, whose size is known only once read — while reading it: the body is
    read here (at most ``limit`` bytes) and handed on whole."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._refuse(scope, receive, send)
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
            if received > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], then=receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            title="Content Too Large",  # RFC 9110's name (HTTPStatus still says "Request Entity")
            detail=f"the request body is larger than {self.limit} bytes",
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
