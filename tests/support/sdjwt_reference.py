"""Drive the OpenWallet Foundation's SD-JWT libraries (interop/sdjwt.mjs) from the tests.

``@sd-jwt/sd-jwt-vc``, ``@sd-jwt/jwt-status-list``, ``@sd-jwt/core`` and
``@sd-jwt/crypto-nodejs`` in one node process, one JSON request per line each way (the
protocol of interop/vc.mjs; interop/README.md describes every operation). Keys are JWKs
(P-256, ES256); nothing reaches the network: trusted roots, status list tokens and type
metadata are passed in. Skipped locally when node or the packages are missing, failed in CI.
"""

from __future__ import annotations

from typing import Any

from tests.support.reference import INTEROP, ReferenceImplementation, require

Jwk = dict[str, Any]


class SdJwtReference:
    """One method per operation of interop/sdjwt.mjs.

    Issuing and presenting raise ``AssertionError`` when the library refuses (a caller
    mistake); ``verify`` and ``verify_status_list`` return the answer with ``verified``.
    """

    def __init__(self) -> None:
        require(
            (INTEROP / "node_modules" / "@sd-jwt" / "sd-jwt-vc").is_dir()
            and (INTEROP / "node_modules" / "@sd-jwt" / "jwt-status-list").is_dir(),
            "interop/node_modules/@sd-jwt is missing (npm ci --prefix interop)",
        )
        self._process = ReferenceImplementation("sdjwt.mjs")

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._process.request(payload)

    def _ok(self, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.request(payload)
        assert answer["ok"], answer
        return answer

    def versions(self) -> dict[str, str | None]:
        packages: dict[str, str | None] = self._ok({"op": "versions"})["packages"]
        return packages

    def issue(
        self,
        *,
        issuer_jwk: Jwk,
        iss: str,
        vct: str,
        claims: dict[str, Any],
        disclosure_frame: dict[str, Any] | None = None,
        holder_jwk: Jwk | None = None,
        x5c: list[str] | None = None,
        status: dict[str, Any] | None = None,
        iat: int | None = None,
        exp: int | None = None,
        nbf: int | None = None,
    ) -> str:
        """An SD-JWT VC (``typ: dc+sd-jwt``, ES256) issued by ``SDJwtVcInstance.issue``.

        ``disclosure_frame`` is the library's format: ``{"_sd": ["name"], "_sd_decoy": 2,
        "address": {"_sd": ["street"]}}``; ``status`` is ``{"idx": int, "uri": str}``."""
        request: dict[str, Any] = {
            "op": "sdjwt.issue",
            "issuerJwk": issuer_jwk,
            "iss": iss,
            "vct": vct,
            "claims": claims,
        }
        optional = {
            "disclosureFrame": disclosure_frame,
            "holderJwk": holder_jwk,
            "x5c": x5c,
            "status": status,
            "iat": iat,
            "exp": exp,
            "nbf": nbf,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        token: str = self._ok(request)["token"]
        return token

    def present(
        self,
        token: str,
        *,
        presentation_frame: dict[str, Any],
        holder_jwk: Jwk,
        nonce: str,
        aud: str,
        iat: int | None = None,
    ) -> str:
        """An SD-JWT+KB made by the library's holder API (``present`` with ``kb``);
        ``presentation_frame`` is ``{"given_name": True, ...}``."""
        request: dict[str, Any] = {
            "op": "sdjwt.present",
            "token": token,
            "presentationFrame": presentation_frame,
            "holderJwk": holder_jwk,
            "nonce": nonce,
            "aud": aud,
        }
        if iat is not None:
            request["iat"] = iat
        presentation: str = self._ok(request)["presentation"]
        return presentation

    def verify(
        self,
        token: str,
        *,
        issuer_jwk: Jwk | None = None,
        trusted_certificates: list[str] | None = None,
        require_key_binding: bool = False,
        nonce: str | None = None,
        aud: str | None = None,
        status_list_tokens: dict[str, str] | None = None,
        status_issuer_jwk: Jwk | None = None,
        status_trusted_certificates: list[str] | None = None,
        vct_metadata: dict[str, Any] | None = None,
        current_date: int | None = None,
    ) -> dict[str, Any]:
        """``SDJwtVcInstance.verify``: ``{"verified", "payload", "header", "kb"?, "status"?,
        "typeMetadata"?, "checks", "error"?}``. The issuer key is ``issuer_jwk`` or the
        ``x5c`` leaf chained to one of ``trusted_certificates`` (PEM or base64 DER)."""
        request: dict[str, Any] = {"op": "sdjwt.verify", "token": token}
        optional = {
            "issuerJwk": issuer_jwk,
            "trustedCertificates": trusted_certificates,
            "nonce": nonce,
            "aud": aud,
            "statusListTokens": status_list_tokens,
            "statusIssuerJwk": status_issuer_jwk,
            "statusTrustedCertificates": status_trusted_certificates,
            "vctMetadata": vct_metadata,
            "currentDate": current_date,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        if require_key_binding:
            request["requireKeyBinding"] = True
        return self._ok(request)

    def decode(self, token: str) -> dict[str, Any]:
        """The library's reading of a token without any check: ``{"header", "payload",
        "claims", "disclosures", "keyBinding"}``."""
        return self._ok({"op": "sdjwt.decode", "token": token})

    def create_status_list(
        self,
        *,
        statuses: list[int],
        bits: int,
        uri: str,
        issuer_jwk: Jwk,
        x5c: list[str] | None = None,
        ttl: int | None = None,
        exp: int | None = None,
        iat: int | None = None,
    ) -> str:
        """A status list token (``typ: statuslist+jwt``, ``sub`` = ``uri``)."""
        request: dict[str, Any] = {
            "op": "statuslist.create",
            "statuses": statuses,
            "bits": bits,
            "uri": uri,
            "issuerJwk": issuer_jwk,
        }
        optional = {"x5c": x5c, "ttl": ttl, "exp": exp, "iat": iat}
        request.update({k: v for k, v in optional.items() if v is not None})
        token: str = self._ok(request)["token"]
        return token

    def verify_status_list(
        self,
        token: str,
        *,
        issuer_jwk: Jwk | None = None,
        trusted_certificates: list[str] | None = None,
        indices: list[int] | None = None,
        current_date: int | None = None,
    ) -> dict[str, Any]:
        """``{"verified", "header", "payload", "bits", "size", "statuses", "error"?}``;
        ``statuses`` holds every entry, or the values at ``indices``."""
        request: dict[str, Any] = {"op": "statuslist.verify", "token": token}
        optional = {
            "issuerJwk": issuer_jwk,
            "trustedCertificates": trusted_certificates,
            "indices": indices,
            "currentDate": current_date,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        return self._ok(request)

    def close(self) -> None:
        self._process.close()
