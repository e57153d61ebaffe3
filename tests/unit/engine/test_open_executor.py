"""The open model's executor never hands an iteration an intended start in its future.

An iteration's first request is timed from its arrival's intended start
(docs/metrics.md). The event loop's timers count whole milliseconds and fire up
to one early, so an arrival may start a little before its planned instant; its
intended start must then be the moment it started, or its request would be
timed from after it was written and its latency would read low, down to zero.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, cast

import uvloop

from agentload.engine.executors import make_executor
from agentload.engine.vu import VU
from agentload.metrics import Recorder
from agentload.profiles import compile_plan
from agentload.protocols.http import HttpClient
from agentload.scenario import load_scenario_text


class Probe:
    """A step that notes when it ran and the intended start it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    async def run(self, vu: VU, intended_ns: int) -> bool:
        self.seen.append((time.monotonic_ns(), intended_ns))
        return True


def run_open(load: str, loop_factory: Any) -> tuple[int, list[tuple[int, int]]]:
    text = f"config: {{target: 'http://127.0.0.1:9'}}\nload: {load}\nflow:\n  - get: /\n"
    sf = load_scenario_text(text, filename="open.yaml", env={}, base_dir=Path("."))
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    probe = Probe()

    async def main() -> None:
        executor = make_executor(
            plan,
            scenarios={sf.scenarios[0].name: [cast(Any, probe)]},
            recorder=Recorder(),
            variables={},
            http_factory=HttpClient,
            start_ns=time.monotonic_ns(),
        )
        await executor.run()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())
    return sum(1 for _ in plan.arrivals()), probe.seen


def test_no_arrival_starts_before_the_intended_start_it_is_given() -> None:
    # 1,500 arrivals/s: most are less than a millisecond apart, under the
    # timers' resolution; Poisson ones are irregular on top.
    for load in ("{rate: 1500, duration: 0.4s}", "{rate: 1500, duration: 0.4s, poisson: true}"):
        for factory in (uvloop.new_event_loop, asyncio.new_event_loop):
            planned, seen = run_open(load, factory)
            assert len(seen) == planned > 500
            early = [intended - ran for ran, intended in seen if ran < intended]
            assert not early, f"{len(early)} of {planned} started early, by up to {max(early)} ns"
            # … and stays on the plan: 1,500/s for 0.4 s, started within the timers' slack.
            starts = sorted(intended for _, intended in seen)
            assert (starts[-1] - starts[0]) / 1e9 < 0.4 + 0.002
