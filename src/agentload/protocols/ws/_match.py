"""Does a message match what an ``expect`` waits for? (sans-I/O)

A :class:`MessagePredicate` holds conditions that must all hold: JSONPath
conditions (the value at the path equals a JSON value, or exists), a regular
expression searched in the text, a substring. Conditions are compiled once;
:meth:`MessagePredicate.with_expected` swaps in the expected values rendered
for one VU (``${conv}``) without compiling again. Matching never raises:
a message that is not JSON simply does not match a JSON condition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonpath
import orjson

__all__ = [
    "MISSING",
    "CompiledPath",
    "JsonCondition",
    "MessageMatch",
    "MessagePredicate",
    "compile_path",
    "json_equal",
]

_NOT_JSON: Any = object()
MISSING: Any = object()
"""What :meth:`CompiledPath.find` returns when the path selects nothing."""


@dataclass(frozen=True, slots=True)
class JsonCondition:
    """The value at ``path`` (JSONPath, RFC 9535) equals ``expected``, or exists."""

    path: str
    expected: object = None
    exists_only: bool = False


def json_equal(a: object, b: object) -> bool:
    """JSON equality: ``true`` is not ``1`` (Python's ``True == 1`` would say it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return a == b


_SEGMENT = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(-?(?:0|[1-9][0-9]*))\]|\['([^'\\]*)'\]|\[\"([^\"\\]*)\"\]"
)


class CompiledPath:
    """A compiled JSONPath (RFC 9535): :meth:`find` gives the first value or :data:`MISSING`.

    A *singular* path of names and indices (``$.a.b``, ``$['a b'][0]``,
    ``$.items[-1]``) is evaluated by plain dict/list access, about 30× faster
    than the general evaluator; anything else (wildcards, filters, slices,
    descendants) goes to python-jsonpath. Both give the same first value
    (``tests/unit/protocols/test_ws_match.py`` checks it on random documents).
    """

    __slots__ = ("_general", "_keys", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._keys = _singular(text)
        self._general: Any = None
        try:
            self._general = jsonpath.compile(text)
        except (jsonpath.JSONPathError, RecursionError) as exc:
            reason = str(exc.args[0]) if exc.args else type(exc).__name__
            raise ValueError(f"bad JSONPath {text!r}: {reason}") from None

    def find(self, doc: Any) -> Any:
        """The first value the path selects in ``doc``, or :data:`MISSING`."""
        keys = self._keys
        if keys is None:
            try:
                found = self._general.match(doc)
            except (jsonpath.JSONPathError, RecursionError, TypeError, ValueError):
                return MISSING
            return MISSING if found is None else found.obj
        for key in keys:
            if isinstance(key, str):
                if type(doc) is not dict:
                    return MISSING
                doc = doc.get(key, MISSING)
                if doc is MISSING:
                    return MISSING
            else:
                if type(doc) is not list:
                    return MISSING
                index = key if key >= 0 else len(doc) + key
                if not 0 <= index < len(doc):
                    return MISSING
                doc = doc[index]
        return doc


def _singular(text: str) -> tuple[str | int, ...] | None:
    """The names and indices of a singular path, or ``None`` when it is not one."""
    if not text.startswith("$"):
        return None
    keys: list[str | int] = []
    pos = 1
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if m is None:
            return None
        name, index, single, double = m.groups()
        if index is not None:
            if index == "-0":
                return None
            keys.append(int(index))
        else:
            keys.append(name if name is not None else single if single is not None else double)
        pos = m.end()
    return tuple(keys)


def compile_path(text: str) -> CompiledPath:
    """Compile a JSONPath; ``ValueError`` with a one-line reason when it is invalid."""
    return CompiledPath(text)


class MessageMatch:
    """A message that matched: its text and (parsed once, on demand) its JSON."""

    __slots__ = ("_doc", "data", "text")

    def __init__(self, data: str | bytes, text: str, doc: Any = _NOT_JSON) -> None:
        self.data = data
        self.text = text
        self._doc = doc

    @property
    def is_json(self) -> bool:
        """True when the message parses as JSON."""
        return self.document() is not _NOT_JSON

    def document(self) -> Any:
        """The parsed JSON, or a private sentinel when the message is not JSON."""
        if self._doc is _NOT_JSON:
            self._doc = _parse(self.data)
        return self._doc

    def json_value(self, path: CompiledPath) -> object | None:
        """The first value at ``path``, or ``None`` (not JSON, or nothing there)."""
        doc = self.document()
        if doc is _NOT_JSON:
            return None
        found = path.find(doc)
        return None if found is MISSING else found


def _parse(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _NOT_JSON


class MessagePredicate:
    """All of: JSON conditions, a regex search, a substring; no condition matches anything.

    Raises ``ValueError`` with a one-line reason for a bad JSONPath or regex.
    """

    __slots__ = ("_contains", "_expected", "_paths", "_regex", "conditions")

    def __init__(
        self,
        *,
        json: Sequence[JsonCondition] = (),
        regex: str | None = None,
        contains: str | None = None,
    ) -> None:
        self.conditions = tuple(json)
        self._paths = tuple(CompiledPath(cond.path) for cond in self.conditions)
        self._expected = tuple(c.expected for c in self.conditions)
        try:
            self._regex = re.compile(regex) if regex is not None else None
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"bad regular expression {regex!r}: {exc}") from None
        self._contains = contains

    def with_expected(self, values: Sequence[object]) -> MessagePredicate:
        """The same compiled conditions with new expected values (one per JSON condition)."""
        if len(values) != len(self.conditions):
            raise ValueError("one expected value per JSON condition")
        clone = object.__new__(MessagePredicate)
        clone.conditions = self.conditions
        clone._paths = self._paths
        clone._expected = tuple(values)
        clone._regex = self._regex
        clone._contains = self._contains
        return clone

    def match(self, data: str | bytes) -> MessageMatch | None:
        """A :class:`MessageMatch` when every condition holds, else ``None``."""
        text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
        if self._contains is not None and self._contains not in text:
            return None
        if self._regex is not None and self._regex.search(text) is None:
            return None
        found = MessageMatch(data, text)
        if not self._paths:
            return found
        doc = found.document()
        if doc is _NOT_JSON:
            return None
        for cond, path, want in zip(self.conditions, self._paths, self._expected, strict=True):
            hit = path.find(doc)
            if hit is MISSING:
                return None
            if not cond.exists_only and not json_equal(hit, want):
                return None
        return found

    def search(self, text: str) -> re.Match[str] | None:
        """The regex's match in ``text`` (for captures), or ``None``."""
        return None if self._regex is None else self._regex.search(text)
