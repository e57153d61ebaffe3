"""LLM streaming against the reference target in a child process: honest numbers, faults.

The target schedules token ``k`` at ``arrival + ttft + k / tps`` (drift-free), so
the expected values are exact: with TTFT 200 ms and 50 tokens/s, TTFT is 200 ms
plus the trip to the target, and every gap is 20 ms. Lower bounds are exact;
upper bounds leave room for a loaded machine (p50, not max).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvloop

from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient
from agentload.scenario import load_scenario_text
from agentload.target.process import TargetProcess
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_target() -> Iterator[str]:
    """A target whose completions have TTFT 200 ms, 50 tokens/s, 20 tokens (start-up flags)."""
    with TargetProcess("--llm-ttft", "200ms", "--llm-tps", "50", "--llm-tokens", "20") as t:
        yield t.url


PRECISION = """
config: {target: "http://127.0.0.1:1"}
load: {vus: 3, duration: 4s}
flow:
  - llm:
      name: ask
      model: test-model
      messages: [{role: user, content: "Hello"}]
      slo: {ttft: 300ms, itl: 100ms}
"""


def test_reported_ttft_itl_and_tpot_match_the_target(tmp_path: Path, llm_target: str) -> None:
    scenario = tmp_path / "precision.yaml"
    scenario.write_text(PRECISION)
    out = tmp_path / "out"
    res = run_cli("run", str(scenario), "--target", llm_target, "--out", str(out))
    assert res.code == 0, res.stderr + res.stdout
    metrics = json.loads((out / "summary.json").read_text())["metrics"]
    ttft, itl, tpot = metrics["llm_ttft"], metrics["llm_itl"], metrics["llm_tpot"]
    requests = ttft["count"]
    assert requests >= 10
    # 200 ms after the request reached the target, plus the trip there and back.
    assert 199.5 <= ttft["med"] <= 205.0, ttft
    assert metrics["llm_ttfot"]["med"] == ttft["med"]  # no reasoning
    # Gaps are 20 ms; a late token shortens the next gap, so the median stays put.
    assert 18.0 <= itl["med"] <= 22.0, itl
    assert itl["count"] == 19 * requests
    # TPOT spans 19 gaps on a drift-free schedule: 20 ms up to one late wake-up / 19.
    assert 19.8 <= tpot["med"] <= 20.3, tpot
    assert 579.0 <= metrics["llm_e2e"]["med"] <= 590.0
    assert metrics["llm_done"]["med"] >= metrics["llm_e2e"]["med"]
    assert metrics["llm_output_tokens"]["count"] == 20 * requests
    assert 49 <= metrics["llm_output_tokens_per_s"]["med"] <= 51
    assert metrics["llm_requests_failed"]["true_count"] == 0
    assert metrics["llm_goodput"]["rate"] == 1.0


def run_steps(flow: str, target: str, repeat: int = 1) -> tuple[Aggregate, VU]:
    """Run a flow ``repeat`` times on one VU with a real HTTP client; return its metrics."""
    text = f"config: {{target: '{target}', variables: {{}}}}\nflow:\n{flow}"
    sf = load_scenario_text(text, filename="t.yaml", env={}, base_dir=Path("."))
    recorder = Recorder()
    steps = compile_steps(sf.scenarios[0].steps, scenario="s", config=sf.config, recorder=recorder)

    async def go() -> VU:
        async with HttpClient() as http:
            vu = VU(0, http=http, variables={})
            for _ in range(repeat):
                for step in steps:
                    if not await step.run(vu, 0):
                        break
            return vu

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        vu = runner.run(asyncio.wait_for(go(), 30))
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    return agg, vu


def test_tool_call_streams_are_reassembled(target_url: str) -> None:
    flow = """
  - llm:
      url: /v1/chat/completions?tool_call=1&tokens=12&ttft_ms=20&tps=500
      model: m
      messages: [{role: user, content: "Weather in Paris?"}]
      tools: [{type: function, function: {name: lookup_weather, parameters: {type: object}}}]
      expect:
        finish_reason: tool_calls
        json: {"$.tool_calls[0].function.name": lookup_weather}
      capture:
        - {json: "$.tool_calls[0].function.arguments", as: args}
        - {json: "$.tool_calls[0].id", as: call_id}
"""
    agg, vu = run_steps(flow, target_url)
    assert agg.rate("checks") == (2, 2)
    assert json.loads(str(vu.variables["args"])) == {"city": "Paris", "unit": "celsius", "days": 3}
    assert str(vu.variables["call_id"]).startswith("call_")
    assert agg.counter("llm_output_tokens") == 12
    assert agg.rate("llm_requests_failed") == (0, 1)


def test_cut_streams_count_as_errors(target_url: str) -> None:
    flow = """
  - llm:
      name: cut
      url: /v1/chat/completions?cut_after=3&ttft_ms=10&tps=1000
      model: m
      messages: [{role: user, content: hi}]
      slo: {ttft: 1s}
"""
    agg, _ = run_steps(flow, target_url, repeat=3)
    assert agg.counter("errors", {"kind": "stream_cut", "name": "cut"}) == 3
    assert agg.rate("llm_requests_failed") == (3, 3)
    assert agg.rate("llm_goodput") == (0, 3)
    assert agg.rate("http_req_failed") == (3, 3)
    assert not agg.has("llm_ttft")


def test_error_events_and_error_statuses(target_url: str) -> None:
    flow = """
  - llm: {name: event, url: "/v1/chat/completions?error=1&ttft_ms=5", model: m,
          messages: [{role: user, content: hi}]}
  - llm: {name: status, url: "/v1/chat/completions?status=503", model: m,
          messages: [{role: user, content: hi}]}
"""
    agg, _ = run_steps(flow, target_url)
    assert agg.counter("errors", {"kind": "llm_error", "name": "event"}) == 1
    assert agg.counter("errors", {"kind": "http_5xx", "name": "status"}) == 1
    assert agg.rate("llm_requests_failed") == (2, 2)


def test_reasoning_then_answer_and_a_max_tokens_cap(target_url: str) -> None:
    flow = """
  - llm:
      url: /v1/chat/completions?reasoning=4&tokens=10&ttft_ms=50&tps=100
      model: m
      messages: [{role: user, content: hi}]
      max_tokens: 9
      expect: {finish_reason: length}
"""
    agg, _ = run_steps(flow, target_url)
    assert agg.rate("checks") == (1, 1)
    assert agg.counter("llm_output_tokens") == 9  # 4 reasoning + 5 answer tokens
    ttft, ttfot = agg.trend("llm_ttft"), agg.trend("llm_ttfot")
    assert ttft is not None and ttfot is not None
    # Reasoning starts at 50 ms; the answer 4 tokens (40 ms) later, at 90 ms.
    assert 50_000 <= ttft.min <= 70_000
    assert 90_000 <= ttfot.min <= 110_000


def test_non_streamed_completions(target_url: str) -> None:
    flow = """
  - llm:
      url: /v1/chat/completions?tokens=5&ttft_ms=30&tps=100
      model: m
      messages: [{role: user, content: hi}]
      stream: false
      capture: [{json: $.content, as: text}]
"""
    agg, vu = run_steps(flow, target_url)
    assert vu.variables["text"] == "Sure! I can help"
    ttft, e2e = agg.trend("llm_ttft"), agg.trend("llm_e2e")
    assert ttft is not None and e2e is not None and ttft.min == e2e.min >= 70_000
    assert not agg.has("llm_tpot")  # every token came at once


def test_sse_step_against_the_event_endpoint(target_url: str) -> None:
    flow = """
  - sse:
      name: feed
      url: /api/events?count=5&interval_ms=30&until=done
      until: {event: done}
  - sse:
      name: three
      url: /api/events?count=50&interval_ms=10
      max_events: 3
  - sse:
      name: cut
      url: /api/events?count=5&interval_ms=10&cut_after=2
"""
    agg, _ = run_steps(flow, target_url)
    assert agg.counter("sse_events", {"name": "feed"}) == 6
    first = agg.trend("sse_first_event", {"name": "feed"})
    assert first is not None and first.min >= 30_000
    gaps = agg.trend("sse_event_gap", {"name": "feed"})
    assert gaps is not None and gaps.count == 5
    assert agg.counter("sse_events", {"name": "three"}) == 3
    assert agg.counter("errors", {"kind": "stream_cut", "name": "cut"}) == 1
    assert agg.rate("sse_streams_failed") == (1, 3)
