"""Public documents: health, contexts (exact bytes, ETag, CORS), schemas, DID documents."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import REPO_ROOT
from tests.support.service import Service


def test_healthz(service: Service) -> None:
    response = service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_contexts_are_served_byte_for_byte_with_etag_and_cors(service: Service) -> None:
    listing = service.client.get("/contexts").json()
    assert "/contexts/credentials-v2.jsonld" in listing
    assert (
        listing["/contexts/credentials-v2.jsonld"]["canonicalUrl"]
        == "https://www.w3.org/ns/credentials/v2"
    )
    response = service.client.get(
        "/contexts/credentials-v2.jsonld", headers={"Origin": "https://wallet.example"}
    )
    assert response.status_code == 200
    assert response.content == (REPO_ROOT / "contexts" / "credentials-v2.jsonld").read_bytes()
    assert hashlib.sha256(response.content).hexdigest().startswith("59955ced")
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age=" in response.headers["cache-control"]
    etag = response.headers["etag"]
    again = service.client.get("/contexts/credentials-v2.jsonld", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_unknown_context_is_a_404_problem(service: Service) -> None:
    response = service.client.get("/contexts/nope.jsonld")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET /contexts lists them" in response.json()["detail"]


def test_did_web_document_lists_multikeys(service: Service) -> None:
    provider = service.create_provider("webby", did_method="web")
    response = service.client.get("/providers/webby/did.json")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == provider["did"]
    assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]
    assert all(m["type"] == "Multikey" for m in document["verificationMethod"])
    keyed = service.create_provider("keyed")
    assert keyed["did"].startswith("did:key:z6Mk")
    assert service.client.get("/providers/keyed/did.json").status_code == 404
    assert service.client.get("/providers/nobody/did.json").status_code == 404


def test_admin_endpoints_need_the_admin_token(service: Service) -> None:
    body = {"slug": "x", "name": "X"}
    assert service.client.post("/admin/providers", json=body).status_code == 401
    wrong = service.client.post(
        "/admin/providers", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert service.client.get("/admin/providers", headers=service.admin()).json() == []


def test_provider_registration_refuses_bad_input(service: Service) -> None:
    for body, message in (
        ({"slug": "Bad Slug", "name": "x"}, "slug must be"),
        ({"slug": "ok", "name": "  "}, "name must be"),
        ({"slug": "ok", "name": "x", "didMethod": "ion"}, "didMethod"),
    ):
        response = service.client.post("/admin/providers", json=body, headers=service.admin())
        assert response.status_code == 400, response.text
        assert message in response.json()["detail"]
    service.create_provider("taken")
    duplicate = service.client.post(
        "/admin/providers", json={"slug": "taken", "name": "Again"}, headers=service.admin()
    )
    assert duplicate.status_code == 409
    assert [
        p["slug"] for p in service.client.get("/admin/providers", headers=service.admin()).json()
    ] == ["taken"]


def test_unknown_path_and_method_are_problems(service: Service) -> None:
    missing = service.client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = service.client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert "DELETE is not allowed" in wrong_method.json()["detail"]


def test_pages_for_people_load_nothing_from_elsewhere(service: Service) -> None:
    """The landing page, the employer page and the API docs: each under the strict CSP,
    and every script and stylesheet they name served here (Swagger UI vendored)."""
    for path, title in (
        ("/", "skillcred — an open-standard skills passport"),
        ("/verify", "Check a skills passport — skillcred"),
        ("/docs", "API documentation — skillcred"),
    ):
        response = service.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert (
            "default-src 'none'; script-src 'self'" in response.headers["content-security-policy"]
        )
        assert f"<title>{title}</title>" in response.text
        for asset in re.findall(r'(?:src|href)="(/[^"]*\.(?:js|css))"', response.text):
            served = service.client.get(asset)
            assert served.status_code == 200, asset
            assert "content-security-policy" in served.headers
        assert not re.search(r'(?:src|href)="(?:https?:)?//', response.text), path
    profile = service.client.get("/docs/skills-profile")
    assert profile.status_code == 200 and profile.text.startswith("# The skills passport profile")
    assert service.client.get("/docs/nothing.js").status_code == 404
    # FastAPI's own CDN-loading pages are gone.
    assert service.client.get("/redoc").status_code == 404


def test_vendored_swagger_ui_is_what_its_checksums_say() -> None:
    """scripts/vendor-swagger-ui wrote SHA256SUMS beside the files it copied from the npm
    package swagger-ui-dist; a file changed by hand (or half updated) fails here."""
    folder = REPO_ROOT / "src" / "skillcred" / "web" / "swagger-ui"
    listed = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    assert set(listed) == {
        "swagger-ui-bundle.js",
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui.css",
        "LICENSE",
        "NOTICE",
        "VERSION",
    }
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert (folder / "VERSION").read_text().strip().count(".") == 2
