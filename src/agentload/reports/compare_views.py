"""The over-time data of one run in the compare page: timeline and per-endpoint p95 lines.

Pure, one pass: :class:`RunViewsBuilder` takes the run's snapshots in order
(:func:`agentload.reports.timeline.reduce_snapshots`), so
:func:`agentload.reports.compare.compare_runs` can gather it in the same pass
that feeds its bootstrap, and :mod:`agentload.reports.compare_html` only
renders it. Windows merge intervals exactly, as in the run's own report.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentload.metrics import Aggregate, Snapshot
from agentload.reports.redact import redact
from agentload.reports.saved import SavedRun
from agentload.reports.timeline import (
    Timeline,
    TimelineBuilder,
    WindowedReducer,
    reduce_snapshots,
    window_size,
)

__all__ = ["MAX_POINTS", "EndpointLines", "RunViews", "RunViewsBuilder", "run_views"]

MAX_POINTS = 600
"""Windows per line at most (two runs share a chart)."""
_IDENT = ("scenario", "name", "method")

EndpointLines = dict[str, tuple[list[float], list[float | None]]]
"""Endpoint label → (window midpoints in s, p95 in ms per window; ``None``: no request)."""


@dataclass(frozen=True, slots=True)
class RunViews:
    """What the compare page draws of one run over time."""

    timeline: Timeline
    endpoint_p95: EndpointLines


class _EndpointP95(WindowedReducer):
    """p95 of http_req_duration per window and endpoint label (exact window merges)."""

    __slots__ = ("_times", "_values", "_wheres")

    def __init__(self, saved: SavedRun) -> None:
        idents = {
            tuple((t, v) for t in _IDENT if (v := key.tag(t)) is not None)
            for key in saved.aggregate
            if key.metric == "http_req_duration"
        }
        # Labels that redact alike share a line: the last endpoint's, as before.
        self._wheres: dict[str, dict[str, str]] = {}
        for ident in sorted(idents):
            where = dict(ident)
            scenario = where.get("scenario", "")
            prefix = f"{scenario} › " if scenario not in ("", "default") else ""
            self._wheres[redact(f"{prefix}{where.get('name') or where.get('method', '')}")] = where
        super().__init__(window_size(len(saved.snapshots), MAX_POINTS))
        self._times: list[float] = []
        self._values: dict[str, list[float | None]] = {label: [] for label in self._wheres}

    def trends(self, metric: str) -> bool:
        return metric == "http_req_duration"

    def _take(self, agg: Aggregate) -> None:
        self._times.append(round(((agg.start or 0.0) + (agg.end or 0.0)) / 2, 2))
        for label, where in self._wheres.items():
            hist = agg.trend("http_req_duration", where)
            self._values[label].append(
                hist.percentile(95.0) / 1000.0 if hist is not None and hist.count else None
            )

    def result(self) -> EndpointLines:
        return {label: (list(self._times), values) for label, values in self._values.items()}


class RunViewsBuilder:
    """Builds one run's :class:`RunViews` one snapshot at a time."""

    __slots__ = ("_endpoints", "_timeline")

    def __init__(self, saved: SavedRun) -> None:
        self._timeline = TimelineBuilder(len(saved.snapshots), max_points=MAX_POINTS)
        self._endpoints = _EndpointP95(saved)

    def trends(self, metric: str) -> bool:
        """Only ``http_req_duration``."""
        return self._timeline.trends(metric) or self._endpoints.trends(metric)

    def add(self, snapshot: Snapshot) -> None:
        """Take the next snapshot."""
        self._timeline.add(snapshot)
        self._endpoints.add(snapshot)

    def close(self) -> None:
        """Finish the last windows."""
        self._timeline.close()
        self._endpoints.close()

    def result(self) -> RunViews:
        """The views (call :meth:`close` first)."""
        return RunViews(self._timeline.result(), self._endpoints.result())


def run_views(saved: SavedRun) -> RunViews:
    """One run's views, from one pass over its snapshots."""
    builder = RunViewsBuilder(saved)
    reduce_snapshots(saved.snapshots, builder)
    return builder.result()
