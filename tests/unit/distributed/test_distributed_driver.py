"""The driver loop against a scripted in-memory executor: start, barrier, failures, close."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path

import pytest

from agentload.distributed import (
    FailurePolicy,
    ScenarioSource,
    WorkerJob,
    run_workers,
    scenario_fingerprint,
    single_process_section,
)
from agentload.distributed.executor import Exited, Received, WorkerEvent
from agentload.distributed.protocol import Done, Failed, Go, Interval, Ready, Setup, Stop, ToWorker
from agentload.engine.runner import StopReason
from agentload.errors import RunError
from agentload.metrics import Recorder
from agentload.profiles import Plan, compile_plan

YAML = "config: {target: 'http://127.0.0.1:1'}\nload: {vus: 4, duration: 2s}\nflow:\n  - get: /\n"


def job(workers: int = 2, interval: float = 1.0) -> WorkerJob:
    source = ScenarioSource(YAML, "s.yaml", str(Path.cwd()))
    sf = source.load()
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    return WorkerJob(source, scenario_fingerprint(sf), plan, workers, interval)


class FakeExecutor:
    """Workers as scripts: each answers Setup with Ready and Go with its intervals.

    ``behaviour[w]``: ``ok`` (2 intervals, done), ``crash-at-start``, ``silent``
    (ready, then never a word), ``die-mid-run`` (1 interval, then exit -9),
    ``stubborn`` (ignores graceful stops, honours forced ones).
    """

    ships_files = False

    def __init__(self, behaviour: Mapping[int, str]) -> None:
        self.behaviour = dict(behaviour)
        self.events: list[WorkerEvent] = []
        self.sent: list[tuple[int, ToWorker]] = []
        self.killed: list[int] = []
        self.closed_with: float | None = None
        self.plans: dict[int, Plan] = {}

    def start(self, count: int) -> tuple[int | None, ...]:
        self.count = count
        return tuple(1000 + w for w in range(count))

    def send(self, worker: int, message: ToWorker) -> None:
        self.sent.append((worker, message))
        how = self.behaviour.get(worker, "ok")
        if isinstance(message, Setup):
            self.plans[worker] = Plan.from_dict(message.plan)
            if how == "crash-at-start":
                self.events += [
                    Received(worker, Failed(worker, "ImportError: nope")),
                    Exited(worker, 1),
                ]
            else:
                self.events.append(Received(worker, Ready(worker, 1000 + worker)))
        elif isinstance(message, Go) and how in ("ok", "die-mid-run"):
            self.events.append(Received(worker, _interval(worker, 0)))
            if how == "die-mid-run":
                self.events.append(Exited(worker, -9))
            else:
                self.events.append(Received(worker, _interval(worker, 1)))
                self.events.append(Received(worker, Done(worker, "completed", 2.0, 2)))
        elif isinstance(message, Stop) and (message.force or how != "stubborn") and how != "silent":
            self.events.append(Received(worker, Done(worker, message.reason, 1.0, 0)))

    def poll(self, timeout: float) -> list[WorkerEvent]:
        events, self.events = self.events, []
        return events

    def kill(self, worker: int) -> None:
        self.killed.append(worker)
        self.events.append(Exited(worker, -9))

    def close(self, timeout: float = 2.0) -> tuple[int | None, ...]:
        self.closed_with = timeout
        return (0,) * self.count

    def describe(self) -> Mapping[str, object]:
        return {"mode": "fake", "start_method": None}


def _interval(worker: int, index: int) -> Interval:
    rec = Recorder()
    rec.counter("http_reqs").add(10)
    rec.gauge("vus").set(2)
    return Interval(worker, index, rec.snapshot(start=float(index), end=float(index + 1)).to_dict())


def test_every_worker_gets_its_own_segment_and_the_same_start_time() -> None:
    ex = FakeExecutor({})
    result = run_workers(job(), ex)
    assert [ex.plans[w].segment.index for w in (0, 1)] == [0, 1]
    assert {ex.plans[w].segment.count for w in (0, 1)} == {2}
    goes = [m for _, m in ex.sent if isinstance(m, Go)]
    assert len(goes) == 2 and goes[0] == goes[1]
    assert result.run.aggregate.counter("http_reqs") == 40
    assert result.run.stop_reason is StopReason.COMPLETED and not result.failed
    section = result.summary_section()
    assert section["count"] == 2 and section["mode"] == "fake" and section["failed"] == 0
    assert ex.closed_with == 2.0


def test_a_worker_that_cannot_start_is_a_run_error_and_nothing_is_sent() -> None:
    ex = FakeExecutor({1: "crash-at-start"})
    with pytest.raises(RunError, match=r"worker 1 \(pid 1001\) failed to start: ImportError: nope"):
        run_workers(job(), ex)
    assert not any(isinstance(m, Go) for _, m in ex.sent)
    assert ex.closed_with == 0.0  # killed at once


def test_workers_that_never_get_ready_time_out() -> None:
    class Mute(FakeExecutor):
        def send(self, worker: int, message: ToWorker) -> None:
            self.sent.append((worker, message))

    with pytest.raises(RunError, match=r"not ready within 0\.2 s"):
        run_workers(job(), Mute({}), ready_timeout=0.2)


def test_a_dead_worker_aborts_and_the_rest_is_still_merged() -> None:
    ex = FakeExecutor({1: "die-mid-run"})
    result = run_workers(job(), ex)
    assert result.failed == (1,) and not result.degraded
    assert result.run.stop_reason is StopReason.WORKER_FAILED
    assert result.run.aggregate.counter("http_reqs") == 30
    assert result.summary_section()["list"][1]["error"] == "killed by SIGKILL"  # type: ignore[index]


def test_continue_marks_the_run_degraded() -> None:
    result = run_workers(job(), FakeExecutor({0: "die-mid-run"}), on_failure=FailurePolicy.CONTINUE)
    assert result.degraded and result.summary_section()["degraded"] is True
    assert result.run.stop_reason is StopReason.COMPLETED


def test_a_silent_worker_is_declared_dead() -> None:
    notes: list[str] = []
    silent = FakeExecutor({0: "silent"})
    result = run_workers(job(interval=0.1), silent, liveness_timeout=0.05, notify=notes.append)
    # The liveness timeout is never below three snapshot intervals.
    assert result.failed == (0,) and "sent nothing for 0.3 s" in notes[0]


def test_signals_stop_gracefully_then_force_then_workers_that_hang_are_killed() -> None:
    class Signalling(FakeExecutor):
        """Delivers SIGTERM to this process once the workers are running."""

        def send(self, worker: int, message: ToWorker) -> None:
            super().send(worker, message)
            if isinstance(message, Go) and worker == 1:
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGTERM)

    notes: list[str] = []
    ex = Signalling({0: "silent", 1: "stubborn"})
    result = run_workers(job(), ex, notify=notes.append, stop_timeout=0.2, liveness_timeout=60)
    assert notes[:2] == [
        "SIGTERM: stopping gracefully; send it again to stop at once",
        "SIGTERM: stopping at once",
    ]
    assert result.run.stop_reason is StopReason.SIGNAL
    # Worker 1 obeyed the forced stop; worker 0 said nothing and was killed.
    assert result.failed == (0,) and ex.killed == [0]
    assert "did not stop within 0.2 s" in (result.workers[0].error or "")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_an_in_process_run_has_the_same_summary_shape() -> None:
    multi = run_workers(job(), FakeExecutor({})).summary_section()
    single = single_process_section(run_workers(job(1), FakeExecutor({})).run, pid=42)
    assert set(single) == set(multi) and single["mode"] == "in-process"
    assert set(single["list"][0]) == set(multi["list"][0])  # type: ignore[index]
