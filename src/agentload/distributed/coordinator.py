"""The coordinator's logic, sans I/O: worker states, merging, aborts, failures.

:class:`Coordinator` is fed events — a message from a worker, a worker's
exit, the passing of time — and answers with :class:`Send` / :class:`Kill`
actions for the driver to carry out. It never touches a process, a pipe or a
clock, so every failure path (a worker killed mid-run, one that hangs, one
that sends garbage) is unit-tested without starting anything.

Merged intervals go to the run's :class:`~agentload.metrics.Aggregate` and
to the sinks (results writer, live view) exactly as one in-process runner
feeds them, and abort thresholds are evaluated on the merged aggregate.
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentload.distributed.merge import IntervalMerger
from agentload.distributed.protocol import (
    Done,
    Failed,
    Go,
    Interval,
    Ready,
    Stop,
    ToCoordinator,
    ToWorker,
)
from agentload.engine.runner import (
    Capacity,
    RunResult,
    SnapshotSink,
    StopReason,
    check_aborts,
)
from agentload.metrics import Aggregate, Snapshot
from agentload.profiles import Plan
from agentload.thresholds import Threshold, evaluate

__all__ = [
    "Action",
    "Coordinator",
    "FailurePolicy",
    "Kill",
    "Send",
    "WorkerStatus",
    "describe_exit",
]


class FailurePolicy(enum.StrEnum):
    """What a worker's failure does to the run (``--on-worker-failure``)."""

    ABORT = "abort"
    """Stop every other worker gracefully; the run ends with exit code 3."""
    CONTINUE = "continue"
    """Go on with the others: the run is degraded (less load than planned)."""


class _Phase(enum.Enum):
    STARTING = "starting"
    READY = "ready"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``message`` to ``worker``."""

    worker: int
    message: ToWorker


@dataclass(frozen=True, slots=True)
class Kill:
    """End ``worker``'s process now (it failed, or would not stop)."""

    worker: int


Action = Send | Kill


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """How one worker fared, for ``summary.json`` (``run.workers.list``)."""

    index: int
    pid: int | None
    status: str
    """``ok`` (it finished its segment, or stopped when told) or ``failed``."""
    stop_reason: str | None
    intervals: int
    exit_code: int | None
    error: str | None
    start_skew_s: float | None

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            "index": self.index,
            "pid": self.pid,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "intervals": self.intervals,
            "exit_code": self.exit_code,
            "error": self.error,
            "start_skew_ms": None if self.start_skew_s is None else self.start_skew_s * 1e3,
        }


@dataclass(slots=True)
class _Worker:
    index: int
    pid: int | None = None
    phase: _Phase = _Phase.STARTING
    last_seen: float = 0.0
    intervals: int = 0
    stop_reason: str | None = None
    exit_code: int | None = None
    error: str | None = None
    start_skew_s: float | None = None

    @property
    def over(self) -> bool:
        return self.phase in (_Phase.DONE, _Phase.FAILED)


def describe_exit(code: int) -> str:
    """A process exit code in words (negative: killed by that signal)."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code == 0:
        return "exited before finishing its segment"
    return f"exited with code {code}"


class Coordinator:
    """State of a multi-worker run.

    Args:
        workers: how many workers (ids ``0 … workers-1``).
        plan: the unsplit plan (a breakpoint test stops at its first failed threshold).
        interval: the snapshot period, seconds.
        thresholds: evaluated live (aborts) on the merged aggregate and at the end.
        sinks: receive every merged interval, in order.
        on_failure: what a worker's failure does.
        liveness_timeout: a running worker that sends nothing for this long failed.
        notify: receives one line per notable event (a worker failed, …).
    """

    def __init__(
        self,
        workers: int,
        *,
        plan: Plan | None = None,
        interval: float = 1.0,
        thresholds: Sequence[Threshold] = (),
        sinks: Sequence[SnapshotSink] = (),
        on_failure: FailurePolicy = FailurePolicy.ABORT,
        liveness_timeout: float = 3.0,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"a run needs at least one worker, got {workers}")
        self.plan = plan
        self.interval = interval
        self.thresholds = tuple(thresholds)
        self.sinks = tuple(sinks)
        self.on_failure = on_failure
        self.liveness_timeout = liveness_timeout
        self._notify = notify or (lambda _line: None)
        self._workers = [_Worker(i) for i in range(workers)]
        self._merger = IntervalMerger(range(workers))
        self._actions: list[Action] = []
        self.aggregate = Aggregate()
        self.started_at = 0.0
        """Wall-clock start, seconds since the epoch (set by :meth:`go`)."""
        self.duration = 0.0
        """Seconds from the start to the end of the latest merged interval."""
        self.stop_reason: StopReason | None = None
        self.capacity: Capacity | None = None
        """Breakpoint tests: where the first threshold failed."""
        self._stop_level = 0  # 0 running, 1 graceful stop sent, 2 forced
        self._started = False
        self.startup_error: str | None = None
        """Why the run could not start (a worker failed before :meth:`go`)."""

    # -- state ---------------------------------------------------------------

    @property
    def all_ready(self) -> bool:
        """Every worker is ready for :meth:`go`."""
        return all(w.phase is _Phase.READY for w in self._workers)

    @property
    def finished(self) -> bool:
        """Every worker is done or failed: nothing more will come."""
        return all(w.over for w in self._workers)

    @property
    def forced(self) -> bool:
        """A forced stop was sent."""
        return self._stop_level >= 2

    @property
    def failed(self) -> tuple[int, ...]:
        """The workers that failed."""
        return tuple(w.index for w in self._workers if w.phase is _Phase.FAILED)

    def statuses(self) -> tuple[WorkerStatus, ...]:
        """Every worker's status, in worker order."""
        return tuple(
            WorkerStatus(
                index=w.index,
                pid=w.pid,
                status="failed" if w.phase is _Phase.FAILED else "ok",
                stop_reason=w.stop_reason,
                intervals=w.intervals,
                exit_code=w.exit_code,
                error=w.error,
                start_skew_s=w.start_skew_s,
            )
            for w in self._workers
        )

    def take_actions(self) -> list[Action]:
        """The actions decided since the last call, in order."""
        actions, self._actions = self._actions, []
        return actions

    # -- events --------------------------------------------------------------

    def started(self, worker: int, pid: int | None) -> None:
        """The executor started ``worker``'s process as ``pid``."""
        self._workers[worker].pid = pid

    def go(self, now: float, start_at_ns: int, started_at: float) -> None:
        """Start every ready worker at ``start_at_ns`` (monotonic; ``now`` is seconds on it)."""
        self._started = True
        self.started_at = started_at
        start_s = max(now, start_at_ns / 1e9)
        for w in self._workers:
            if w.phase is _Phase.READY:
                w.phase = _Phase.RUNNING
                # Nothing is due before the first interval ends.
                w.last_seen = start_s
                self._actions.append(Send(w.index, Go(start_at_ns, int(started_at * 1e9))))

    def on_message(self, worker: int, message: ToCoordinator, now: float) -> None:
        """A message from ``worker`` arrived at ``now``."""
        w = self._workers[worker]
        if w.over:
            return  # a failed worker's leftovers; a done worker has nothing more to say
        w.last_seen = now
        if message.worker != worker:
            self._fail(w, f"protocol error: it sent a message as worker {message.worker}")
        elif isinstance(message, Interval) and w.phase is _Phase.RUNNING:
            self._on_interval(w, message)
        elif isinstance(message, Ready) and w.phase is _Phase.STARTING:
            w.phase = _Phase.READY
            w.pid = message.pid
        elif isinstance(message, Done) and w.phase in (_Phase.READY, _Phase.RUNNING):
            w.phase = _Phase.DONE
            w.stop_reason = message.stop_reason
            w.start_skew_s = message.start_skew_s
            self._emit(self._merger.finish(worker))
        elif isinstance(message, Failed):
            self._fail(w, message.error)
        else:
            unexpected = type(message).__name__
            self._fail(w, f"protocol error: unexpected {unexpected} while {w.phase.value}")

    def on_exit(self, worker: int, exit_code: int, now: float) -> None:
        """``worker``'s process ended with ``exit_code`` (negative: killed by a signal)."""
        w = self._workers[worker]
        w.exit_code = exit_code
        if not w.over:
            self._fail(w, describe_exit(exit_code))

    def on_lost(self, worker: int, reason: str, now: float) -> None:
        """The channel to ``worker`` broke or carried garbage."""
        w = self._workers[worker]
        if not w.over:
            self._fail(w, reason)

    def on_tick(self, now: float) -> None:
        """Time passed: fail running workers that have been silent too long."""
        for w in self._workers:
            silent = now - w.last_seen
            if w.phase is _Phase.RUNNING and silent > self.liveness_timeout:
                self._fail(w, f"sent nothing for {silent:.1f} s (hung or starved of CPU)")

    def request_stop(self, reason: StopReason, *, force: bool = False) -> None:
        """Ask every live worker to stop (idempotent per level; ``force`` escalates)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        level = 2 if force else 1
        if level <= self._stop_level:
            return
        self._stop_level = level
        stop = Stop(force=force, reason=self.stop_reason.value)
        self._actions.extend(Send(w.index, stop) for w in self._workers if not w.over)

    def kill_all(self, reason: str) -> None:
        """Give up on every live worker: kill it and count it as failed."""
        for w in self._workers:
            if not w.over:
                self._fail(w, reason, react=False)

    def close(self) -> RunResult:
        """Merge whatever is still pending and return the run's result."""
        self._emit(self._merger.flush())
        results = evaluate(self.thresholds, self.aggregate, elapsed=self.duration)
        return RunResult(
            aggregate=self.aggregate,
            started_at=self.started_at,
            duration=self.duration,
            stop_reason=self.stop_reason or StopReason.COMPLETED,
            thresholds=results,
            capacity=self.capacity,
        )

    # -- internals -----------------------------------------------------------

    def _on_interval(self, w: _Worker, message: Interval) -> None:
        try:
            snapshot = Snapshot.from_dict(message.snapshot)
            merged = self._merger.add(w.index, message.index, snapshot)
        except ValueError as exc:
            self._fail(w, f"protocol error: bad interval {message.index}: {exc}")
            return
        w.intervals += 1
        self._emit(merged)

    def _emit(self, merged: list[Snapshot]) -> None:
        for snapshot in merged:
            self.aggregate.add(snapshot)
            self.duration = max(self.duration, snapshot.end)
            for sink in self.sinks:
                sink.on_snapshot(snapshot, self.aggregate, snapshot.end)
            self._check_aborts()

    def _check_aborts(self) -> None:
        # The same rule as the in-process runner, on the merged aggregate.
        if self._stop_level:
            return
        stop, capacity = check_aborts(self.plan, self.thresholds, self.aggregate, self.duration)
        if stop:
            self.capacity = capacity
            self.request_stop(StopReason.THRESHOLD_ABORT)

    def _fail(self, w: _Worker, reason: str, *, react: bool = True) -> None:
        w.phase = _Phase.FAILED
        w.error = reason
        self._actions.append(Kill(w.index))
        who = f"worker {w.index}" + (f" (pid {w.pid})" if w.pid is not None else "")
        if not self._started:
            self.startup_error = self.startup_error or f"{who} failed to start: {reason}"
            return
        self._emit(self._merger.drop(w.index))
        if not react:
            self._notify(f"{who} failed: {reason}")
            return
        alive = sum(not x.over for x in self._workers)
        if self.on_failure is FailurePolicy.ABORT and alive:
            self._notify(f"{who} failed: {reason}; stopping the run (on worker failure: abort)")
            self.request_stop(StopReason.WORKER_FAILED)
        elif alive:
            self._notify(
                f"{who} failed: {reason}; going on with {alive} of {len(self._workers)} "
                "workers (on worker failure: continue) — the load is lower than planned"
            )
        else:
            self._notify(f"{who} failed: {reason}; no worker is left")
            if self.stop_reason is None:
                self.stop_reason = StopReason.WORKER_FAILED
