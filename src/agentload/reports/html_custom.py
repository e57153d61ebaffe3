"""The report's Python-scenario cards (docs/python-api.md): business metrics, script errors.

Custom metrics are marked ``"custom": true`` in ``summary.json``; each gets
one row with the figures of its kind, as the console summary shows them.
``script_errors`` (exceptions of the scenario's code, by first line) get a
card of their own. Both are left out (no HTML) when the run had none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentload.reports.formatting import fmt_count, fmt_ms, fmt_pct, fmt_rate
from agentload.reports.html_sections import _table, card, escape, safe

__all__ = ["custom_metrics_card"]


def _number(value: object) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return fmt_count(value)


def _figures(m: Mapping[str, Any]) -> str:
    kind = m.get("kind")
    if kind == "trend":
        if not m.get("count"):
            return "no samples"
        fmt = fmt_ms if m.get("unit") == "ms" else _number
        parts = [f"{k} {fmt(m.get(k))}" for k in ("avg", "med", "p95", "p99", "max")]
        return " · ".join(parts) + f" · count {fmt_count(m.get('count'))}"
    if kind == "counter":
        return f"{fmt_count(m.get('count'))} ({fmt_rate(m.get('rate'))}/s)"
    if kind == "rate":
        return (
            f"{fmt_pct(m.get('rate', 0.0))} "
            f"({fmt_count(m.get('true_count'))} of {fmt_count(m.get('total'))})"
        )
    low, high = _number(m.get("min")), _number(m.get("max"))
    return f"last {_number(m.get('value'))} · min {low} · max {high}"


def custom_metrics_card(summary: Mapping[str, Any]) -> str:
    """The business-metrics card, then the script-errors card; "" when there is neither."""
    return _metrics_card(summary) + _script_errors_card(summary)


def _script_errors_card(summary: Mapping[str, Any]) -> str:
    rows = [
        f'<tr><td class="l">{safe(r.get("scenario", ""))}</td>'
        f'<td class="l code">{safe(r.get("function", ""))}</td>'
        f'<td class="l wrap code">{safe(r.get("message", ""))}</td>'
        f"<td>{escape(fmt_count(r.get('count')))}</td></tr>"
        for r in summary.get("script_errors") or []
        if isinstance(r, Mapping)
    ]
    if not rows:
        return ""
    head = (("scenario", "l"), ("function", "l"), ("first line", "l"), ("count", ""))
    return card(
        "script-errors",
        "Script errors",
        "Exceptions raised by the scenario's Python code; each ended its iteration.",
        _table(head, rows),
    )


def _metrics_card(summary: Mapping[str, Any]) -> str:
    """One row per custom metric (name, kind, figures, description); "" when there are none."""
    metrics = summary.get("metrics") or {}
    rows = [
        f'<tr><td class="l code">{safe(name)}</td><td class="l">{escape(m.get("kind", ""))}</td>'
        f'<td class="l">{escape(_figures(m))}</td>'
        f'<td class="l wrap">{safe(m.get("description", ""))}</td></tr>'
        for name, m in sorted(metrics.items())
        if isinstance(m, Mapping) and m.get("custom")
    ]
    if not rows:
        return ""
    head = (("metric", "l"), ("kind", "l"), ("figures", "l"), ("description", "l"))
    body = _table(head, rows)
    return card(
        "custom-metrics",
        "Business metrics",
        "The scenario's own metrics (Trend, Counter, Rate, Gauge), across the whole run.",
        body,
    )
