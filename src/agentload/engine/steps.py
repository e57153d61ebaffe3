"""Compile scenario steps into runners, and run them: the per-request hot path.

Everything that can be decided before the load starts is decided here, once:
the origin, the request bytes of static requests, the metric series each
request writes to, compiled JSONPaths and regular expressions. What is left
for each request is: send the bytes, await the response, append a few
integers to metric buffers, run the checks the user asked for.

Latency semantics (docs/metrics.md): ``http_req_duration`` runs from the
request's *intended* start to the last byte of the response. For the first
request of an open-model iteration the intended start is the arrival time the
plan scheduled; otherwise it is the moment the request was handed to the
socket. ``http_req_service_time`` always runs from that moment, so the two
differ exactly by the time an iteration waited for a free VU or for the
generator (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from agentload.engine._checks import BodyCache, capture_fn, check_fn, run_captures
from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import (
    draw_think,
    http_appenders,
    json_is_static,
    merge_headers,
    render_json,
    status_error,
)
from agentload.engine.flow import FLOW_STEPS, FlowCompiler, compile_flow
from agentload.engine.log import LogLine
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import RateSeries, Recorder
from agentload.protocols.http import (
    HttpError,
    Origin,
    Response,
    build_target,
    encode_form,
    encode_json,
    encode_multipart,
    encode_request,
    parse_url,
)
from agentload.scenario.model import (
    BodyContainsCheck,
    Capture,
    Check,
    FormBody,
    HeaderCheck,
    JsonBody,
    JsonCheck,
    LlmStep,
    LogStep,
    MultipartBody,
    RawBody,
    RequestStep,
    RunConfig,
    SseStep,
    StatusCheck,
    Step,
    Template,
    ThinkStep,
    ThinkTime,
    Timeouts,
    VoiceStep,
    WebhookStep,
    WsStep,
)
from agentload.scenario.model_python import PythonStep

__all__ = ["CompiledStep", "RequestRunner", "compile_steps"]

# ``http_req_failed`` default when the user gave no status expectation:
# as in k6, any 2xx or 3xx response is a success.
_OK_STATUS = range(200, 400)


class CompiledStep(Protocol):
    """A step ready to run; returns False when the rest of the iteration must be skipped."""

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Run the step; ``intended_ns`` is 0 or the iteration's intended start."""
        ...


class _Think:
    __slots__ = ("think",)

    def __init__(self, think: ThinkTime) -> None:
        self.think = think

    async def run(self, vu: VU, intended_ns: int) -> bool:
        await asyncio.sleep(draw_think(self.think, vu))
        return True


@dataclass(frozen=True, slots=True)
class RequestRunnerShape:
    """What a request needs to be built, with the run config folded in."""

    method: str
    url: Template
    headers: tuple[tuple[str, Template], ...]
    query: tuple[tuple[str, Template], ...]
    body: JsonBody | RawBody | FormBody | MultipartBody | None


def _shape_is_static(shape: RequestRunnerShape) -> bool:
    if not shape.url.is_static:
        return False
    if any(not v.is_static for _, v in shape.headers + shape.query):
        return False
    body = shape.body
    if body is None:
        return True
    if isinstance(body, JsonBody):
        return json_is_static(body.value)
    if isinstance(body, RawBody):
        return body.text.is_static
    if isinstance(body, FormBody):
        return all(v.is_static for _, v in body.fields)
    return all(f.value is None or f.value.is_static for f in body.fields)


def _encode(
    shape: RequestRunnerShape, base: str, variables: Mapping[str, object]
) -> tuple[Origin, bytes]:
    """Render templates and encode the request; raises KeyError for a missing variable."""
    url = shape.url.render(variables)
    if url.startswith("/"):
        url = base.rstrip("/") + url
    origin, target = parse_url(url)
    if shape.query:
        target = build_target(target, [(k, v.render(variables)) for k, v in shape.query])
    headers = [(k, v.render(variables)) for k, v in shape.headers]
    body: bytes | None = None
    body_type: str | None = None
    b = shape.body
    if isinstance(b, JsonBody):
        body, body_type = encode_json(render_json(b.value, variables))
    elif isinstance(b, RawBody):
        body = b.text.render(variables).encode()
    elif isinstance(b, FormBody):
        body, body_type = encode_form([(k, v.render(variables)) for k, v in b.fields])
    elif isinstance(b, MultipartBody):
        fields = [(f.name, f.value.render(variables)) for f in b.fields if f.value is not None]
        files = [
            (
                f.name,
                f.filename or f.name,
                f.file_content,
                f.content_type or "application/octet-stream",
            )
            for f in b.fields
            if f.file_content is not None
        ]
        body, body_type = encode_multipart(fields, files)
    if body_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", body_type))
    return origin, encode_request(
        shape.method, target, host=origin.authority, headers=headers, body=body
    )


class _StatusSeries:
    """Everything a response with one status code records, resolved once.

    Whether the status counts as failed, which error kind it is, and the
    outcome of every status check depend on the status alone, so they are
    decided here rather than per response.
    """

    __slots__ = (
        "checks_failing",
        "checks_passing",
        "duration",
        "error",
        "failed",
        "failed_rate",
        "n_received",
        "n_reqs",
        "n_sent",
        "ok",
        "received",
        "reqs",
        "sent",
        "service",
        "status_checks",
        "waiting",
    )

    def __init__(
        self,
        recorder: Recorder,
        tags: tuple[tuple[str, str], ...],
        *,
        ok: bool,
        error: ErrorKind | None,
        status_checks: tuple[tuple[RateSeries, bool], ...],
    ) -> None:
        (
            self.reqs,
            self.failed,
            self.duration,
            self.service,
            self.waiting,
            self.sent,
            self.received,
        ) = http_appenders(recorder, tags)
        # The same series as reqs/sent/received/failed above (a key names one
        # series): the success path of RequestRunner.run updates their totals inline,
        # which costs a third of a method call (docs/decisions.md D18).
        self.n_reqs = recorder.counter("http_reqs", tags)
        self.n_sent = recorder.counter("data_sent", tags)
        self.n_received = recorder.counter("data_received", tags)
        self.failed_rate = recorder.rate("http_req_failed", tags)
        self.ok = ok
        self.error = error
        self.status_checks: tuple[tuple[Callable[[bool], None], bool], ...] = tuple(
            (rate.add, passed) for rate, passed in status_checks
        )
        self.checks_passing = tuple(rate for rate, passed in status_checks if passed)
        self.checks_failing = tuple(rate for rate, passed in status_checks if not passed)


_Checker = Callable[[Response, BodyCache], bool]
_BodyCache = BodyCache


def _check_fn(
    check: StatusCheck | JsonCheck | BodyContainsCheck | HeaderCheck,
) -> tuple[str, _Checker]:
    return check_fn(check)


def _capture_fn(capture: Capture) -> Callable[[Response, BodyCache], object | None]:
    return capture_fn(capture)


class RequestRunner:
    """A compiled request step: ``run`` sends and records; ``record`` is the hot path.

    A request chain (engine/_chain.py) drives the same object without
    coroutines: it sends on an idle connection itself and calls
    :meth:`record` or :meth:`failed` with the outcome.
    """

    __slots__ = (
        "_base",
        "_base_tags",
        "_body_checks",
        "_by_status",
        "_captures",
        "_connecting",
        "_errors",
        "_explicit_status",
        "_head",
        "_origin",
        "_raw",
        "_recorder",
        "_samples",
        "_shape",
        "_status_checks",
        "_think",
        "_timeouts",
        "_tls",
        "name",
        "observer",
    )

    def __init__(
        self,
        step: RequestStep,
        *,
        scenario: str,
        config: RunConfig,
        recorder: Recorder,
    ) -> None:
        self.name = step.name
        # Set by a poll step (engine/flow.py) to see each response; None on the hot path.
        self.observer: Callable[[VU, Response], None] | None = None
        self._recorder = recorder
        self._base = config.target
        self._shape = RequestRunnerShape(
            method=step.method,
            url=step.url,
            headers=merge_headers(config.headers, step.headers),
            query=step.query,
            body=step.body,
        )
        self._head = step.method == "HEAD"
        self._timeouts: Timeouts = step.timeouts or config.timeouts
        self._think = step.think
        self._base_tags = (("method", step.method), ("name", step.name), ("scenario", scenario))
        self._by_status: dict[int, _StatusSeries] = {}
        self._errors: dict[ErrorKind, Callable[[float], None]] = {}
        status_checks = [c for c in step.checks if isinstance(c, StatusCheck)]
        self._explicit_status: frozenset[int] | None = (
            frozenset(s for c in status_checks for s in c.expected) if status_checks else None
        )
        # Status checks need no body, so they skip the per-response body cache.
        self._status_checks = tuple(
            (frozenset(c.expected), self._check_rate(_check_fn(c)[0]))
            for c in step.checks
            if isinstance(c, StatusCheck)
        )
        self._body_checks = tuple(
            (fn, self._check_series(label), label)
            for label, fn in (_check_fn(c) for c in step.checks if not isinstance(c, StatusCheck))
        )
        self._captures = tuple((c.var, _capture_fn(c)) for c in step.captures)
        self._samples = FailureSampler(recorder, self._base_tags)
        self._connecting = recorder.trend("http_req_connecting", self._base_tags).add
        self._tls = recorder.trend("http_req_tls_handshaking", self._base_tags).add
        self._origin: Origin | None = None
        self._raw = b""
        if _shape_is_static(self._shape):
            self._origin, self._raw = _encode(self._shape, self._base, {})

    def _check_rate(self, label: str) -> RateSeries:
        return self._recorder.rate("checks", (*self._base_tags, ("check", label)))

    def _check_series(self, label: str) -> Callable[[bool], None]:
        return self._check_rate(label).add

    def _series(self, status: int) -> _StatusSeries:
        expected = self._explicit_status
        ok = status in _OK_STATUS if expected is None else status in expected
        error = status_error(status) if not ok and status else None
        series = _StatusSeries(
            self._recorder,
            (*self._base_tags, ("status", str(status))),
            ok=ok,
            error=error,
            status_checks=tuple((rate, status in codes) for codes, rate in self._status_checks),
        )
        self._by_status[status] = series
        return series

    def _error(self, kind: ErrorKind) -> None:
        add = self._errors.get(kind)
        if add is None:
            tags = (("kind", kind.value), *self._base_tags)
            add = self._recorder.counter("errors", tags).add
            self._errors[kind] = add
        add(1)

    @property
    def chainable(self) -> bool:
        """Whether a request chain may run this step (engine/_chain.py, D20).

        True unless something must happen after the response that needs the
        event loop's time: a think time, or a poll step watching responses.
        """
        return self._think is None and self.observer is None

    @property
    def static(self) -> tuple[Origin, bytes] | None:
        """``(origin, request bytes)`` when they are the same for every VU, else None."""
        origin = self._origin
        return None if origin is None else (origin, self._raw)

    @property
    def head(self) -> bool:
        """Whether this is a HEAD request (its response has no body)."""
        return self._head

    @property
    def timeouts(self) -> Timeouts:
        """The step's read, total and connect limits (the step's or the run's)."""
        return self._timeouts

    async def run(self, vu: VU, intended_ns: int, retry_of_ns: int = 0) -> bool:
        """Send the request, record the outcome; ``retry_of_ns``: see :meth:`HttpClient.send`."""
        origin = self._origin
        if origin is None:
            encoded = self.encode(vu)
            if encoded is None:
                return False
            origin, raw = encoded
        else:
            raw = self._raw
        try:
            resp = await vu.http.send(
                origin, raw, timeouts=self._timeouts, head=self._head, retry_of_ns=retry_of_ns
            )
        except HttpError as exc:
            self.failed(vu, exc, origin, raw)
            return False
        if not self.record(vu, resp, intended_ns, origin, raw):
            return False
        if self.observer is not None:
            self.observer(vu, resp)
        if self._think is not None:
            await asyncio.sleep(draw_think(self._think, vu))
        return True

    def encode(self, vu: VU) -> tuple[Origin, bytes] | None:
        """The request of a templated step for ``vu``; None (error recorded) if not possible."""
        try:
            return _encode(self._shape, self._base, vu.variables)
        except KeyError as exc:
            message = f"variable {exc.args[0]!r} is not set"
            self._error(ErrorKind.SCRIPT)
            self._failed_without_response(vu, message)
            self._samples.capture(ErrorKind.SCRIPT, message)
            return None

    def failed(self, vu: VU, exc: HttpError, origin: Origin, raw: bytes) -> None:
        """Record a request that got no complete response."""
        self._error(exc.kind)
        self._failed_without_response(vu, str(exc))
        self._samples.capture(exc.kind, str(exc), origin=origin, raw=raw)

    def record(self, vu: VU, resp: Response, intended_ns: int, origin: Origin, raw: bytes) -> bool:
        """Record a response: latencies, counters, checks, captures (the hot path).

        Returns False when the rest of the iteration must be skipped (a capture
        found nothing).
        """
        status = resp.status
        series = self._by_status.get(status) or self._series(status)
        start = resp.start_ns
        series.duration((resp.end_ns - (intended_ns or start)) // 1000)
        series.service((resp.end_ns - start) // 1000)
        series.waiting((resp.first_byte_ns - start) // 1000)
        # Counters and rates updated in place: what CounterSeries.add and
        # RateSeries.add do, without the calls (the hot path; D18).
        total = series.n_reqs
        total.value += 1
        total = series.n_sent
        total.value += resp.bytes_sent
        total = series.n_received
        total.value += resp.bytes_received
        if resp.connect_ns:
            self._connecting(resp.connect_ns // 1000)
            if resp.tls_ns:
                self._tls(resp.tls_ns // 1000)
        ok = series.ok
        rate = series.failed_rate
        rate.total += 1
        if not ok:
            rate.passes += 1
        if series.error is not None:
            self._error(series.error)
            self._samples.capture(
                series.error, f"unexpected status {status}", origin=origin, raw=raw, response=resp
            )
        for rate in series.checks_passing:
            rate.total += 1
            rate.passes += 1
        for rate in series.checks_failing:
            rate.total += 1
        if self._body_checks or self._captures:
            return self._check_body(vu, resp, ok, origin, raw)
        return True

    def _check_body(self, vu: VU, resp: Response, ok: bool, origin: Origin, raw: bytes) -> bool:
        cache = _BodyCache(resp)
        for check, add, label in self._body_checks:
            passed = check(resp, cache)
            add(passed)
            if not passed and ok:
                self._error(ErrorKind.CHECK_FAILED)
                self._samples.capture(
                    ErrorKind.CHECK_FAILED,
                    f"check failed: {label}",
                    origin=origin,
                    raw=raw,
                    response=resp,
                )
        missing = run_captures(self._captures, resp, cache, vu.variables)
        if missing is not None:
            self._error(ErrorKind.CAPTURE_FAILED)
            self._samples.capture(
                ErrorKind.CAPTURE_FAILED, missing, origin=origin, raw=raw, response=resp
            )
            return False
        return True

    def _failed_without_response(self, vu: VU, message: str) -> None:
        # No response: no latency sample (a time to failure is not a latency),
        # but the request counts, as failed, under status "0" (k6's convention).
        series = self._by_status.get(0) or self._series(0)
        series.reqs(1)
        series.failed(True)
        for add, _passed in series.status_checks:
            add(False)
        for _check, add, _label in self._body_checks:
            add(False)


def _all_pass(checks: Sequence[Check]) -> Callable[[Response], bool]:
    """One predicate: every check passes on the response (a poll step's ``until``)."""
    status = [frozenset(c.expected) for c in checks if isinstance(c, StatusCheck)]
    body = [_check_fn(c)[1] for c in checks if not isinstance(c, StatusCheck)]

    def passes(response: Response) -> bool:
        if not all(response.status in codes for codes in status):
            return False
        cache = _BodyCache(response)
        return all(check(response, cache) for check in body)

    return passes


def compile_steps(
    steps: Sequence[Step],
    *,
    scenario: str,
    config: RunConfig,
    recorder: Recorder,
) -> tuple[CompiledStep, ...]:
    """Compile a scenario's steps; metric series are created on ``recorder``.

    Each protocol's step module is imported by the branch that needs it: an
    HTTP-only run never loads picows, the voice codecs or the Python API
    (~0.1 s of start-up, docs/decisions.md D21).
    """
    out: list[CompiledStep] = []
    for step in steps:
        if isinstance(step, ThinkStep):
            out.append(_Think(step.think))
        elif isinstance(step, LlmStep):
            from agentload.engine.llm import LlmRequest  # noqa: PLC0415 - only if used

            out.append(LlmRequest(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, SseStep):
            from agentload.engine.sse import SseRequest  # noqa: PLC0415 - only if used

            out.append(SseRequest(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, WebhookStep):
            from agentload.engine.webhook import WebhookRequest  # noqa: PLC0415 - only if used

            out.append(WebhookRequest(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, WsStep):
            from agentload.engine.ws import WsRequest  # noqa: PLC0415 - only if used

            out.append(WsRequest(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, VoiceStep):
            from agentload.engine.voice import VoiceCall  # noqa: PLC0415 - only if used

            out.append(VoiceCall(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, PythonStep):
            from agentload.engine._python_step import PythonCall  # noqa: PLC0415 - only if used

            out.append(PythonCall(step, scenario=scenario, config=config, recorder=recorder))
        elif isinstance(step, LogStep):
            out.append(LogLine(step))  # engine/log.py
        elif isinstance(step, FLOW_STEPS):
            compiler = FlowCompiler(
                nested=functools.partial(
                    compile_steps, scenario=scenario, config=config, recorder=recorder
                ),
                request=functools.partial(
                    RequestRunner, scenario=scenario, config=config, recorder=recorder
                ),
                checks=_all_pass,
                scenario=scenario,
                recorder=recorder,
            )
            out.append(compile_flow(step, compiler))
        else:
            out.append(RequestRunner(step, scenario=scenario, config=config, recorder=recorder))
    return tuple(out)
