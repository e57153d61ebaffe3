"""Per-interval figures over a run, from its snapshots: what the charts and ``history.csv`` show.

Pure aggregation, no I/O. Each point is one *window* of consecutive interval
snapshots merged exactly (counts add up, histograms merge bucket by bucket),
so percentiles per window are true percentiles of that window's samples, never
averages of per-second percentiles. ``history.csv`` uses one-interval windows;
the HTML charts of long runs use wider windows so the page stays light.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from agentload.metrics import Aggregate, Histogram, Snapshot

__all__ = [
    "LatencyHeatmap",
    "Timeline",
    "TimelinePoint",
    "build_heatmap",
    "build_timeline",
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


def _windows(snapshots: Sequence[Snapshot], size: int) -> list[Aggregate]:
    out: list[Aggregate] = []
    for i in range(0, len(snapshots), size):
        agg = Aggregate()
        for snap in snapshots[i : i + size]:
            agg.add(snap)
        out.append(agg)
    return out


def _point(agg: Aggregate, kinds: Sequence[str]) -> TimelinePoint:
    hist = agg.trend(LATENCY_METRIC)
    p50 = p95 = p99 = None
    if hist is not None and hist.count:
        p50, p95, p99 = (v / _US_PER_MS for v in hist.percentiles((50.0, 95.0, 99.0)))
    vus = agg.gauge("vus")
    failed = agg.rate("http_req_failed") or (0, 0)
    by_kind = {k: int(agg.counter("errors", {"kind": k})) for k in kinds}
    return TimelinePoint(
        start=agg.start or 0.0,
        end=agg.end or 0.0,
        requests=int(agg.counter("http_reqs")),
        vus=vus.value if vus is not None else 0.0,
        p50=p50,
        p95=p95,
        p99=p99,
        errors=int(agg.counter("errors")),
        errors_by_kind={k: n for k, n in by_kind.items() if n},
        failed=failed[0],
        failed_total=failed[1],
    )


def build_timeline(snapshots: Sequence[Snapshot], *, max_points: int | None = None) -> Timeline:
    """Windows over ``snapshots`` (one per snapshot unless ``max_points`` forces merging).

    Gauges (VUs) in a merged window show the value at the window's end, as a
    gauge does; everything else is summed over the window.
    """
    size = 1 if max_points is None else window_size(len(snapshots), max_points)
    windows = _windows(snapshots, size)
    kinds = sorted({k for agg in windows for k in agg.tag_values("errors", "kind")})
    return Timeline(tuple(_point(agg, kinds) for agg in windows), tuple(kinds), size)


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


def build_heatmap(
    snapshots: Sequence[Snapshot], *, max_points: int = 600, bands: int = 40
) -> LatencyHeatmap | None:
    """Counts of ``http_req_duration`` samples per window and log-spaced latency band.

    Returns ``None`` when the run recorded no latency at all.
    """
    windows = _windows(snapshots, window_size(len(snapshots), max_points))
    hists = [agg.trend(LATENCY_METRIC) for agg in windows]
    present = [h for h in hists if h is not None and h.count]
    if not present:
        return None
    low = min(h.min for h in present)
    high = max(h.max for h in present)
    layout = present[0]
    edges = _edges_us(low, high, bands)
    # Band j spans buckets [cut[j], cut[j+1]). The last cut is one past the
    # maximum's bucket, not the bucket of the last edge, which may share it.
    # The first cut is 0: a 0 µs sample (below the first edge of 1) is in band 0.
    cut_list = [0, *(_bucket_index(layout, e) for e in edges[1:-1])]
    cut_list.append(_bucket_index(layout, high) + 1)
    cuts = np.array(cut_list, dtype=np.int64)
    rows: list[tuple[int, ...]] = []
    for hist in hists:
        if hist is None or not hist.count:
            rows.append((0,) * (len(edges) - 1))
            continue
        indices, counts = hist.to_sparse()
        cumulative = np.concatenate(([0], np.cumsum(counts)))
        at = cumulative[np.searchsorted(indices, cuts, side="left")]
        rows.append(tuple(int(n) for n in np.diff(at)))
    times = tuple(((a.start or 0.0) + (a.end or 0.0)) / 2 for a in windows)
    return LatencyHeatmap(times, tuple(e / _US_PER_MS for e in edges), tuple(rows))
