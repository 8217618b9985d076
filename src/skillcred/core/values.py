"""Helpers for JSON values as the VC data model writes them."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A property that may be one value or an array of them, as a list (absent: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
