"""Metrics: cheap per-request recording, per-interval snapshots, exact merges.

Samples flow one way::

    TrendSeries.add / CounterSeries.add / ...   (engine, per request, ~25-35 ns)
      → Recorder.snapshot()                     (per process, once per interval)
      → Snapshot.to_dict() / from_dict()        (worker → coordinator wire format)
      → Snapshot.merge()                        (same interval, every worker)
      → Aggregate.add()                         (run totals for summaries/thresholds)

Trend values are HDR histograms (:class:`Histogram`) with 3 significant digits
by default; every merge is exact, and out-of-range values are counted, never
dropped.
"""

from agentload.metrics.aggregate import Aggregate
from agentload.metrics.definitions import BUILTIN_METRICS, MetricDef, MetricKind, metric_def
from agentload.metrics.failures import (
    DEFAULT_FAILURE_SAMPLES,
    FailureLog,
    FailureSample,
    earliest_per_kind,
)
from agentload.metrics.histogram import DEFAULT_HIGHEST, DEFAULT_SIGNIFICANT_FIGURES, Histogram
from agentload.metrics.keys import SeriesKey, Tags, TagsLike, make_tags
from agentload.metrics.series import (
    DEFAULT_MAX_BUFFERED,
    CounterSeries,
    GaugeSeries,
    RateSeries,
    Recorder,
    TrendSeries,
)
from agentload.metrics.snapshot import (
    CounterData,
    GaugeData,
    RateData,
    SeriesData,
    Snapshot,
    TrendData,
)

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_FAILURE_SAMPLES",
    "DEFAULT_HIGHEST",
    "DEFAULT_MAX_BUFFERED",
    "DEFAULT_SIGNIFICANT_FIGURES",
    "Aggregate",
    "CounterData",
    "CounterSeries",
    "FailureLog",
    "FailureSample",
    "GaugeData",
    "GaugeSeries",
    "Histogram",
    "MetricDef",
    "MetricKind",
    "RateData",
    "RateSeries",
    "Recorder",
    "SeriesData",
    "SeriesKey",
    "Snapshot",
    "Tags",
    "TagsLike",
    "TrendData",
    "TrendSeries",
    "earliest_per_kind",
    "make_tags",
    "metric_def",
]
