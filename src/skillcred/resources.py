"""Where the shipped data folders (contexts, schemas, migrations) are found.

An installed wheel carries them under ``skillcred/_data``; a source checkout (editable
install, tests) reads them from the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``contexts``, ``schemas``, ``migrations`` or ``docs``)."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the shipped folder {name!r} is missing from this installation")
