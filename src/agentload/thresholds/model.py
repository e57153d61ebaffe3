"""Threshold values: what a parsed threshold says and what evaluating it found."""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from agentload.metrics import MetricKind, Tags

__all__ = ["APPLICABLE", "Aggregation", "Operator", "Threshold", "ThresholdResult"]


class Aggregation(enum.StrEnum):
    """What to compute from a metric's samples before comparing."""

    AVG = "avg"
    MIN = "min"
    MAX = "max"
    MED = "med"
    PERCENTILE = "p"
    """``p(N)``; the N is :attr:`Threshold.percentile`."""
    COUNT = "count"
    RATE = "rate"
    VALUE = "value"


class Operator(enum.StrEnum):
    """Comparison operators, as written."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "=="
    NE = "!="

    def compare(self, observed: float, limit: float) -> bool:
        """``observed <op> limit``."""
        return _COMPARE[self](observed, limit)


_COMPARE: Mapping[Operator, Callable[[float, float], bool]] = MappingProxyType({
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.EQ: operator.eq,
    Operator.NE: operator.ne,
})

_A = Aggregation
APPLICABLE: Mapping[MetricKind, frozenset[Aggregation]] = MappingProxyType({
    MetricKind.TREND: frozenset({_A.AVG, _A.MIN, _A.MAX, _A.MED, _A.PERCENTILE, _A.COUNT}),
    MetricKind.COUNTER: frozenset({_A.COUNT, _A.RATE}),
    MetricKind.RATE: frozenset({_A.RATE}),
    MetricKind.GAUGE: frozenset({_A.VALUE, _A.MIN, _A.MAX}),
})
"""Which aggregations each metric kind supports (k6's, plus ``count`` for trends)."""


@dataclass(frozen=True, slots=True)
class Threshold:
    """One parsed threshold, e.g. ``http_req_duration{name:login}: p(95)<300``.

    ``value`` is in the metric's recorded unit (µs for durations, so ``300``
    in the example is stored as ``300_000``); ``unit`` is that recorded unit
    (``"us"``, ``"bytes"`` or ``""``). ``kind`` is known when the metric is
    a built-in (or was passed to the parser); otherwise it is looked up in the
    aggregate at evaluation time.
    """

    selector: str
    metric: str
    tags: Tags
    aggregation: Aggregation
    percentile: float | None
    op: Operator
    value: float
    source: str
    unit: str = ""
    kind: MetricKind | None = None
    abort_on_fail: bool = False
    delay_abort_eval: float = 0.0

    @property
    def label(self) -> str:
        """The aggregation as written canonically: ``p(95)``, ``avg``, ``rate``."""
        if self.aggregation is Aggregation.PERCENTILE:
            return f"p({self.percentile:g})"
        return str(self.aggregation)

    @property
    def is_duration(self) -> bool:
        """True when the compared quantity is a duration (recorded in µs, shown in ms)."""
        return self.unit == "us" and self.aggregation not in (Aggregation.COUNT,
                                                              Aggregation.RATE)

    def __str__(self) -> str:
        return f"{self.selector}: {self.source}"


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """The verdict on one threshold.

    ``observed`` is in display units (ms for durations, a fraction for rates,
    per second for a counter's ``rate``), or ``None`` when there were no
    samples. ``message`` is one line for humans.
    """

    threshold: Threshold
    passed: bool
    observed: float | None
    message: str
