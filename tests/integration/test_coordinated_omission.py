"""Latency from the intended start: queueing behind a slow target shows (no coordinated omission).

The target answers after 100 ms. Two VUs can serve at most 20 iterations/s; the
plan asks for 30/s. Arrivals therefore queue, and the latency of each
iteration's request must include its wait — growing through the run — while
the raw service time stays at ~100 ms.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentload.engine.runner import Runner, RunResult
from agentload.metrics import Aggregate, Snapshot
from agentload.profiles import compile_plan
from agentload.scenario import load_scenario_text

SCENARIO = """
config:
  target: {target}
load:
  rate: 30
  duration: 3s
  max_vus: 2
  pre_allocated_vus: 2
  graceful_stop: 10s
flow:
  - get: {{url: "/api/billing/usage?delay_ms=100", name: slow, expect: {{status: 200}}}}
"""


class Keep:
    """Keeps every interval snapshot."""

    def __init__(self) -> None:
        self.snapshots: list[Snapshot] = []

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        self.snapshots.append(snapshot)


def run(text: str) -> tuple[RunResult, Keep]:
    sf = load_scenario_text(text, filename="co.yaml", env={}, base_dir=Path("."))
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    keep = Keep()
    runner = Runner(sf, plan, sinks=[keep])
    return asyncio.run(runner.run()), keep


def interval_median_ms(snapshot: Snapshot) -> float | None:
    agg = Aggregate()
    agg.add(snapshot)
    hist = agg.trend("http_req_duration")
    return None if hist is None or hist.count == 0 else hist.percentile(50) / 1000


@pytest.mark.slow
def test_open_model_latency_includes_queueing(target_url: str) -> None:
    result, keep = run(SCENARIO.format(target=target_url))
    agg = result.aggregate
    service = agg.trend("http_req_service_time")
    duration = agg.trend("http_req_duration")
    assert service is not None and duration is not None
    # The target's own time: ~100 ms whatever the queue.
    assert 95_000 <= service.percentile(50) <= 300_000
    # From the intended start, latency includes the wait for a free VU …
    assert duration.max > 600_000
    assert duration.percentile(90) > 3 * service.percentile(90)
    # … and grows through the run, as the queue does.
    medians = [m for m in (interval_median_ms(s) for s in keep.snapshots) if m is not None]
    assert medians[-1] > medians[0] + 300, medians
    # Every arrival is accounted for: completed, or dropped when the plan ended.
    completed = agg.counter("iterations")
    dropped = agg.counter("dropped_iterations")
    assert dropped > 0
    assert completed + dropped == 90
    queue = agg.trend("iteration_queue_time")
    assert queue is not None and queue.max > 500_000


@pytest.mark.slow
def test_closed_model_has_no_queueing(target_url: str) -> None:
    text = SCENARIO.format(target=target_url).replace(
        "  rate: 30\n  duration: 3s\n  max_vus: 2\n  pre_allocated_vus: 2\n  graceful_stop: 10s\n",
        "  vus: 2\n  duration: 2s\n",
    )
    result, _ = run(text)
    agg = result.aggregate
    service = agg.trend("http_req_service_time")
    duration = agg.trend("http_req_duration")
    assert service is not None and duration is not None
    # Closed model: each request's intended start is its actual start.
    assert duration.percentile(99) == service.percentile(99)
    assert agg.counter("dropped_iterations") == 0
