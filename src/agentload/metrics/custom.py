"""Custom metrics of the Python API: ``Trend``, ``Counter``, ``Rate``, ``Gauge`` (k6's four kinds).

A scenario file declares them at module level::

    completion = Rate("conversation_completion", "conversations that reached the close")
    turn_time = Trend("turn_time", time=True)

and records from inside a virtual user (``completion.add(True)``). A
declaration is only a name, a kind and a unit; it holds no samples. The
samples go to the recorder of the VU that is running, found through a
:class:`contextvars.ContextVar` that the engine sets around user code (each
VU is an asyncio task with its own context), so one file can run in several
runs or worker processes at once without shared state.

Units (docs/metrics.md, "Custom metrics"): a trend declared with
``time=True`` takes milliseconds, like k6's ``Trend(name, true)``, and is
recorded in integer microseconds like every built-in duration, so
thresholds and reports treat it exactly as ``http_req_duration``. Other
trends record non-negative numbers rounded to integers (HDR histograms hold
integers: record cents rather than euros to keep two decimals).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from typing import Protocol

from agentload.metrics.definitions import BUILTIN_METRICS, MetricDef, MetricKind

__all__ = [
    "Counter",
    "CustomMetric",
    "DeclarationError",
    "Gauge",
    "MetricSink",
    "Rate",
    "Trend",
    "bind_sink",
    "reset_sink",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_Tags = Mapping[str, str] | None


class DeclarationError(ValueError):
    """A declaration in a scenario file is wrong (reported as ``file:line: message``)."""


class MetricSink(Protocol):
    """Where a running VU's custom samples go (implemented by the engine)."""

    def record(self, metric: CustomMetric, value: float, tags: _Tags) -> None:
        """Record one sample of ``metric`` (already converted to the recorded unit)."""
        ...


_SINK: ContextVar[MetricSink | None] = ContextVar("agentload_metric_sink", default=None)


def bind_sink(sink: MetricSink) -> Token[MetricSink | None]:
    """Send custom samples recorded in the current context to ``sink`` (engine use)."""
    return _SINK.set(sink)


def reset_sink(token: Token[MetricSink | None]) -> None:
    """Undo :func:`bind_sink`."""
    _SINK.reset(token)


def _sink(metric: CustomMetric) -> MetricSink:
    sink = _SINK.get()
    if sink is None:
        raise RuntimeError(
            f"custom metric {metric.name!r} was recorded outside a virtual user; "
            "record it inside a scenario, on_start or on_stop function"
        )
    return sink


class CustomMetric:
    """A declared metric: name, kind, recorded unit, description. Compare by definition."""

    __slots__ = ("definition",)

    kind: MetricKind = MetricKind.COUNTER

    def __init__(self, name: str, description: str = "", *, unit: str = "") -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise DeclarationError(
                f"metric name {name!r} is not valid; use letters, digits and _ "
                "(e.g. conversation_completion)"
            )
        if name in BUILTIN_METRICS:
            raise DeclarationError(
                f"{name!r} is a built-in metric; give the custom metric another name"
            )
        self.definition = MetricDef(name, self.kind, unit, description)

    @property
    def name(self) -> str:
        """The metric's name in summaries and thresholds."""
        return self.definition.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Trend(CustomMetric):
    """A distribution (avg, percentiles, max). ``time=True``: values in milliseconds."""

    __slots__ = ()
    kind = MetricKind.TREND

    def __init__(self, name: str, description: str = "", *, time: bool = False) -> None:
        super().__init__(name, description, unit="us" if time else "")

    def add(self, value: float, *, tags: _Tags = None) -> None:
        """Record one value: milliseconds for a time trend, else a number ≥ 0 (rounded)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"{self.name}: a trend takes a number >= 0, got {value!r}")
        scaled = value * 1000 if self.definition.unit == "us" else value
        _sink(self).record(self, round(scaled), tags)

    @contextlib.contextmanager
    def time(self, *, tags: _Tags = None) -> Iterator[None]:
        """Time the ``with`` block (a time trend only); recorded even if the block raises."""
        if self.definition.unit != "us":
            raise ValueError(f"{self.name}: declare Trend(..., time=True) to time blocks")
        start = time.monotonic_ns()
        try:
            yield
        finally:
            _sink(self).record(self, (time.monotonic_ns() - start) // 1000, tags)


class Counter(CustomMetric):
    """A growing total (count and rate per second)."""

    __slots__ = ()
    kind = MetricKind.COUNTER

    def add(self, value: float = 1, *, tags: _Tags = None) -> None:
        """Add ``value`` (default 1, ≥ 0)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"{self.name}: a counter takes a number >= 0, got {value!r}")
        _sink(self).record(self, value, tags)


class Rate(CustomMetric):
    """The fraction of true outcomes (e.g. conversations completed)."""

    __slots__ = ()
    kind = MetricKind.RATE

    def add(self, outcome: object, *, tags: _Tags = None) -> None:
        """Record one outcome; any value is taken by its truth."""
        _sink(self).record(self, 1 if outcome else 0, tags)


class Gauge(CustomMetric):
    """A current level; summaries show its last value, minimum and maximum."""

    __slots__ = ()
    kind = MetricKind.GAUGE

    def set(self, value: float, *, tags: _Tags = None) -> None:
        """Set the current value."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.name}: a gauge takes a number, got {value!r}")
        _sink(self).record(self, value, tags)
