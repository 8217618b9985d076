"""A document loader over the contexts shipped with the project.

It serves exactly the documents it was built with and refuses every other URL with a
clear error: JSON-LD processing in skillcred never touches the network.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from skillcred.errors import DocumentLoaderError
from skillcred.resources import data_dir

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
STATUS_LIST_V1 = "https://www.w3.org/ns/credentials/status/v1"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"


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


@cache
def shipped_index() -> Mapping[str, str]:
    """URL -> file name in ``contexts/`` of every shipped context (``contexts/index.json``)."""
    index: dict[str, str] = json.loads((data_dir("contexts") / "index.json").read_bytes())
    return MappingProxyType(index)


@cache
def shipped_documents() -> Mapping[str, bytes]:
    """URL -> bytes of every context in ``contexts/`` (listed in ``contexts/index.json``)."""
    folder = data_dir("contexts")
    return MappingProxyType(
        {url: (folder / name).read_bytes() for url, name in shipped_index().items()}
    )


@cache
def default_loader() -> DocumentLoader:
    """The loader over the shipped contexts (shared; build others with ``with_documents``)."""
    return DocumentLoader(shipped_documents())
