"""Latency distribution per endpoint: percentile curves from the run's merged histograms.

Pure aggregation, no I/O. A curve is HdrHistogram's "percentile spectrum":
latency at percentiles spaced evenly on a ``1 / (1 - p)`` log scale (50 %,
90 %, 99 %, 99.9 %, … equally far apart), which shows the tail that averages
and a handful of percentiles hide. A curve stops where the sample count stops
supporting it: 100 samples say nothing about p(99.99).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agentload.metrics import Aggregate, Histogram
from agentload.reports.redact import redact

__all__ = ["LatencyCurve", "build_curves", "spectrum_percentiles"]

_METRIC = "http_req_duration"
_STEPS_PER_DECADE = 12
_IDENT = ("scenario", "name", "method")


@dataclass(frozen=True, slots=True)
class LatencyCurve:
    """One endpoint's latency at each percentile (milliseconds)."""

    label: str
    count: int
    percentiles: tuple[float, ...]
    values_ms: tuple[float, ...]


def spectrum_percentiles(count: int) -> tuple[float, ...]:
    """Percentiles from 0 up to what ``count`` samples resolve, then 100 (the maximum)."""
    if count <= 0:
        return ()
    decades = math.log10(max(count, 1))
    steps = int(decades * _STEPS_PER_DECADE)
    points = [100.0 * (1.0 - 10 ** (-i / _STEPS_PER_DECADE)) for i in range(steps + 1)]
    return (*points, 100.0)


def _curve(label: str, hist: Histogram) -> LatencyCurve:
    ps = spectrum_percentiles(hist.count)
    values = tuple(v / 1000.0 for v in hist.percentiles(ps))
    return LatencyCurve(label, hist.count, ps, values)


def _label(scenario: str, name: str, method: str) -> str:
    where = f"{scenario} › " if scenario not in ("", "default") else ""
    return redact(f"{where}{name or method}")


def build_curves(agg: Aggregate, *, include_total: bool = True) -> tuple[LatencyCurve, ...]:
    """One curve per (scenario, request name, method), most requested first.

    With ``include_total`` and more than one endpoint, an "all requests" curve
    comes first.
    """
    idents = {
        tuple((tag, value) for tag in _IDENT if (value := key.tag(tag)) is not None)
        for key in agg
        if key.metric == _METRIC
    }
    curves: list[LatencyCurve] = []
    for ident in sorted(idents):
        # Filter on the tags the series has: a missing tag is not an empty one.
        hist = agg.trend(_METRIC, dict(ident))
        if hist is not None and hist.count:
            tags = dict(ident)
            label = _label(tags.get("scenario", ""), tags.get("name", ""), tags.get("method", ""))
            curves.append(_curve(label, hist))
    curves.sort(key=lambda c: (-c.count, c.label))
    total = agg.trend(_METRIC)
    if include_total and len(curves) > 1 and total is not None and total.count:
        curves.insert(0, _curve("all requests", total))
    return tuple(curves)
