"""Helpers for JSON values as the VC data model writes them."""

from __future__ import annotations

import re
from typing import Any

# RFC 3986 scheme followed by ':' — what VC calls a URL (absolute IRI).
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*")


def is_url(value: object) -> bool:
    """A string that VC's data model accepts as a URL (an absolute IRI)."""
    return isinstance(value, str) and _ABSOLUTE_IRI.fullmatch(value) is not None


def as_list(value: Any) -> list[Any]:
    """A property that may be one value or an array of them, as a list (absent: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def nested_deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects in ``value`` nest more than ``limit`` levels deep
    (found level by level, without recursion, so any depth of input is safe to ask about;
    this runs before every verification, so it is kept to one pass in list comprehensions)."""
    containers = (dict, list)
    level = [value] if isinstance(value, containers) else []
    depth = 0
    while level:
        if depth >= limit:
            return True
        depth += 1
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, containers)
        ]
    return False
