"""The reference target's circuit breaker: the state machine, and its gauge on /metrics."""

from __future__ import annotations

import aiohttp

from agentload.target.breaker import BreakerState, ErrorBreaker
from tests.integration._target_client import run


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_on_the_failure_ratio_then_half_opens_and_closes() -> None:
    clock = Clock()
    b = ErrorBreaker(window=10, min_calls=4, failure_ratio=0.5, cooldown=2.0, clock=clock)
    for status in (200, 500, 200):
        b.record(status)
    assert b.state is BreakerState.CLOSED  # 3 calls: fewer than min_calls
    b.record(500)  # 2 of 4 failed
    assert b.state is BreakerState.OPEN and b.trips == 1
    b.record(200)  # ignored while open
    clock.now = 1.9
    assert b.state is BreakerState.OPEN
    clock.now = 2.0
    assert b.state is BreakerState.HALF_OPEN
    b.record(503)  # the trial failed: open again
    assert b.state is BreakerState.OPEN and b.trips == 2
    clock.now = 4.0
    b.record(200)  # the trial succeeded
    assert b.state is BreakerState.CLOSED


def test_old_failures_leave_the_window() -> None:
    b = ErrorBreaker(window=4, min_calls=4, failure_ratio=0.75, clock=Clock())
    for status in (500, 500, 200, 200, 200, 500):  # window ends as 200, 200, 200... then 500
        b.record(status)
    assert b.state is BreakerState.CLOSED  # never 3 failures among the last 4


def _gauge(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("agentload_target_circuit_breaker_state "):
            return float(line.split()[1])
    raise AssertionError("no breaker gauge on /metrics")


def test_gauge_on_metrics_follows_injected_failures() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.get("/metrics") as resp:
            assert _gauge(await resp.text()) == 0
        for _ in range(10):  # health and metrics answers do not count
            async with client.get("/health?status=503") as resp:
                assert resp.status == 503
        async with client.get("/metrics") as resp:
            assert _gauge(await resp.text()) == 0
        for _ in range(10):
            async with client.get("/api/analytics/kpi?fail_rate=1") as resp:
                assert resp.status == 500  # reported, not enforced: the fault stays exact
        async with client.get("/metrics") as resp:
            assert _gauge(await resp.text()) == 2

    run(body)
