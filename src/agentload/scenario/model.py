"""The scenario model shared by YAML files and (later) the Python API.

Everything here is frozen data. The YAML loader (:mod:`agentload.scenario.yaml`)
builds it and reports every problem with ``file:line``; the engine compiles it
into fast request runners. The parts steps are made of (templates, bodies,
checks, captures) live in :mod:`agentload.scenario.parts` and are re-exported
here; ``${env.NAME}`` is resolved once, when the file is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from agentload.profiles.model import LoadModel
from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.llm.timing import LlmSlo
from agentload.scenario.model_alerts import AlertSpec
from agentload.scenario.model_flow import (
    ChooseStep,
    DataStep,
    IfStep,
    LoopStep,
    OnceStep,
    PaceStep,
    PollStep,
)
from agentload.scenario.model_health import HealthCheck
from agentload.scenario.model_log import LogStep
from agentload.scenario.model_python import PythonHooks, PythonStep
from agentload.scenario.model_voice import VoiceAudio, VoiceStep
from agentload.scenario.model_webhook import WebhookStep, WebhookToolCall
from agentload.scenario.model_ws import WsStep
from agentload.scenario.parts import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    Check,
    FormBody,
    HeaderCheck,
    JsonBody,
    JsonCheck,
    JsonObject,
    JsonValue,
    MultipartBody,
    MultipartField,
    RawBody,
    RequestBody,
    StatusCheck,
    Template,
    ThinkKind,
    ThinkTime,
    VarRef,
)

__all__ = [
    "AlertSpec",
    "BodyContainsCheck",
    "Capture",
    "CaptureSource",
    "Check",
    "ChooseStep",
    "DataStep",
    "FinishReasonCheck",
    "FormBody",
    "HeaderCheck",
    "HealthCheck",
    "IfStep",
    "JsonBody",
    "JsonCheck",
    "JsonObject",
    "JsonValue",
    "LlmCheck",
    "LlmSlo",
    "LlmStep",
    "LogStep",
    "LoopStep",
    "MultipartBody",
    "MultipartField",
    "OnceStep",
    "PaceStep",
    "PollStep",
    "PythonHooks",
    "PythonStep",
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
    "VoiceAudio",
    "VoiceStep",
    "WebhookStep",
    "WebhookToolCall",
    "WsStep",
]


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


Step: TypeAlias = (
    RequestStep
    | ThinkStep
    | LlmStep
    | SseStep
    | LoopStep  # control flow (model_flow.py) …
    | IfStep
    | PollStep
    | ChooseStep
    | OnceStep
    | PaceStep
    | DataStep  # … control flow
    | WebhookStep  # model_webhook.py
    | WsStep  # model_ws.py
    | PythonStep  # model_python.py
    | VoiceStep  # model_voice.py
    | LogStep  # model_log.py
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named flow of steps; VUs (closed) or iterations (open) pick scenarios by weight.

    ``load`` gives the scenario a load of its own, run side by side with the
    file's (a user type; see :class:`~agentload.profiles.LoadGroup`); ``None``
    shares the file's ``load`` with the other such scenarios, by weight.
    """

    name: str
    steps: tuple[Step, ...]
    weight: int = 1
    line: int = 0
    load: LoadModel | None = None


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
    health: HealthCheck | None = None


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A whole loaded scenario file: config, load model, scenarios, thresholds.

    ``profiles`` names the loads of the file's ``profiles:`` section (runnable
    one by one with ``--profile`` or as a suite with ``--scenarios``).
    """

    path: str
    config: RunConfig
    load: LoadModel
    scenarios: tuple[Scenario, ...]
    thresholds: tuple[ThresholdSpec, ...] = ()
    profiles: tuple[str, ...] = ()
    alerts: tuple[AlertSpec, ...] = ()
    """Rules checked every second while the run goes (``alerts:``)."""
