"""What the streamed steps (``llm``, ``sse``) share: request bytes, ``http_*`` series, think.

A streamed step is an HTTP request too, so it records the ``http_*`` metrics
exactly as a request step does (docs/metrics.md, "HTTP"): it shows in the
requests table with its statuses, bytes, time to first byte and errors. Its
own metrics (``llm_*``, ``sse_*``) are recorded by the step.

:mod:`agentload.engine.steps` dispatches to the streamed steps, so this module
must not import it; the few lines they would share (JSON templates, think
times) are repeated here rather than coupled to the request hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import (
    Origin,
    Response,
    build_target,
    encode_json,
    encode_request,
    parse_url,
)
from agentload.scenario.model import (
    JsonBody,
    JsonObject,
    JsonValue,
    RawBody,
    Template,
    ThinkKind,
    ThinkTime,
    VarRef,
)

__all__ = [
    "ErrorCounts",
    "HttpSeries",
    "StreamedRequest",
    "draw_think",
    "http_appenders",
    "json_is_static",
    "merge_headers",
    "render_json",
    "resolve_target",
    "status_error",
]


def draw_think(think: ThinkTime, vu: VU) -> float:
    """Seconds to pause, drawn from the VU's own generator (as request steps do)."""
    if think.kind is ThinkKind.CONSTANT:
        return think.a
    if think.kind is ThinkKind.UNIFORM:
        return vu.rng.uniform(think.a, think.b)
    return max(0.0, vu.rng.gauss(think.a, think.b))


def render_json(value: JsonValue, variables: Mapping[str, object]) -> object:
    """Render a JSON template; ``"${x}"`` alone keeps the variable's type. ``KeyError`` if unset."""
    if isinstance(value, Template):
        parts = value.parts
        if len(parts) == 1 and isinstance(parts[0], VarRef):
            return parts[0].resolve(variables)  # a variable (dotted path) or a helper call
        return value.render(variables)
    if isinstance(value, JsonObject):
        return {k: render_json(v, variables) for k, v in value.members}
    if isinstance(value, tuple):
        return [render_json(v, variables) for v in value]
    return value


def json_is_static(value: JsonValue) -> bool:
    """True when the JSON template refers to no variable."""
    if isinstance(value, Template):
        return value.is_static
    if isinstance(value, JsonObject):
        return all(json_is_static(v) for _, v in value.members)
    if isinstance(value, tuple):
        return all(json_is_static(v) for v in value)
    return True


def resolve_target(
    base: str,
    url: Template,
    query: Sequence[tuple[str, Template]],
    variables: Mapping[str, object],
) -> tuple[Origin, str]:
    """The origin and request target of ``url`` rendered with ``variables`` (a path is
    under ``base``, the run's target) with the rendered ``query`` appended.

    Raises ``KeyError(name)`` for an unset variable.
    """
    rendered = url.render(variables)
    if rendered.startswith("/"):
        rendered = base.rstrip("/") + rendered
    origin, target = parse_url(rendered)
    if query:
        target = build_target(target, [(k, v.render(variables)) for k, v in query])
    return origin, target


class StreamedRequest:
    """The request of a streamed step, pre-encoded once when nothing in it varies."""

    __slots__ = ("_base", "_body", "_headers", "_method", "_query", "_static", "_url")

    def __init__(
        self,
        *,
        base: str,
        method: str,
        url: Template,
        headers: Sequence[tuple[str, Template]],
        query: Sequence[tuple[str, Template]],
        body: JsonBody | RawBody | None = None,
    ) -> None:
        self._base = base
        self._method = method
        self._url = url
        self._headers = tuple(headers)
        self._query = tuple(query)
        self._body = body
        self._static: tuple[Origin, bytes] | None = None
        if isinstance(body, JsonBody):
            body_static = json_is_static(body.value)
        else:
            body_static = body is None or body.text.is_static
        if (
            body_static
            and url.is_static
            and all(v.is_static for _, v in self._headers + self._query)
        ):
            self._static = self.encode({})

    def encode(self, variables: Mapping[str, object]) -> tuple[Origin, bytes]:
        """The origin and request bytes; raises ``KeyError(name)`` for an unset variable."""
        if self._static is not None:
            return self._static
        origin, target = resolve_target(self._base, self._url, self._query, variables)
        headers = [(k, v.render(variables)) for k, v in self._headers]
        body: bytes | None = None
        given = self._body
        if isinstance(given, JsonBody):
            body, content_type = encode_json(render_json(given.value, variables))
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", content_type))
        elif given is not None:
            body = given.text.render(variables).encode()
        host = origin.authority
        return origin, encode_request(self._method, target, host=host, headers=headers, body=body)


def merge_headers(
    defaults: Sequence[tuple[str, Template]],
    own: Sequence[tuple[str, Template]],
    extra: Sequence[tuple[str, str]] = (),
) -> tuple[tuple[str, Template], ...]:
    """``config.headers`` overridden by the step's (case-insensitive, RFC 9110 §5.1), plus
    ``extra`` defaults neither gives."""
    mine = {name.lower() for name, _ in own}
    merged = tuple((n, v) for n, v in defaults if n.lower() not in mine) + tuple(own)
    given = {name.lower() for name, _ in merged}
    return merged + tuple((n, Template.literal(v)) for n, v in extra if n.lower() not in given)


def status_error(status: int) -> ErrorKind:
    """The error kind of an unexpected status (as request steps count it)."""
    if status >= 500:
        return ErrorKind.HTTP_5XX
    if status >= 400:
        return ErrorKind.HTTP_4XX
    return ErrorKind.CHECK_FAILED


def http_appenders(
    recorder: Recorder, tags: tuple[tuple[str, str], ...]
) -> tuple[Callable[..., None], ...]:
    """The per-status HTTP series of a request, as bound appenders, in this order:
    ``http_reqs``, ``http_req_failed``, ``http_req_duration``, ``http_req_service_time``,
    ``http_req_waiting``, ``data_sent``, ``data_received`` (request and streamed steps alike).
    """
    r = recorder
    return (
        r.counter("http_reqs", tags).add,
        r.rate("http_req_failed", tags).add,
        r.trend("http_req_duration", tags).add,
        r.trend("http_req_service_time", tags).add,
        r.trend("http_req_waiting", tags).add,
        r.counter("data_sent", tags).add,
        r.counter("data_received", tags).add,
    )


class ErrorCounts:
    """The ``errors{kind}`` counters of one set of tags, each acquired on its first use
    (most kinds never happen, so most are never created)."""

    __slots__ = ("_adds", "_recorder", "_tags")

    def __init__(self, recorder: Recorder, tags: tuple[tuple[str, str], ...]) -> None:
        self._recorder = recorder
        self._tags = tags
        self._adds: dict[ErrorKind, Callable[[float], None]] = {}

    def add(self, kind: ErrorKind, n: int = 1) -> None:
        """Count ``n`` errors of ``kind``."""
        add = self._adds.get(kind)
        if add is None:
            add = self._adds[kind] = self._recorder.counter(
                "errors", (("kind", kind.value), *self._tags)
            ).add
        add(n)


class HttpSeries:
    """The ``http_*``, ``errors`` and ``checks`` series of one streamed step."""

    __slots__ = ("_by_status", "_connecting", "_errors", "_recorder", "_tls", "tags")

    def __init__(self, recorder: Recorder, tags: tuple[tuple[str, str], ...]) -> None:
        self._recorder = recorder
        self.tags = tags
        """``(method, name, scenario)`` tags, sorted by name."""
        self._by_status: dict[int, tuple[Callable[..., None], ...]] = {}
        self._errors = ErrorCounts(recorder, tags)
        self._connecting = recorder.trend("http_req_connecting", tags).add
        self._tls = recorder.trend("http_req_tls_handshaking", tags).add

    def _series(self, status: int) -> tuple[Callable[..., None], ...]:
        series = self._by_status.get(status)
        if series is None:
            tags = (*self.tags, ("status", str(status)))
            series = self._by_status[status] = http_appenders(self._recorder, tags)
        return series

    def response(self, resp: Response, intended_ns: int, *, failed: bool) -> None:
        """A response arrived (complete, or ended by the step): record it as a request step does.

        The caller decides ``failed`` and counts the error kind (:func:`status_error`).
        """
        reqs, failed_add, duration, service, waiting, sent, received = self._series(resp.status)
        start = resp.start_ns
        duration((resp.end_ns - (intended_ns or start)) // 1000)
        service((resp.end_ns - start) // 1000)
        waiting((resp.first_byte_ns - start) // 1000)
        reqs(1)
        failed_add(failed)
        sent(resp.bytes_sent)
        received(resp.bytes_received)
        if resp.connect_ns:
            self._connecting(resp.connect_ns // 1000)
            if resp.tls_ns:
                self._tls(resp.tls_ns // 1000)

    def failure(self, status: int) -> None:
        """No complete response (status 0, or the status of a head that came alone)."""
        reqs, failed = self._series(status)[:2]
        reqs(1)
        failed(True)

    def error(self, kind: ErrorKind) -> None:
        """Count one ``errors{kind}``."""
        self._errors.add(kind)

    def check(self, label: str) -> Callable[[bool], None]:
        """The ``checks{check:label}`` series' ``add``."""
        return self._recorder.rate("checks", (*self.tags, ("check", label))).add
