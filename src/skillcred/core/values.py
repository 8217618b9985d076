"""Helpers for JSON values as the VC data model writes them."""

from __future__ import annotations

from typing import Any


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
