"""JSON in and out with orjson: responses bytes in, bytes out; request bodies parsed by
orjson, which refuses what the standard library lets through and breaks later (a lone
surrogate such as "\ud800", NaN, integers beyond 64 bits) — refused at the edge as
unparseable JSON (400), never a 500 deep inside."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


class JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class JsonRoute(APIRoute):
    """Every API route reads its JSON body with orjson (``APIRouter(route_class=...)``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parse_with_orjson(request: Request) -> Response:
            return await handler(JsonRequest(request.scope, request.receive))

        return parse_with_orjson


def json_response(
    value: Any,
    status_code: int = 200,
    *,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        orjson.dumps(value), status_code=status_code, media_type=media_type, headers=headers
    )


def wrapped(name: str, document: bytes) -> bytes:
    """``{"name": document}`` around an already-encoded JSON document."""
    return b'{"' + name.encode() + b'":' + document + b"}"


def issued_response(document: bytes, *, replayed: bool) -> Response:
    """201 ``{"verifiableCredential": …}``; a replayed idempotent request says so."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(
        wrapped("verifiableCredential", document),
        status_code=201,
        media_type="application/json",
        headers=headers,
    )
