"""The employer's verification page (static files; the page calls the VC-API)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.json import JsonRoute
from skillcred.errors import NotFoundError

router = APIRouter(tags=["verifying"], include_in_schema=False, route_class=JsonRoute)
WEB = Path(__file__).resolve().parent.parent.parent / "web"
FILES = {
    "/verify": ("verify.html", "text/html; charset=utf-8"),
    "/verify/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/verify/app.css": ("app.css", "text/css; charset=utf-8"),
}
# The page loads nothing from elsewhere and may only talk to this service.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}


@cache
def _file(name: str) -> bytes:
    return (WEB / name).read_bytes()


def _serve(path: str) -> Response:
    found = FILES.get(path)
    if found is None:
        raise NotFoundError(f"there is nothing at {path}")
    name, media_type = found
    return Response(_file(name), media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/verify")
def page() -> Response:
    return _serve("/verify")


@router.get("/verify/{asset}")
def asset(asset: str) -> Response:
    return _serve(f"/verify/{asset}")
