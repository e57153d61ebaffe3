"""Thresholds: k6-style pass/fail criteria on a run's metrics.

::

    thresholds:
      http_req_duration: ["p(95)<300", "p(99)<500"]
      "http_req_duration{name:health}": ["p(95)<50", "avg<20"]
      http_req_failed: ["rate<0.01"]

:func:`parse_threshold` turns each selector/expression pair into a
:class:`Threshold` (raising :class:`~agentload.errors.ThresholdSyntaxError`
with a fix-it message), and :func:`evaluate` judges them against an
:class:`~agentload.metrics.Aggregate`. See :mod:`.parser` for the grammar.
"""

from agentload.thresholds.evaluation import evaluate, evaluate_one
from agentload.thresholds.model import (
    APPLICABLE,
    Aggregation,
    Operator,
    Threshold,
    ThresholdResult,
)
from agentload.thresholds.parser import parse_selector, parse_threshold

__all__ = [
    "APPLICABLE",
    "Aggregation",
    "Operator",
    "Threshold",
    "ThresholdResult",
    "evaluate",
    "evaluate_one",
    "parse_selector",
    "parse_threshold",
]
