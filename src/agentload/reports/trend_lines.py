"""Latency trends beyond HTTP over time: LLM TTFT/ITL/TPOT, SSE, voice and WebSocket latencies.

Pure: snapshots in, per-window p50/p95 per metric out, and its plotly figure.
Which trends: every duration trend (unit µs) that is not ``http_req_*`` (the
latency chart shows ``http_req_duration``), not per-iteration bookkeeping and
not a generator/target system metric — so a new protocol's latencies appear
without touching this module. Percentiles per window are exact (histograms
merged), as in :mod:`agentload.reports.timeline`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from agentload.metrics import Aggregate, MetricKind, Snapshot, metric_def
from agentload.reports.timeline import WindowMerger, reduce_snapshots, window_size

__all__ = [
    "TrendLine",
    "TrendLinesBuilder",
    "build_trend_lines",
    "latency_trend_names",
    "trend_lines_figure",
]

_SKIP_PREFIXES = ("http_req_", "iteration", "gen_", "target_")
_SKIP = frozenset({"llm_done", "llm_ttfot"})  # near-duplicates of llm_e2e / llm_ttft
_COLORS = ("#4f46e5", "#f97316", "#0d9488", "#e11d48", "#ca8a04", "#9333ea", "#0284c7")
_FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class TrendLine:
    """One trend's p50/p95 per window (ms; ``None`` where the window had no sample)."""

    metric: str
    times: tuple[float, ...]
    p50: tuple[float | None, ...]
    p95: tuple[float | None, ...]


def latency_trend_names(metrics: set[str], kind_of: Any) -> list[str]:
    """The latency trends among ``metrics`` that this chart (and run comparison) shows."""
    out = []
    for m in metrics:
        d = metric_def(m)
        if d is None or d.unit != "us" or kind_of(m) is not MetricKind.TREND:
            continue
        if m.startswith(_SKIP_PREFIXES) or m in _SKIP:
            continue
        out.append(m)
    return sorted(out)


class TrendLinesBuilder:
    """Builds :func:`build_trend_lines`' result one snapshot at a time (one window held)."""

    __slots__ = ("_merger", "_names", "_windows")

    def __init__(self, intervals: int, *, max_points: int = 600) -> None:
        self._merger = WindowMerger(window_size(intervals, max_points), self._take)
        # Per window: its midpoint and (p50, p95) in ms of each latency trend in it.
        self._windows: list[tuple[float, dict[str, tuple[float, float]]]] = []
        self._names: set[str] = set()

    def trends(self, metric: str) -> bool:
        """The latency trends this chart shows."""
        return bool(latency_trend_names({metric}, lambda _: MetricKind.TREND))

    def add(self, snapshot: Snapshot) -> None:
        """Take the next snapshot."""
        self._merger.add(snapshot)

    def close(self) -> None:
        """Finish the last window."""
        self._merger.close()

    def _take(self, agg: Aggregate) -> None:
        values: dict[str, tuple[float, float]] = {}
        for metric in latency_trend_names(agg.metrics(), agg.kind):
            self._names.add(metric)
            hist = agg.trend(metric)
            if hist is not None and hist.count:
                a, b = hist.percentiles((50.0, 95.0))
                values[metric] = (round(a / 1000.0, 3), round(b / 1000.0, 3))
        self._windows.append((round(((agg.start or 0.0) + (agg.end or 0.0)) / 2, 2), values))

    def result(self) -> tuple[TrendLine, ...]:
        """One line per latency trend present in the run (call :meth:`close` first)."""
        times = tuple(t for t, _ in self._windows)
        lines = []
        for metric in sorted(self._names):
            pairs = [values.get(metric) for _, values in self._windows]
            p50 = tuple(None if p is None else p[0] for p in pairs)
            p95 = tuple(None if p is None else p[1] for p in pairs)
            lines.append(TrendLine(metric, times, p50, p95))
        return tuple(lines)


def build_trend_lines(
    snapshots: Collection[Snapshot], *, max_points: int = 600
) -> tuple[TrendLine, ...]:
    """One line per latency trend present in the run; empty when there is none."""
    builder = TrendLinesBuilder(len(snapshots), max_points=max_points)
    reduce_snapshots(snapshots, builder)
    return builder.result()


def trend_lines_figure(lines: Sequence[TrendLine]) -> dict[str, Any]:
    """p95 (solid) and p50 (dotted, hidden until picked in the legend) of each trend."""
    data = []
    for i, line in enumerate(lines):
        color = _COLORS[i % len(_COLORS)]
        for label, values, dash, width in (
            ("p95", line.p95, "solid", 2),
            ("p50", line.p50, "dot", 1.4),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{line.metric} {label}",
                    "x": list(line.times),
                    "y": list(values),
                    "connectgaps": False,
                    "line": {"color": color, "width": width, "dash": dash},
                    "hovertemplate": f"{line.metric} {label} %{{y:,.2f}} ms<extra></extra>",
                    # p50 lines start hidden (a click on the legend shows them): with
                    # several trends, both percentiles at once are a tangle.
                    **({"visible": "legendonly"} if label == "p50" else {}),
                }
            )
    axis = {"gridcolor": "#e7ebf0", "zeroline": False}
    layout = {
        "margin": {"l": 60, "r": 20, "t": 30, "b": 46},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": _FONT, "size": 12, "color": "#334155"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {**axis, "title": {"text": "time since start (s)", "font": {"size": 11}}},
        "yaxis": {
            **axis,
            "rangemode": "tozero",
            "title": {"text": "latency (ms)", "font": {"size": 11}},
        },
    }
    return {"data": data, "layout": layout}
