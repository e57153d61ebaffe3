"""Immutable per-interval snapshots, their merge, and their JSON form.

A :class:`Snapshot` is what one :class:`~agentload.metrics.Recorder` saw in one
interval (usually one second). Workers send ``snapshot.to_dict()`` to the
coordinator, which merges the same interval from every worker with
:meth:`Snapshot.merge` (exact: histograms and counts add up) and writes the
result as one line of ``timeseries.jsonl``.

JSON form of a snapshot::

    {"start": 1700000000.0, "end": 1700000001.0, "series": [
      {"metric": "http_req_duration", "tags": {"name": "login"}, "kind": "trend",
       "count": 812, "sum": 40123456, "min": 20011, "max": 190876, "hist": "eJz…"},
      {"metric": "http_reqs", "tags": {}, "kind": "counter", "value": 812},
      {"metric": "http_req_failed", "tags": {}, "kind": "rate", "passes": 3, "total": 812},
      {"metric": "vus", "tags": {}, "kind": "gauge", "value": 50, "min": 48, "max": 50}]}

For trends, ``hist`` is authoritative (:meth:`Histogram.encode` carries the
exact count, sum, min and max); the plain fields are there for ``jq``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias

from agentload.metrics.definitions import MetricKind
from agentload.metrics.failures import FailureSample
from agentload.metrics.histogram import Histogram
from agentload.metrics.keys import SeriesKey, make_tags

__all__ = [
    "CounterData",
    "GaugeData",
    "RateData",
    "SeriesData",
    "Snapshot",
    "TrendData",
    "merge_data",
    "series_from_dicts",
    "series_to_dicts",
]

JsonDict: TypeAlias = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TrendData:
    """A trend's samples in an interval: a frozen HDR histogram with exact stats."""

    kind: ClassVar[MetricKind] = MetricKind.TREND
    hist: Histogram

    @property
    def count(self) -> int:
        """Number of samples."""
        return self.hist.count

    @property
    def sum(self) -> int:
        """Exact sum of the samples."""
        return self.hist.sum

    @property
    def min(self) -> int:
        """Exact smallest sample."""
        return self.hist.min

    @property
    def max(self) -> int:
        """Exact largest sample."""
        return self.hist.max

    def merge(self, other: TrendData) -> TrendData:
        """Both sets of samples in one histogram (exact)."""
        hist = self.hist.copy()
        hist.add(other.hist)
        return TrendData(hist.freeze())


@dataclass(frozen=True, slots=True)
class CounterData:
    """How much a counter grew in an interval."""

    kind: ClassVar[MetricKind] = MetricKind.COUNTER
    value: float

    def merge(self, other: CounterData) -> CounterData:
        """The sum of both increments."""
        return CounterData(self.value + other.value)


@dataclass(frozen=True, slots=True)
class RateData:
    """How many outcomes were true (``passes``) out of ``total`` in an interval."""

    kind: ClassVar[MetricKind] = MetricKind.RATE
    passes: int
    total: int

    @property
    def rate(self) -> float | None:
        """``passes / total``, or ``None`` when nothing was recorded."""
        return self.passes / self.total if self.total else None

    def merge(self, other: RateData) -> RateData:
        """Both sets of outcomes."""
        return RateData(self.passes + other.passes, self.total + other.total)


@dataclass(frozen=True, slots=True)
class GaugeData:
    """A gauge's value at the end of an interval and the lowest/highest it was set to."""

    kind: ClassVar[MetricKind] = MetricKind.GAUGE
    value: float
    min: float
    max: float

    def merge(self, other: GaugeData) -> GaugeData:
        """Two workers' gauges for the same interval: their sum (e.g. total VUs).

        ``value`` is exact. The workers' extremes need not coincide in time, so
        the summed ``min`` is a lower bound of the true minimum of the total and
        the summed ``max`` an upper bound of its maximum.
        """
        return GaugeData(self.value + other.value, self.min + other.min, self.max + other.max)


SeriesData: TypeAlias = TrendData | CounterData | RateData | GaugeData
"""The data of one series in one interval (or, in an Aggregate, over the run)."""


def merge_data(a: SeriesData, b: SeriesData, key: SeriesKey) -> SeriesData:
    """Merge two data of the same kind (raises ``ValueError`` naming ``key`` otherwise)."""
    if isinstance(a, TrendData) and isinstance(b, TrendData):
        return a.merge(b)
    if isinstance(a, CounterData) and isinstance(b, CounterData):
        return a.merge(b)
    if isinstance(a, RateData) and isinstance(b, RateData):
        return a.merge(b)
    if isinstance(a, GaugeData) and isinstance(b, GaugeData):
        return a.merge(b)
    raise ValueError(f"series {key} is a {a.kind} in one snapshot and a {b.kind} in another")


def _data_to_dict(key: SeriesKey, data: SeriesData) -> JsonDict:
    out: JsonDict = {"metric": key.metric, "tags": dict(key.tags), "kind": str(data.kind)}
    if isinstance(data, TrendData):
        h = data.hist
        out.update(count=h.count, sum=h.sum, min=h.min, max=h.max, hist=h.encode())
    elif isinstance(data, CounterData):
        out["value"] = data.value
    elif isinstance(data, RateData):
        out.update(passes=data.passes, total=data.total)
    else:
        out.update(value=data.value, min=data.min, max=data.max)
    return out


def _data_from_dict(item: Mapping[str, Any]) -> tuple[SeriesKey, SeriesData]:
    key = SeriesKey(str(item["metric"]), make_tags(item.get("tags") or {}))
    kind = MetricKind(item["kind"])
    data: SeriesData
    if kind is MetricKind.TREND:
        data = TrendData(Histogram.decode(item["hist"]).freeze())
    elif kind is MetricKind.COUNTER:
        data = CounterData(item["value"])
    elif kind is MetricKind.RATE:
        data = RateData(int(item["passes"]), int(item["total"]))
    else:
        data = GaugeData(item["value"], item["min"], item["max"])
    return key, data


def series_to_dicts(series: Mapping[SeriesKey, SeriesData]) -> list[JsonDict]:
    """JSON-able list of series, sorted by metric then tags (stable output for diffs)."""
    return [
        _data_to_dict(key, series[key])
        for key in sorted(series, key=lambda k: (k.metric, k.tags))
    ]


def series_from_dicts(items: Iterable[Mapping[str, Any]]) -> dict[SeriesKey, SeriesData]:
    """Inverse of :func:`series_to_dicts`.

    Raises:
        ValueError: an item is malformed (missing field, unknown kind, bad histogram).
    """
    out: dict[SeriesKey, SeriesData] = {}
    for item in items:
        try:
            key, data = _data_from_dict(item)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed series entry {item!r}: {exc!r}") from exc
        out[key] = merge_data(out[key], data, key) if key in out else data
    return out


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything recorded in ``[start, end)`` (epoch seconds), by series. Immutable."""

    start: float
    end: float
    series: Mapping[SeriesKey, SeriesData]
    failures: tuple[FailureSample, ...] = ()
    """Failure samples taken in the interval (bounded side channel, see metrics.failures)."""

    def __post_init__(self) -> None:
        if not isinstance(self.series, MappingProxyType):
            object.__setattr__(self, "series", MappingProxyType(dict(self.series)))

    def merge(self, other: Snapshot) -> Snapshot:
        """The same interval seen by two workers, combined exactly.

        Trends, counters and rates add up; gauges add up too (see
        :meth:`GaugeData.merge`). The interval becomes the union of both (the
        caller aligns workers' intervals; they normally differ by clock skew
        only).
        """
        merged = dict(self.series)
        for key, data in other.series.items():
            merged[key] = merge_data(merged[key], data, key) if key in merged else data
        failures = self.failures + other.failures
        if self.failures and other.failures:
            failures = tuple(sorted(failures, key=lambda s: s.time))
        return Snapshot(min(self.start, other.start), max(self.end, other.end), merged, failures)

    def to_dict(self) -> JsonDict:
        """A plain JSON-able dict (one line of ``timeseries.jsonl``; the wire format)."""
        out: JsonDict = {
            "start": self.start,
            "end": self.end,
            "series": series_to_dicts(self.series),
        }
        if self.failures:  # absent when empty: most lines carry none
            out["failures"] = [f.to_dict() for f in self.failures]
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Snapshot:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: ``d`` is not a snapshot dict.
        """
        try:
            start, end, items = float(d["start"]), float(d["end"]), d["series"]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a snapshot: missing or bad {exc}") from exc
        raw = d.get("failures") or ()
        if not isinstance(raw, list | tuple):
            raise ValueError("not a snapshot: failures is not a list")
        failures = tuple(FailureSample.from_dict(f) for f in raw)
        return cls(start, end, series_from_dicts(items), failures)
