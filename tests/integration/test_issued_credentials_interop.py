"""Credentials issued over HTTP verify in Digital Bazaar's reference implementation,
for did:key and did:web issuers and both cryptosuites (and fail there when altered)."""

from __future__ import annotations

import pytest

from tests.integration.test_issuing_api import CREDENTIAL
from tests.support.reference import ReferenceImplementation
from tests.support.service import Service

pytestmark = pytest.mark.interop


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize("did_method", ["key", "web"])
def test_http_issued_credential_verifies_in_the_reference_implementation(
    service: Service, reference: ReferenceImplementation, suite: str, did_method: str
) -> None:
    provider = service.create_provider(f"interop-{did_method}", did_method=did_method)
    response = service.issue(provider["apiKey"], CREDENTIAL, {"cryptosuite": suite})
    assert response.status_code == 201, response.text
    credential = response.json()["verifiableCredential"]
    documents = {}
    if did_method == "web":
        # The reference resolves did:web from what this service serves for it.
        documents[provider["did"]] = service.client.get(
            f"/providers/interop-{did_method}/did.json"
        ).json()
    answer = reference.verify(credential, documents=documents)
    assert answer["verified"] is True, answer

    credential["credentialSubject"]["skill"] = "forged"
    assert reference.verify(credential, documents=documents)["verified"] is False
