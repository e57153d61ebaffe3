"""The compiled ``llm`` and ``sse`` steps, driven by a scripted HTTP client: exact metrics.

No sockets: a fake client feeds the step's receiver pieces with chosen arrival
times, so every recorded number is known in advance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient, HttpError, Origin, Response, StreamReceiver
from agentload.scenario import ScenarioFile, load_scenario_text

MS = 1_000_000
START = 1_000 * MS  # the request start (monotonic ns)
SSE = [(b"Content-Type", b"text/event-stream")]


def event(obj: object) -> bytes:
    data = obj if isinstance(obj, str) else orjson.dumps(obj).decode()
    return f"data: {data}\n\n".encode()


def token(text: str, finish: str | None = None) -> bytes:
    return event({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]})


def tail(tokens: int) -> bytes:
    counts = {"prompt_tokens": 3, "completion_tokens": tokens, "total_tokens": 3 + tokens}
    return (
        event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        + event({"choices": [], "usage": counts})
        + event("[DONE]")
    )


@dataclass
class Script:
    """One scripted response: pieces at ``ms`` after the start, then an end or a failure."""

    pieces: Sequence[tuple[float, bytes]]
    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=lambda: list(SSE))
    fail: ErrorKind | None = None


class FakeHttp:
    """Stands in for ``HttpClient.stream``: replays scripts in order, records requests."""

    def __init__(self, *scripts: Script) -> None:
        self.scripts = list(scripts)
        self.requests: list[bytes] = []

    async def stream(
        self, origin: Origin, request: bytes, receiver: StreamReceiver, *, timeouts: Any = None
    ) -> Response:
        self.requests.append(request)
        script = self.scripts.pop(0)
        if script.status:
            receiver.receive_head(script.status, script.headers, START + MS)
        end = START + MS
        for at, data in script.pieces:
            end = START + round(at * MS)
            if receiver.receive_body(data, end):
                break
        if script.fail is not None:
            raise HttpError(script.fail, "scripted failure")
        sent = len(request)
        return Response(script.status, script.headers, b"", sent, 100, START, START + MS, end)


def load(flow: str, variables: str = "{}") -> ScenarioFile:
    text = f"config: {{target: 'http://t.test', variables: {variables}}}\nflow:\n{flow}"
    return load_scenario_text(text, filename="t.yaml", env={}, base_dir=Path("."))


def run(
    flow: str, *scripts: Script, variables: str = "{}", unset: bool = False
) -> tuple[Aggregate, FakeHttp, VU]:
    sf = load(flow, variables)
    recorder = Recorder()
    steps = compile_steps(
        sf.scenarios[0].steps, scenario="default", config=sf.config, recorder=recorder
    )
    http = FakeHttp(*scripts)
    vu = VU(0, http=cast(HttpClient, http), variables={} if unset else sf.config.variables)

    async def go() -> None:
        for step in steps:
            if not await step.run(vu, 0):
                break

    asyncio.run(go())
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    return agg, http, vu


ASK = """
  - llm:
      name: ask
      model: m
      messages: [{role: user, content: "hi ${who}"}]
      max_tokens: 10
      slo: {ttft: 250ms, itl: 30ms}
      expect: {finish_reason: stop, json: {"$.usage.completion_tokens": 3}}
      capture: [{json: $.content, as: answer}]
"""

GOOD = Script(
    [
        (1, event({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})),
        (200, token("A")),
        (220, token("B")),
        (240, token("C") + tail(3)),
    ]
)


def trend_values(agg: Aggregate, metric: str) -> tuple[int, float, float]:
    hist = agg.trend(metric, {"name": "ask"})
    assert hist is not None, metric
    return hist.count, hist.min / 1000, hist.max / 1000


def test_a_good_stream_records_every_llm_metric() -> None:
    agg, http, vu = run(ASK, GOOD, variables="{who: Ada}")
    body = orjson.loads(http.requests[0].split(b"\r\n\r\n", 1)[1])
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "hi Ada"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 10,
    }
    assert http.requests[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert trend_values(agg, "llm_ttft") == (1, 200.0, 200.0)
    assert trend_values(agg, "llm_ttfot") == (1, 200.0, 200.0)
    assert trend_values(agg, "llm_itl") == (2, 20.0, 20.0)
    assert trend_values(agg, "llm_tpot") == (1, 20.0, 20.0)
    assert trend_values(agg, "llm_e2e") == (1, 240.0, 240.0)
    assert trend_values(agg, "llm_done") == (1, 240.0, 240.0)
    rate = agg.trend("llm_output_tokens_per_s", {"name": "ask"})
    assert rate is not None and rate.min == 50
    assert agg.counter("llm_output_tokens", {"name": "ask"}) == 3
    assert agg.rate("llm_requests_failed") == (0, 1)
    assert agg.rate("llm_goodput") == (1, 1)
    # The request is an HTTP request too: it shows in the requests table.
    assert agg.counter("http_reqs", {"name": "ask", "method": "POST", "status": "200"}) == 1
    assert agg.rate("http_req_failed", {"name": "ask"}) == (0, 1)
    assert agg.rate("checks") == (2, 2)
    assert vu.variables["answer"] == "ABC"


def test_goodput_fails_on_a_stall_but_the_request_succeeds() -> None:
    stalled = Script([(200, token("A")), (260, token("B")), (280, token("C") + tail(3))])
    agg, _, _ = run(ASK, stalled, variables="{who: x}")
    assert agg.rate("llm_requests_failed") == (0, 1)
    assert agg.rate("llm_goodput") == (0, 1)  # a 60 ms gap breaks itl: 30ms


def test_a_cut_stream_is_a_failed_request_of_kind_stream_cut() -> None:
    cut = Script([(200, token("A"))], fail=ErrorKind.CLOSED)
    agg, _, vu = run(ASK, cut, variables="{who: x}")
    assert agg.counter("errors", {"kind": "stream_cut", "name": "ask"}) == 1
    assert agg.rate("llm_requests_failed") == (1, 1)
    assert agg.rate("llm_goodput") == (0, 1)
    assert agg.rate("http_req_failed") == (1, 1)
    assert agg.counter("http_reqs", {"status": "200"}) == 1  # the head had come
    assert not agg.has("llm_ttft")  # a time to failure is not a latency
    assert agg.rate("checks") == (0, 2)
    assert "answer" not in vu.variables


def test_a_stream_that_just_stops_is_cut_too() -> None:
    agg, _, _ = run(ASK, Script([(200, token("A"))]), variables="{who: x}")
    assert agg.counter("errors", {"kind": "stream_cut"}) == 1
    assert agg.counter("errors", {"kind": "capture_failed"}) == 0  # the capture still ran
    assert agg.rate("llm_requests_failed") == (1, 1)


def test_an_error_event_counts_as_llm_error() -> None:
    error = event({"error": {"message": "overloaded"}}) + event("[DONE]")
    agg, _, _ = run(ASK, Script([(200, error)]), variables="{who: x}")
    assert agg.counter("errors", {"kind": "llm_error"}) == 1
    assert agg.rate("llm_requests_failed") == (1, 1)
    assert agg.rate("http_req_failed") == (1, 1)


def test_a_5xx_counts_by_status() -> None:
    reply = Script([(5, b'{"error": {"message": "down"}}')], status=503, headers=[])
    agg, _, _ = run(ASK, reply, variables="{who: x}")
    assert agg.counter("errors", {"kind": "http_5xx"}) == 1
    assert agg.counter("http_reqs", {"status": "503"}) == 1
    assert agg.rate("llm_requests_failed") == (1, 1)


def test_no_connection_at_all() -> None:
    agg, _, _ = run(ASK, Script([], status=0, fail=ErrorKind.CONNECT_REFUSED), variables="{who: x}")
    assert agg.counter("errors", {"kind": "connect_refused"}) == 1
    assert agg.counter("http_reqs", {"status": "0"}) == 1


def test_an_unset_variable_is_a_script_error() -> None:
    agg, http, _ = run(ASK, variables="{who: x}", unset=True)
    assert http.requests == []
    assert agg.counter("errors", {"kind": "script_error"}) == 1


def test_tool_calls_are_checked_and_captured() -> None:
    flow = """
  - llm:
      name: ask
      model: m
      messages: [{role: user, content: "weather?"}]
      tools: [{type: function, function: {name: get_weather}}]
      expect:
        finish_reason: tool_calls
        json: {"$.tool_calls[0].function.name": get_weather}
      capture: [{json: "$.tool_calls[0].function.arguments", as: args}]
"""
    def fragment(call: dict[str, object], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": finish}
        return event({"choices": [choice]})

    first = {"index": 0, "id": "c1", "type": "function", "function": {"name": "get_weather"}}
    pieces = [
        (100, fragment(first)),
        (110, fragment({"index": 0, "function": {"arguments": '{"city": '}})),
        (120, fragment({"index": 0, "function": {"arguments": '"Paris"}'}}, "tool_calls")),
        (121, event("[DONE]")),
    ]
    agg, http, vu = run(flow, Script(pieces))
    assert orjson.loads(http.requests[0].split(b"\r\n\r\n", 1)[1])["tools"] == [
        {"type": "function", "function": {"name": "get_weather"}}
    ]
    assert agg.rate("checks") == (2, 2)
    assert vu.variables["args"] == '{"city": "Paris"}'
    assert agg.counter("llm_output_tokens") == 3  # no usage: the token-bearing chunks
    assert not agg.has("llm_goodput")  # no slo, no goodput series


SSE_FLOW = """
  - sse:
      name: feed
      url: /events
      until: {event: done}
"""


def test_sse_step_times_events_and_stops_at_until() -> None:
    pieces = [
        (50, b"event: tick\ndata: 1\n\n"),
        (80, b"event: tick\ndata: 2\n\nevent: done\ndata: 3\n\n"),
        (500, b"event: tick\ndata: never read\n\n"),
    ]
    agg, http, _ = run(SSE_FLOW, Script(pieces))
    assert http.requests[0].startswith(b"GET /events HTTP/1.1\r\n")
    assert b"Accept: text/event-stream\r\n" in http.requests[0]
    first = agg.trend("sse_first_event")
    gaps = agg.trend("sse_event_gap")
    duration = agg.trend("sse_stream_duration")
    assert first is not None and first.min == 50_000
    assert gaps is not None and (gaps.count, gaps.min, gaps.max) == (2, 0, 30_000)
    assert duration is not None and duration.min == 80_000
    assert agg.counter("sse_events") == 3
    assert agg.rate("sse_streams_failed") == (0, 1)


def test_sse_stream_ending_before_until_fails() -> None:
    agg, _, _ = run(SSE_FLOW, Script([(50, b"data: 1\n\n")]))
    assert agg.rate("sse_streams_failed") == (1, 1)
    assert agg.counter("errors", {"kind": "stream_cut"}) == 1


@pytest.mark.parametrize(("limit", "count"), [(2, 2), (10, 3)])
def test_sse_max_events_or_the_end(limit: int, count: int) -> None:
    flow = f"""
  - sse:
      url: /events
      max_events: {limit}
"""
    agg, _, _ = run(flow, Script([(10, b"data: 1\n\ndata: 2\n\ndata: 3\n\n")]))
    assert agg.counter("sse_events") == count
    assert agg.rate("sse_streams_failed") == (0, 1)


def test_sse_answer_that_is_not_an_event_stream_fails() -> None:
    json = [(b"Content-Type", b"application/json")]
    agg, _, _ = run(SSE_FLOW, Script([(5, b"{}")], headers=json))
    assert agg.counter("errors", {"kind": "malformed_response"}) == 1
