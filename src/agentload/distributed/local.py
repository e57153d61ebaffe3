"""The local executor: one worker process per core, two pipes each.

Workers are started with ``spawn``, never ``fork``: a forked copy of the
coordinator would inherit its event-loop state, its threads' locks and its
open files. ``spawn`` costs each worker a fresh interpreter and its imports
(~0.5 s of CPU here, paid before the start barrier, so the load still starts
on time). ``forkserver`` starts faster — one interpreter imports
:data:`PRELOAD`, every worker is a cheap fork of it — and is available as an
option, but it is not the default: its workers are the fork server's
children, not ours, so their CPU time never reaches the coordinator's
``wait4``/``getrusage`` (a benchmark of the CLI would under-count it), and the
server outlives the run inside a long-lived host process.

Workers are started with SIGINT ignored, so a Ctrl-C during their start-up
does not kill them mid-import: the coordinator relays it as a Stop.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from agentload.distributed.executor import Exited, WorkerEvent, drain
from agentload.distributed.protocol import ToWorker, encode
from agentload.distributed.worker import worker_main

__all__ = ["PRELOAD", "LocalProcessExecutor", "default_start_method"]

PRELOAD = ("__main__", "agentload.distributed.worker")
"""Modules the fork server imports once for every worker it forks."""


def default_start_method() -> str:
    """``spawn``: see the module docstring."""
    return "spawn"


@dataclass(slots=True)
class _Proc:
    process: BaseProcess
    control: Connection | None
    data: Connection | None
    exited: bool = False
    code: int | None = None
    """The exit code, once :meth:`LocalProcessExecutor.close` reaped the process."""


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while children are created: they inherit the disposition."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalProcessExecutor:
    """Worker processes on this machine.

    Args:
        start_method: ``forkserver`` or ``spawn`` (default: :func:`default_start_method`).
    """

    ships_files = False  # the workers share this machine's file system

    def __init__(self, start_method: str | None = None) -> None:
        method = start_method or default_start_method()
        if method not in ("forkserver", "spawn"):
            raise ValueError(f"start method must be forkserver or spawn, not {method!r}")
        self.start_method = method
        self._ctx: BaseContext = multiprocessing.get_context(method)
        self._procs: list[_Proc] = []

    def describe(self) -> Mapping[str, object]:
        """``{"mode": "processes", "start_method": …}``."""
        return {"mode": "processes", "start_method": self.start_method}

    def start(self, count: int) -> tuple[int | None, ...]:
        """Start ``count`` worker processes; they wait for their Setup."""
        if self._procs:
            raise RuntimeError("this executor already started its workers")
        if self.start_method == "forkserver":
            # Only takes effect when this process starts its fork server.
            self._ctx.set_forkserver_preload(list(PRELOAD))
        with _sigint_ignored():
            for worker in range(count):
                control_r, control_w = self._ctx.Pipe(duplex=False)
                data_r, data_w = self._ctx.Pipe(duplex=False)
                process = self._ctx.Process(  # type: ignore[attr-defined]
                    target=worker_main,
                    args=(worker, control_r, data_w),
                    name=f"agentload-worker-{worker}",
                    # Daemonic: multiprocessing ends them if the coordinator exits early.
                    daemon=True,
                )
                process.start()
                # The child has its ends now; closing ours makes end-of-file work
                # both ways when either side dies.
                control_r.close()
                data_w.close()
                self._procs.append(_Proc(process, control_w, data_r))
        return tuple(p.process.pid for p in self._procs)

    def send(self, worker: int, message: ToWorker) -> None:
        """Send ``message`` to ``worker``; ignored once the worker is gone."""
        proc = self._procs[worker]
        if proc.control is None or proc.exited:
            return
        try:
            proc.control.send_bytes(encode(message))
        except OSError:  # it died; its exit is reported by poll()
            proc.control.close()
            proc.control = None

    def poll(self, timeout: float) -> list[WorkerEvent]:
        """Messages and exits within ``timeout`` seconds."""
        channels = {p.data: i for i, p in enumerate(self._procs) if p.data is not None}
        sentinels = {p.process.sentinel: i for i, p in enumerate(self._procs) if not p.exited}
        if not channels and not sentinels:
            time.sleep(timeout)
            return []
        ready = set(wait([*channels, *sentinels], timeout))
        events: list[WorkerEvent] = []
        for conn, worker in channels.items():
            if conn in ready:
                events.extend(self._drain(worker))
        for sentinel, worker in sentinels.items():
            if sentinel in ready:
                # Whatever it wrote before exiting comes before its exit.
                events.extend(self._drain(worker))
                proc = self._procs[worker]
                # The sentinel can fire just before the exit status is ready to reap.
                proc.process.join(5)
                proc.exited = True
                code = proc.process.exitcode
                events.append(Exited(worker, code if code is not None else -1))
        return events

    def _drain(self, worker: int) -> list[WorkerEvent]:
        proc = self._procs[worker]
        if proc.data is None:
            return []
        events, still_open = drain(proc.data, worker)
        if not still_open:  # its exit is reported through the process sentinel
            proc.data.close()
            proc.data = None
        return events

    def kill(self, worker: int) -> None:
        """SIGKILL ``worker`` (its exit is still reported by :meth:`poll`)."""
        proc = self._procs[worker]
        if not proc.exited and proc.process.is_alive():
            proc.process.kill()

    def close(self, timeout: float = 2.0) -> tuple[int | None, ...]:
        """Let workers exit within ``timeout`` seconds, kill the rest, release everything.

        Returns the exit codes (idempotent: a second call returns the same).
        """
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            if proc.code is None:
                proc.process.join(max(0.0, deadline - time.monotonic()))
        for proc in self._procs:
            if proc.code is not None:
                continue
            if proc.process.is_alive():
                proc.process.kill()
            proc.process.join(10)
            proc.code = proc.process.exitcode
            if proc.code is not None:
                proc.process.close()
            for conn in (proc.control, proc.data):
                if conn is not None:
                    conn.close()
            proc.control = proc.data = None
            proc.exited = True
        return tuple(p.code for p in self._procs)
