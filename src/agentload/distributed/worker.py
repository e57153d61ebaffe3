"""The worker process: load the scenario, wait for the start, run one segment.

:func:`worker_main` is the process entry point. It talks to the coordinator
over two one-way pipes: ``control`` (coordinator → worker: Setup, Go, Stop)
and ``data`` (worker → coordinator: Ready, Interval, Done, Failed).

Two pipes rather than one duplex pipe because the event loop watches
``control`` with ``add_reader``, which makes its descriptor non-blocking; a
snapshot written to a non-blocking descriptor could stop half-way when the
buffer is full and corrupt the stream. ``data`` stays blocking: if the
coordinator falls behind, the worker waits (back-pressure) instead of
dropping an interval.

Signals: the worker ignores SIGINT — Ctrl-C reaches the whole process group,
and the coordinator decides (it sends Stop). SIGTERM sent to a worker asks it
to stop gracefully, like the coordinator's first Stop; a worker whose
coordinator vanishes (end of file on ``control``, broken ``data`` pipe) stops
at once and exits, so workers never outlive their run.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import tempfile
import time
import traceback
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

try:
    import uvloop
except ImportError:  # pragma: no cover - Windows
    uvloop = None  # type: ignore[assignment]

from agentload.distributed.protocol import (
    Done,
    Failed,
    Go,
    Interval,
    MessageError,
    Ready,
    Setup,
    Stop,
    ToCoordinator,
    ToWorker,
    decode,
    encode,
)
from agentload.distributed.source import ScenarioSource, scenario_fingerprint
from agentload.engine.runner import Runner, StopReason
from agentload.errors import ScenarioError
from agentload.profiles import Plan, Segment

if TYPE_CHECKING:
    from agentload.metrics import Aggregate, Snapshot

__all__ = ["worker_main"]


class _Link:
    """The worker's end of both pipes."""

    def __init__(self, control: Connection, data: Connection) -> None:
        self.control = control
        self.data = data
        self.broken = False

    def recv(self) -> ToWorker:
        """The next message (blocking); EOFError when the coordinator is gone."""
        message = decode(self.control.recv_bytes())
        if not isinstance(message, Setup | Go | Stop):
            raise MessageError(f"a worker cannot take {type(message).__name__}")
        return message

    def send(self, message: ToCoordinator) -> bool:
        """Send ``message``; False (and nothing raised) once the coordinator is gone."""
        if self.broken:
            return False
        try:
            self.data.send_bytes(encode(message))
        except OSError:
            self.broken = True
        return not self.broken


class _Stopper:
    """Idempotent stop levels: graceful once, then forced once, whoever asks."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.level = 0

    def request(self, reason: str, *, force: bool) -> None:
        try:
            why = StopReason(reason)
        except ValueError:
            why = StopReason.SIGNAL
        # Runner.stop(): the first call stops gracefully, the second forces.
        while self.level < (2 if force else 1):
            self.level += 1
            self.runner.stop(why)

    def graceful(self) -> None:
        self.request(StopReason.SIGNAL.value, force=False)


class _IntervalSink:
    """Runner sink: every snapshot goes to the coordinator as an Interval."""

    def __init__(self, link: _Link, worker: int, interval: float) -> None:
        self.link = link
        self.worker = worker
        self.interval = interval
        self.sent = 0
        self.on_broken: _Stopper | None = None

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        index = round(snapshot.start / self.interval)
        if self.link.send(Interval(self.worker, index, snapshot.to_dict())):
            self.sent += 1
        elif self.on_broken is not None:  # the coordinator is gone: nobody to measure for
            self.on_broken.request(StopReason.SIGNAL.value, force=True)


def _new_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def _unpack(bundle: Mapping[str, str], into: Path) -> None:
    """Write a Setup's file bundle under ``into`` (paths were made relative by the sender)."""
    root = into.resolve()
    for rel, b64 in bundle.items():
        dest = (root / rel).resolve()
        if not dest.is_relative_to(root):
            raise MessageError(f"bundle path {rel!r} leaves the bundle folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(base64.b64decode(b64))


def _prepare(setup: Setup, link: _Link, scratch: Path) -> tuple[Runner, _IntervalSink]:
    base_dir = setup.base_dir
    if setup.bundle:  # a remote worker: the scenario's folder travelled with the Setup
        _unpack(setup.bundle, scratch)
        base_dir = str(scratch)
    source = ScenarioSource(
        setup.scenario_text, setup.scenario_filename, base_dir, setup.env, setup.overrides
    )
    scenario = source.load()
    if scenario_fingerprint(scenario) != setup.fingerprint:
        raise RuntimeError(
            "the scenario loaded differently here than in the coordinator "
            "(did a file it reads change while the run was starting?)"
        )
    plan = Plan.from_dict(setup.plan)
    if plan.segment != Segment(setup.worker, setup.workers):
        raise RuntimeError(f"got segment {plan.segment}, expected {setup.worker}/{setup.workers}")
    sink = _IntervalSink(link, setup.worker, setup.interval)
    # No thresholds here: the coordinator evaluates them on the merged aggregate.
    runner = Runner(
        scenario,
        plan,
        sinks=[sink],
        interval=setup.interval,
        failure_samples=setup.failure_samples,
    )
    return runner, sink


def _start_ns(go: Go, *, wall_clock: bool) -> int:
    """The start on this machine's monotonic clock (remote workers convert the wall-clock one)."""
    if wall_clock and go.start_at_unix_ns:
        return time.monotonic_ns() + (go.start_at_unix_ns - time.time_ns())
    return go.start_at_ns


async def _run(
    runner: Runner, link: _Link, sink: _IntervalSink, worker: int, start_at_ns: int
) -> None:
    loop = asyncio.get_running_loop()
    stopper = _Stopper(runner)
    sink.on_broken = stopper
    fd = link.control.fileno()

    def on_control() -> None:
        try:
            while link.control.poll():
                # Control messages are tiny (< PIPE_BUF), so each arrives whole
                # even though uvloop made the descriptor non-blocking.
                message = link.recv()
                if isinstance(message, Stop):
                    stopper.request(message.reason, force=message.force)
        except (EOFError, OSError, MessageError):
            loop.remove_reader(fd)
            stopper.request(StopReason.SIGNAL.value, force=True)

    loop.add_reader(fd, on_control)
    loop.add_signal_handler(signal.SIGTERM, stopper.graceful)
    try:
        delay = (start_at_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        skew = max(0.0, (time.monotonic_ns() - start_at_ns) / 1e9)
        result = await runner.run()
        # Done goes out before the loop is torn down: closing it can wait for
        # stuck resolver threads, and the coordinator must not take that
        # silence for a dead worker.
        link.send(Done(worker, result.stop_reason.value, result.duration, sink.sent, skew))
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        loop.remove_reader(fd)
        # uvloop leaves the descriptor non-blocking after remove_reader; a later
        # blocking recv() would then raise BlockingIOError.
        os.set_blocking(fd, True)


def _serve(worker: int, link: _Link, *, wall_clock: bool) -> None:
    setup = link.recv()
    if not isinstance(setup, Setup) or setup.worker != worker:
        raise MessageError(f"expected the Setup of worker {worker}, got {setup!r:.80}")
    with tempfile.TemporaryDirectory(prefix="agentload-bundle-") as scratch:
        _serve_setup(worker, link, setup, Path(scratch), wall_clock=wall_clock)


def _serve_setup(
    worker: int, link: _Link, setup: Setup, scratch: Path, *, wall_clock: bool
) -> None:
    runner, sink = _prepare(setup, link, scratch)
    link.send(Ready(worker, os.getpid()))
    go = link.recv()
    if isinstance(go, Stop):  # stopped before the start: nothing ran
        link.send(Done(worker, go.reason, 0.0, 0))
        return
    if not isinstance(go, Go):
        raise MessageError(f"expected Go or Stop, got {type(go).__name__}")
    with asyncio.Runner(loop_factory=_new_loop) as arunner:
        arunner.run(_run(runner, link, sink, worker, _start_ns(go, wall_clock=wall_clock)))


def worker_main(
    worker: int, control: Connection, data: Connection, *, wall_clock: bool = False
) -> None:
    """Entry point of worker process ``worker`` (a multiprocessing target).

    ``wall_clock``: start at Go's wall-clock time (a worker on another machine).
    Exits 0 after Done (or when the coordinator vanished), 1 after Failed.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    link = _Link(control, data)
    code = 0
    try:
        _serve(worker, link, wall_clock=wall_clock)
    except EOFError:
        pass  # the coordinator is gone before the start: nothing to report to
    except ScenarioError as exc:
        link.send(Failed(worker, f"the scenario does not load here: {exc}"))
        code = 1
    except BaseException as exc:  # report anything, then exit non-zero
        if os.environ.get("AGENTLOAD_DEBUG"):
            traceback.print_exc()
        link.send(Failed(worker, f"{type(exc).__name__}: {exc}"))
        code = 1
    finally:
        control.close()
        data.close()
    raise SystemExit(code)
