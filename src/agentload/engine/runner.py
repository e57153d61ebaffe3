"""Run one plan segment: compile, execute, snapshot every second, stop gracefully.

``Runner`` owns one event loop's share of a run. Every ``interval`` seconds
(aligned to the start, so intervals never drift) it drains the recorder into
an immutable :class:`~agentload.metrics.Snapshot`, adds it to the run's
:class:`~agentload.metrics.Aggregate`, hands both to the sinks (results
writer, live view) and evaluates thresholds marked ``abort_on_fail``. The
last, partial interval is flushed too, so a stopped run loses nothing.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from agentload.engine.executors import Executor, VuGauges, make_executor
from agentload.engine.steps import compile_steps
from agentload.metrics import DEFAULT_FAILURE_SAMPLES, Aggregate, FailureLog, Recorder, Snapshot
from agentload.monitoring.generator import GeneratorProbe
from agentload.profiles import Plan
from agentload.protocols.http import Deadlines, HttpClient
from agentload.scenario.model import ScenarioFile
from agentload.thresholds import Threshold, ThresholdResult, evaluate

__all__ = ["Capacity", "RunResult", "Runner", "SnapshotSink", "StopReason", "check_aborts"]


class StopReason(enum.StrEnum):
    """Why a run ended."""

    COMPLETED = "completed"
    SIGNAL = "signal"
    THRESHOLD_ABORT = "threshold_abort"
    WORKER_FAILED = "worker_failed"
    """A worker process failed in a multi-process run (``agentload.distributed``)."""


class SnapshotSink(Protocol):
    """Receives every interval snapshot as the run goes (results writer, live view)."""

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Called once per interval, and once more for the final partial interval."""
        ...


@dataclass(frozen=True, slots=True)
class Capacity:
    """What a breakpoint test found: the load at which a threshold first failed."""

    rate: float
    """The whole plan's arrival rate (iterations/s) at that moment."""
    at_s: float
    """Seconds since the start."""
    threshold: str
    """The threshold that failed first, e.g. ``http_req_duration: p(95)<300``."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a finished run produced."""

    aggregate: Aggregate
    started_at: float
    """Wall-clock start, seconds since the epoch."""
    duration: float
    """Seconds from the start to the last snapshot."""
    stop_reason: StopReason
    thresholds: tuple[ThresholdResult, ...]
    capacity: Capacity | None = None
    """Breakpoint tests: where the first threshold failed; ``None`` for other runs,
    or when every threshold held to the end."""

    @property
    def stopped_early(self) -> bool:
        """True when the run did not complete its plan."""
        return self.stop_reason is not StopReason.COMPLETED

    @property
    def passed(self) -> bool:
        """True when every threshold passed."""
        return all(r.passed for r in self.thresholds)


class Runner:
    """Execute ``plan`` for the scenarios of ``scenario_file``.

    Args:
        scenario_file: the loaded scenarios and config.
        plan: the (segment of the) load plan to execute.
        thresholds: parsed thresholds, evaluated live (aborts) and at the end.
        sinks: receivers of interval snapshots.
        interval: snapshot period in seconds.
        http_factory: builds one HTTP client per VU; by default every VU's client
            shares one deadline sweeper and one TLS context (created per run).
        request_chains: let closed-model VUs whose scenario is plain requests run
            them from connection callbacks (engine/_chain.py, D20); False runs
            every request as a coroutine (to compare the two).
    """

    def __init__(
        self,
        scenario_file: ScenarioFile,
        plan: Plan,
        *,
        thresholds: Sequence[Threshold] = (),
        sinks: Sequence[SnapshotSink] = (),
        interval: float = 1.0,
        http_factory: Callable[[], HttpClient] | None = None,
        failure_samples: int = DEFAULT_FAILURE_SAMPLES,
        request_chains: bool = True,
    ) -> None:
        self.scenario_file = scenario_file
        self.request_chains = request_chains
        self.plan = plan
        self.thresholds = tuple(thresholds)
        self.sinks = tuple(sinks)
        self.interval = interval
        self.http_factory = http_factory
        self.recorder = Recorder()
        self.recorder.failures = FailureLog(failure_samples)
        self.aggregate = Aggregate()
        self._executors: tuple[Executor, ...] = ()
        self._stop_reason = StopReason.COMPLETED
        self._stop_requests = 0
        self._start_ns = 0
        self._last_snapshot_s = 0.0
        self._capacity: Capacity | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (0 before)."""
        return (time.monotonic_ns() - self._start_ns) / 1e9 if self._start_ns else 0.0

    def stop(self, reason: StopReason = StopReason.SIGNAL) -> None:
        """Stop gracefully; a second call stops at once (cancelling iterations)."""
        self._stop_requests += 1
        if self._stop_reason is StopReason.COMPLETED:
            self._stop_reason = reason
        for executor in self._executors:
            executor.stop(force=self._stop_requests > 1)

    async def run(self) -> RunResult:
        """Run the plan to its end (or a stop) and return the result."""
        scenarios = {
            s.name: compile_steps(
                s.steps, scenario=s.name, config=self.scenario_file.config, recorder=self.recorder
            )
            for s in self.scenario_file.scenarios
        }
        http_factory = self.http_factory or functools.partial(
            HttpClient, deadlines=Deadlines(), ssl_context=ssl.create_default_context()
        )
        started_at = time.time()
        self._start_ns = time.monotonic_ns()
        parts = self.plan.parts()
        # Load groups share the vus/vus_max gauges; a single load sets them alone.
        gauges = VuGauges(self.recorder) if len(parts) > 1 else None
        self._executors = tuple(
            make_executor(
                part.plan,
                scenarios={name: scenarios[name] for name, _ in part.plan.weights},
                recorder=self.recorder,
                variables=self.scenario_file.config.variables,
                http_factory=http_factory,
                start_ns=self._start_ns,
                vu_offset=part.vu_offset,
                gauges=gauges,
                chains=self.request_chains,
            )
            for part in parts
        )
        if self._stop_requests:
            for executor in self._executors:
                executor.stop(force=self._stop_requests > 1)
        ticker = asyncio.get_running_loop().create_task(self._tick())
        ticker.add_done_callback(self._ticker_done)
        # Generator self-metrics (loop lag, CPU, sockets) ride in this loop's snapshots.
        probe = asyncio.get_running_loop().create_task(
            GeneratorProbe(self.recorder, worker=str(self.plan.segment.index)).run()
        )
        try:
            await _run_all(self._executors)
        finally:
            probe.cancel()
            ticker.remove_done_callback(self._ticker_done)
            ticker.cancel()
            (outcome,) = await asyncio.gather(ticker, return_exceptions=True)
            self._flush(self.elapsed)
        if isinstance(outcome, Exception):
            # A bug in the snapshot loop: the run was stopped, and the error must show.
            raise outcome
        duration = self._last_snapshot_s
        results = evaluate(self.thresholds, self.aggregate, elapsed=duration)
        return RunResult(
            aggregate=self.aggregate,
            started_at=started_at,
            duration=duration,
            stop_reason=self._stop_reason,
            thresholds=results,
            capacity=self._capacity,
        )

    def _ticker_done(self, task: asyncio.Task[None]) -> None:
        # The snapshot loop only ends early by failing: stop the load at once
        # rather than run on without snapshots; run() re-raises the error.
        if not task.cancelled() and task.exception() is not None:
            for executor in self._executors:
                executor.stop(force=True)

    async def _tick(self) -> None:
        k = 1
        while True:
            delay = (self._start_ns + k * self.interval * 1e9 - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            self._flush(k * self.interval)
            k += 1
            self._check_aborts()

    def _flush(self, end: float) -> None:
        if end <= self._last_snapshot_s:
            return
        snapshot = self.recorder.snapshot(start=self._last_snapshot_s, end=end)
        self._last_snapshot_s = end
        self.aggregate.add(snapshot)
        for sink in self.sinks:
            sink.on_snapshot(snapshot, self.aggregate, end)

    def _check_aborts(self) -> None:
        if self._stop_reason is not StopReason.COMPLETED:
            return
        stop, capacity = check_aborts(
            self.plan, self.thresholds, self.aggregate, self._last_snapshot_s
        )
        if stop:
            self._capacity = capacity
            self.stop(StopReason.THRESHOLD_ABORT)


async def _run_all(executors: Sequence[Executor]) -> None:
    """Run executors side by side until all end; if one fails, stop the others, re-raise."""
    if len(executors) == 1:
        await executors[0].run()
        return
    tasks = [asyncio.ensure_future(e.run()) for e in executors]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for executor in executors:
            executor.stop(force=True)
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def check_aborts(
    plan: Plan | None, thresholds: Sequence[Threshold], aggregate: Aggregate, elapsed: float
) -> tuple[bool, Capacity | None]:
    """Should the run stop now, and (breakpoint tests) what capacity was found?

    Pure, so that one process and the multi-worker coordinator decide alike:
    a threshold marked ``abort_on_fail`` — or any threshold, in a breakpoint
    test, whose purpose is finding that point — failed after its
    ``delay_abort_eval``.
    """
    breakpoint = plan is not None and plan.breakpoint
    armed = [
        t for t in thresholds if (t.abort_on_fail or breakpoint) and elapsed >= t.delay_abort_eval
    ]
    if not armed:
        return False, None
    failed = [r for r in evaluate(armed, aggregate, elapsed=elapsed) if not r.passed]
    if not failed:
        return False, None
    if plan is None or not breakpoint:
        return True, None
    first = failed[0].threshold
    return True, Capacity(
        rate=plan.unsplit().rate_at(elapsed),
        at_s=elapsed,
        threshold=f"{first.selector}: {first.source}",
    )
