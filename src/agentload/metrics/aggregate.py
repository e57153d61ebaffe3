"""Run-long totals built from snapshots, with tag-filtered queries.

The coordinator feeds every merged interval :class:`Snapshot` into one
:class:`Aggregate`; summaries and thresholds query it. Queries merge every
series of a metric whose tags include the filter, so
``aggregate.trend("http_req_duration", {"name": "login"})`` spans all status
codes, scenarios, etc. of the ``login`` request. Histogram merges are exact,
so the run's p99 is the p99 of every sample, not an average of per-interval
or per-worker p99s.

Gauges keep the value from the latest interval and the lowest/highest value
over the run. Feed merged snapshots (one per interval) for gauges to mean the
total across workers; trends, counters and rates are exact either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from agentload.metrics.definitions import MetricKind, metric_def
from agentload.metrics.histogram import Histogram
from agentload.metrics.keys import SeriesKey
from agentload.metrics.snapshot import (
    CounterData,
    GaugeData,
    RateData,
    SeriesData,
    Snapshot,
    TrendData,
    merge_data,
    series_from_dicts,
    series_to_dicts,
)

__all__ = ["Aggregate"]


class Aggregate:
    """Cumulative data per series over a run (owned by the coordinator)."""

    __slots__ = ("_data", "_gauge_end", "_hists", "_kinds", "end", "intervals", "start")

    def __init__(self) -> None:
        self._data: dict[SeriesKey, SeriesData] = {}
        # Trends are kept as private mutable histograms so adding an interval
        # costs one in-place numpy add, not a copy.
        self._hists: dict[SeriesKey, Histogram] = {}
        self._gauge_end: dict[SeriesKey, float] = {}
        self._kinds: dict[str, MetricKind] = {}
        self.start: float | None = None
        """Start of the earliest snapshot added (epoch seconds)."""
        self.end: float | None = None
        """End of the latest snapshot added (epoch seconds)."""
        self.intervals = 0
        """How many snapshots were added."""

    @property
    def elapsed(self) -> float:
        """``end - start`` in seconds (0.0 before the first snapshot)."""
        if self.start is None or self.end is None:
            return 0.0
        return self.end - self.start

    def _claim(self, key: SeriesKey, kind: MetricKind) -> None:
        known = self._kinds.setdefault(key.metric, kind)
        if known is not kind:
            raise ValueError(f"metric {key.metric!r} is a {known}, it cannot also be a {kind}")

    def add(self, snapshot: Snapshot) -> None:
        """Add one interval.

        Raises:
            ValueError: a metric arrives with another kind than before.
        """
        for key, data in snapshot.series.items():
            self._claim(key, data.kind)
            self._add_series(key, data, snapshot.end)
        self.start = snapshot.start if self.start is None else min(self.start, snapshot.start)
        self.end = snapshot.end if self.end is None else max(self.end, snapshot.end)
        self.intervals += 1

    def _add_series(self, key: SeriesKey, data: SeriesData, end: float) -> None:
        if isinstance(data, TrendData):
            hist = self._hists.get(key)
            if hist is None:
                self._hists[key] = data.hist.copy()
            else:
                hist.add(data.hist)
            return
        old = self._data.get(key)
        if old is None:
            self._data[key] = data
            if isinstance(data, GaugeData):
                self._gauge_end[key] = end
        elif isinstance(data, GaugeData) and isinstance(old, GaugeData):
            latest = end >= self._gauge_end[key]
            if latest:
                self._gauge_end[key] = end
            self._data[key] = GaugeData(
                data.value if latest else old.value,
                min(old.min, data.min),
                max(old.max, data.max),
            )
        else:
            self._data[key] = merge_data(old, data, key)

    def keys(self) -> list[SeriesKey]:
        """Every series seen, sorted by metric then tags."""
        return sorted([*self._data, *self._hists], key=lambda k: (k.metric, k.tags))

    def __iter__(self) -> Iterator[SeriesKey]:
        """Iterate over :meth:`keys`."""
        return iter(self.keys())

    def data(self, key: SeriesKey) -> SeriesData | None:
        """Run totals of one series (a trend comes as a frozen copy), or ``None``."""
        hist = self._hists.get(key)
        if hist is not None:
            return TrendData(hist.copy().freeze())
        return self._data.get(key)

    def has(self, metric: str, tags: Mapping[str, str] | None = None) -> bool:
        """True when some series of ``metric`` matches ``tags``."""
        return any(k.metric == metric and k.matches(tags or {}) for k in self.keys())

    def _matching(self, metric: str, tags: Mapping[str, str] | None) -> list[SeriesKey]:
        filt = tags or {}
        pool = self._hists if self._kinds.get(metric) is MetricKind.TREND else self._data
        return [k for k in pool if k.metric == metric and k.matches(filt)]

    def trend(self, metric: str, tags: Mapping[str, str] | None = None) -> Histogram | None:
        """All samples of matching trend series in one new histogram, or ``None``."""
        if self._kinds.get(metric) is not MetricKind.TREND:
            return None
        keys = self._matching(metric, tags)
        if not keys:
            return None
        out = self._hists[keys[0]].copy()
        for key in keys[1:]:
            out.add(self._hists[key])
        return out

    def counter(self, metric: str, tags: Mapping[str, str] | None = None) -> float:
        """Total of matching counter series (0 when none)."""
        if self._kinds.get(metric) is not MetricKind.COUNTER:
            return 0
        total: float = 0
        for key in self._matching(metric, tags):
            data = self._data[key]
            if isinstance(data, CounterData):
                total += data.value
        return total

    def rate(self, metric: str, tags: Mapping[str, str] | None = None) -> tuple[int, int] | None:
        """``(passes, total)`` over matching rate series, or ``None`` when none match."""
        if self._kinds.get(metric) is not MetricKind.RATE:
            return None
        keys = self._matching(metric, tags)
        if not keys:
            return None
        passes = total = 0
        for key in keys:
            data = self._data[key]
            if isinstance(data, RateData):
                passes += data.passes
                total += data.total
        return passes, total

    def gauge(self, metric: str, tags: Mapping[str, str] | None = None) -> GaugeData | None:
        """Matching gauge series summed (e.g. VUs over all scenarios), or ``None``.

        ``value`` sums the latest values; ``min``/``max`` sum each series'
        extremes, so they bound the total's true extremes.
        """
        if self._kinds.get(metric) is not MetricKind.GAUGE:
            return None
        found = [
            d for k in self._matching(metric, tags) if isinstance(d := self._data[k], GaugeData)
        ]
        if not found:
            return None
        out = found[0]
        for data in found[1:]:
            out = out.merge(data)
        return out

    def metrics(self) -> set[str]:
        """Names of every metric seen."""
        return set(self._kinds)

    def kind(self, metric: str) -> MetricKind | None:
        """Kind of ``metric`` as seen in snapshots, else its built-in kind, else ``None``."""
        kind = self._kinds.get(metric)
        if kind is None:
            builtin = metric_def(metric)
            return builtin.kind if builtin is not None else None
        return kind

    def tag_values(self, metric: str, tag: str) -> set[str]:
        """Every value tag ``tag`` takes among series of ``metric``."""
        return {
            value
            for key in self.keys()
            if key.metric == metric and (value := key.tag(tag)) is not None
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able run totals (saved with results so summaries can be re-rendered)."""
        series = {key: data for key in self.keys() if (data := self.data(key)) is not None}
        return {
            "start": self.start,
            "end": self.end,
            "intervals": self.intervals,
            "series": series_to_dicts(series),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Aggregate:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: ``d`` is not an aggregate dict.
        """
        try:
            start, end, items = d["start"], d["end"], d["series"]
            intervals = int(d.get("intervals", 0))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an aggregate: missing or bad {exc}") from exc
        out = cls()
        for key, data in series_from_dicts(items).items():
            out._claim(key, data.kind)
            out._add_series(key, data, float(end or 0.0))
        out.start = None if start is None else float(start)
        out.end = None if end is None else float(end)
        out.intervals = intervals
        return out
