"""JSON responses written with orjson (bytes in, bytes out, no re-encoding)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


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
