"""Everything the HTML report shows, gathered from a saved run: pure aggregation, no I/O.

:func:`build_report_model` turns the summary, the interval snapshots and the
run's aggregate into one frozen :class:`ReportModel`; the renderer
(:mod:`agentload.reports.html`) only formats it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentload.errors import ThresholdSyntaxError
from agentload.metrics import Aggregate, FailureSample, Snapshot
from agentload.reports.distribution import LatencyCurve, build_curves
from agentload.reports.monitor_series import MonitorSeries, MonitorSeriesBuilder
from agentload.reports.protocol_tables import ProtocolTable, build_protocol_tables
from agentload.reports.timeline import (
    LATENCY_METRIC,
    HeatmapBuilder,
    LatencyHeatmap,
    SnapshotReducer,
    Timeline,
    TimelineBuilder,
    reduce_snapshots,
    trend_extent,
)
from agentload.reports.trend_lines import TrendLine, TrendLinesBuilder
from agentload.thresholds import Aggregation, parse_threshold

__all__ = ["LatencyLimit", "ReportModel", "build_report_model", "latency_limits"]

# Charts of long runs merge seconds into wider windows: a browser draws 1200
# points per line instantly, and the heatmap stays a few hundred KB.
MAX_CHART_POINTS = 1200
MAX_HEATMAP_COLUMNS = 400


@dataclass(frozen=True, slots=True)
class LatencyLimit:
    """A percentile threshold on all requests' latency, drawn as a line on the latency chart."""

    label: str
    percentile: float
    limit_ms: float
    passed: bool


@dataclass(frozen=True, slots=True)
class ReportModel:
    """The data of one HTML report."""

    summary: Mapping[str, Any]
    timeline: Timeline
    heatmap: LatencyHeatmap | None
    curves: tuple[LatencyCurve, ...]
    limits: tuple[LatencyLimit, ...]
    failures: tuple[FailureSample, ...] = ()
    """The run's failure samples (``failures.jsonl``)."""
    trend_lines: tuple[TrendLine, ...] = ()
    """TTFT/ITL/voice/… latencies over time (reports/trend_lines.py)."""
    monitoring: MonitorSeries = field(default_factory=MonitorSeries)
    """Generator and target series (reports/monitor_series.py)."""
    protocol_tables: tuple[ProtocolTable, ...] = ()
    """LLM / WebSocket / voice steps' tables (reports/protocol_tables.py)."""


def latency_limits(thresholds: Sequence[Mapping[str, Any]]) -> tuple[LatencyLimit, ...]:
    """Percentile thresholds on untagged ``http_req_duration`` (e.g. ``p(95)<300``)."""
    out: list[LatencyLimit] = []
    for row in thresholds:
        if row.get("metric") != "http_req_duration":
            continue
        try:
            t = parse_threshold(str(row["metric"]), str(row["expression"]))
        except (ThresholdSyntaxError, KeyError):
            continue  # a summary from another version: skip the line, keep the report
        if t.aggregation is Aggregation.PERCENTILE and t.percentile is not None and not t.tags:
            out.append(
                LatencyLimit(
                    label=f"{t.label} limit",
                    percentile=t.percentile,
                    limit_ms=t.value / 1000.0,
                    passed=bool(row.get("passed")),
                )
            )
    return tuple(out)


def build_report_model(
    summary: Mapping[str, Any],
    snapshots: Collection[Snapshot],
    aggregate: Aggregate,
    failures: Sequence[FailureSample] = (),
    *,
    also: Sequence[SnapshotReducer] = (),
) -> ReportModel:
    """Gather the report's data: timeline, heatmap, distribution curves, threshold lines.

    The snapshots are read once, every chart's builder taking each in turn
    (and the reducers in ``also``, e.g. ``history.csv``'s timeline), so a saved
    run is streamed from disk a single time whatever its length.
    """
    n = len(snapshots)
    timeline = TimelineBuilder(n, max_points=MAX_CHART_POINTS)
    heatmap = HeatmapBuilder(
        n, trend_extent(snapshots, LATENCY_METRIC), max_points=MAX_HEATMAP_COLUMNS
    )
    trend_lines = TrendLinesBuilder(n, max_points=MAX_CHART_POINTS)
    monitoring = MonitorSeriesBuilder(n)
    reduce_snapshots(snapshots, timeline, heatmap, trend_lines, monitoring, *also)
    return ReportModel(
        summary=summary,
        timeline=timeline.result(),
        heatmap=heatmap.result(),
        curves=build_curves(aggregate),
        limits=latency_limits(summary.get("thresholds") or ()),
        failures=tuple(failures),
        trend_lines=trend_lines.result(),
        monitoring=monitoring.result(),
        protocol_tables=build_protocol_tables(aggregate),
    )
