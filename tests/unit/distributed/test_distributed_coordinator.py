"""The coordinator's logic without processes: start, merge, stop, and every failure path."""

from __future__ import annotations

import pytest

from agentload.distributed import Coordinator, FailurePolicy, Kill, Send
from agentload.distributed.coordinator import describe_exit
from agentload.distributed.protocol import Done, Failed, Go, Interval, Ready, Stop
from agentload.engine.runner import StopReason
from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.thresholds import parse_threshold

START_NS = 1_000_000_000_000  # "now" is 1000.0 s on the fake monotonic clock


def interval(worker: int, index: int, reqs: int = 10, *, fail: int = 0, end: float = 0) -> Interval:
    rec = Recorder()
    rec.counter("http_reqs").add(reqs)
    failed = rec.rate("http_req_failed")
    for k in range(reqs):
        failed.add(k < fail)
    rec.gauge("vus").set(1)
    snapshot = rec.snapshot(start=float(index), end=end or float(index + 1))
    return Interval(worker, index, snapshot.to_dict())


class Sink:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float, float]] = []

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        self.seen.append((snapshot.start, elapsed, aggregate.counter("http_reqs")))


def started(n: int = 2, **kwargs: object) -> tuple[Coordinator, Sink, list[str]]:
    """A coordinator whose ``n`` workers are ready and told to go at t=1000 s."""
    sink, notes = Sink(), list[str]()
    core = Coordinator(n, sinks=[sink], notify=notes.append, **kwargs)  # type: ignore[arg-type]
    for w in range(n):
        core.started(w, 100 + w)
        core.on_message(w, Ready(w, 100 + w), 999.0)
    assert core.all_ready and not core.finished
    core.go(999.9, START_NS, started_at=1.7e9)
    # Both clocks travel: the monotonic start (local workers) and the wall-clock one (remote).
    go = Go(START_NS, start_at_unix_ns=1_700_000_000_000_000_000)
    assert core.take_actions() == [Send(w, go) for w in range(n)]
    return core, sink, notes


def test_a_clean_run_merges_every_interval_and_ends_when_all_are_done() -> None:
    core, sink, notes = started()
    core.on_message(0, interval(0, 0), 1001.0)
    core.on_message(1, interval(1, 0, 5), 1001.0)
    core.on_message(1, interval(1, 1, 5, end=1.5), 1001.5)
    core.on_message(1, Done(1, "completed", 1.5, 2), 1001.5)
    assert not core.finished
    core.on_message(0, interval(0, 1, 10, end=1.4), 1001.5)
    core.on_message(0, Done(0, "completed", 1.4, 2, 0.002), 1001.5)
    assert core.finished and core.take_actions() == [] and notes == []
    assert sink.seen == [(0.0, 1.0, 15), (1.0, 1.5, 30)]
    result = core.close()
    assert result.stop_reason is StopReason.COMPLETED and result.duration == 1.5
    assert result.aggregate.counter("http_reqs") == 30 and result.started_at == 1.7e9
    statuses = core.statuses()
    assert [s.status for s in statuses] == ["ok", "ok"] and statuses[0].start_skew_s == 0.002
    assert statuses[0].to_dict()["start_skew_ms"] == pytest.approx(2.0)
    core.on_exit(0, 0, 1002.0)
    assert core.statuses()[0].exit_code == 0 and core.statuses()[0].status == "ok"


def test_a_killed_worker_aborts_the_run_by_default() -> None:
    core, sink, notes = started()
    core.on_message(0, interval(0, 0), 1001.0)
    core.on_message(1, interval(1, 0), 1001.0)
    core.on_message(0, interval(0, 1), 1002.0)
    core.on_exit(1, -9, 1002.1)
    # Interval 1 no longer waits for worker 1; the survivor is told to stop gracefully.
    assert sink.seen[-1] == (1.0, 2.0, 30)
    assert core.take_actions() == [Kill(1), Send(0, Stop(False, "worker_failed"))]
    assert notes == [
        "worker 1 (pid 101) failed: killed by SIGKILL; stopping the run (on worker failure: abort)"
    ]
    core.on_message(0, interval(0, 2, end=2.3), 1002.3)
    core.on_message(0, Done(0, "worker_failed", 2.3, 3), 1002.3)
    assert core.finished
    result = core.close()
    assert result.stop_reason is StopReason.WORKER_FAILED and core.failed == (1,)
    status = core.statuses()[1]
    assert (status.status, status.error, status.exit_code) == ("failed", "killed by SIGKILL", -9)


def test_continue_goes_on_without_the_failed_worker() -> None:
    core, _, notes = started(3, on_failure=FailurePolicy.CONTINUE)
    core.on_message(2, Failed(2, "RuntimeError: boom"), 1000.5)
    assert core.take_actions() == [Kill(2)]
    assert "going on with 2 of 3 workers" in notes[0]
    for w in (0, 1):
        core.on_message(w, interval(w, 0), 1001.0)
        core.on_message(w, Done(w, "completed", 1.0, 1), 1001.0)
    assert core.finished
    result = core.close()
    assert (
        result.stop_reason is StopReason.COMPLETED and result.aggregate.counter("http_reqs") == 20
    )


def test_when_every_worker_failed_the_run_says_so() -> None:
    core, _, notes = started(2, on_failure=FailurePolicy.CONTINUE)
    core.on_exit(0, 1, 1000.5)
    core.on_exit(1, -15, 1000.6)
    assert core.finished and notes[-1].endswith("no worker is left")
    assert core.close().stop_reason is StopReason.WORKER_FAILED


def test_a_silent_worker_fails_after_the_liveness_timeout() -> None:
    core, _, notes = started(liveness_timeout=3.0)
    core.on_message(0, interval(0, 0), 1001.0)
    core.on_message(1, interval(1, 0), 1001.0)
    core.on_message(0, interval(0, 1), 1002.0)
    core.on_tick(1003.9)  # worker 1: 2.9 s of silence, still fine
    assert core.take_actions() == []
    core.on_tick(1004.1)
    assert core.take_actions()[0] == Kill(1)
    assert "sent nothing for 3.1 s" in notes[0]
    # What it says later is ignored: it was declared dead and killed.
    core.on_message(1, interval(1, 1), 1004.2)
    assert core.statuses()[1].intervals == 1


def test_the_clock_for_silence_starts_at_the_start_time() -> None:
    sink_notes: list[str] = []
    core = Coordinator(1, notify=sink_notes.append, liveness_timeout=3.0)
    core.on_message(0, Ready(0, 1), 0.0)
    core.go(100.0, 105_000_000_000, 0.0)  # start 5 s ahead
    core.on_tick(107.5)
    assert not core.failed
    core.on_tick(108.1)
    assert core.failed == (0,)


def test_a_failure_before_the_start_is_a_startup_error() -> None:
    core = Coordinator(2)
    core.started(0, 10)
    core.on_message(1, Ready(1, 11), 0.0)
    core.on_message(0, Failed(0, "the scenario does not load here: x"), 0.1)
    assert (
        core.startup_error
        == "worker 0 (pid 10) failed to start: the scenario does not load here: x"
    )
    assert core.take_actions() == [Kill(0)]


def test_stops_are_idempotent_per_level_and_escalate_once() -> None:
    core, _, _ = started()
    core.request_stop(StopReason.SIGNAL)
    core.request_stop(StopReason.SIGNAL)
    core.request_stop(StopReason.THRESHOLD_ABORT)
    assert core.take_actions() == [Send(0, Stop(False, "signal")), Send(1, Stop(False, "signal"))]
    core.on_message(0, Done(0, "signal", 0.5, 1), 1000.5)
    core.request_stop(StopReason.SIGNAL, force=True)
    assert core.take_actions() == [Send(1, Stop(True, "signal"))]
    assert core.forced and core.stop_reason is StopReason.SIGNAL
    core.kill_all("did not stop")
    assert core.take_actions() == [Kill(1)] and core.finished


def test_a_stop_before_the_start_reaches_waiting_workers() -> None:
    core = Coordinator(2)
    core.on_message(0, Ready(0, 1), 0.0)
    core.request_stop(StopReason.SIGNAL)
    assert [a.worker for a in core.take_actions() if isinstance(a, Send)] == [0, 1]
    core.on_message(1, Ready(1, 2), 0.1)
    core.on_message(0, Done(0, "signal", 0.0, 0), 0.2)
    core.on_message(1, Done(1, "signal", 0.0, 0), 0.2)
    assert core.finished and core.close().duration == 0.0


def test_abort_thresholds_are_evaluated_on_the_merged_aggregate() -> None:
    # Each worker alone stays under 10 % failures; together they do not.
    threshold = parse_threshold("http_req_failed", "rate<0.1", abort_on_fail=True)
    core, _, _ = started(thresholds=[threshold])
    core.on_message(0, interval(0, 0, 10, fail=0), 1001.0)
    assert core.take_actions() == []
    core.on_message(1, interval(1, 0, 10, fail=3), 1001.0)
    assert core.take_actions() == [
        Send(0, Stop(False, "threshold_abort")),
        Send(1, Stop(False, "threshold_abort")),
    ]
    result = core.close()
    assert result.stop_reason is StopReason.THRESHOLD_ABORT and not result.passed


@pytest.mark.parametrize(
    "message",
    [Ready(0, 1), Interval(1, 0, {}), Interval(0, 0, {"start": 0})],
    ids=["ready-twice", "wrong-worker-id", "bad-snapshot"],
)
def test_protocol_errors_fail_the_worker(message: Ready | Interval) -> None:
    core, _, notes = started()
    core.on_message(0, message, 1000.5)
    assert core.failed == (0,) and "protocol error" in notes[0]


def test_a_broken_channel_fails_the_worker() -> None:
    core, _, notes = started()
    core.on_lost(1, "protocol error: bad JSON", 1000.5)
    assert core.failed == (1,) and "bad JSON" in notes[0]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-9, "killed by SIGKILL"),
        (-15, "killed by SIGTERM"),
        (3, "exited with code 3"),
        (0, "exited before finishing its segment"),
        (-200, "killed by signal 200"),
    ],
)
def test_exit_codes_in_words(code: int, text: str) -> None:
    assert describe_exit(code) == text


def test_a_coordinator_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        Coordinator(0)
