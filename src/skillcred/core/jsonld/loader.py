"""A document loader over the contexts shipped with the project.

It serves exactly the documents it was built with and refuses every other URL with a
clear error: JSON-LD processing in skillcred never touches the network.

The shipped contexts live in ``contexts/``; ``contexts/index.json`` maps each URL to its
file, the sha256 of the file's bytes as published, and where those bytes come from::

    {"https://www.w3.org/ns/credentials/v2": {
        "file": "credentials-v2.jsonld", "sha256": "<hex>", "source": "<package or repo>"}}

Every file is checked against its sha256 when the contexts are first read: a context
edited by accident (or an index naming a file that is not there) stops the service
with :class:`ShippedContextError` instead of being served.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from skillcred.errors import DocumentLoaderError, ShippedContextError
from skillcred.resources import data_dir

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
STATUS_LIST_V1 = "https://www.w3.org/ns/credentials/status/v1"
STATUS_LIST_2021 = "https://w3id.org/vc/status-list/2021/v1"
OPEN_BADGES_V3_0_0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
OPEN_BADGES_V3_0_1 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json"
OPEN_BADGES_V3_0_2 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"
OPEN_BADGES_V3_0_3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OPEN_BADGES_V3 = OPEN_BADGES_V3_0_3
OPEN_BADGES_V3_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
JFF_PLUGFEST_1 = (
    "https://w3c-ccg.github.io/vc-ed/plugfest-1-2022/jff-vc-edu-plugfest-1-context.json"
)
DCC_V1 = "https://w3id.org/dcc/v1"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
ED25519_2018_V1 = "https://w3id.org/security/suites/ed25519-2018/v1"
X25519_2020_V1 = "https://w3id.org/security/suites/x25519-2020/v1"
SECURITY_V1 = "https://w3id.org/security/v1"
SECURITY_V2 = "https://w3id.org/security/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EXAMPLES_V1 = "https://www.w3.org/2018/credentials/examples/v1"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"
ODRL = "https://www.w3.org/ns/odrl.jsonld"

INDEX_FILE = "index.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a plain name in contexts/, no path


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One entry of ``contexts/index.json``."""

    url: str
    file: str
    sha256: str
    source: str


class DocumentLoader:
    """Serves JSON-LD documents by URL from a fixed, in-memory set.

    Instances are immutable and safe to share between threads. ``__call__`` has the
    signature pyld expects of a document loader; :meth:`load` is the typed form.
    """

    __slots__ = ("_documents", "_raw")

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        parsed: dict[str, Any] = {}
        for url, raw in documents.items():
            parsed[url] = json.loads(raw)
        self._raw: Mapping[str, bytes] = MappingProxyType(dict(documents))
        self._documents: Mapping[str, Any] = MappingProxyType(parsed)

    @property
    def urls(self) -> frozenset[str]:
        return frozenset(self._documents)

    def load(self, url: str) -> Any:
        """The parsed JSON document at ``url``; never fetched, never modified by callers."""
        try:
            return self._documents[url]
        except KeyError:
            raise self._refuse(url) from None

    def with_documents(self, documents: Mapping[str, bytes]) -> DocumentLoader:
        """A new loader serving these documents as well (e.g. the skills context)."""
        return DocumentLoader({**self._raw, **documents})

    def __call__(self, url: str, options: object = None) -> dict[str, Any]:
        # pyld's RemoteDocument shape. pyld writes into documents it loads (@import),
        # so it gets a copy: the shared parsed documents stay as shipped.
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(self.load(url))}

    @staticmethod
    def _refuse(url: str) -> DocumentLoaderError:
        return DocumentLoaderError(
            f"the JSON-LD document {json.dumps(url)} is not one of the contexts this service "
            "ships; skillcred never loads documents from the network"
        )


def read_index(folder: Path) -> dict[str, ContextEntry]:
    """URL -> entry of ``folder/index.json``; refuses an index not of the pinned format."""
    path = folder / INDEX_FILE
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ShippedContextError(f"cannot read the contexts index {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ShippedContextError(f"the contexts index {path} is not a JSON object")
    index: dict[str, ContextEntry] = {}
    for url, entry in raw.items():
        where = f"the entry {json.dumps(url)} of {path}"
        if not isinstance(entry, dict) or set(entry) != {"file", "sha256", "source"}:
            raise ShippedContextError(f"{where} must be an object with file, sha256 and source")
        name, digest, source = entry["file"], entry["sha256"], entry["source"]
        if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or name == INDEX_FILE:
            raise ShippedContextError(f"{where} names an invalid file: {name!r}")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ShippedContextError(f"{where} has no lowercase hex sha256: {digest!r}")
        if not isinstance(source, str) or not source:
            raise ShippedContextError(f"{where} does not say where its bytes come from")
        index[url] = ContextEntry(url, name, digest, source)
    return index


def read_contexts(folder: Path) -> dict[str, bytes]:
    """URL -> bytes of every context listed in ``folder/index.json``, each checked
    against its pinned sha256 (a missing or altered file raises ShippedContextError)."""
    documents: dict[str, bytes] = {}
    for url, entry in read_index(folder).items():
        path = folder / entry.file
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise ShippedContextError(
                f"the context {json.dumps(url)} is missing: cannot read {path}: {exc}"
            ) from exc
        actual = hashlib.sha256(body).hexdigest()
        if actual != entry.sha256:
            raise ShippedContextError(
                f"the context file {path} (for {json.dumps(url)}) has sha256 {actual}, but "
                f"{INDEX_FILE} pins {entry.sha256} ({entry.source}): it is not the published "
                "context and will not be served"
            )
        try:
            json.loads(body)
        except ValueError as exc:
            raise ShippedContextError(f"the context file {path} is not JSON: {exc}") from exc
        documents[url] = body
    return documents


@cache
def shipped_entries() -> Mapping[str, ContextEntry]:
    """URL -> index entry (file, sha256, source) of every shipped context."""
    return MappingProxyType(read_index(data_dir("contexts")))


@cache
def shipped_index() -> Mapping[str, str]:
    """URL -> file name in ``contexts/`` of every shipped context (``contexts/index.json``).

    Only once every file has been checked against its sha256: whoever serves a file by
    this name serves the pinned bytes."""
    shipped_documents()
    return MappingProxyType({url: entry.file for url, entry in shipped_entries().items()})


@cache
def shipped_documents() -> Mapping[str, bytes]:
    """URL -> bytes of every context in ``contexts/``, each checked against the sha256
    that ``contexts/index.json`` pins for it."""
    return MappingProxyType(read_contexts(data_dir("contexts")))


@cache
def default_loader() -> DocumentLoader:
    """The loader over the shipped contexts (shared; build others with ``with_documents``)."""
    return DocumentLoader(shipped_documents())
