"""A compiled request step's metrics, exact, against scripted responses (docs/decisions.md D18).

The success path of ``_Request.run`` updates ``http_reqs``, ``data_sent``,
``data_received``, ``http_req_failed`` and the status checks in place rather
than through ``add``; these tests pin the recorded values to known inputs.
Responses come from the real parser in its usual mode, so header checks and
captures read header fields parsed on demand.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient, Origin, Response, ResponseParser
from agentload.scenario import load_scenario_text

MS = 1_000_000


def _response(status: int, fields: bytes, body: bytes, sent: int, started: int) -> Response:
    """A Response the way the connection builds one: fields left raw, parsed on demand."""
    parser = ResponseParser()
    parser.expect()
    data = b"HTTP/1.1 %d X\r\n%sContent-Length: %d\r\n\r\n%s" % (status, fields, len(body), body)
    assert parser.feed(data)
    assert parser.fields is None
    response = Response(parser.status, [], parser.body, sent, len(data), started, started + MS, 0)
    response.end_ns = started + 3 * MS
    response._headers, response._head = None, parser.head
    return response


class ScriptedHttp:
    """Stands in for ``HttpClient.send``: answers with the scripted responses in order."""

    def __init__(self, *script: tuple[int, bytes, bytes]) -> None:
        self.script = list(script)
        self.sent: list[bytes] = []
        self.received = 0

    async def send(
        self,
        origin: Origin,
        request: bytes,
        *,
        timeouts: Any = None,
        head: bool = False,
        retry_of_ns: int = 0,
    ) -> Response:
        status, fields, body = self.script.pop(0)
        self.sent.append(request)
        response = _response(status, fields, body, len(request), 10 * MS * len(self.sent))
        self.received += response.bytes_received
        return response


FLOW = """config: {target: 'http://t.test'}
flow:
  - get:
      url: /a
      name: a
      expect: {status: [200, 201], headers: {x-id: "7"}}
      capture: [{header: x-id, as: id}]
"""


def test_counters_rates_and_checks_are_exact() -> None:
    sf = load_scenario_text(FLOW, filename="t.yaml", env={}, base_dir=Path("."))
    recorder = Recorder()
    steps = compile_steps(
        sf.scenarios[0].steps, scenario="default", config=sf.config, recorder=recorder
    )
    http = ScriptedHttp(
        (200, b"X-Id: 7\r\n", b"ok"),
        (201, b"Server: s\r\nX-Id: 7\r\n", b"created"),
        (200, b"X-Id: 8\r\n", b""),
        (503, b"X-Id: 7\r\n", b"busy!"),
    )
    vu = VU(0, http=cast(HttpClient, http), variables={})

    async def go() -> None:
        for _ in range(4):
            for step in steps:
                await step.run(vu, 0)

    asyncio.run(go())
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    assert agg.counter("http_reqs") == 4
    assert agg.counter("http_reqs", {"status": "200"}) == 2
    assert agg.counter("http_reqs", {"status": "201"}) == 1
    assert agg.counter("http_reqs", {"status": "503"}) == 1
    assert agg.counter("data_sent") == sum(len(r) for r in http.sent)
    assert agg.counter("data_received") == http.received
    assert agg.rate("http_req_failed") == (1, 4)  # only the 503
    assert agg.rate("checks", {"check": "status is 200|201"}) == (3, 4)
    assert agg.rate("checks", {"check": "header x-id == '7'"}) == (3, 4)
    assert agg.counter("errors", {"kind": "check_failed"}) == 1  # the X-Id: 8 response
    duration = agg.trend("http_req_duration", {"status": "200"})
    assert duration is not None and (duration.count, duration.min) == (2, 3000)
    waiting = agg.trend("http_req_waiting")
    assert waiting is not None and (waiting.count, waiting.max) == (4, 1000)
    assert vu.variables["id"] == "7"  # the last response's header, captured
