"""Series identity: a metric name plus its sorted tags, written k6-style ``m{k:v}``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["SeriesKey", "Tags", "TagsLike", "make_tags"]

Tags: TypeAlias = tuple[tuple[str, str], ...]
"""Tags as ``((key, value), ...)`` sorted by key, so equal tag sets hash equally."""

TagsLike: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""Anything :func:`make_tags` accepts: a mapping or ``(key, value)`` pairs."""


def make_tags(tags: TagsLike | None = None) -> Tags:
    """Normalise ``tags`` into sorted :data:`Tags` (later duplicates win)."""
    if not tags:
        return ()
    items = tags.items() if isinstance(tags, Mapping) else tags
    return tuple(sorted(dict(items).items()))


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One time series: a metric and a tag set (build with :meth:`of` to sort the tags)."""

    metric: str
    tags: Tags = ()

    @classmethod
    def of(cls, metric: str, tags: TagsLike | None = None) -> SeriesKey:
        """Build a key, normalising ``tags`` with :func:`make_tags`."""
        return cls(metric, make_tags(tags))

    def tag(self, name: str) -> str | None:
        """Value of tag ``name``, or ``None``."""
        for key, value in self.tags:
            if key == name:
                return value
        return None

    def matches(self, filter: Mapping[str, str]) -> bool:
        """True when every ``tag: value`` of ``filter`` is among this key's tags."""
        if not filter:
            return True
        mine = dict(self.tags)
        return all(mine.get(k) == v for k, v in filter.items())

    def __str__(self) -> str:
        if not self.tags:
            return self.metric
        return self.metric + "{" + ",".join(f"{k}:{v}" for k, v in self.tags) + "}"

    @classmethod
    def parse(cls, text: str) -> SeriesKey:
        """Inverse of ``str()``: ``"http_req_duration{name:login,status:200}"``.

        Round-trips when tag keys hold none of ``:,{}`` and values none of ``,}``.

        Raises:
            ValueError: the text is not ``metric`` or ``metric{k:v,...}``.
        """
        text = text.strip()
        brace = text.find("{")
        if brace < 0:
            if not text or "}" in text:
                raise ValueError(f"not a series name: {text!r}")
            return cls(text)
        metric = text[:brace].strip()
        if not metric or not text.endswith("}"):
            raise ValueError(f"not a series name: {text!r} (expected metric{{tag:value,...}})")
        pairs: list[tuple[str, str]] = []
        body = text[brace + 1 : -1]
        for part in body.split(",") if body.strip() else ():
            key, sep, value = part.partition(":")
            if not sep or not key.strip():
                raise ValueError(f"not a series name: {text!r} (tag {part!r} needs key:value)")
            pairs.append((key.strip(), value.strip()))
        return cls.of(metric, pairs)
