"""The hot path: per-series recorders the engine calls on every request.

The engine asks a :class:`Recorder` for a series once (``recorder.trend(name,
tags)``), keeps the returned object, and calls it per request. Each call is a
single C-level or attribute operation; nothing is bucketed, hashed, locked or
allocated until :meth:`Recorder.snapshot` drains the interval (once a second).

Measured on the development machine (CPython 3.11, best of 7, ``timeit``
loop overhead subtracted; ``python bench/metrics_micro.py``):

===================================  =========
``trend.add(v)``                      ~35 ns
``add(v)`` (bound method cached)      ~25 ns
``counter.add()`` / ``add(n)``        ~32 ns
``rate.add(ok)``                      ~35 ns
``gauge.set(v)``                      ~33 ns
``recorder.snapshot()``               ~10 ns per buffered value (100k in ~1 ms);
                                      ~10 µs idle with 200 series
===================================  =========

For comparison, the ``hdrhistogram`` package's ``record_value`` costs ~670 ns.

A Recorder belongs to one event loop: nothing here is thread-safe.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from math import inf

import numpy as np

from agentload.metrics._totals import CounterSeries, RateSeries
from agentload.metrics.definitions import MetricKind, metric_def
from agentload.metrics.failures import FailureLog
from agentload.metrics.histogram import DEFAULT_HIGHEST, DEFAULT_SIGNIFICANT_FIGURES, Histogram
from agentload.metrics.keys import SeriesKey, TagsLike
from agentload.metrics.snapshot import (
    CounterData,
    GaugeData,
    RateData,
    SeriesData,
    Snapshot,
    TrendData,
)

__all__ = [
    "DEFAULT_MAX_BUFFERED",
    "CounterSeries",
    "GaugeSeries",
    "RateSeries",
    "Recorder",
    "TrendSeries",
]

DEFAULT_MAX_BUFFERED = 1_000_000
"""Raw trend values a series may buffer before :meth:`Recorder.compact` buckets them."""


class TrendSeries:
    """Raw samples of one trend series, buffered until the next snapshot.

    ``add`` *is* the buffer's bound ``array('q').append`` (~25-35 ns): call
    ``series.add(value_us)`` with an ``int`` (a float raises ``TypeError``).
    It is safe to keep ``add`` in a local variable: the buffer is drained in
    place, never replaced.
    """

    __slots__ = ("_buffer", "_pending", "add", "key")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self._buffer = array("q")
        self._pending: Histogram | None = None
        self.add: Callable[[int], None] = self._buffer.append
        """Record one value (µs for durations). Hot path."""

    @property
    def buffered(self) -> int:
        """Raw values waiting to be bucketed."""
        return len(self._buffer)

    def _spill(self, layout: Histogram) -> None:
        """Bucket the buffered values into the pending histogram and empty the buffer."""
        if not self._buffer:
            return
        if self._pending is None:
            self._pending = layout.empty_like()
        # np.array copies, so the buffer has no live export and can be resized.
        self._pending.record_array(np.array(self._buffer, dtype=np.int64))
        del self._buffer[:]

    def _drain(self, layout: Histogram) -> Histogram | None:
        self._spill(layout)
        hist, self._pending = self._pending, None
        return hist


class GaugeSeries:
    """A current level, e.g. active VUs; remembers the interval's extremes. ``set`` ~33 ns."""

    __slots__ = ("_high", "_low", "key", "value")

    def __init__(self, key: SeriesKey) -> None:
        self.key = key
        self.value: float | None = None
        """Current value; ``None`` until first set (the gauge is not reported until then)."""
        self._low = inf
        self._high = -inf

    def set(self, value: float) -> None:
        """Set the current value."""
        self.value = value
        # Plain comparisons: the min()/max() builtins would double the cost.
        if value < self._low:  # noqa: PLR1730
            self._low = value
        if value > self._high:  # noqa: PLR1730
            self._high = value

    def add(self, delta: float) -> None:
        """Move the value by ``delta`` (an unset gauge starts from 0)."""
        self.set((self.value or 0) + delta)


class Recorder:
    """Creates series and drains them into :class:`Snapshot` objects.

    Args:
        highest: highest trackable trend value (default 1 h in µs).
        significant_figures: histogram precision (default 3).
        max_buffered: buffered raw values per trend above which :meth:`compact`
            buckets them early, bounding memory.

    One per event loop/process; not thread-safe.
    """

    __slots__ = (
        "_counters",
        "_gauges",
        "_kinds",
        "_layout",
        "_rates",
        "_trends",
        "failures",
        "max_buffered",
    )

    def __init__(
        self,
        *,
        highest: int = DEFAULT_HIGHEST,
        significant_figures: int = DEFAULT_SIGNIFICANT_FIGURES,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
    ) -> None:
        self._layout = Histogram(highest, significant_figures)
        self.max_buffered = max_buffered
        self._kinds: dict[str, MetricKind] = {}
        self._trends: dict[SeriesKey, TrendSeries] = {}
        self._counters: dict[SeriesKey, CounterSeries] = {}
        self._rates: dict[SeriesKey, RateSeries] = {}
        self._gauges: dict[SeriesKey, GaugeSeries] = {}
        self.failures = FailureLog()
        """The first failing request/response pairs per error kind (engine failure paths)."""

    def _claim(self, name: str, kind: MetricKind) -> None:
        """Check that ``name`` is used as one kind only (built-ins have theirs fixed)."""
        known = self._kinds.get(name)
        if known is None:
            builtin = metric_def(name)
            known = builtin.kind if builtin is not None else kind
            self._kinds[name] = known
        if known is not kind:
            raise ValueError(f"metric {name!r} is a {known}, it cannot also be a {kind}")

    def trend(self, name: str, tags: TagsLike | None = None) -> TrendSeries:
        """The trend series ``name{tags}``, created on first use."""
        key = SeriesKey.of(name, tags)
        series = self._trends.get(key)
        if series is None:
            self._claim(name, MetricKind.TREND)
            series = self._trends[key] = TrendSeries(key)
        return series

    def counter(self, name: str, tags: TagsLike | None = None) -> CounterSeries:
        """The counter series ``name{tags}``, created on first use."""
        key = SeriesKey.of(name, tags)
        series = self._counters.get(key)
        if series is None:
            self._claim(name, MetricKind.COUNTER)
            series = self._counters[key] = CounterSeries(key)
        return series

    def rate(self, name: str, tags: TagsLike | None = None) -> RateSeries:
        """The rate series ``name{tags}``, created on first use."""
        key = SeriesKey.of(name, tags)
        series = self._rates.get(key)
        if series is None:
            self._claim(name, MetricKind.RATE)
            series = self._rates[key] = RateSeries(key)
        return series

    def gauge(self, name: str, tags: TagsLike | None = None) -> GaugeSeries:
        """The gauge series ``name{tags}``, created on first use."""
        key = SeriesKey.of(name, tags)
        series = self._gauges.get(key)
        if series is None:
            self._claim(name, MetricKind.GAUGE)
            series = self._gauges[key] = GaugeSeries(key)
        return series

    def compact(self) -> int:
        """Bucket the buffers of trends holding more than ``max_buffered`` raw values.

        Cheap when nothing is large (one ``len`` per trend). The engine may
        call it from a periodic tick to bound memory between snapshots.
        Returns how many values were bucketed.
        """
        moved = 0
        for series in self._trends.values():
            if len(series._buffer) > self.max_buffered:
                moved += len(series._buffer)
                series._spill(self._layout)
        return moved

    def snapshot(self, *, start: float, end: float) -> Snapshot:
        """Drain everything recorded since the last snapshot.

        Trend buffers are bucketed into frozen histograms; counters and rates
        report their increments; gauges report their current value and the
        lowest/highest value set during the interval (gauges that were ever
        set are always included). Series with no activity are omitted.
        """
        out: dict[SeriesKey, SeriesData] = {}
        for key, trend in self._trends.items():
            hist = trend._drain(self._layout)
            if hist is not None and (hist.count or hist.out_of_range):
                out[key] = TrendData(hist.freeze())
        for key, counter in self._counters.items():
            value = counter.value
            if value != counter._reported:
                out[key] = CounterData(value - counter._reported)
                counter._reported = value
        for key, rate in self._rates.items():
            passes, total = rate.passes, rate.total
            if total != rate._reported_total:
                out[key] = RateData(passes - rate._reported_passes, total - rate._reported_total)
                rate._reported_passes, rate._reported_total = passes, total
        for key, gauge in self._gauges.items():
            current = gauge.value
            if current is None:
                continue
            out[key] = GaugeData(current, min(gauge._low, current), max(gauge._high, current))
            gauge._low = gauge._high = current
        return Snapshot(start, end, out, self.failures.drain())
