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
from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "BodyContainsCheck",
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
    """A ``${name}`` reference inside a template."""

    name: str


@dataclass(frozen=True, slots=True)
class Template:
    """A string with ``${var}`` references, split once into parts.

    ``parts`` alternates literal strings and :class:`VarRef`. A template without
    references is *static*: the engine pre-encodes requests built only from
    static templates.
    """

    parts: tuple[str | VarRef, ...]
    source: str

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
        """Names of the variables the template refers to, in order."""
        return tuple(p.name for p in self.parts if isinstance(p, VarRef))

    def render(self, variables: Mapping[str, object]) -> str:
        """Substitute variables; a missing variable raises ``KeyError(name)``."""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                value = variables[part.name]
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
