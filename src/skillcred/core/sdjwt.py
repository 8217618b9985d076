"""Selective Disclosure for JWTs (SD-JWT, RFC 9901) with Key Binding, ES256 only.

Issuing: each selectively disclosable claim becomes a Disclosure (base64url of the JSON
array ``[salt, name, value]``, §4.2.1) whose SHA-256 digest goes into the object's
``_sd`` array, shuffled among decoy digests (§4.2.5), ``_sd_alg`` at the top (§4.1.1).
The compact form is ``<issuer JWT>~<disclosure>~…~`` with an optional KB-JWT at the end.

Verifying (§7.1, §7.3): the issuer signature is checked by the caller with a key it
trusts for the issuer; here every disclosure's digest must occur exactly once in the
payload (a disclosure referenced nowhere is refused, not ignored), no digest twice, no
claim name clash, and the KB-JWT (typ ``kb+jwt``) must be signed by the ``cnf.jwk`` key,
carry the expected ``nonce`` and ``aud``, a fresh ``iat``, and the ``sd_hash`` of the
presentation it ends.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from skillcred.core.jose import (
    ES256,
    CompactJws,
    JwsSigner,
    b64url,
    b64url_decode,
    public_key_from_jwk,
    sign_compact,
)
from skillcred.errors import KeyBindingError, KeyFormatError, SdJwtError

SD_ALG = "sha-256"
KB_JWT_TYPE = "kb+jwt"
#: names a disclosure may not carry (§4.2.1)
RESERVED_NAMES = frozenset({"_sd", "...", "_sd_alg"})
_random = random.SystemRandom()


def digest(disclosure: str) -> str:
    """The digest of a disclosure over its ASCII base64url form (§4.2.3)."""
    return b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


def make_disclosure(name: str | None, value: Any, *, salt: str | None = None) -> str:
    salt = salt if salt is not None else b64url(secrets.token_bytes(16))
    item: list[Any] = [salt, value] if name is None else [salt, name, value]
    return b64url(orjson.dumps(item))


@dataclass(frozen=True, slots=True)
class Disclosable:
    """Marks a value (an object's member, or an array element) as selectively disclosable."""

    value: Any


def conceal(claims: Mapping[str, Any], *, decoys: int = 0) -> tuple[dict[str, Any], list[str]]:
    """The payload with each ``Disclosable`` replaced by its digest, and the disclosures.

    ``decoys`` decoy digests are added to every ``_sd`` array made (§4.2.5), so the
    number of claims is hidden as well as their values."""
    disclosures: list[str] = []

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            digests: list[str] = []
            for name, member in value.items():
                if isinstance(member, Disclosable):
                    if name in RESERVED_NAMES:
                        raise SdJwtError(f"the claim {name!r} cannot be selectively disclosable")
                    disclosure = make_disclosure(name, walk(member.value))
                    disclosures.append(disclosure)
                    digests.append(digest(disclosure))
                else:
                    out[name] = walk(member)
            if digests:
                digests += [
                    b64url(hashlib.sha256(secrets.token_bytes(32)).digest()) for _ in range(decoys)
                ]
                out["_sd"] = sorted(digests)  # sorted: the order tells nothing (§4.2.4.1)
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for element in value:
                if isinstance(element, Disclosable):
                    disclosure = make_disclosure(None, walk(element.value))
                    disclosures.append(disclosure)
                    items.append({"...": digest(disclosure)})
                else:
                    items.append(walk(element))
            return items
        if isinstance(value, Disclosable):
            raise SdJwtError(
                "a selectively disclosable value must be an object member or array item"
            )
        return value

    payload = walk(claims)
    payload["_sd_alg"] = SD_ALG
    _random.shuffle(disclosures)
    return payload, disclosures


def issue(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    signer: JwsSigner,
    *,
    decoys: int = 2,
) -> str:
    """A signed SD-JWT with all its disclosures: ``<JWT>~<D1>~…~<Dn>~``."""
    payload, disclosures = conceal(claims, decoys=decoys)
    return "~".join([sign_compact(header, payload, signer), *disclosures]) + "~"


@dataclass(frozen=True, slots=True)
class SdJwt:
    """A compact SD-JWT split into its parts (nothing verified yet)."""

    jws: CompactJws
    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None

    @classmethod
    def parse(cls, text: str) -> SdJwt:
        if not isinstance(text, str) or "~" not in text:
            raise SdJwtError("an SD-JWT is <issuer JWT>~<disclosures>~[<KB-JWT>]: no '~' found")
        parts = text.strip().split("~")
        issuer_jwt, *disclosures, last = parts
        if any(not d for d in disclosures):
            raise SdJwtError("the SD-JWT has an empty disclosure (two '~' in a row)")
        try:
            jws = CompactJws.parse(issuer_jwt, what="issuer-signed JWT")
        except ValueError as exc:
            raise SdJwtError(str(exc)) from exc
        return cls(jws, issuer_jwt, tuple(disclosures), last or None)

    @property
    def presented_part(self) -> str:
        """What ``sd_hash`` covers: the issuer JWT and the disclosures, each followed by ``~``."""
        return "".join(f"{p}~" for p in (self.issuer_jwt, *self.disclosures))

    def without_key_binding(self) -> str:
        return self.presented_part


@dataclass(slots=True)
class Disclosed:
    """The payload with the disclosures put back (§7.1 step 3), and which claims they gave."""

    claims: dict[str, Any]
    #: JSON pointers (RFC 6901) of the selectively disclosed claims now shown
    disclosed: list[str] = field(default_factory=list)


def _decode_disclosure(text: str) -> list[Any]:
    try:
        item = orjson.loads(b64url_decode(text))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise SdJwtError(f"a disclosure is not base64url-encoded JSON: {text[:40]}…") from exc
    if not isinstance(item, list) or len(item) not in (2, 3) or not isinstance(item[0], str):
        raise SdJwtError("a disclosure must be a JSON array [salt, name, value] or [salt, value]")
    if len(item) == 3 and (not isinstance(item[1], str) or item[1] in RESERVED_NAMES):
        raise SdJwtError(f"a disclosure names an invalid claim {item[1]!r}")
    return item


def _pointer(path: Sequence[str | int]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def disclose(payload: Mapping[str, Any], disclosures: Sequence[str]) -> Disclosed:
    """Put each disclosure back where its digest is; refuse any that fits nowhere, any
    digest seen twice, and a disclosed name that is already a claim (§7.1 step 3-5)."""
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        raise SdJwtError(f"_sd_alg {payload.get('_sd_alg')!r} is not supported; only sha-256")
    by_digest: dict[str, tuple[str, list[Any]]] = {}
    for text in disclosures:
        d = digest(text)
        if d in by_digest:
            raise SdJwtError("the same disclosure is given twice")
        by_digest[d] = (text, _decode_disclosure(text))
    used: set[str] = set()
    seen: set[str] = set()
    shown: list[str] = []

    def take(d: Any) -> list[Any] | None:
        if not isinstance(d, str):
            raise SdJwtError("a digest in _sd or '...' must be a string")
        if d in seen:
            raise SdJwtError(f"the digest {d} occurs more than once in the SD-JWT")
        seen.add(d)
        found = by_digest.get(d)
        if found is None:
            return None  # a decoy, or a claim not disclosed
        used.add(d)
        return found[1]

    def walk(value: Any, path: list[str | int]) -> Any:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for name, member in value.items():
                if name in ("_sd", "_sd_alg") and (name == "_sd" or not path):
                    continue
                out[name] = walk(member, [*path, name])
            sd = value.get("_sd", [])
            if not isinstance(sd, list):
                raise SdJwtError("_sd must be an array of digests")
            for d in sd:
                item = take(d)
                if item is None:
                    continue
                if len(item) != 3:
                    raise SdJwtError("an array-element disclosure is referenced from an _sd array")
                name = item[1]
                if name in out:
                    raise SdJwtError(f"the disclosed claim {name!r} is already in the payload")
                out[name] = walk(item[2], [*path, name])
                shown.append(_pointer([*path, name]))
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for position, element in enumerate(value):
                if isinstance(element, Mapping) and set(element) == {"..."}:
                    item = take(element["..."])
                    if item is None:
                        continue
                    if len(item) != 2:
                        raise SdJwtError(
                            "an object-property disclosure is referenced as an array item"
                        )
                    items.append(walk(item[1], [*path, len(items)]))
                    shown.append(_pointer([*path, len(items) - 1]))
                else:
                    items.append(walk(element, [*path, position]))
            return items
        return value

    claims = walk(payload, [])
    unused = [by_digest[d][0] for d in by_digest if d not in used]
    if unused:
        raise SdJwtError(
            f"{len(unused)} disclosure(s) are not referenced by any digest in the SD-JWT "
            "(tampered, or from another credential)"
        )
    return Disclosed(claims, shown)


def make_kb_jwt(
    sd_jwt: str,
    signer: JwsSigner,
    *,
    nonce: str,
    audience: str,
    iat: int,
) -> str:
    """The holder's Key Binding JWT over a presentation ``<JWT>~<D>~…~`` (§4.3)."""
    if not sd_jwt.endswith("~"):
        raise SdJwtError("the presentation to bind must end with '~'")
    sd_hash = b64url(hashlib.sha256(sd_jwt.encode("ascii")).digest())
    kb = sign_compact(
        {"alg": ES256, "typ": KB_JWT_TYPE},
        {"iat": iat, "aud": audience, "nonce": nonce, "sd_hash": sd_hash},
        signer,
    )
    return sd_jwt + kb


def check_key_binding(
    sd_jwt: SdJwt,
    cnf: Any,
    *,
    nonce: str | None,
    audience: str | None,
    now: float,
    max_age: int | None = 300,
    skew: int = 60,
) -> dict[str, Any]:
    """Verify the KB-JWT (§7.3); answers its payload. Raises ``KeyBindingError``."""
    if sd_jwt.kb_jwt is None:
        raise KeyBindingError("the presentation carries no KB-JWT")
    try:
        kb = CompactJws.parse(sd_jwt.kb_jwt, what="KB-JWT")
    except ValueError as exc:
        raise KeyBindingError(str(exc)) from exc
    if kb.header.get("typ") != KB_JWT_TYPE:
        raise KeyBindingError(f"the KB-JWT's typ must be {KB_JWT_TYPE!r}")
    if kb.header.get("alg") != ES256:
        raise KeyBindingError(f"the KB-JWT's alg {kb.header.get('alg')!r} is not ES256")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if jwk is None:
        raise KeyBindingError("the SD-JWT names no holder key (cnf.jwk), so nothing binds it")
    try:
        key = public_key_from_jwk(jwk)
    except KeyFormatError as exc:
        raise KeyBindingError(f"cnf.jwk: {exc.detail}") from exc
    if not kb.verifies_with(key):
        raise KeyBindingError("the KB-JWT's signature does not verify with the cnf.jwk key")
    claims = kb.payload
    expected_hash = b64url(hashlib.sha256(sd_jwt.presented_part.encode("ascii")).digest())
    if claims.get("sd_hash") != expected_hash:
        raise KeyBindingError(
            "the KB-JWT's sd_hash does not match the presented SD-JWT and disclosures"
        )
    if nonce is not None and claims.get("nonce") != nonce:
        raise KeyBindingError(
            f"the KB-JWT's nonce {claims.get('nonce')!r} is not the expected challenge"
        )
    if audience is not None and claims.get("aud") != audience:
        raise KeyBindingError(
            f"the KB-JWT's aud {claims.get('aud')!r} is not the expected audience {audience!r}"
        )
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise KeyBindingError("the KB-JWT has no iat")
    if iat > now + skew:
        raise KeyBindingError("the KB-JWT's iat is in the future")
    if nonce is None and max_age is not None and iat < now - max_age:
        # A KB-JWT without an expected nonce is only fresh by its time.
        raise KeyBindingError(f"the KB-JWT is older than {max_age} s")
    return claims
