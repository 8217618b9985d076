"""Pages for people, as static files: the landing page, the employer's verification page
(it calls the VC-API), the API documentation (Swagger UI, vendored: nothing is loaded from
a CDN) and the skills passport profile."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from skillcred.api.json import JsonRoute
from skillcred.errors import NotFoundError
from skillcred.resources import data_dir

router = APIRouter(tags=["verifying"], include_in_schema=False, route_class=JsonRoute)
WEB = Path(__file__).resolve().parent.parent.parent / "web"
HTML = "text/html; charset=utf-8"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
#: path -> (file under web/, media type, cache lifetime in seconds)
FILES = {
    "/": ("index.html", HTML, 300),
    "/verify": ("verify.html", HTML, 300),
    "/verify/app.js": ("app.js", JS, 300),
    "/verify/app.css": ("app.css", CSS, 300),
    "/docs": ("docs/index.html", HTML, 300),
    "/docs/docs.js": ("docs/docs.js", JS, 300),
    "/docs/docs.css": ("docs/docs.css", CSS, 300),
    # Swagger UI (swagger-ui-dist, see scripts/vendor-swagger-ui): changes only with a release.
    "/docs/swagger-ui-bundle.js": ("swagger-ui/swagger-ui-bundle.js", JS, 86400),
    "/docs/swagger-ui.css": ("swagger-ui/swagger-ui.css", CSS, 86400),
}
# Every page loads nothing from elsewhere and may only talk to this service.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(max_age: int) -> dict[str, str]:
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": f"public, max-age={max_age}",
    }


@cache
def _file(name: str) -> bytes:
    return (WEB / name).read_bytes()


@cache
def _profile() -> bytes:
    return (data_dir("docs") / "skills-profile.md").read_bytes()


def _serve(path: str) -> Response:
    found = FILES.get(path)
    if found is None:
        raise NotFoundError(f"there is nothing at {path}")
    name, media_type, max_age = found
    return Response(_file(name), media_type=media_type, headers=security_headers(max_age))


@router.get("/")
def landing() -> Response:
    return _serve("/")


@router.get("/verify")
def page() -> Response:
    return _serve("/verify")


@router.get("/verify/{asset}")
def asset(asset: str) -> Response:
    return _serve(f"/verify/{asset}")


@router.get("/docs")
def docs() -> Response:
    return _serve("/docs")


@router.get("/docs/skills-profile")
def skills_profile() -> Response:
    """The profile's documentation as written (Markdown, shown as text)."""
    return Response(
        _profile(), media_type="text/plain; charset=utf-8", headers=security_headers(300)
    )


@router.get("/docs/{asset}")
def docs_asset(asset: str) -> Response:
    return _serve(f"/docs/{asset}")
