"""The engine against the real reference target: VUs, faults by kind, checks, aborts."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from agentload.engine.runner import Runner, RunResult, StopReason
from agentload.profiles import compile_plan
from agentload.scenario import load_scenario_text
from agentload.thresholds import parse_threshold


def run(text: str, *, stop_after: float | None = None) -> RunResult:
    sf = load_scenario_text(text, filename="e.yaml", env={}, base_dir=Path("."))
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    thresholds = [
        parse_threshold(
            t.metric,
            t.expression,
            abort_on_fail=t.abort_on_fail,
            delay_abort_eval=t.delay_abort_eval,
        )
        for t in sf.thresholds
    ]
    runner = Runner(sf, plan, thresholds=thresholds)

    async def stop_later(after: float) -> None:
        # Timed on the run's own clock: the runner's start-up (probes, pools) is
        # not part of the run, and on a busy machine it takes a while.
        while runner.elapsed < after:
            await asyncio.sleep(0.02)
        runner.stop()

    async def go() -> RunResult:
        if stop_after is not None:
            stopper = asyncio.create_task(stop_later(stop_after))
        result = await runner.run()
        if stop_after is not None:
            stopper.cancel()
        return result

    return asyncio.run(go())


def test_ramping_vus_follow_the_plan(target_url: str) -> None:
    result = run(f"""
config: {{target: "{target_url}"}}
load:
  stages: [{{duration: 1s, target: 4}}, {{duration: 1s, target: 4}}, {{duration: 1s, target: 0}}]
  graceful_ramp_down: 1s
flow:
  - get: /health
  - think: 50ms
""")
    agg = result.aggregate
    vus = agg.gauge("vus")
    assert vus is not None and vus.max == 4 and vus.value == 0
    assert agg.gauge("vus_max").value == 4  # type: ignore[union-attr]
    assert agg.counter("iterations") > 20
    assert result.stop_reason is StopReason.COMPLETED
    assert 2.9 <= result.duration <= 6


def test_faults_are_counted_by_kind_and_the_run_goes_on(target_url: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    result = run(f"""
config: {{target: "{target_url}", timeout: {{read: 300ms}}}}
load: {{vus: 3, duration: 1500ms}}
scenarios:
  # A request without a response ends its iteration, so each kind of failure
  # gets its own scenario; the think step first keeps a failing loop from spinning.
  - name: answers
    flow:
      - think: 20ms
      - get: {{url: "/api/billing/usage?fail_rate=1", name: fails}}
      - get: {{url: "/api/billing/usage?status=404", name: missing}}
      - get: {{url: /health, name: fine, expect: {{status: 200, body_contains: "no-such-text"}}}}
  - name: slow
    flow:
      - get: {{url: "/api/billing/usage?delay_ms=2000", name: slow}}
  - name: down
    flow:
      - think: 20ms
      - get: {{url: "http://127.0.0.1:{dead}/", name: refused}}
""")
    agg = result.aggregate
    assert agg.counter("errors", {"kind": "http_5xx", "name": "fails"}) > 0
    assert agg.counter("errors", {"kind": "http_4xx", "name": "missing"}) > 0
    assert agg.counter("errors", {"kind": "read_timeout", "name": "slow"}) > 0
    assert agg.counter("errors", {"kind": "connect_refused", "name": "refused"}) > 0
    assert agg.counter("errors", {"kind": "check_failed", "name": "fine"}) > 0
    # A request that got no response counts as failed, under status "0", with no latency sample.
    assert agg.counter("http_reqs", {"name": "slow", "status": "0"}) > 0
    assert agg.trend("http_req_duration", {"name": "slow"}) is None
    failed = agg.rate("http_req_failed", {"name": "fails"})
    assert failed is not None and failed[0] == failed[1] > 0
    assert agg.counter("iterations") > 0
    assert result.stop_reason is StopReason.COMPLETED


def test_abort_on_fail_threshold_stops_the_run(target_url: str) -> None:
    result = run(f"""
config: {{target: "{target_url}"}}
load: {{vus: 2, duration: 30s}}
flow:
  - get: {{url: "/api/billing/usage?fail_rate=1"}}
  - think: 20ms
thresholds:
  http_req_failed:
    - {{threshold: "rate<0.1", abort_on_fail: true, delay_abort_eval: 1s}}
""")
    assert result.stop_reason is StopReason.THRESHOLD_ABORT
    assert result.duration < 10
    assert not result.passed


def test_stop_is_graceful_and_keeps_what_was_measured(target_url: str) -> None:
    result = run(
        f"""
config: {{target: "{target_url}"}}
load: {{rate: 50, duration: 30s, max_vus: 10}}
flow:
  - get: /health
""",
        stop_after=1.5,
    )
    assert result.stop_reason is StopReason.SIGNAL
    assert 1.4 <= result.duration < 5
    assert 40 <= result.aggregate.counter("http_reqs") <= 120


def test_captured_variables_flow_into_later_requests(target_url: str) -> None:
    result = run(f"""
config: {{target: "{target_url}"}}
load: {{vus: 1, duration: 1s}}
flow:
  - post:
      url: /api/chat/messages
      name: first
      json: {{message: hello}}
      capture: [{{json: $.conversation_id, as: conv}}]
  - post:
      url: /api/chat/messages
      name: second
      json: {{message: again, conversation_id: "${{conv}}"}}
      expect: {{status: 200}}
""")
    agg = result.aggregate
    # A failed capture ends the iteration (capture_failed) and an unset variable is a
    # script_error, so equal counts and no errors mean every capture fed the next request.
    assert agg.counter("http_reqs", {"name": "second"}) > 0
    assert agg.counter("http_reqs", {"name": "second"}) == agg.counter(
        "http_reqs", {"name": "first"}
    )
    assert agg.counter("errors") == 0


def test_breakpoint_stops_at_the_first_failed_threshold_and_reports_capacity(
    target_url: str,
) -> None:
    # 4 VUs on a 50 ms endpoint serve at most ~80 it/s; the rate ramps 10 → 300 it/s,
    # so queueing pushes p(95) over 150 ms somewhere past ~80 it/s.
    result = run(f"""
config: {{target: "{target_url}"}}
load: {{preset: breakpoint, start_rate: 10, rate: 300, duration: 8s, max_vus: 4,
        pre_allocated_vus: 4, graceful_stop: 2s}}
flow:
  - get: {{url: "/api/billing/usage?delay_ms=50"}}
thresholds:
  http_req_duration: ["p(95)<150"]
""")
    assert result.stop_reason is StopReason.THRESHOLD_ABORT
    assert result.capacity is not None
    assert 40 <= result.capacity.rate <= 300
    assert result.capacity.threshold == "http_req_duration: p(95)<150"
    # The capacity is the planned rate at the moment of the failure.
    assert result.capacity.rate == 10 + (300 - 10) * result.capacity.at_s / 8
    assert result.duration < 8


def test_open_model_ends_when_the_plan_does_not_after_the_grace_period(target_url: str) -> None:
    # graceful_stop is the default 30 s: a run that waited it out would take > 30 s.
    t0 = time.monotonic()
    result = run(f"""
config: {{target: "{target_url}"}}
load: {{rate: 20, duration: 1s, max_vus: 3}}
flow:
  - get: /health
""")
    assert time.monotonic() - t0 < 10
    assert result.stop_reason is StopReason.COMPLETED
    assert result.aggregate.counter("iterations") == 20
