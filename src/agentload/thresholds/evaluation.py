"""Evaluation of parsed thresholds against a run's :class:`Aggregate`. Pure, no I/O.

A threshold whose metric or tag filter matched no samples *fails*: that is
almost always a typo, and a silent pass would hide it. The message then says
what was recorded instead (tags seen, close metric names). Counters are the
exception: a counter that is known (built-in or seen) but never incremented is
simply 0, so ``errors: ["count<1"]`` passes in a run without errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from agentload.metrics import BUILTIN_METRICS, Aggregate, MetricKind
from agentload.thresholds.model import APPLICABLE, Aggregation, Threshold, ThresholdResult

__all__ = ["evaluate", "evaluate_one"]


def evaluate(
    thresholds: Iterable[Threshold], aggregate: Aggregate, *, elapsed: float
) -> tuple[ThresholdResult, ...]:
    """Judge every threshold on the run so far.

    Args:
        thresholds: parsed thresholds (:func:`~agentload.thresholds.parse_threshold`).
        aggregate: the run's cumulative metrics.
        elapsed: seconds the run has lasted, for a counter's ``rate`` (per second).
    """
    return tuple(evaluate_one(t, aggregate, elapsed=elapsed) for t in thresholds)


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.1f}" if abs(x) >= 1000 else f"{x:.4g}"


def _shown(t: Threshold, raw: float, kind: MetricKind) -> tuple[float, str]:
    """``raw`` (recorded unit) in display units, and the text to show."""
    if t.is_duration:
        return raw / 1000, _fmt(raw / 1000) + "ms"
    if kind is MetricKind.RATE:
        return raw, f"{_fmt(raw)} ({_fmt(raw * 100)}%)"
    suffix = " B" if t.unit == "bytes" else ""
    if t.aggregation is Aggregation.RATE:
        suffix += "/s"
    return raw, _fmt(raw) + suffix


def _no_samples(t: Threshold, aggregate: Aggregate, kind: MetricKind | None) -> str:
    """Say what was recorded instead, so a typo is easy to spot."""
    where = f"no samples for {t.selector}"
    if kind is None:
        known = sorted(aggregate.metrics() | set(BUILTIN_METRICS))
        close = difflib.get_close_matches(t.metric, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        return f"{where}: no metric named {t.metric!r} was recorded{hint}"
    for tag, value in t.tags:
        seen = aggregate.tag_values(t.metric, tag)
        if not seen:
            return f"{where}: no {t.metric} series has a tag {tag!r}"
        if value not in seen:
            shown = ", ".join(sorted(seen)[:8]) + (", …" if len(seen) > 8 else "")
            return f"{where}: tag {tag} takes the values {shown}"
    if not aggregate.has(t.metric):
        return f"{where}: {t.metric} recorded nothing in this run"
    return where


def _observe(t: Threshold, aggregate: Aggregate, kind: MetricKind,
             elapsed: float) -> float | str:
    """The raw observed quantity, or a message saying why there is none."""
    tags = dict(t.tags)
    agg = t.aggregation
    if kind is MetricKind.TREND:
        hist = aggregate.trend(t.metric, tags)
        if hist is None or hist.count == 0:
            return _no_samples(t, aggregate, kind)
        if agg is Aggregation.AVG:
            return hist.mean
        if agg is Aggregation.MIN:
            return hist.min
        if agg is Aggregation.MAX:
            return hist.max
        if agg is Aggregation.COUNT:
            return hist.count
        return hist.percentile(50 if agg is Aggregation.MED else t.percentile or 0.0)
    if kind is MetricKind.COUNTER:
        if not aggregate.has(t.metric, tags) and any(
            not aggregate.tag_values(t.metric, tag) for tag, _ in t.tags
        ) and aggregate.has(t.metric):
            return _no_samples(t, aggregate, kind)  # a tag no series carries: a typo
        total = aggregate.counter(t.metric, tags)
        if agg is Aggregation.COUNT:
            return total
        if elapsed <= 0:
            return f"rate of {t.selector} needs a run duration above 0 s"
        return total / elapsed
    if kind is MetricKind.RATE:
        found = aggregate.rate(t.metric, tags)
        if found is None or found[1] == 0:
            return _no_samples(t, aggregate, kind)
        return found[0] / found[1]
    gauge = aggregate.gauge(t.metric, tags)
    if gauge is None:
        return _no_samples(t, aggregate, kind)
    return {Aggregation.MIN: gauge.min, Aggregation.MAX: gauge.max}.get(agg, gauge.value)


def evaluate_one(t: Threshold, aggregate: Aggregate, *, elapsed: float) -> ThresholdResult:
    """Judge one threshold (see :func:`evaluate`)."""
    kind = t.kind or aggregate.kind(t.metric)
    if kind is None:
        return ThresholdResult(t, False, None, _no_samples(t, aggregate, None))
    if t.aggregation not in APPLICABLE[kind]:
        return ThresholdResult(
            t, False, None, f"{t.label} does not apply to {kind} metric {t.metric!r}"
        )
    raw = _observe(t, aggregate, kind, elapsed)
    if isinstance(raw, str):
        return ThresholdResult(t, False, None, raw)
    passed = t.op.compare(raw, t.value)
    observed, text = _shown(t, raw, kind)
    _, limit = _shown(t, t.value, kind)
    return ThresholdResult(t, passed, observed, f"{t.label}={text}; threshold {t.op}{limit}")
