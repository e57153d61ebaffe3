"""The scenario model shared by YAML files and (later) the Python API.

Everything here is frozen data. The YAML loader (:mod:`agentload.scenario.yaml`)
builds it and reports every problem with ``file:line``; the engine compiles it
into fast request runners. Strings that may hold run-time variables are
:class:`Template` objects: ``${name}`` is replaced by the VU's variable
``name`` (set by ``config.variables`` or a capture) when the step runs.
``${env.NAME}`` is resolved once, when the file is loaded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from agentload.profiles.model import LoadModel
from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.llm.timing import LlmSlo

__all__ = [
    "BodyContainsCheck",
    "Capture",
    "CaptureSource",
    "Check",
    "FinishReasonCheck",
    "FormBody",
    "HeaderCheck",
    "JsonBody",
    "JsonCheck",
    "JsonObject",
    "JsonValue",
    "LlmCheck",
    "LlmSlo",
    "LlmStep",
    "MultipartBody",
    "MultipartField",
    "RawBody",
    "RequestBody",
    "RequestStep",
    "RunConfig",
    "Scenario",
    "ScenarioFile",
    "SseStep",
    "SseUntil",
    "StatusCheck",
    "Step",
    "Template",
    "ThinkKind",
    "ThinkStep",
    "ThinkTime",
    "ThresholdSpec",
    "Timeouts",
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


@dataclass(frozen=True, slots=True)
class RequestStep:
    """One HTTP request.

    ``name`` tags every metric of the request (``http_req_duration{name:…}``);
    it defaults to ``METHOD url``. ``url`` is relative to ``config.target``
    unless absolute.
    """

    name: str
    method: str
    url: Template
    headers: tuple[tuple[str, Template], ...] = ()
    query: tuple[tuple[str, Template], ...] = ()
    body: RequestBody | None = None
    checks: tuple[Check, ...] = ()
    captures: tuple[Capture, ...] = ()
    timeouts: Timeouts | None = None
    think: ThinkTime | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class ThinkStep:
    """A pause between steps."""

    think: ThinkTime
    line: int = 0


@dataclass(frozen=True, slots=True)
class FinishReasonCheck:
    """The LLM reply's ``finish_reason`` is one of ``expected``."""

    expected: tuple[str, ...]


LlmCheck: TypeAlias = Check | FinishReasonCheck
"""Checks of an LLM step: JSONPath and ``body_contains`` read the assembled reply."""


@dataclass(frozen=True, slots=True)
class LlmStep:
    """One OpenAI-compatible chat-completions request (streamed unless ``stream`` is false).

    The body is ``{"model", "messages", "stream", "stream_options", …params}``;
    ``params`` are the other body fields in file order (``max_tokens``,
    ``tools``, ``temperature``, and whatever ``params:`` adds). JSON checks and
    captures read the assembled reply (``ChatReply.document()``), regular
    expressions and ``body_contains`` its text. ``slo`` decides ``llm_goodput``.
    """

    name: str
    url: Template
    model: Template
    messages: JsonValue
    params: tuple[tuple[str, JsonValue], ...] = ()
    stream: bool = True
    headers: tuple[tuple[str, Template], ...] = ()
    query: tuple[tuple[str, Template], ...] = ()
    slo: LlmSlo | None = None
    checks: tuple[LlmCheck, ...] = ()
    captures: tuple[Capture, ...] = ()
    timeouts: Timeouts | None = None
    think: ThinkTime | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class SseUntil:
    """Stop reading an event stream at the first event matching every condition given."""

    event: str | None = None
    data_contains: str | None = None
    json: tuple[JsonCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class SseStep:
    """Read a server-sent event stream until ``until`` matches, ``max_events``, or its end."""

    name: str
    method: str
    url: Template
    headers: tuple[tuple[str, Template], ...] = ()
    query: tuple[tuple[str, Template], ...] = ()
    body: JsonBody | RawBody | None = None
    max_events: int | None = None
    until: SseUntil | None = None
    checks: tuple[StatusCheck, ...] = ()
    timeouts: Timeouts | None = None
    think: ThinkTime | None = None
    line: int = 0


Step: TypeAlias = RequestStep | ThinkStep | LlmStep | SseStep


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named flow of steps; VUs (closed) or iterations (open) pick scenarios by weight."""

    name: str
    steps: tuple[Step, ...]
    weight: int = 1
    line: int = 0


@dataclass(frozen=True, slots=True)
class ThresholdSpec:
    """One threshold as written: ``metric{tag:value}`` and an expression like ``p(95)<300``.

    Parsing happens in :mod:`agentload.thresholds`; the loader checks the syntax
    so a bad expression is reported with its line.
    """

    metric: str
    expression: str
    abort_on_fail: bool = False
    delay_abort_eval: float = 0.0
    line: int = 0


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The ``config`` section: where to send load and what every request carries."""

    target: str
    headers: tuple[tuple[str, Template], ...] = ()
    variables: Mapping[str, object] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A whole loaded scenario file: config, load model, scenarios, thresholds."""

    path: str
    config: RunConfig
    load: LoadModel
    scenarios: tuple[Scenario, ...]
    thresholds: tuple[ThresholdSpec, ...] = ()
