"""Merge the workers' snapshots of the same interval into one, in interval order.

Pure: snapshots in, merged snapshots out, no clock. Workers start at the same
instant and tick at the same period, so a worker's ``k``-th snapshot covers
``[k·interval, (k+1)·interval)`` on every worker (the last one is partial, and
its end differs a little between workers). Interval ``k`` is emitted when no
worker that is still expected can send it any more:

- every running worker has sent ``k`` or a later interval (a worker's own
  intervals arrive in order, so a later one means it has nothing for ``k``);
- finished workers sent everything before saying so;
- dropped (failed) workers are no longer waited for — what they sent before
  failing is kept, because it was measured.

Snapshots of different workers may arrive in any order; the output is always
in interval order, each interval once.

Gauges are levels, not increments: a worker that finished early still holds
its last gauge values (``vus`` 0, ``vus_max`` its peak), so its last gauges are
carried into every later interval, as the runner itself does in one process.
A dropped worker's gauges are not carried: its VUs are gone.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentload.metrics import GaugeData, SeriesData, SeriesKey, Snapshot

__all__ = ["IntervalMerger"]


class IntervalMerger:
    """Collects ``(worker, index, snapshot)`` and releases merged intervals in order.

    Args:
        workers: the workers' ids.
    """

    def __init__(self, workers: Iterable[int]) -> None:
        self._running = set(workers)
        self._finished: set[int] = set()
        self._dropped: set[int] = set()
        self._last_index: dict[int, int] = {}
        self._last_gauges: dict[int, dict[SeriesKey, SeriesData]] = {}
        self._pending: dict[int, dict[int, Snapshot]] = {}
        self._next = 0
        self.ignored = 0
        """Snapshots received from dropped workers (not merged)."""

    @property
    def next_index(self) -> int:
        """The first interval not emitted yet."""
        return self._next

    def add(self, worker: int, index: int, snapshot: Snapshot) -> list[Snapshot]:
        """Take one snapshot; return the intervals this completes, merged, in order.

        Raises:
            ValueError: an unknown worker, a negative index, or an index not
                after the worker's previous one (the transport lost its order).
        """
        if worker in self._dropped:
            self.ignored += 1
            return []
        if worker not in self._running:
            state = "finished" if worker in self._finished else "unknown"
            raise ValueError(f"snapshot from {state} worker {worker}")
        last = self._last_index.get(worker, -1)
        if index <= last:
            raise ValueError(f"worker {worker} sent interval {index} after interval {last}")
        self._last_index[worker] = index
        # A carried gauge holds its last value: no movement within later intervals.
        self._last_gauges[worker] = {
            k: GaugeData(d.value, d.value, d.value)
            for k, d in snapshot.series.items()
            if isinstance(d, GaugeData)
        }
        self._pending.setdefault(index, {})[worker] = snapshot
        return self._release()

    def finish(self, worker: int) -> list[Snapshot]:
        """``worker`` sent its last interval; stop waiting for it."""
        if worker in self._running:
            self._running.discard(worker)
            self._finished.add(worker)
        return self._release()

    def drop(self, worker: int) -> list[Snapshot]:
        """``worker`` failed: stop waiting for it and ignore what it sends later."""
        if worker in self._running or worker in self._finished:
            self._running.discard(worker)
            self._finished.discard(worker)
            self._dropped.add(worker)
            self._last_gauges.pop(worker, None)
        return self._release()

    def flush(self) -> list[Snapshot]:
        """Everything still pending, merged, in order (the run is over)."""
        out: list[Snapshot] = []
        while self._pending:
            out.extend(self._emit(min(self._pending)))
        return out

    # -- internals -----------------------------------------------------------

    def _ready(self, index: int) -> bool:
        return all(self._last_index.get(w, -1) >= index for w in self._running)

    def _release(self) -> list[Snapshot]:
        out: list[Snapshot] = []
        while self._pending and self._ready(min(self._pending)):
            out.extend(self._emit(min(self._pending)))
        return out

    def _emit(self, index: int) -> list[Snapshot]:
        parts = self._pending.pop(index)
        self._next = index + 1
        # Worker order, so the merged output is the same whatever the arrival order.
        merged: Snapshot | None = None
        for worker in sorted(parts):
            merged = parts[worker] if merged is None else merged.merge(parts[worker])
        if merged is None:
            return []
        for worker in sorted(self._finished):
            if self._last_index.get(worker, -1) < index and self._last_gauges.get(worker):
                carried = Snapshot(merged.start, merged.end, self._last_gauges[worker])
                merged = merged.merge(carried)
        return [merged]
