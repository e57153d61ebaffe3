"""Generator and target series of a run, for the report: pure, from the interval snapshots.

:func:`build_monitor_series` reads the generator and target series (one value
per interval; long runs are folded into at most :data:`MAX_POINTS` windows
keeping each window's highest value, so a spike is never averaged away).
Rendering: :mod:`agentload.reports.monitor_report`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from agentload.metrics import GaugeData, Histogram, Snapshot, TrendData

__all__ = ["MAX_POINTS", "MonitorSeries", "MonitorSeriesBuilder", "Values", "build_monitor_series"]

MAX_POINTS = 1200

Values = list[float | None]


@dataclass(frozen=True, slots=True)
class MonitorSeries:
    """Per-interval values (``None``: not measured then), aligned on ``t`` (s since start)."""

    t: list[float] = field(default_factory=list)
    gen_cpu: dict[str, Values] = field(default_factory=dict)
    """By worker."""
    gen_lag_p99_ms: Values = field(default_factory=list)
    gen_sockets: Values = field(default_factory=list)
    drift_p99_ms: Values = field(default_factory=list)
    """``iteration_queue_time`` p99 (open model: how late iterations started)."""
    target: dict[str, Values] = field(default_factory=dict)
    """``target_cpu_percent``, ``target_rss`` (MB), ``target_open_fds``, ``target_connections``."""
    target_gauges: dict[str, Values] = field(default_factory=dict)
    """Scraped gauges, by their ``metric`` tag."""

    @property
    def has_generator(self) -> bool:
        """True when generator series were recorded."""
        return bool(self.gen_cpu) or any(v is not None for v in self.gen_lag_p99_ms)

    @property
    def has_target(self) -> bool:
        """True when the target was monitored."""
        return bool(self.target) or bool(self.target_gauges)


def _p99_ms(hists: list[Histogram]) -> float | None:
    if not hists:
        return None
    out = hists[0].copy()
    for h in hists[1:]:
        out.add(h)
    return out.percentile(99.0) / 1000 if out.count else None


def _put(table: dict[str, Values], key: str, i: int, n: int, value: float) -> None:
    row = table.setdefault(key, [None] * n)
    old = row[i]
    row[i] = value if old is None else old + value


def _fold(values: Values, size: int) -> Values:
    out: Values = []
    for k in range(0, len(values), size):
        chunk = [v for v in values[k:k + size] if v is not None]
        out.append(max(chunk) if chunk else None)
    return out


class MonitorSeriesBuilder:
    """Builds :func:`build_monitor_series`' result one snapshot at a time.

    Keeps a few numbers per interval, never the snapshots (see
    :func:`agentload.reports.timeline.reduce_snapshots`).
    """

    __slots__ = ("_drift", "_i", "_lag", "_max_points", "_n", "_s", "_sockets")

    def __init__(self, intervals: int, max_points: int = MAX_POINTS) -> None:
        self._n = intervals
        self._max_points = max_points
        self._i = 0
        self._s = MonitorSeries()
        self._lag: Values = [None] * intervals
        self._sockets: Values = [None] * intervals
        self._drift: Values = [None] * intervals

    def trends(self, metric: str) -> bool:
        """The generator's loop lag and the open model's queue time."""
        return metric in ("gen_loop_lag", "iteration_queue_time")

    def add(self, snap: Snapshot) -> None:
        """Take the next snapshot."""
        i, n, s = self._i, self._n, self._s
        if i >= n:
            raise ValueError(f"more snapshots than the {n} announced")
        self._i += 1
        s.t.append(round(snap.end, 3))
        lags: list[Histogram] = []
        queue: list[Histogram] = []
        for key, data in snap.series.items():
            m = key.metric
            if isinstance(data, TrendData):
                if m == "gen_loop_lag":
                    lags.append(data.hist)
                elif m == "iteration_queue_time":
                    queue.append(data.hist)
            elif isinstance(data, GaugeData):
                if m == "gen_cpu_percent":
                    _put(s.gen_cpu, key.tag("worker") or "0", i, n, data.max)
                elif m == "gen_open_sockets":
                    self._sockets[i] = (self._sockets[i] or 0.0) + data.value
                elif m == "target_gauge":
                    _put(s.target_gauges, key.tag("metric") or "?", i, n, data.value)
                elif m == "target_rss":
                    _put(s.target, m, i, n, data.max / 1e6)
                elif m.startswith("target_"):
                    _put(s.target, m, i, n, data.max)
        self._lag[i], self._drift[i] = _p99_ms(lags), _p99_ms(queue)

    def close(self) -> None:
        """Nothing to finish (part of the one-pass reducer protocol)."""

    def result(self) -> MonitorSeries:
        """The series of every snapshot added."""
        s, n, max_points = self._s, self._n, self._max_points
        s.gen_lag_p99_ms.extend(self._lag)
        s.gen_sockets.extend(self._sockets)
        s.drift_p99_ms.extend(self._drift)
        if n <= max_points:
            return s
        size = -(-n // max_points)
        return MonitorSeries(
            t=[s.t[min(k + size, n) - 1] for k in range(0, n, size)],
            gen_cpu={k: _fold(v, size) for k, v in s.gen_cpu.items()},
            gen_lag_p99_ms=_fold(s.gen_lag_p99_ms, size),
            gen_sockets=_fold(s.gen_sockets, size),
            drift_p99_ms=_fold(s.drift_p99_ms, size),
            target={k: _fold(v, size) for k, v in s.target.items()},
            target_gauges={k: _fold(v, size) for k, v in s.target_gauges.items()},
        )


def build_monitor_series(
    snapshots: Collection[Snapshot], max_points: int = MAX_POINTS
) -> MonitorSeries:
    """The generator and target series of a run, one value per interval (or window)."""
    builder = MonitorSeriesBuilder(len(snapshots), max_points)
    for snap in snapshots:
        builder.add(snap)
    return builder.result()
