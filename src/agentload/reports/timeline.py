"""Per-interval figures over a run, from its snapshots: what the charts and ``history.csv`` show.

Pure aggregation, no I/O. Each point is one *window* of consecutive interval
snapshots merged exactly (counts add up, histograms merge bucket by bucket),
so percentiles per window are true percentiles of that window's samples, never
averages of per-second percentiles. ``history.csv`` uses one-interval windows;
the HTML charts of long runs use wider windows so the page stays light.

Everything is reduced in one pass, one window at a time: the builders
(:class:`TimelineBuilder`, :class:`HeatmapBuilder`, and others elsewhere)
take snapshots in order via :func:`reduce_snapshots` and keep per-window
figures only, so memory does not grow with the run's duration (a saved run's
snapshots are streamed from disk, :class:`~agentload.reports.saved.SavedSnapshots`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from agentload.metrics import Aggregate, Histogram, Snapshot, TrendData
from agentload.reports.saved import SavedSnapshots

__all__ = [
    "HeatmapBuilder",
    "LatencyHeatmap",
    "SnapshotReducer",
    "Timeline",
    "TimelineBuilder",
    "TimelinePoint",
    "WindowMerger",
    "WindowedReducer",
    "build_heatmap",
    "build_timeline",
    "reduce_snapshots",
    "trend_extent",
    "window_size",
]

_US_PER_MS = 1000.0
LATENCY_METRIC = "http_req_duration"


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One window: seconds since the run started, and what happened in it.

    Latency percentiles are in milliseconds, ``None`` when no response arrived.
    """

    start: float
    end: float
    requests: int
    vus: float
    p50: float | None
    p95: float | None
    p99: float | None
    errors: int
    errors_by_kind: Mapping[str, int]
    failed: int
    """Requests that failed (``http_req_failed`` true samples)."""
    failed_total: int
    """Requests judged by ``http_req_failed`` (the failure ratio's denominator)."""

    @property
    def span(self) -> float:
        """Window length in seconds (never zero, so rates are defined)."""
        return max(self.end - self.start, 1e-9)

    @property
    def rps(self) -> float:
        """Requests per second over the window."""
        return self.requests / self.span

    @property
    def failed_rate(self) -> float:
        """Share of requests that failed (0-1); 0.0 when there were none."""
        return self.failed / self.failed_total if self.failed_total else 0.0


@dataclass(frozen=True, slots=True)
class Timeline:
    """The run as a sequence of windows, plus every error kind seen (for stable legends)."""

    points: tuple[TimelinePoint, ...]
    error_kinds: tuple[str, ...]
    window: int
    """How many interval snapshots each point merges."""


@dataclass(frozen=True, slots=True)
class LatencyHeatmap:
    """Request counts per (window, latency band), for a time × latency heatmap.

    ``edges_ms`` has one more entry than each row of ``counts``: band ``j``
    holds latencies in ``[edges_ms[j], edges_ms[j+1])`` (to histogram-bucket
    precision, < 0.1 %). ``counts[i]`` belongs to window ``times[i]`` (its
    midpoint, seconds since the start).
    """

    times: tuple[float, ...]
    edges_ms: tuple[float, ...]
    counts: tuple[tuple[int, ...], ...]


def window_size(intervals: int, max_points: int) -> int:
    """Snapshots per window so that at most ``max_points`` windows remain (at least 1)."""
    return max(1, math.ceil(intervals / max(max_points, 1)))


class WindowMerger:
    """Merges consecutive snapshots into windows of ``size`` and hands each one on when full.

    Only the window being filled is held (one :class:`Aggregate`), so a
    reduction over a long run keeps per-window results, never the snapshots.
    Call :meth:`close` after the last snapshot to hand on a partial last window.
    """

    __slots__ = ("_agg", "_on_window", "size")

    def __init__(self, size: int, on_window: Callable[[Aggregate], None]) -> None:
        self.size = size
        self._on_window = on_window
        self._agg: Aggregate | None = None

    def add(self, snapshot: Snapshot) -> None:
        """Merge ``snapshot`` into the current window (handed on once it holds ``size``)."""
        if self._agg is None:
            self._agg = Aggregate()
        self._agg.add(snapshot)
        if self._agg.intervals >= self.size:
            self.close()

    def close(self) -> None:
        """Hand on the partial window, if any."""
        if self._agg is not None:
            agg, self._agg = self._agg, None
            self._on_window(agg)


class SnapshotReducer(Protocol):
    """A one-pass consumer of a run's snapshots (see :func:`reduce_snapshots`)."""

    def trends(self, metric: str) -> bool:
        """True when this reducer reads trend ``metric`` (others may be left undecoded)."""

    def add(self, snapshot: Snapshot) -> None:
        """Take the next snapshot (in interval order)."""

    def close(self) -> None:
        """No more snapshots will come."""


def reduce_snapshots(snapshots: Iterable[Snapshot], *builders: SnapshotReducer) -> None:
    """Feed every snapshot to every builder in one pass, then close them.

    A saved run's trends that no builder reads are not even decoded.
    """
    stream = snapshots
    if isinstance(snapshots, SavedSnapshots):
        known: dict[str, bool] = {}

        def wanted(metric: str) -> bool:
            read = known.get(metric)
            if read is None:
                read = known[metric] = any(b.trends(metric) for b in builders)
            return read

        stream = snapshots.iter_snapshots(trends=wanted)
    for snap in stream:
        for builder in builders:
            builder.add(snap)
    for builder in builders:
        builder.close()


class WindowedReducer:
    """A :class:`SnapshotReducer` that reduces windows of ``size`` merged snapshots.

    Subclasses say which trends they read (``trends``) and what they keep of
    each window (``_take``); adding and closing are the same for all.
    """

    __slots__ = ("_merger",)

    def __init__(self, size: int) -> None:
        self._merger = WindowMerger(size, self._take)

    def add(self, snapshot: Snapshot) -> None:
        """Take the next snapshot."""
        self._merger.add(snapshot)

    def close(self) -> None:
        """Finish the last window."""
        self._merger.close()

    def _take(self, agg: Aggregate) -> None:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Window:
    start: float
    end: float
    requests: int
    vus: float
    p50: float | None
    p95: float | None
    p99: float | None
    errors: int
    by_kind: Mapping[str, int]
    failed: int
    failed_total: int


class TimelineBuilder(WindowedReducer):
    """Builds a :class:`Timeline` one snapshot at a time (see :func:`build_timeline`)."""

    __slots__ = ("_kinds", "_windows")

    def __init__(self, intervals: int, *, max_points: int | None = None) -> None:
        super().__init__(1 if max_points is None else window_size(intervals, max_points))
        self._windows: list[_Window] = []
        self._kinds: set[str] = set()

    def trends(self, metric: str) -> bool:
        """Only ``http_req_duration`` (the latency percentiles)."""
        return metric == LATENCY_METRIC

    def _take(self, agg: Aggregate) -> None:
        hist = agg.trend(LATENCY_METRIC)
        p50 = p95 = p99 = None
        if hist is not None and hist.count:
            p50, p95, p99 = (v / _US_PER_MS for v in hist.percentiles((50.0, 95.0, 99.0)))
        vus = agg.gauge("vus")
        failed = agg.rate("http_req_failed") or (0, 0)
        kinds = agg.tag_values("errors", "kind")
        self._kinds.update(kinds)
        self._windows.append(
            _Window(
                start=agg.start or 0.0,
                end=agg.end or 0.0,
                requests=int(agg.counter("http_reqs")),
                vus=vus.value if vus is not None else 0.0,
                p50=p50,
                p95=p95,
                p99=p99,
                errors=int(agg.counter("errors")),
                by_kind={k: int(agg.counter("errors", {"kind": k})) for k in kinds},
                failed=failed[0],
                failed_total=failed[1],
            )
        )

    def result(self) -> Timeline:
        """The timeline of every snapshot added (call :meth:`close` first)."""
        kinds = sorted(self._kinds)
        points = tuple(
            TimelinePoint(
                start=w.start,
                end=w.end,
                requests=w.requests,
                vus=w.vus,
                p50=w.p50,
                p95=w.p95,
                p99=w.p99,
                errors=w.errors,
                errors_by_kind={k: n for k in kinds if (n := w.by_kind.get(k, 0))},
                failed=w.failed,
                failed_total=w.failed_total,
            )
            for w in self._windows
        )
        return Timeline(points, tuple(kinds), self._merger.size)


def build_timeline(
    snapshots: Collection[Snapshot], *, max_points: int | None = None
) -> Timeline:
    """Windows over ``snapshots`` (one per snapshot unless ``max_points`` forces merging).

    Gauges (VUs) in a merged window show the value at the window's end, as a
    gauge does; everything else is summed over the window. One pass; only one
    window is merged at a time.
    """
    builder = TimelineBuilder(len(snapshots), max_points=max_points)
    reduce_snapshots(snapshots, builder)
    return builder.result()


def _bucket_index(layout: Histogram, value_us: int) -> int:
    """Index of the histogram bucket holding ``value_us``, via the public API only."""
    probe = layout.empty_like()
    probe.record(value_us)
    return int(probe.to_sparse()[0][0])


def _edges_us(low: int, high: int, bands: int) -> list[int]:
    """Log-spaced band edges covering ``[low, high]`` (µs), strictly increasing."""
    lo = max(low, 1)
    hi = max(high + 1, lo + 1)
    ratio = (hi / lo) ** (1 / bands)
    return sorted({round(lo * ratio**i) for i in range(bands)} | {lo, hi})


def trend_extent(snapshots: Iterable[Snapshot], metric: str) -> tuple[int, int] | None:
    """``(min, max)`` of every sample of trend ``metric``, ``None`` when it has none.

    Saved runs know it from loading (:meth:`SavedSnapshots.extent`), so no
    extra pass over the file is needed; other collections are scanned.
    """
    if isinstance(snapshots, SavedSnapshots):
        return snapshots.extent(metric)
    lo = hi = None
    for snap in snapshots:
        for key, data in snap.series.items():
            if key.metric == metric and isinstance(data, TrendData) and data.count:
                lo = data.min if lo is None else min(lo, data.min)
                hi = data.max if hi is None else max(hi, data.max)
    return None if lo is None or hi is None else (lo, hi)


class HeatmapBuilder(WindowedReducer):
    """Builds a :class:`LatencyHeatmap` one snapshot at a time (see :func:`build_heatmap`).

    ``extent`` is the ``(min, max)`` latency of the whole run
    (:func:`trend_extent`): the bands must be known before the first window
    is reduced to band counts, so no window's histogram is kept.
    """

    __slots__ = ("_cuts", "_edges", "_extent", "_rows", "_times")

    def __init__(
        self,
        intervals: int,
        extent: tuple[int, int] | None,
        *,
        max_points: int = 600,
        bands: int = 40,
    ) -> None:
        super().__init__(window_size(intervals, max_points))
        self._edges = _edges_us(extent[0], extent[1], bands) if extent is not None else None
        self._cuts: npt.NDArray[np.int64] | None = None
        self._extent = extent
        self._rows: list[tuple[int, ...]] = []
        self._times: list[float] = []

    def trends(self, metric: str) -> bool:
        """Only ``http_req_duration``."""
        return metric == LATENCY_METRIC

    def _take(self, agg: Aggregate) -> None:
        self._times.append(((agg.start or 0.0) + (agg.end or 0.0)) / 2)
        hist = agg.trend(LATENCY_METRIC)
        if self._edges is None or self._extent is None or hist is None or not hist.count:
            self._rows.append((0,) * (len(self._edges or ()) - 1))
            return
        if self._cuts is None:
            # Band j spans buckets [cut[j], cut[j+1]). The last cut is one past the
            # maximum's bucket, not the bucket of the last edge, which may share it.
            # The first cut is 0: a 0 µs sample (below the first edge of 1) is in band 0.
            cut_list = [0, *(_bucket_index(hist, e) for e in self._edges[1:-1])]
            cut_list.append(_bucket_index(hist, self._extent[1]) + 1)
            self._cuts = np.array(cut_list, dtype=np.int64)
        indices, counts = hist.to_sparse()
        cumulative = np.concatenate(([0], np.cumsum(counts)))
        at = cumulative[np.searchsorted(indices, self._cuts, side="left")]
        self._rows.append(tuple(int(n) for n in np.diff(at)))

    def result(self) -> LatencyHeatmap | None:
        """The heatmap (call :meth:`close` first); ``None`` when no latency was recorded."""
        if self._edges is None or self._cuts is None:
            return None
        edges = tuple(e / _US_PER_MS for e in self._edges)
        return LatencyHeatmap(tuple(self._times), edges, tuple(self._rows))


def build_heatmap(
    snapshots: Collection[Snapshot], *, max_points: int = 600, bands: int = 40
) -> LatencyHeatmap | None:
    """Counts of ``http_req_duration`` samples per window and log-spaced latency band.

    Returns ``None`` when the run recorded no latency at all.
    """
    extent = trend_extent(snapshots, LATENCY_METRIC)
    if extent is None:
        return None
    builder = HeatmapBuilder(len(snapshots), extent, max_points=max_points, bands=bands)
    reduce_snapshots(snapshots, builder)
    return builder.result()
