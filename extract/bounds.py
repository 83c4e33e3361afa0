"""Bounds on untrusted JSON-like metadata, checked without recursion. Pure: data in, data out.

Listing items and stored metadata come from the Hub and may be anything JSON can hold: nested 500
deep (Python's own recursion then fails while pickling it for a worker process or walking it),
hundreds of thousands of tags, strings with lone surrogates (which no database text column takes).
`shape` measures a value iteratively; `scrub` copies a bounded value with every string made
encodable. The crawler applies these before storing an item, and the pipeline again before handing
a stored version to extraction (data stored before these bounds existed is bounded too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64  # as the card's YAML front matter (extract/front_matter.py)
MAX_NODES = 200_000
MAX_TAGS = 1_000  # real models carry at most a few hundred (one per language of a multilingual model)
MAX_SIBLINGS = 50_000
MAX_CARD_DATA_CHARS = 1_000_000  # of cardData as JSON; a card's front matter is read up to 200,000
MAX_FIELD_CHARS = 65_536  # any other listing field, as JSON


@dataclass(frozen=True)
class Shape:
    depth: int  # containers nested (a scalar is 0, [] is 1)
    nodes: int  # values counted, up to the budget
    chars: int  # approximate JSON size, up to the budget
    over: bool  # a budget was exceeded; counting stopped there


def shape(value: Any, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES, max_chars: int | None = None) -> Shape:
    """Depth, node count and approximate JSON size of a value, walked with an explicit stack."""
    if not isinstance(value, (dict, list, tuple)):  # a scalar (most calls: a file entry's fields): what the walk gives
        chars = len(value) + 3 if isinstance(value, str) else 8
        return Shape(0, 1, chars, 0 > max_depth or 1 > max_nodes or (max_chars is not None and chars > max_chars))
    stack: list[tuple[Any, int]] = [(value, 0)]
    depth = nodes = chars = 0
    while stack:
        item, level = stack.pop()
        nodes += 1
        if isinstance(item, dict):
            level += 1
            chars += 2
            for key, child in item.items():
                chars += len(key) + 4 if isinstance(key, str) else 8
                stack.append((child, level))
        elif isinstance(item, (list, tuple)):
            level += 1
            chars += 2
            stack.extend((child, level) for child in item)
        elif isinstance(item, str):
            chars += len(item) + 3
        else:
            chars += 8
        depth = max(depth, level)
        if depth > max_depth or nodes > max_nodes or (max_chars is not None and chars > max_chars):
            return Shape(depth, nodes, chars, True)
    return Shape(depth, nodes, chars, False)


def clean_text(value: str) -> str:
    """The string with lone surrogates (JSON `\\ud800`, invalid UTF-8 decoded leniently) replaced."""
    if value.isascii():
        return value  # most strings: encodable, and found so without making their bytes
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def scrub(value: Any) -> Any:
    """A copy of a value already known to be within `shape`'s bounds, every string encodable as UTF-8.

    Iterative, so its depth does not matter to Python's recursion limit either.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and infinities are not JSON (PostgreSQL refuses them)
    if not isinstance(value, (dict, list, tuple)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()  # a dict's copy is a dict, a list's or tuple's a list
        if isinstance(source, dict):
            for key, child in source.items():
                target[clean_text(key) if isinstance(key, str) else str(key)] = _child_copy(child, stack)
        else:
            target.extend([_child_copy(child, stack) for child in source])
    return root


def _child_copy(child: Any, stack: list[tuple[Any, Any]]) -> Any:
    """`scrub`'s copy of one value in a container; a container is copied empty and queued to be filled."""
    if isinstance(child, str):  # the types are disjoint: the order of the tests is the cheapest first
        return clean_text(child)
    if isinstance(child, dict):
        copy: Any = {}
    elif isinstance(child, (list, tuple)):
        copy = []
    elif isinstance(child, float) and not math.isfinite(child):
        return None
    else:
        return child
    stack.append((child, copy))
    return copy
