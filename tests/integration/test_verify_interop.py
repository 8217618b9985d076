"""Credentials and presentations signed by Digital Bazaar's reference implementation
(did:key) verify here, over the API and with the CLI; altered ones do not, each with the
right named failure."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skillcred import Ed25519KeyPair
from skillcred.core.datetimes import format_date_time, utc_now
from skillcred.core.status_list import Bitstring, list_credential
from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.https_server import DocumentServer
from tests.support.processes import SKILLCRED, clean_environment
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop
ISSUER = Ed25519KeyPair.generate()
HOLDER = Ed25519KeyPair.generate()


def signed_there(
    reference: ReferenceImplementation,
    document: dict[str, Any],
    key: Ed25519KeyPair,
    **options: Any,
) -> dict[str, Any]:
    return reference.sign(document, key.to_key_file(), **options)


def with_remote_status(
    reference: ReferenceImplementation, server: DocumentServer, revoked: bool
) -> dict[str, Any]:
    """A credential whose revocation list the test server publishes, both signed there."""
    bits = Bitstring.empty()
    if revoked:
        bits.set(5, 1)
    # Each list at its own URL: verifiers may cache a list for its ttl.
    path = f"/lists/revocation-{'revoked' if revoked else 'active'}"
    url = server.url(path)
    status_list = list_credential(
        list_url=url,
        issuer=ISSUER.controller,
        purpose="revocation",
        bitstring=bits,
        valid_from=format_date_time(utc_now()),
    )
    server.put(path, signed_there(reference, status_list, ISSUER))
    credential = {
        **CREDENTIAL,
        "issuer": ISSUER.controller,
        "credentialStatus": {
            "id": f"{url}#5",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "5",
            "statusListCredential": url,
        },
    }
    return signed_there(reference, credential, ISSUER)


def cli_verify(
    document: dict[str, Any], *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [SKILLCRED, "verify", *args, "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=60,
        env=env or clean_environment(),
        check=False,
    )
    assert done.returncode in (0, 1, 3), done.stderr
    return done.returncode, json.loads(done.stdout)


def api_verify(service: Service, credential: dict[str, Any]) -> dict[str, Any]:
    response = service.client.post("/credentials/verify", json={"verifiableCredential": credential})
    body: dict[str, Any] = response.json()
    assert response.status_code == (200 if body["verified"] else 422)
    return body


def _alter_claim(d: dict[str, Any]) -> None:
    d["credentialSubject"]["skill"] = "crane operation"


def _alter_proof(d: dict[str, Any]) -> None:
    d["proof"]["created"] = "2001-01-01T00:00:00Z"


def _alter_signature(d: dict[str, Any]) -> None:
    value = d["proof"]["proofValue"]
    d["proof"]["proofValue"] = value[:10] + ("A" if value[10] != "A" else "B") + value[11:]


ALTERATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "altered claim": (_alter_claim, "PROOF_VERIFICATION_ERROR"),
    "altered proof option": (_alter_proof, "PROOF_VERIFICATION_ERROR"),
    "altered signature": (_alter_signature, "PROOF_VERIFICATION_ERROR"),
}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_their_credential_verifies_here_and_alterations_do_not(
    reference: ReferenceImplementation,
    open_service: Service,
    suite: str,
) -> None:
    credential = signed_there(
        reference, {**CREDENTIAL, "issuer": ISSUER.controller}, ISSUER, cryptosuite=suite
    )
    body = api_verify(open_service, credential)
    assert body["verified"] is True
    assert cli_verify(credential)[0] == 0
    for name, (alter, code) in ALTERATIONS.items():
        altered = json.loads(json.dumps(credential))
        alter(altered)
        body = api_verify(open_service, altered)
        assert body["verified"] is False, name
        assert body["summary"]["verdict"] == "not-genuine", name
        assert code in {e["code"] for e in body["errors"]}, name
        exit_code, result = cli_verify(altered)
        assert exit_code == 1 and code in {e["code"] for e in result["errors"]}, name


def test_their_expired_credential(
    reference: ReferenceImplementation, open_service: Service
) -> None:
    expired = signed_there(
        reference,
        {
            **CREDENTIAL,
            "issuer": ISSUER.controller,
            "validFrom": "2020-01-01T00:00:00Z",
            "validUntil": "2021-01-01T00:00:00Z",
        },
        ISSUER,
    )
    body = api_verify(open_service, expired)
    assert body["summary"]["verdict"] == "expired"
    assert {e["title"] for e in body["errors"]} == {"Expired"}
    code, result = cli_verify(expired)
    assert code == 1 and result["summary"]["verdict"] == "expired"


def test_their_revoked_credential(
    reference: ReferenceImplementation,
    open_service: Service,
    remote: DocumentServer,
    tmp_path: Path,
) -> None:
    env = clean_environment(
        SKILLCRED_UNSAFE_ALLOW_PRIVATE_ADDRESSES="true",
        SKILLCRED_REMOTE_CA_FILE=str(remote.cert_path),
        SKILLCRED_DATA_DIR=str(tmp_path / "cli"),
    )
    active = with_remote_status(reference, remote, revoked=False)
    assert api_verify(open_service, active)["verified"] is True
    assert cli_verify(active, env=env)[0] == 0
    # Offline, the same credential is not verified: its status could not be checked, so
    # the answer is "cannot check" (exit 3) — never valid, never "not genuine".
    code, offline = cli_verify(active, "--offline", env=env)
    assert code == 3
    assert offline["verdict"] == "cannot-check"
    assert (
        next(c for c in offline["checks"] if c["check"] == "status")["outcome"] == "not-performed"
    )

    revoked = with_remote_status(reference, remote, revoked=True)
    body = api_verify(open_service, revoked)
    assert body["summary"]["verdict"] == "revoked"
    assert "CREDENTIAL_REVOKED" in {e["code"] for e in body["errors"]}
    code, result = cli_verify(revoked, env=env)
    assert code == 1 and result["summary"]["verdict"] == "revoked"


def test_their_presentation_and_a_wrong_challenge(
    reference: ReferenceImplementation, open_service: Service
) -> None:
    credential = signed_there(
        reference,
        {
            **CREDENTIAL,
            "issuer": ISSUER.controller,
            "credentialSubject": {"id": HOLDER.controller, "skill": "x"},
        },
        ISSUER,
    )
    presentation = signed_there(
        reference,
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": HOLDER.controller,
            "verifiableCredential": [credential],
        },
        HOLDER,
        purpose="authentication",
        challenge="nonce-42",
        domain="employer.example",
    )
    options = {"challenge": "nonce-42", "domain": "employer.example"}
    ok = open_service.client.post(
        "/presentations/verify", json={"verifiablePresentation": presentation, "options": options}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["skills"][0]["subjectIsHolder"] is True
    assert (
        cli_verify(presentation, "--challenge", "nonce-42", "--domain", "employer.example")[0] == 0
    )

    wrong = open_service.client.post(
        "/presentations/verify",
        json={
            "verifiablePresentation": presentation,
            "options": {**options, "challenge": "replayed"},
        },
    )
    assert wrong.status_code == 422
    assert "INVALID_CHALLENGE_ERROR" in {e["code"] for e in wrong.json()["errors"]}
    code, result = cli_verify(
        presentation, "--challenge", "replayed", "--domain", "employer.example"
    )
    assert code == 1 and "INVALID_CHALLENGE_ERROR" in {e["code"] for e in result["errors"]}
