"""Request chains (engine/_chain.py, D20) give the numbers the coroutine path gives.

Each test runs the same scenario with chains on and off, against the reference
target or the fault server, and checks both the figures and that the chain
really carried the requests (or really did not).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentload.engine._chain import RequestChain
from agentload.engine.runner import Runner, RunResult
from agentload.metrics import Aggregate
from agentload.profiles import compile_plan
from agentload.protocols.http import Response
from agentload.scenario import load_scenario_text
from tests.reliability._faultserver import FaultServer


@pytest.fixture
def chained(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the outcomes chains received: ``result`` and ``exception`` calls."""
    calls: Counter[str] = Counter()
    on_result = RequestChain.set_result
    on_exception = RequestChain.set_exception

    def result(self: RequestChain, response: Response, /) -> None:
        calls["result"] += 1
        on_result(self, response)

    def exception(self: RequestChain, error: BaseException, /) -> None:
        calls["exception"] += 1
        on_exception(self, error)

    monkeypatch.setattr(RequestChain, "set_result", result)
    monkeypatch.setattr(RequestChain, "set_exception", exception)
    return calls


@pytest.fixture
def faults() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def run(text: str, *, chains: bool) -> RunResult:
    sf = load_scenario_text(text, filename="chain.yaml", env={}, base_dir=Path("."))
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    return asyncio.run(Runner(sf, plan, request_chains=chains).run())


def reqs(agg: Aggregate, name: str, status: str | None = None) -> float:
    tags = {"name": name} if status is None else {"name": name, "status": status}
    return agg.counter("http_reqs", tags)


def test_a_capture_and_template_flow_gives_the_same_figures_either_way(
    target_url: str, chained: Counter[str]
) -> None:
    text = f"""
config: {{target: "{target_url}"}}
load: {{vus: 3, duration: 1s}}
flow:
  - post:
      url: /api/chat/messages
      name: create
      json: {{message: hi}}
      expect: {{status: 200}}
      capture: [{{json: $.conversation_id, as: conv}}]
  - post:
      url: /api/chat/messages
      name: read
      json: {{message: again, conversation_id: "${{conv}}"}}
      expect: {{status: 200, json: {{$.conversation_id: {{exists: true}}}}}}
"""
    for chains in (True, False):
        chained.clear()
        agg = run(text, chains=chains).aggregate
        iterations = agg.counter("iterations")
        assert iterations > 10
        assert reqs(agg, "create", "200") == reqs(agg, "read", "200") == iterations
        assert agg.counter("errors") == 0
        passes, total = agg.rate("checks") or (0, 0)
        assert passes == total == 3 * iterations  # two status checks and one JSON check
        assert agg.counter("http_reqs") == 2 * iterations
        duration = agg.trend("http_req_duration")
        assert duration is not None and duration.count == 2 * iterations
        if chains:
            # Every request but each VU's first (which opens its connection) was chained.
            assert chained["result"] == 2 * iterations - 3
        else:
            assert not chained


def test_a_request_dropped_on_a_kept_alive_connection_is_retried_once(
    faults: FaultServer, chained: Counter[str]
) -> None:
    # /once answers the first request of a connection and drops the second
    # unanswered: every request after the first is a retry on a new connection.
    text = f"""
config: {{target: "{faults.url}"}}
load: {{vus: 2, duration: 700ms}}
flow:
  - get: {{url: /once, name: once, expect: {{status: 200}}}}
"""
    for chains in (True, False):
        chained.clear()
        agg = run(text, chains=chains).aggregate
        n = agg.counter("http_reqs")
        assert n > 10
        assert reqs(agg, "once", "200") == n == agg.counter("iterations")
        assert agg.counter("errors") == 0
        connecting = agg.trend("http_req_connecting")
        assert connecting is not None and connecting.count == n  # one new connection each
        # Each VU's first request opens a connection; every later one is sent
        # by the chain, dropped, and handed back for its retry.
        assert chained["exception"] == (n - 2 if chains else 0)
        assert chained["result"] == 0


def test_a_timeout_in_a_chain_is_one_error_and_the_run_goes_on(
    faults: FaultServer, chained: Counter[str]
) -> None:
    text = f"""
config: {{target: "{faults.url}", timeout: {{read: 150ms}}}}
load: {{vus: 2, duration: 1200ms}}
flow:
  - get: {{url: /ok, name: ok}}
  - get: {{url: /silent, name: silent}}
"""
    for chains in (True, False):
        chained.clear()
        result = run(text, chains=chains)
        agg = result.aggregate
        silent = reqs(agg, "silent", "0")
        assert silent >= 4
        assert agg.counter("errors", {"kind": "read_timeout"}) == silent
        assert agg.counter("iterations") == silent
        assert reqs(agg, "ok", "200") == silent
        assert agg.counter("errors") == silent
        # /ok opens a connection (handed back); /silent goes on it, in the chain.
        assert chained["exception"] == (silent if chains else 0)
        assert chained["result"] == 0


def test_a_vu_cancelled_mid_request_counts_an_interrupted_iteration(
    faults: FaultServer, chained: Counter[str]
) -> None:
    # The second request never gets an answer; the run's graceful stop ends,
    # and each VU is cancelled while the chain has /silent in flight.
    text = f"""
config: {{target: "{faults.url}", timeout: {{read: 30s}}}}
load: {{vus: 2, duration: 300ms, graceful_stop: 200ms}}
flow:
  - get: {{url: /ok, name: ok}}
  - get: {{url: /silent, name: silent}}
  - get: {{url: /ok, name: after}}
"""
    for chains in (True, False):
        chained.clear()
        agg = run(text, chains=chains).aggregate
        assert agg.counter("iterations_interrupted") == 2
        assert agg.counter("iterations") == 0
        assert reqs(agg, "ok", "200") == 2
        assert reqs(agg, "silent") == 0
        assert reqs(agg, "after") == 0
        assert agg.counter("errors") == 0
        assert not chained  # /ok opened the connection; /silent never ended
    # Both connections were closed (aborted) at the cancel: the server saw them go.
    assert faults.hits["/silent"] == 4


def test_chained_vus_follow_a_ramp_up_down_and_up_again(
    faults: FaultServer, chained: Counter[str]
) -> None:
    # No think time: the VUs run as chains, and the ramp-down must reach them
    # at their next iteration boundary; ramping up again reuses the same VUs.
    text = f"""
config: {{target: "{faults.url}"}}
load:
  stages:
    - {{duration: 300ms, target: 3}}
    - {{duration: 300ms, target: 0}}
    - {{duration: 300ms, target: 3}}
    - {{duration: 300ms, target: 3}}
flow:
  - get: {{url: /ok, name: ok, expect: {{status: 200}}}}
"""
    result = run(text, chains=True)
    agg = result.aggregate
    vus = agg.gauge("vus")
    assert vus is not None and vus.max == 3 and vus.value == 0
    assert agg.gauge("vus_max").value == 3  # type: ignore[union-attr]
    assert agg.counter("iterations") == reqs(agg, "ok", "200") > 20
    assert agg.counter("iterations_interrupted") == 0
    assert agg.counter("errors") == 0
    assert chained["result"] > 0


def test_open_model_arrivals_run_as_chains_with_latency_from_the_intended_start(
    target_url: str, chained: Counter[str]
) -> None:
    # 40 arrivals/s for 1 s on a 100 ms answer: each iteration's two requests,
    # the first timed from its arrival's intended start.
    text = f"""
config: {{target: "{target_url}"}}
load: {{rate: 40, duration: 1s, max_vus: 20}}
flow:
  - get: {{url: "/health?delay_ms=100", name: first, expect: {{status: 200}}}}
  - get: {{url: /health, name: second, expect: {{status: 200}}}}
"""
    for chains in (True, False):
        chained.clear()
        agg = run(text, chains=chains).aggregate
        assert agg.counter("iterations") == 40
        assert reqs(agg, "first", "200") == reqs(agg, "second", "200") == 40
        assert agg.counter("errors") == 0
        assert agg.counter("dropped_iterations") == 0
        first = agg.trend("http_req_duration", {"name": "first"})
        assert first is not None and first.count == 40 and first.min >= 100_000
        duration = agg.trend("iteration_duration")
        assert duration is not None and duration.count == 40 and duration.min >= 100_000
        if chains:
            # Every request on a connection some earlier iteration left idle is chained;
            # each of the (at most 20) VUs opens its connection once.
            assert chained["result"] >= 80 - 20
        else:
            assert not chained


# One VU, a 700 ms answer, an arrival every 200 ms for 2 s: arrival 0 opens the
# connection (a handed-back step, in a task, 0–0.7 s); arrivals 1 and 2 run in
# the VU's chain with no task (0.7–1.4 s, 1.4–2.1 s); the other seven wait in
# the queue. The plan ends at its last arrival (1.8 s). Every instant the tests
# rely on is 200 ms or more from the nearest other one.
SLOW_OPEN = """
config: {{target: "{target}"}}
load: {{rate: 5, duration: 2s, max_vus: 1, graceful_stop: {grace}}}
flow:
  - get: {{url: "/health?delay_ms=700", name: slow, expect: {{status: 200}}}}
"""


def test_a_chained_arrival_still_running_after_the_grace_period_is_interrupted(
    target_url: str, chained: Counter[str]
) -> None:
    agg = run(SLOW_OPEN.format(target=target_url, grace="0.1s"), chains=True).aggregate
    # Arrival 2 is in flight in the chain when the plan ends (1.8 s) and the
    # 0.1 s grace runs out: its request is dropped and its iteration interrupted.
    assert agg.counter("iterations") == 2
    assert agg.counter("iterations_interrupted") == 1
    assert agg.counter("dropped_iterations") == 7
    assert chained["result"] == 1  # arrival 1; arrival 2 never got its response
    assert agg.counter("errors") == 0


def test_a_forced_stop_interrupts_a_chained_arrival_at_once(
    target_url: str, chained: Counter[str]
) -> None:
    sf = load_scenario_text(
        SLOW_OPEN.format(target=target_url, grace="30s"),
        filename="chain.yaml",
        env={},
        base_dir=Path("."),
    )
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    runner = Runner(sf, plan)

    async def go() -> RunResult:
        async def stop_twice() -> None:
            while runner.elapsed < 1.0:  # arrival 1 is in flight in the chain
                await asyncio.sleep(0.01)
            runner.stop()
            runner.stop()  # the second stop cancels at once

        stopper = asyncio.create_task(stop_twice())
        result = await runner.run()
        await stopper
        return result

    started = time.monotonic()
    agg = asyncio.run(go()).aggregate
    assert time.monotonic() - started < 5  # not the 30 s grace
    assert agg.counter("iterations") == 1
    assert agg.counter("iterations_interrupted") == 1
    assert chained["result"] == 0
