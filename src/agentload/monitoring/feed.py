"""Put the target monitor's samples into the run's interval snapshots.

:class:`MonitoredSinks` sits between the runner (or the multi-worker
coordinator) and the run's sinks: every interval it drains the
:class:`~agentload.monitoring.target.TargetMonitor` and merges those gauges
into the snapshot, so the results file, the live view, the live outputs and
the alerts all see the target's series beside the load's. The runner's own
aggregate never sees them (it decides thresholds and aborts on the load
alone); :meth:`MonitoredSinks.merge_into` adds their run totals at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agentload.metrics import Aggregate, Snapshot
from agentload.monitoring.target import TargetMonitor

__all__ = ["MonitoredSinks", "Sink"]


class Sink(Protocol):
    """Anything with the runner's ``on_snapshot`` (``engine.runner.SnapshotSink``)."""

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Receive one interval."""
        ...


class MonitoredSinks:
    """Forward every interval to ``sinks``, with the monitor's samples merged in."""

    def __init__(self, monitor: TargetMonitor | None, sinks: Sequence[Sink]) -> None:
        self.monitor = monitor
        self.sinks = tuple(sinks)
        self.totals = Aggregate()
        """Run totals of the monitor's series alone."""

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Merge the monitor's interval, then call each sink in order."""
        if self.monitor is not None:
            extra = self.monitor.drain(start=snapshot.start, end=snapshot.end)
            if extra.series:
                self.totals.add(extra)
                snapshot = snapshot.merge(extra)
        for sink in self.sinks:
            sink.on_snapshot(snapshot, aggregate, elapsed)

    def merge_into(self, aggregate: Aggregate) -> None:
        """Add the monitor's run totals to ``aggregate`` (its interval count unchanged)."""
        keys = self.totals.keys()
        if not keys:
            return
        series = {k: d for k in keys if (d := self.totals.data(k)) is not None}
        start = aggregate.start if aggregate.start is not None else 0.0
        end = aggregate.end if aggregate.end is not None else start
        intervals = aggregate.intervals
        aggregate.add(Snapshot(start, end, series))
        aggregate.intervals = intervals
