"""Drive a multi-worker run: the thin, blocking loop around the coordinator.

:func:`run_workers` starts the workers (before the start barrier, so their
start-up is not counted against the load), sends each its Setup, waits until
every one is ready, picks a start time a little ahead and sends Go, then
shuttles events between the executor and the :class:`Coordinator` until every
worker is done or failed. It returns what a one-process run returns, plus
each worker's status.

Signals (main thread only): the first SIGINT/SIGTERM stops every worker
gracefully, the second forces them, a third kills them. After a forced stop,
workers that do not finish within ``stop_timeout`` are killed, and
:meth:`Executor.close` always runs: no worker outlives the run.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from agentload.distributed.coordinator import (
    Coordinator,
    FailurePolicy,
    Kill,
    Send,
    WorkerStatus,
)
from agentload.distributed.executor import Executor, Exited, Lost, Received
from agentload.distributed.protocol import Setup
from agentload.distributed.source import ScenarioSource, bundle_folder
from agentload.engine.runner import RunResult, SnapshotSink, StopReason
from agentload.errors import RunError
from agentload.profiles import Plan
from agentload.thresholds import Threshold

__all__ = ["DistributedResult", "WorkerJob", "run_workers", "single_process_section"]


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """What to run on the workers.

    Attributes:
        source: the scenario text and how to load it.
        fingerprint: :func:`~agentload.distributed.scenario_fingerprint` of the
            coordinator's model; every worker's must match.
        plan: the unsplit plan; worker ``i`` runs ``plan.split(workers)[i]``.
        workers: how many workers.
        interval: the snapshot period, seconds.
    """

    source: ScenarioSource
    fingerprint: str
    plan: Plan
    workers: int
    interval: float = 1.0
    failure_samples: int = 5
    """Failure samples each worker keeps per error kind."""


@dataclass(frozen=True, slots=True)
class DistributedResult:
    """A multi-worker run's result: the merged run plus every worker's status."""

    run: RunResult
    workers: tuple[WorkerStatus, ...]
    on_failure: FailurePolicy
    executor: Mapping[str, object] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[int, ...]:
        """The workers that failed."""
        return tuple(w.index for w in self.workers if w.status == "failed")

    @property
    def degraded(self) -> bool:
        """Some worker failed and the run went on without it."""
        return bool(self.failed) and self.on_failure is FailurePolicy.CONTINUE

    def summary_section(self) -> dict[str, object]:
        """The ``run.workers`` section of ``summary.json``."""
        return {
            "count": len(self.workers),
            **self.executor,
            "on_failure": self.on_failure.value,
            "failed": len(self.failed),
            "degraded": self.degraded,
            "list": [w.to_dict() for w in self.workers],
        }


def single_process_section(
    run: RunResult, pid: int, on_failure: FailurePolicy = FailurePolicy.ABORT
) -> dict[str, object]:
    """``run.workers`` for an in-process run: the same shape, one worker."""
    status = WorkerStatus(
        index=0,
        pid=pid,
        status="ok",
        stop_reason=run.stop_reason.value,
        intervals=run.aggregate.intervals,
        exit_code=None,
        error=None,
        start_skew_s=0.0,
    )
    result = DistributedResult(run, (status,), on_failure, {"mode": "in-process"})
    return {**result.summary_section(), "start_method": None}


class _Signals:
    """Counts SIGINT/SIGTERM while installed (main thread only)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._previous: dict[signal.Signals, object] = {}

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signal.Signals(signum).name)

    @contextmanager
    def installed(self) -> Iterator[_Signals]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handler)
        try:
            yield self
        finally:
            for sig, previous in self._previous.items():
                signal.signal(sig, previous)  # type: ignore[arg-type]


class _Loop:
    """One run's event shuttle between an executor and a coordinator."""

    def __init__(
        self,
        executor: Executor,
        core: Coordinator,
        signals: _Signals,
        notify: Callable[[str], None],
        stop_timeout: float,
    ) -> None:
        self.executor = executor
        self.core = core
        self.signals = signals
        self.notify = notify
        self.stop_timeout = stop_timeout
        self.handled = 0
        self.kill_at: float | None = None

    def step(self, timeout: float = 0.1) -> None:
        self._signals()
        for event in self.executor.poll(timeout):
            now = time.monotonic()
            if isinstance(event, Received):
                self.core.on_message(event.worker, event.message, now)
            elif isinstance(event, Exited):
                self.core.on_exit(event.worker, event.exit_code, now)
            elif isinstance(event, Lost):
                self.core.on_lost(event.worker, event.reason, now)
        now = time.monotonic()
        self.core.on_tick(now)
        if self.core.forced and self.kill_at is None:
            self.kill_at = now + self.stop_timeout
        if self.kill_at is not None and now > self.kill_at and not self.core.finished:
            self.core.kill_all(f"did not stop within {self.stop_timeout:g} s of a forced stop")
        self.act()

    def act(self) -> None:
        for action in self.core.take_actions():
            if isinstance(action, Send):
                self.executor.send(action.worker, action.message)
            elif isinstance(action, Kill):
                self.executor.kill(action.worker)

    def _signals(self) -> None:
        while self.handled < len(self.signals.received):
            name = self.signals.received[self.handled]
            self.handled += 1
            if self.handled == 1:
                self.notify(f"{name}: stopping gracefully; send it again to stop at once")
                self.core.request_stop(StopReason.SIGNAL)
            elif self.handled == 2:
                self.notify(f"{name}: stopping at once")
                self.core.request_stop(StopReason.SIGNAL, force=True)
            else:
                self.core.kill_all(f"killed after a third {name}")


def run_workers(
    job: WorkerJob,
    executor: Executor,
    *,
    thresholds: Sequence[Threshold] = (),
    sinks: Sequence[SnapshotSink] = (),
    on_failure: FailurePolicy = FailurePolicy.ABORT,
    notify: Callable[[str], None] | None = None,
    ready_timeout: float = 60.0,
    start_lead: float = 0.1,
    liveness_timeout: float = 3.0,
    stop_timeout: float = 10.0,
) -> DistributedResult:
    """Run ``job`` on ``executor``'s workers and merge their intervals into ``sinks``.

    Args:
        ready_timeout: how long workers may take to start and load the scenario.
        start_lead: seconds between the Go message and the common start time;
            covers delivering Go to every worker.
        liveness_timeout: a running worker silent for this long has failed.
        stop_timeout: after a forced stop, workers still running are killed.

    Raises:
        RunError: a worker could not start (nothing was sent to the target).
    """
    say = notify or (lambda _line: None)
    core = Coordinator(
        job.workers,
        plan=job.plan,
        interval=job.interval,
        thresholds=thresholds,
        sinks=sinks,
        on_failure=on_failure,
        liveness_timeout=max(liveness_timeout, 3 * job.interval),
        notify=say,
    )
    signals = _Signals()
    with signals.installed():
        loop = _Loop(executor, core, signals, say, stop_timeout)
        clean = False
        try:
            for worker, pid in enumerate(executor.start(job.workers)):
                core.started(worker, pid)
            _send_setups(job, executor)
            deadline = time.monotonic() + ready_timeout
            while not (core.all_ready or core.finished):
                loop.step()
                if core.startup_error:
                    raise RunError(f"{core.startup_error}; no load was sent")
                if time.monotonic() > deadline:
                    raise RunError(
                        f"the workers were not ready within {ready_timeout:g} s; no load was sent"
                    )
            if not core.finished:
                start_at_ns = time.monotonic_ns() + int(start_lead * 1e9)
                started_at = time.time() + (start_at_ns - time.monotonic_ns()) / 1e9
                core.go(time.monotonic(), start_at_ns, started_at)
                loop.act()
            while not core.finished:
                loop.step()
            clean = True
        finally:
            # Normally every worker is exiting already; after an error, kill at once.
            codes = executor.close(timeout=2.0 if clean else 0.0)
    for worker, code in enumerate(codes):
        if code is not None:
            core.on_exit(worker, code, time.monotonic())
    return DistributedResult(core.close(), core.statuses(), on_failure, executor.describe())


def _send_setups(job: WorkerJob, executor: Executor) -> None:
    src = job.source
    # Workers on other machines don't share our file system: the folder travels.
    bundle = bundle_folder(src.base_dir) if executor.ships_files else {}
    for worker, segment in enumerate(job.plan.split(job.workers)):
        executor.send(
            worker,
            Setup(
                worker=worker,
                workers=job.workers,
                scenario_text=src.text,
                scenario_filename=src.filename,
                base_dir=src.base_dir,
                env=src.env,
                overrides=src.overrides,
                fingerprint=job.fingerprint,
                plan=segment.to_dict(),
                interval=job.interval,
                failure_samples=job.failure_samples,
                bundle=bundle,
            ),
        )
