"""The executor interface: how the coordinator reaches its workers.

An executor owns worker processes and the transport to them, nothing else:
it starts workers, carries protocol messages both ways and reports exits.
Everything a run *means* — merging, thresholds, failure policy — lives in
:class:`~agentload.distributed.coordinator.Coordinator`, so another executor
(a Dask or SSH cluster) only has to implement these five methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Protocol

from agentload.distributed.protocol import (
    Done,
    Failed,
    Interval,
    MessageError,
    Ready,
    ToCoordinator,
    ToWorker,
    decode,
)

__all__ = ["Executor", "Exited", "Lost", "Received", "WorkerEvent", "drain"]


@dataclass(frozen=True, slots=True)
class Received:
    """``worker`` sent ``message``."""

    worker: int
    message: ToCoordinator


@dataclass(frozen=True, slots=True)
class Exited:
    """``worker``'s process ended; ``exit_code`` < 0 means killed by that signal."""

    worker: int
    exit_code: int


@dataclass(frozen=True, slots=True)
class Lost:
    """The channel to ``worker`` broke or carried something that is not a message."""

    worker: int
    reason: str


WorkerEvent = Received | Exited | Lost


class Executor(Protocol):
    """Starts workers and carries messages; see :class:`LocalProcessExecutor`."""

    ships_files: bool
    """True when workers may run on other machines: the scenario's folder travels with Setup."""

    def start(self, count: int) -> tuple[int | None, ...]:
        """Start ``count`` workers (ids ``0 … count-1``); their pids where known.

        Called before the start barrier, so start-up costs (interpreters,
        imports) are paid before the load's start time is chosen.
        """
        ...

    def send(self, worker: int, message: ToWorker) -> None:
        """Send ``message``; a worker that is gone is not an error (its exit is reported)."""
        ...

    def poll(self, timeout: float) -> list[WorkerEvent]:
        """Wait up to ``timeout`` seconds for events; every message before its worker's exit."""
        ...

    def kill(self, worker: int) -> None:
        """End ``worker`` at once."""
        ...

    def close(self, timeout: float = 2.0) -> tuple[int | None, ...]:
        """Wait up to ``timeout`` for workers to exit, kill the rest; all gone on return.

        Returns every worker's exit code (negative: killed by that signal).
        """
        ...

    def describe(self) -> Mapping[str, object]:
        """What ran the workers, for the summary (``mode``, ``start_method``, …)."""
        ...


def drain(conn: Connection, worker: int) -> tuple[list[WorkerEvent], bool]:
    """The messages already waiting on ``worker``'s data channel, without blocking.

    Returns the events and whether the channel is still open (False once it
    reached end-of-file or broke: the caller closes it and decides what that
    means — a local worker's exit is reported by its process, a remote one's
    by the connection). Garbage and coordinator-bound message types become
    :class:`Lost` events; reading goes on after them.
    """
    events: list[WorkerEvent] = []
    while conn.poll(0):
        try:
            message = decode(conn.recv_bytes())
        except (EOFError, OSError):
            return events, False
        except MessageError as exc:
            events.append(Lost(worker, f"protocol error: {exc}"))
            continue
        if isinstance(message, Ready | Interval | Done | Failed):
            events.append(Received(worker, message))
        else:
            sent = type(message).__name__
            events.append(Lost(worker, f"protocol error: a worker sent {sent}"))
    return events, True
