"""Build the canonical end-of-test summary (``summary.json``) from a run's aggregate.

Pure: aggregate + metadata in, a JSON-able dict out. Every renderer (console,
JSON file, later HTML/CSV/JUnit) reads this dict, never the engine. The
schema is versioned (``schema``) and documented in docs/results.md; durations
are in milliseconds, rates per second.
"""

from __future__ import annotations

import platform
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentload.metrics import Aggregate, Histogram, MetricDef, MetricKind, metric_def
from agentload.reports.redact import redact
from agentload.thresholds import ThresholdResult

__all__ = ["SCHEMA", "RunInfo", "build_summary", "trend_stats"]

SCHEMA = "agentload.summary/1"
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Run metadata that the summary carries alongside the metrics."""

    run_id: str
    scenario_file: str
    target: str
    started_at: float
    duration: float
    planned_duration: float
    stop_reason: str
    plan: Mapping[str, object]
    plan_description: str
    version: str
    extra: Mapping[str, object] = field(default_factory=dict)


def _scale(metric: str, custom: Mapping[str, MetricDef] | None = None) -> float:
    """Factor from the recorded unit to the reported one (µs → ms)."""
    d = metric_def(metric) or (custom or {}).get(metric)
    return 1000.0 if d is not None and d.unit == "us" else 1.0


def trend_stats(hist: Histogram, scale: float) -> dict[str, float | int]:
    """count/min/avg/med/p90/p95/p99/max of a histogram, divided by ``scale``."""
    if hist.count == 0:
        return {"count": 0}
    out: dict[str, float | int] = {
        "count": hist.count,
        "min": hist.min / scale,
        "avg": hist.mean / scale,
        "med": hist.percentile(50.0) / scale,
    }
    for label, p in PERCENTILES[1:]:
        out[label] = hist.percentile(p) / scale
    out["max"] = hist.max / scale
    if hist.out_of_range:
        out["out_of_range"] = hist.out_of_range
    return out


def _metric_summary(
    agg: Aggregate, metric: str, duration: float, custom: Mapping[str, MetricDef] | None = None
) -> dict[str, Any]:
    out = _metric_values(agg, metric, duration, custom)
    d = (custom or {}).get(metric)
    if d is not None and metric_def(metric) is None:  # a Python file's own metric
        out["custom"] = True
        if d.description:
            out["description"] = d.description
    return out


def _metric_values(
    agg: Aggregate, metric: str, duration: float, custom: Mapping[str, MetricDef] | None
) -> dict[str, Any]:
    kind = agg.kind(metric)
    d = metric_def(metric) or (custom or {}).get(metric)
    unit = "ms" if d is not None and d.unit == "us" else (d.unit if d is not None else "")
    if kind is MetricKind.TREND:
        hist = agg.trend(metric)
        stats = trend_stats(hist, _scale(metric, custom)) if hist is not None else {"count": 0}
        return {"kind": "trend", "unit": unit, **stats}
    if kind is MetricKind.COUNTER:
        value = agg.counter(metric)
        rate = value / duration if duration > 0 else 0.0
        return {"kind": "counter", "unit": unit, "count": value, "rate": rate}
    if kind is MetricKind.RATE:
        pt = agg.rate(metric)
        passes, total = pt if pt is not None else (0, 0)
        # A rate metric counts true samples: for http_req_failed, "true" is a
        # failed request; for checks, a passed check.
        return {
            "kind": "rate",
            "rate": passes / total if total else 0.0,
            "true_count": passes,
            "false_count": total - passes,
            "total": total,
        }
    gauge = agg.gauge(metric)
    if gauge is None:
        return {"kind": "gauge", "value": 0, "min": 0, "max": 0}
    return {"kind": "gauge", "value": gauge.value, "min": gauge.min, "max": gauge.max}


def _request_rows(agg: Aggregate, duration: float) -> list[dict[str, Any]]:
    """One row per (scenario, request name, method), statuses merged."""
    statuses: dict[tuple[str, str, str], dict[str, float]] = {}
    errors: dict[tuple[str, str, str], dict[str, float]] = {}
    for key in agg:
        if key.metric not in ("http_reqs", "errors"):
            continue
        tags = dict(key.tags)
        ident = (tags.get("scenario", ""), tags.get("name", ""), tags.get("method", ""))
        if key.metric == "http_reqs":
            codes = statuses.setdefault(ident, {})
            codes[tags.get("status", "?")] = agg.counter("http_reqs", tags)
        elif "name" in tags:  # errors of a request (not of the run as a whole)
            kinds = errors.setdefault(ident, {})
            kind = tags.get("kind", "other")
            kinds[kind] = kinds.get(kind, 0) + agg.counter("errors", tags)
    rows: list[dict[str, Any]] = []
    for ident, codes in sorted(statuses.items()):
        scenario, name, method = ident
        where = {"scenario": scenario, "name": name, "method": method}
        count = sum(codes.values())
        # http_req_failed counts True for a failed request.
        failed = agg.rate("http_req_failed", where)
        hist = agg.trend("http_req_duration", where)
        rows.append(
            {
                "scenario": scenario,
                "name": redact(name),
                "method": method,
                "count": count,
                "rps": count / duration if duration > 0 else 0.0,
                "failed": failed[0] if failed else 0,
                "duration_ms": trend_stats(hist, 1000.0) if hist is not None else {"count": 0},
                "status_codes": dict(sorted(codes.items())),
                "errors": dict(sorted(errors.get(ident, {}).items())),
            }
        )
    return rows


def _checks(agg: Aggregate) -> list[dict[str, Any]]:
    out = []
    for key in sorted(agg.keys(), key=str):
        if key.metric != "checks":
            continue
        tags = dict(key.tags)
        pt = agg.rate("checks", tags)
        passes, total = pt if pt is not None else (0, 0)
        out.append(
            {
                "scenario": tags.get("scenario", ""),
                "name": tags.get("name", ""),
                "check": tags.get("check", ""),
                "passes": passes,
                "fails": total - passes,
            }
        )
    return out


def _errors(agg: Aggregate) -> dict[str, float]:
    totals: dict[str, float] = {}
    for kind in sorted(agg.tag_values("errors", "kind")):
        totals[kind] = agg.counter("errors", {"kind": kind})
    return totals


def _script_errors(agg: Aggregate) -> dict[str, Any]:
    """``script_errors``: Python exceptions by scenario, function and first line (if any)."""
    rows: dict[tuple[str, str, str], float] = {}
    for key in agg:
        if key.metric != "errors" or key.tag("kind") != "script_error":
            continue
        if key.tag("message") is None:
            continue
        tags = dict(key.tags)
        ident = (tags.get("scenario", ""), tags.get("function", ""), tags.get("message", ""))
        rows[ident] = rows.get(ident, 0) + agg.counter("errors", tags)
    if not rows:
        return {}
    return {
        "script_errors": [
            {"scenario": s, "function": f, "message": redact(m), "count": n}
            for (s, f, m), n in sorted(rows.items(), key=lambda item: -item[1])
        ]
    }


def _threshold_rows(results: Sequence[ThresholdResult]) -> list[dict[str, Any]]:
    return [
        {
            "metric": r.threshold.selector,
            "expression": r.threshold.source,
            "passed": r.passed,
            "observed": r.observed,
            "abort_on_fail": r.threshold.abort_on_fail,
            "message": r.message,
        }
        for r in results
    ]


def build_summary(
    agg: Aggregate,
    info: RunInfo,
    thresholds: Sequence[ThresholdResult],
    *,
    exit_code: int,
    sections: Mapping[str, object] | None = None,
    custom: Mapping[str, MetricDef] | None = None,
) -> dict[str, Any]:
    """The summary document: run metadata, verdict, metrics, requests, checks, thresholds.

    ``sections`` are further top-level entries (``generator``, ``alerts``,
    ``monitoring``, ``outputs``: docs/results.md), added after the others.
    ``custom`` defines the custom metrics of a Python scenario (their units).
    """
    duration = info.duration
    metrics = {m: _metric_summary(agg, m, duration, custom) for m in sorted(agg.metrics())}
    passed = all(r.passed for r in thresholds)
    return {
        "schema": SCHEMA,
        "run": {
            "id": info.run_id,
            "scenario_file": redact(info.scenario_file),
            "target": redact(info.target),
            "started_at": info.started_at,
            "duration_s": duration,
            "planned_duration_s": info.planned_duration,
            "stopped_early": info.stop_reason != "completed",
            "stop_reason": info.stop_reason,
            "plan": dict(info.plan),
            "plan_description": info.plan_description,
            "agentload_version": info.version,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "host": socket.gethostname(),
            **dict(info.extra),
        },
        "verdict": "passed" if passed else "failed",
        "exit_code": exit_code,
        "metrics": metrics,
        "requests": _request_rows(agg, duration),
        "checks": _checks(agg),
        "errors": _errors(agg),
        **_script_errors(agg),
        "thresholds": _threshold_rows(thresholds),
        **dict(sections or {}),
    }
