"""Is the generator itself the bottleneck? Judged per interval and over the run.

An interval is *saturated* when a generator process used more than
:data:`CPU_LIMIT` % of a core, or the event loop's timer lag had a p99 above
:data:`LAG_P99_LIMIT_MS` ms: then requests left late and latencies include the
generator's own delay, so the numbers stop being trustworthy. The run is
flagged when at least :data:`MIN_SATURATED` intervals and at least
:data:`SATURATED_SHARE` of all intervals were saturated (one busy second at
start-up is not a verdict). docs/metrics.md, "Generator and target monitoring".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentload.metrics import Aggregate, GaugeData, Histogram, Snapshot, TrendData

__all__ = [
    "CPU_LIMIT",
    "LAG_P99_LIMIT_MS",
    "MIN_SATURATED",
    "SATURATED_SHARE",
    "IntervalLoad",
    "SaturationTracker",
    "interval_load",
]

CPU_LIMIT = 90.0
"""% of one core above which a generator process counts as saturated."""
LAG_P99_LIMIT_MS = 50.0
"""Event-loop lag p99 (ms) above which an interval counts as saturated."""
MIN_SATURATED = 2
SATURATED_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class IntervalLoad:
    """The generator's state in one interval (``None``: not measured in it)."""

    cpu_max: float | None
    """The busiest process's CPU, % of one core."""
    lag_p99_ms: float | None
    sockets: float | None
    """Open sockets, all generator processes together."""

    @property
    def saturated(self) -> bool:
        """True when CPU or loop lag is over its limit."""
        return (self.cpu_max is not None and self.cpu_max > CPU_LIMIT) or (
            self.lag_p99_ms is not None and self.lag_p99_ms > LAG_P99_LIMIT_MS
        )

    def reasons(self) -> list[str]:
        """Why the interval is saturated, as short phrases."""
        out = []
        if self.cpu_max is not None and self.cpu_max > CPU_LIMIT:
            out.append(f"CPU {self.cpu_max:.0f}% > {CPU_LIMIT:.0f}%")
        if self.lag_p99_ms is not None and self.lag_p99_ms > LAG_P99_LIMIT_MS:
            out.append(f"loop lag p99 {self.lag_p99_ms:.0f} ms > {LAG_P99_LIMIT_MS:.0f} ms")
        return out


def interval_load(snapshot: Snapshot) -> IntervalLoad:
    """Read the generator series of one interval snapshot."""
    cpu: float | None = None
    sockets: float | None = None
    lag: Histogram | None = None
    for key, data in snapshot.series.items():
        if key.metric == "gen_cpu_percent" and isinstance(data, GaugeData):
            cpu = data.max if cpu is None else max(cpu, data.max)
        elif key.metric == "gen_open_sockets" and isinstance(data, GaugeData):
            sockets = data.value + (sockets or 0.0)
        elif key.metric == "gen_loop_lag" and isinstance(data, TrendData):
            if lag is None:
                lag = data.hist.copy()
            else:
                lag.add(data.hist)
    p99 = lag.percentile(99.0) / 1000 if lag is not None and lag.count else None
    return IntervalLoad(cpu, p99, sockets)


class SaturationTracker:
    """Snapshot sink that counts saturated intervals and keeps the latest state."""

    def __init__(self) -> None:
        self.intervals = 0
        self.saturated_intervals = 0
        self.current = IntervalLoad(None, None, None)
        self.cpu_peak: float | None = None
        self.first_saturated_s: float | None = None
        self._reasons: dict[str, int] = {}

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Judge one interval."""
        load = interval_load(snapshot)
        self.current = load
        self.intervals += 1
        if load.cpu_max is not None:
            self.cpu_peak = load.cpu_max if self.cpu_peak is None else max(
                self.cpu_peak, load.cpu_max
            )
        if load.saturated:
            self.saturated_intervals += 1
            if self.first_saturated_s is None:
                self.first_saturated_s = elapsed
            for reason in load.reasons():
                kind = reason.split(" ", 1)[0]
                self._reasons[kind] = self._reasons.get(kind, 0) + 1

    @property
    def saturated(self) -> bool:
        """True when the run as a whole is flagged (see the module rule)."""
        n = self.saturated_intervals
        return n >= MIN_SATURATED and n >= SATURATED_SHARE * self.intervals

    def warning(self) -> str | None:
        """One line for the console and the report, or ``None`` when all was well."""
        if not self.saturated:
            return None
        what = " and ".join(
            {"CPU": f"CPU above {CPU_LIMIT:.0f}%", "loop": "event-loop lag"}.get(k, k)
            for k in sorted(self._reasons)
        )
        return (
            f"the load generator was saturated in {self.saturated_intervals} of "
            f"{self.intervals} seconds ({what}): latencies include its own delay and the "
            "sent load may be short of the plan; use more --workers or machines"
        )

    def summary(self, aggregate: Aggregate | None = None) -> dict[str, Any]:
        """The ``generator`` section of summary.json."""
        lag = aggregate.trend("gen_loop_lag") if aggregate is not None else None
        queue = aggregate.trend("iteration_queue_time") if aggregate is not None else None
        return {
            "saturated": self.saturated,
            "saturated_intervals": self.saturated_intervals,
            "intervals": self.intervals,
            "first_saturated_s": self.first_saturated_s,
            "cpu_percent_peak": self.cpu_peak,
            "loop_lag_p99_ms": lag.percentile(99.0) / 1000 if lag and lag.count else None,
            "schedule_drift_p99_ms": queue.percentile(99.0) / 1000
            if queue and queue.count
            else None,
            "limits": {"cpu_percent": CPU_LIMIT, "loop_lag_p99_ms": LAG_P99_LIMIT_MS},
            "warning": self.warning(),
        }
