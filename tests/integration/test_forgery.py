"""Issue 9, as an outsider would try it: forgeries naming a registered provider (or an
issuer on the trust list), over HTTP and with the CLI; and the fail-open cases over HTTP
and the CLI. Each is refused with a named error and never reported trusted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair, add_proof, sign_credential, sign_presentation
from skillcred.core.jsonld.loader import default_loader
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.processes import SKILLCRED, clean_environment
from tests.support.service import Service

FORGER = Ed25519KeyPair.generate()
HOLDER = Ed25519KeyPair.generate()


def verify(service: Service, credential: dict[str, Any], **options: Any) -> tuple[int, Any]:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options:
        body["options"] = options
    response = service.client.post("/credentials/verify", json=body)
    return response.status_code, response.json()


def cli(*args: str, document: Any, cwd: Path) -> tuple[int, dict[str, Any] | None, str]:
    done = subprocess.run(
        [SKILLCRED, "verify", *args, "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
        cwd=cwd,
        check=False,
    )
    output = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, output, done.stderr


def issued(service: Service, provider: dict[str, Any]) -> dict[str, Any]:
    response = service.issue(provider["apiKey"], {**CREDENTIAL, "issuer": provider["did"]})
    assert response.status_code == 201, response.text
    credential: dict[str, Any] = response.json()["verifiableCredential"]
    return credential


def forged_in_the_name_of(did: str, name: str) -> dict[str, Any]:
    """The reproduction from the issue: the issuer set to a known DID, signed with a fresh
    did:key (what `skillcred keygen` + `sign` give anyone)."""
    return sign_credential(
        {**CREDENTIAL, "issuer": {"id": did, "type": "Profile", "name": name}}, key=FORGER
    )


@pytest.mark.parametrize("did_method", ["key", "web"])
def test_forgery_naming_a_registered_provider_over_http(service: Service, did_method: str) -> None:
    provider = service.create_provider("lasschool", did_method=did_method, name="Lasschool")
    # The genuine article verifies, and is trusted.
    code, body = verify(service, issued(service, provider))
    assert code == 200, body
    assert body["verdict"] == "valid" and body["summary"]["trusted"] is True

    code, body = verify(service, forged_in_the_name_of(provider["did"], "Lasschool"))
    assert code == 422
    assert body["verified"] is False
    assert body["verdict"] == "not-genuine"
    assert body["summary"]["verdict"] == "not-genuine"
    assert {e["code"] for e in body["errors"]} == {"ISSUER_MISMATCH"}
    assert FORGER.controller in body["errors"][0]["detail"]
    # Never "trusted" for a proof the issuer did not make.
    assert body["summary"]["trusted"] is None
    trust = next(c for c in body["checks"] if c["check"] == "issuerTrust")
    assert trust["outcome"] == "skipped" and "trusted" not in trust


def test_forgery_proof_set_with_an_unrelated_key_over_http(service: Service) -> None:
    provider = service.create_provider("lasschool")
    with_extra = add_proof(issued(service, provider), signer=FORGER, loader=default_loader())
    code, body = verify(service, with_extra)
    assert code == 422
    assert body["verdict"] == "not-genuine"
    assert [p["verified"] for p in body["proofs"]] == [True, False]
    assert body["proofs"][1]["problems"][0]["code"] == "ISSUER_MISMATCH"


def test_forgery_presentation_not_signed_by_its_holder_over_http(service: Service) -> None:
    provider = service.create_provider("lasschool")
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [issued(service, provider)],
    }
    forged = sign_presentation(vp, key=FORGER, challenge="c-7", domain="employer.example")
    response = service.client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": forged,
            "options": {"challenge": "c-7", "domain": "employer.example"},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["verdict"] == "not-genuine"
    assert response.headers["Skillcred-Verdict"] == "not-genuine"
    assert {e["code"] for e in body["errors"]} == {"HOLDER_MISMATCH"}


@pytest.mark.parametrize("trust_list", [False, True])
def test_forgery_naming_a_trusted_issuer_with_the_cli(tmp_path: Path, trust_list: bool) -> None:
    """Offline and without a database, in an empty folder, with and without a trust list
    that names the issuer."""
    issuer = Ed25519KeyPair.generate()
    args: list[str] = ["--offline"]
    if trust_list:
        listing = tmp_path / "trusted.json"
        listing.write_text(json.dumps({"issuers": [{"did": issuer.controller, "name": "LT"}]}))
        args += ["--trust-list", str(listing)]
    genuine = sign_credential({**CREDENTIAL, "issuer": issuer.controller}, key=issuer)
    code, output, _ = cli(*args, document=genuine, cwd=tmp_path)
    assert code == 0 and output is not None
    assert output["verdict"] == ("valid" if trust_list else "untrusted-issuer")

    code, output, _ = cli(
        *args, document=forged_in_the_name_of(issuer.controller, "LT"), cwd=tmp_path
    )
    assert code == 1 and output is not None
    assert output["verdict"] == "not-genuine"
    assert {e["code"] for e in output["errors"]} == {"ISSUER_MISMATCH"}
    assert output["summary"]["trusted"] is None


# --- fail-open cases, over HTTP and the CLI ---------------------------------------------


def test_fail_open_unknown_check_name_over_http(service: Service) -> None:
    provider = service.create_provider("lasschool")
    response = service.client.post(
        "/credentials/verify",
        json={
            "verifiableCredential": issued(service, provider),
            "options": {"checks": ["expirationDate"]},
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "unknown check 'expirationDate'" in response.json()["detail"]


def test_fail_open_unknown_check_name_with_the_cli(tmp_path: Path) -> None:
    issuer = Ed25519KeyPair.generate()
    document = sign_credential({**CREDENTIAL, "issuer": issuer.controller}, key=issuer)
    code, output, stderr = cli("--check", "expirationDate", document=document, cwd=tmp_path)
    assert code == 2 and output is None
    assert "unknown check 'expirationDate'" in stderr
    expired = sign_credential(
        {**CREDENTIAL, "issuer": issuer.controller, "validUntil": "2020-01-01T00:00:00Z"},
        key=issuer,
    )
    code, output, _ = cli("--check", "expiration", document=expired, cwd=tmp_path)
    assert code == 1 and output is not None and output["verdict"] == "expired"


def test_fail_open_no_challenge_over_http(service: Service) -> None:
    provider = service.create_provider("lasschool")
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [issued(service, provider)],
    }
    for purpose in ("authentication", "assertionMethod"):
        signed = add_proof(vp, signer=HOLDER, proof_purpose=purpose, loader=default_loader())
        response = service.client.post(
            "/presentations/verify", json={"verifiablePresentation": signed}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        binding = next(c for c in body["checks"] if c["check"] == "holderBinding")
        assert binding["forThisRequest"] is False
        assert "HOLDER_BINDING_NOT_PROVEN" in {w["code"] for w in body["warnings"]}


def test_fail_open_no_challenge_with_the_cli(tmp_path: Path) -> None:
    issuer = Ed25519KeyPair.generate()
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [
            sign_credential({**CREDENTIAL, "issuer": issuer.controller}, key=issuer)
        ],
    }
    signed = add_proof(vp, signer=HOLDER, proof_purpose="assertionMethod", loader=default_loader())
    code, output, _ = cli("--offline", document=signed, cwd=tmp_path)
    assert code == 0 and output is not None
    assert "HOLDER_BINDING_NOT_PROVEN" in {w["code"] for w in output["warnings"]}


def deeply_nested(depth: int) -> str:
    """A credential-shaped body nested ``depth`` levels deep, as text (Python's own JSON
    encoder refuses to write it)."""
    deep = "[" * depth + '"x"' + "]" * depth
    return json.dumps({**CREDENTIAL, "issuer": FORGER.controller}).replace(
        '"skill": "MIG welding"', f'"skill": {deep}'
    )


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_fail_open_deep_nesting_over_http(service: Service, depth: int) -> None:
    response = service.client.post(
        "/credentials/verify",
        content=f'{{"verifiableCredential": {deeply_nested(depth)}}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 413, 422), response.text
    assert response.json().get("verified") is not True


@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_fail_open_deep_nesting_with_the_cli(tmp_path: Path, depth: int) -> None:
    done = subprocess.run(
        [SKILLCRED, "verify", "-"],
        input=deeply_nested(depth),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_unwraps_the_issue_answer(service: Service, tmp_path: Path) -> None:
    """`POST /credentials/issue` answers {"verifiableCredential": …}: verifying that file
    must check the credential inside, never call it not genuine."""
    provider = service.create_provider("lasschool")
    code, output, _ = cli(
        "--offline", document={"verifiableCredential": issued(service, provider)}, cwd=tmp_path
    )
    assert output is not None and output["kind"] == "credential"
    assert output["verdict"] != "not-genuine"
    assert code == 3  # its status list cannot be read offline


def test_forgery_naming_an_issuer_on_the_trust_list_over_http(tmp_path: Path) -> None:
    from tests.support.databases import fresh_database_url
    from tests.support.service import running_service

    trusted = Ed25519KeyPair.generate()
    listing = tmp_path / "trusted.json"
    listing.write_text(json.dumps({"issuers": [{"did": trusted.controller, "name": "ROC"}]}))
    with (
        fresh_database_url("sqlite", tmp_path) as url,
        running_service(url, tmp_path / "data", trust_list_file=listing) as service,
    ):
        genuine = sign_credential({**CREDENTIAL, "issuer": trusted.controller}, key=trusted)
        code, body = verify(service, genuine)
        assert (code, body["verdict"], body["summary"]["trusted"]) == (200, "valid", True)
        code, body = verify(service, forged_in_the_name_of(trusted.controller, "ROC"))
        assert (code, body["verdict"]) == (422, "not-genuine")
        assert {e["code"] for e in body["errors"]} == {"ISSUER_MISMATCH"}
        assert body["summary"]["trusted"] is None
