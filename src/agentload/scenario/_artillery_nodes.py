"""Building located YAML nodes for the Artillery translation (scenario/artillery.py).

The translator rewrites an Artillery script's tree into agentload's format,
node by node; every node it makes carries the line of the Artillery text it
came from, so the usual readers report problems at the user's own lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentload.scenario._nodes import YKey, YMap, YNode, YScalar, YSeq
from agentload.scenario._templates import split_text

__all__ = ["mapping", "scalar", "sequence", "with_items"]


def scalar(value: object, line: int) -> YScalar:
    """A scalar at ``line``; text is split into literals and ``${…}`` references."""
    if isinstance(value, str):
        split = split_text(value, {})
        return YScalar(split.text, line, split.parts, value, split.problems)
    text = "" if value is None else str(value)
    return YScalar(value, line, (text,) if text else (), text)


def mapping(line: int, items: Iterable[tuple[str, YNode]]) -> YMap:
    """A mapping at ``line`` with ``(key, node)`` items, keys at ``line`` too."""
    return YMap(tuple((YKey(key, line), node) for key, node in items), line)


def sequence(line: int, items: Iterable[YNode]) -> YSeq:
    """A list at ``line``."""
    return YSeq(tuple(items), line)


def with_items(node: YMap, items: Iterable[tuple[str, YNode]]) -> YMap:
    """``node`` with ``items`` instead of its own (keys at ``node``'s line)."""
    return mapping(node.line, items)
