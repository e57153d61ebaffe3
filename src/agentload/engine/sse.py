"""The ``sse`` step: read a server-sent event stream, timing each event's arrival.

The stream is read until an event matches ``until``, ``max_events`` events
arrived, or the stream ends; stopping early closes the connection (the rest of
the response is never read). The step records the ``http_*`` metrics of the
request and ``sse_*`` metrics of the stream (docs/metrics.md, "LLM streaming").
A stream fails when no 2xx ``text/event-stream`` answer came, when it was cut
(or, with ``until``, ended before a match), or when it broke the parser's limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import jsonpath
import orjson

from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import (
    HttpSeries,
    StreamedRequest,
    draw_think,
    merge_headers,
    status_error,
)
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import HttpError
from agentload.protocols.sse import SSEError, SSEEvent, SSEParser
from agentload.scenario.model import RunConfig, SseStep, SseUntil

__all__ = ["SseRequest"]

_EVENT_STREAM = b"text/event-stream"


def _matcher(until: SseUntil) -> Callable[[SSEEvent], bool]:
    """A test of one event against every condition of ``until``."""
    paths = tuple((jsonpath.compile(c.path), c.expected, c.exists_only) for c in until.json)

    def matches(event: SSEEvent) -> bool:
        if until.event is not None and event.event != until.event:
            return False
        if until.data_contains is not None and until.data_contains not in event.data:
            return False
        if paths:
            try:
                doc = orjson.loads(event.data)
            except orjson.JSONDecodeError:
                return False
            for path, want, exists_only in paths:
                m = path.match(doc)
                if m is None or (not exists_only and m.obj != want):
                    return False
        return True

    return matches


class _EventReader:
    """A :class:`~agentload.protocols.http.StreamReceiver` that times events and stops on cue."""

    __slots__ = ("error", "matched", "max_events", "parser", "status", "times", "until")

    def __init__(self, max_events: int | None, until: Callable[[SSEEvent], bool] | None) -> None:
        self.max_events = max_events
        self.until = until
        self.parser: SSEParser | None = None
        self.status = 0
        self.times: list[int] = []
        self.matched = False
        self.error: tuple[ErrorKind, str] | None = None

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]], at_ns: int) -> None:
        self.status = status
        if not 200 <= status < 300:
            return  # judged by its status; the body is read and dropped
        for name, value in headers:
            if name.lower() == b"content-type" and value.lower().startswith(_EVENT_STREAM):
                self.parser = SSEParser()
                return
        self.error = (ErrorKind.MALFORMED, "the answer is not a text/event-stream")

    def receive_body(self, data: bytes, at_ns: int) -> bool:
        parser = self.parser
        if parser is None:
            return self.error is not None  # not an event stream: stop reading it
        try:
            parser.receive_data(data)
        except SSEError as exc:
            self.error = (ErrorKind.MALFORMED, str(exc))
            return True
        for event in parser.events_received():
            self.times.append(at_ns)
            if self.until is not None and self.until(event):
                self.matched = True
                return True
            if self.max_events is not None and len(self.times) >= self.max_events:
                return True
        return False


class SseRequest:
    """A compiled ``sse`` step (see the module docstring)."""

    __slots__ = (
        "_duration",
        "_events",
        "_explicit_status",
        "_failed",
        "_first",
        "_gap",
        "_http",
        "_max_events",
        "_request",
        "_samples",
        "_status_checks",
        "_think",
        "_timeouts",
        "_until",
        "name",
    )

    def __init__(
        self, step: SseStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self.name = step.name
        self._request = StreamedRequest(
            base=config.target,
            method=step.method,
            url=step.url,
            # What an EventSource sends (WHATWG HTML §9.2.3).
            headers=merge_headers(config.headers, step.headers, [("Accept", "text/event-stream")]),
            query=step.query,
            body=step.body,
        )
        self._timeouts = step.timeouts or config.timeouts
        self._think = step.think
        self._max_events = step.max_events
        self._until = _matcher(step.until) if step.until is not None else None
        self._http = HttpSeries(
            recorder, (("method", step.method), ("name", step.name), ("scenario", scenario))
        )
        self._samples = FailureSampler(recorder, self._http.tags)
        tags = (("name", step.name), ("scenario", scenario))
        self._first = recorder.trend("sse_first_event", tags).add
        self._gap = recorder.trend("sse_event_gap", tags).add
        self._duration = recorder.trend("sse_stream_duration", tags).add
        self._events = recorder.counter("sse_events", tags).add
        self._failed = recorder.rate("sse_streams_failed", tags).add
        statuses = [s for c in step.checks for s in c.expected]
        self._explicit_status = frozenset(statuses) if statuses else None
        self._status_checks = tuple(
            (
                frozenset(c.expected),
                self._http.check("status is " + "|".join(str(s) for s in c.expected)),
            )
            for c in step.checks
        )

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Open the stream, read it, record; ``False`` stops the iteration."""
        try:
            origin, raw = self._request.encode(vu.variables)
        except KeyError as exc:
            self._fail_without_stream(ErrorKind.SCRIPT, 0)
            self._samples.capture(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
            return False
        reader = _EventReader(self._max_events, self._until)
        try:
            resp = await vu.http.stream(origin, raw, reader, timeouts=self._timeouts)
        except HttpError as exc:
            kind = exc.kind
            if reader.status and (kind is ErrorKind.CLOSED or kind is ErrorKind.RESET):
                kind = ErrorKind.STREAM_CUT
            self._fail_without_stream(kind, reader.status)
            self._samples.capture(kind, str(exc), origin=origin, raw=raw, status=reader.status)
            return False
        expected = self._explicit_status
        status = resp.status
        http_ok = 200 <= status < 300 if expected is None else status in expected
        error = reader.error
        if http_ok and error is None and self._until is not None and not reader.matched:
            error = (ErrorKind.STREAM_CUT, "the stream ended before 'until' matched")
        ok = http_ok and error is None
        self._http.response(resp, intended_ns, failed=not ok)
        self._failed(not ok)
        for codes, add in self._status_checks:
            add(status in codes)
        if not http_ok:
            self._http.error(status_error(status))
            self._samples.capture(
                status_error(status),
                f"unexpected status {status}",
                origin=origin,
                raw=raw,
                response=resp,
            )
        elif error is not None:
            self._http.error(error[0])
            self._samples.capture(error[0], error[1], origin=origin, raw=raw, response=resp)
        else:
            times = reader.times
            start = resp.start_ns
            self._events(len(times))
            self._duration((resp.end_ns - start) // 1000)
            if times:
                self._first((times[0] - start) // 1000)
                gap = self._gap
                for i in range(1, len(times)):
                    gap((times[i] - times[i - 1]) // 1000)
        if self._think is not None:
            await asyncio.sleep(draw_think(self._think, vu))
        return True

    def _fail_without_stream(self, kind: ErrorKind, status: int) -> None:
        self._http.error(kind)
        self._http.failure(status)
        self._failed(True)
        for _codes, add in self._status_checks:
            add(False)
