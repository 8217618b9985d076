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
