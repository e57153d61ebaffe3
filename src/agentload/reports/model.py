"""Everything the HTML report shows, gathered from a saved run: pure aggregation, no I/O.

:func:`build_report_model` turns the summary, the interval snapshots and the
run's aggregate into one frozen :class:`ReportModel`; the renderer
(:mod:`agentload.reports.html`) only formats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentload.errors import ThresholdSyntaxError
from agentload.metrics import Aggregate, Snapshot
from agentload.reports.distribution import LatencyCurve, build_curves
from agentload.reports.timeline import LatencyHeatmap, Timeline, build_heatmap, build_timeline
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
    summary: Mapping[str, Any], snapshots: Sequence[Snapshot], aggregate: Aggregate
) -> ReportModel:
    """Gather the report's data: timeline, heatmap, distribution curves, threshold lines."""
    return ReportModel(
        summary=summary,
        timeline=build_timeline(snapshots, max_points=MAX_CHART_POINTS),
        heatmap=build_heatmap(snapshots, max_points=MAX_HEATMAP_COLUMNS),
        curves=build_curves(aggregate),
        limits=latency_limits(summary.get("thresholds") or ()),
    )
