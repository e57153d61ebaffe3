"""The parts steps are built from: templates, JSON values, bodies, checks, captures, think times.

Frozen data shared by every step family (:mod:`agentload.scenario.model` and
the protocol step modules beside it). Strings that may hold run-time
variables are :class:`Template` objects: ``${name}`` is replaced by the VU's
variable ``name`` (set by ``config.variables`` or a capture) when the step
runs.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from agentload.scenario.helpers import HELPERS

__all__ = [
    "BodyContainsCheck",
    "Call",
    "CallArg",
    "Capture",
    "CaptureSource",
    "Check",
    "FormBody",
    "HeaderCheck",
    "JsonBody",
    "JsonCheck",
    "JsonObject",
    "JsonValue",
    "MultipartBody",
    "MultipartField",
    "RawBody",
    "RequestBody",
    "StatusCheck",
    "Template",
    "ThinkKind",
    "ThinkTime",
    "VarRef",
]


@dataclass(frozen=True, slots=True)
class VarRef:
    """A ``${name}`` reference inside a template.

    A dotted name reads into a value: ``${row.email}`` is the variable
    ``row.email`` if one is set, else the ``email`` field of the variable
    ``row`` (a data feeder row, a loop item, a captured JSON object); a piece
    that is a number indexes a list (``${items.0}``).
    """

    name: str

    def resolve(self, variables: Mapping[str, object]) -> object:
        """The value; a missing variable raises ``KeyError(name)``."""
        try:
            return variables[self.name]
        except KeyError:
            return _dotted(variables, self.name)


CallArg: TypeAlias = int | float | str | VarRef
"""A helper argument: a number or quoted text written in the file, or a variable."""


@dataclass(frozen=True, slots=True)
class Call(VarRef):
    """A ``${helper(args)}`` call inside a template, evaluated at every render.

    ``name`` is the helper (``uuid``, ``randint``, ``random_string``,
    ``timestamp``, ``timestamp_ms``, ``pick``; :mod:`agentload.scenario.helpers`);
    the reader has checked it exists and takes these arguments. A call is a
    :class:`VarRef` so code that only tells literals from references keeps
    working; :meth:`resolve` runs the helper instead of looking a name up.
    """

    args: tuple[CallArg, ...] = ()

    def resolve(self, variables: Mapping[str, object]) -> object:
        """The helper's result; a missing variable argument raises ``KeyError(name)``."""
        values = [a.resolve(variables) if isinstance(a, VarRef) else a for a in self.args]
        return HELPERS[self.name].fn(values)

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the variables passed as arguments."""
        return tuple(a.name for a in self.args if isinstance(a, VarRef))


def _dotted(variables: Mapping[str, object], name: str) -> object:
    # Only reached when ``name`` itself is not a variable: walk ``head.field.…``.
    head, sep, rest = name.partition(".")
    if not sep or head not in variables:
        raise KeyError(name)
    value = variables[head]
    for piece in rest.split("."):
        if isinstance(value, Mapping) and piece in value:
            value = value[piece]
        elif isinstance(value, list | tuple) and piece.isdigit() and int(piece) < len(value):
            value = value[int(piece)]
        else:
            raise KeyError(name)
    return value


@dataclass(frozen=True, slots=True)
class Template:
    """A string with ``${var}`` references, split once into parts.

    ``parts`` alternates literal strings and :class:`VarRef`. A template without
    references is *static*: the engine pre-encodes requests built only from
    static templates.
    """

    parts: tuple[str | VarRef, ...]
    source: str
    # Whether a part is a helper call: decided once, so rendering a template of
    # plain references (the hot path) never checks a part's class.
    _calls: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_calls", any(isinstance(p, Call) for p in self.parts))

    @classmethod
    def literal(cls, text: str) -> Template:
        """A template that is just ``text``."""
        return cls(parts=(text,) if text else (), source=text)

    @property
    def is_static(self) -> bool:
        """True when the template has no variable references."""
        return all(isinstance(p, str) for p in self.parts)

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the variables the template refers to, in order (helper arguments too)."""
        names: list[str] = []
        for p in self.parts:
            if isinstance(p, Call):
                names.extend(p.variables)
            elif isinstance(p, VarRef):
                names.append(p.name)
        return tuple(names)

    def render(self, variables: Mapping[str, object]) -> str:
        """Substitute variables and run helpers; a missing variable raises ``KeyError(name)``."""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        out: list[str] = []
        if self._calls:
            for part in self.parts:
                if isinstance(part, str):
                    out.append(part)
                else:
                    value = part.resolve(variables)
                    out.append(value if isinstance(value, str) else _to_text(value))
            return "".join(out)
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                # Inlined VarRef.resolve: one dict lookup; the try costs nothing when it hits.
                try:
                    value = variables[part.name]
                except KeyError:
                    value = _dotted(variables, part.name)
                out.append(value if isinstance(value, str) else _to_text(value))
        return "".join(out)


def _to_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


@dataclass(frozen=True, slots=True)
class JsonObject:
    """A JSON object in a body template; ``members`` keep the order written.

    A distinct type (rather than a tuple of pairs) so that ``{}`` and ``[]``
    stay different, and an array of two-element arrays is never mistaken for
    an object.
    """

    members: tuple[tuple[str, JsonValue], ...]


# A JSON document whose strings may be templates. A string that is exactly one
# ``${var}`` keeps the variable's own type (number, list, …) when rendered.
# Arrays are tuples; objects are JsonObject.
JsonValue: TypeAlias = bool | int | float | Template | tuple["JsonValue", ...] | JsonObject | None


class ThinkKind(enum.StrEnum):
    """How a think time is drawn."""

    CONSTANT = "constant"
    UNIFORM = "uniform"
    NORMAL = "normal"


@dataclass(frozen=True, slots=True)
class ThinkTime:
    """A pause in seconds: constant ``a``; uniform in ``[a, b]``; normal(mean ``a``, sd ``b``)."""

    kind: ThinkKind
    a: float
    b: float = 0.0


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A JSON body (``Content-Type: application/json``)."""

    value: JsonValue


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body sent as is; set ``Content-Type`` in the headers."""

    text: Template


@dataclass(frozen=True, slots=True)
class FormBody:
    """An ``application/x-www-form-urlencoded`` body."""

    fields: tuple[tuple[str, Template], ...]


@dataclass(frozen=True, slots=True)
class MultipartField:
    """One part of a multipart body: a value, or a file read at load time."""

    name: str
    value: Template | None = None
    file_content: bytes | None = None
    filename: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class MultipartBody:
    """A ``multipart/form-data`` body (RFC 7578)."""

    fields: tuple[MultipartField, ...]


RequestBody: TypeAlias = JsonBody | RawBody | FormBody | MultipartBody


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """The response status is one of ``expected``."""

    expected: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class JsonCheck:
    """The first JSONPath match of the response body equals ``expected``.

    ``expected`` is a plain JSON value; with ``exists`` only, the path must match.
    """

    path: str
    expected: object = None
    exists_only: bool = False


@dataclass(frozen=True, slots=True)
class BodyContainsCheck:
    """The response body contains ``text``."""

    text: str


@dataclass(frozen=True, slots=True)
class HeaderCheck:
    """The response has header ``name`` (case-insensitive), equal to ``expected`` if given."""

    name: str
    expected: str | None = None


Check: TypeAlias = StatusCheck | JsonCheck | BodyContainsCheck | HeaderCheck


class CaptureSource(enum.StrEnum):
    """Where a capture reads from."""

    JSON = "json"
    REGEX = "regex"
    HEADER = "header"


@dataclass(frozen=True, slots=True)
class Capture:
    """Store part of the response in the VU variable ``var``.

    ``expr`` is a JSONPath (json), a regular expression whose group 1, or whole
    match, is taken (regex), or a header name (header).
    """

    source: CaptureSource
    expr: str
    var: str
