"""tests/vectors stays a faithful copy of the shared vectors.

Nothing here skips: in every checkout the copy matches the SHA-256 manifest recorded
when it was taken (`tests/vectors/SHA256SUMS`), and where `../shared/vectors` is beside the
checkout, the copy also equals it byte for byte (so the manifest cannot drift from the source).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import SHARED_VECTORS, VECTORS

#: files of ours in tests/vectors that are not part of the copy
OWN_FILES = frozenset({"PROVENANCE.md", "SHA256SUMS"})


def _files(root: Path, exclude: frozenset[str] = frozenset()) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name not in exclude
    }


def _manifest() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in (VECTORS / "SHA256SUMS").read_text().splitlines():
        digest, _, name = line.partition("  ")
        entries[name] = digest
    return entries


def test_copy_is_faithful() -> None:
    copied = _files(VECTORS, OWN_FILES)
    manifest = _manifest()
    assert len(manifest) > 50
    assert {name: hashlib.sha256(data).hexdigest() for name, data in copied.items()} == manifest
    if SHARED_VECTORS.is_dir():  # beside the project's shared folder: the source itself
        assert copied == _files(SHARED_VECTORS)


def test_manifest_detects_a_changed_byte(tmp_path: Path) -> None:
    name = "eddsa/keyPair.json"
    original = (VECTORS / name).read_bytes()
    changed = original.replace(b"z", b"y", 1)
    assert changed != original
    assert hashlib.sha256(changed).hexdigest() != _manifest()[name]
