"""The report's "Generator", "Target" and "Alerts" sections: figures and HTML.

:func:`monitoring_sections` renders the cards from a
:class:`~agentload.reports.monitor_series.MonitorSeries` and the summary, with
plotly figures drawn by the page's own chart script.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentload.reports._html_page import json_script
from agentload.reports.charts import FONT
from agentload.reports.formatting import fmt_ms
from agentload.reports.html_sections import card, escape, safe
from agentload.reports.monitor_series import MonitorSeries, Values

__all__ = ["generator_figure", "monitoring_sections", "target_figure"]

_COLORS = ("#4f46e5", "#f97316", "#0d9488", "#e11d48", "#ca8a04", "#9333ea", "#0284c7")


def _r(values: Values) -> Values:
    return [None if v is None else round(v, 3) for v in values]


def _line(name: str, t: list[float], y: Values, color: str, *, axis: str = "y",
          unit: str = "", dash: str = "solid") -> dict[str, Any]:
    return {
        "type": "scatter", "mode": "lines", "name": name, "x": t, "y": _r(y), "yaxis": axis,
        "line": {"color": color, "width": 2, "dash": dash}, "connectgaps": False,
        "hovertemplate": f"{name} %{{y:,.2f}}{unit}<extra></extra>",
    }


def _layout(
    y_title: str, y2_title: str | None = None, limit: float | None = None
) -> dict[str, Any]:
    axis = {"gridcolor": "#e7ebf0", "zeroline": False, "rangemode": "tozero"}
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 60, "t": 30, "b": 46},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 12, "color": "#334155"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {**axis, "title": {"text": "time since start (s)", "font": {"size": 11}}},
        "yaxis": {**axis, "title": {"text": y_title, "font": {"size": 11}}},
    }
    if y2_title is not None:
        layout["yaxis2"] = {**axis, "title": {"text": y2_title, "font": {"size": 11}},
                            "overlaying": "y", "side": "right", "showgrid": False}
    if limit is not None:
        layout["shapes"] = [{
            "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": limit,
            "y1": limit, "line": {"color": "#dc2626", "width": 1.5, "dash": "dash"},
        }]
    return layout


def generator_figure(s: MonitorSeries, cpu_limit: float = 90.0) -> dict[str, Any]:
    """CPU per worker (%, left; dashed: the saturation limit) and loop lag p99 (ms, right)."""
    data = [
        _line(f"CPU worker {w}", s.t, v, _COLORS[i % len(_COLORS)], unit="%")
        for i, (w, v) in enumerate(sorted(s.gen_cpu.items()))
    ]
    data.append(_line("loop lag p99", s.t, s.gen_lag_p99_ms, "#64748b", axis="y2", unit=" ms",
                      dash="dot"))
    if any(v is not None for v in s.drift_p99_ms):
        data.append(_line("schedule drift p99", s.t, s.drift_p99_ms, "#a855f7", axis="y2",
                          unit=" ms", dash="dash"))
    return {"data": data, "layout": _layout("CPU (% of one core)", "ms", cpu_limit)}


def target_figure(s: MonitorSeries) -> dict[str, Any]:
    """The target process (CPU %, connections) and the scraped gauges, on two axes."""
    data: list[dict[str, Any]] = []
    colors = iter(_COLORS * 4)
    for key, label, axis, unit in (
        ("target_cpu_percent", "target CPU", "y", "%"),
        ("target_connections", "connections", "y2", ""),
        ("target_open_fds", "open files", "y2", ""),
        ("target_rss", "memory (MB)", "y2", " MB"),
    ):
        if key in s.target:
            data.append(_line(label, s.t, s.target[key], next(colors), axis=axis, unit=unit))
    for name, values in sorted(s.target_gauges.items())[:8]:
        data.append(_line(name, s.t, values, next(colors), axis="y2", dash="dot"))
    return {"data": data, "layout": _layout("CPU (% of one core)", "count / value")}


def _chart(ident: str, figure: Mapping[str, Any], scripts: list[str]) -> str:
    scripts.append(json_script(f"data-{ident}", figure))
    return f'<div class="chart" id="fig-{escape(ident)}" data-figure="data-{escape(ident)}"></div>'


def _generator_card(s: MonitorSeries, summary: Mapping[str, Any], scripts: list[str]) -> str:
    gen = summary.get("generator") or {}
    warning = gen.get("warning")
    note = (
        f'<p><span class="pill bad">✗ saturated</span> {safe(warning)}</p>'
        if warning
        else '<p><span class="pill ok">✓ kept up</span> No sustained CPU saturation or '
        "event-loop lag.</p>"
    )
    facts = (
        f"CPU peak {escape(gen.get('cpu_percent_peak', '–'))}% · loop lag p99 "
        f"{escape(fmt_ms(gen.get('loop_lag_p99_ms')))} · saturated "
        f"{escape(gen.get('saturated_intervals', 0))} of {escape(gen.get('intervals', 0))} s"
    )
    body = f'{note}<p class="muted">{facts}</p>{_chart("generator", generator_figure(s), scripts)}'
    return card("generator", "Generator",
                "The load generator's own health: CPU per worker process, event-loop lag and "
                "schedule drift. Above the dashed line its latencies include its own delay.",
                body)


def _alerts_card(summary: Mapping[str, Any]) -> str:
    rows = []
    for a in summary.get("alerts") or []:
        events = a.get("events") or []
        when = ", ".join(
            f"{e['fired_at_s']:.0f} s → "
            + ("end" if e.get("cleared_at_s") is None else f"{e['cleared_at_s']:.0f} s")
            for e in events
        ) or "never fired"
        mark = ('<span class="pill bad">fired</span>' if events
                else '<span class="pill ok">quiet</span>')
        rows.append(
            f'<tr><td class="l">{mark}</td><td class="l">{safe(a.get("name", ""))}</td>'
            f'<td class="l code">{safe(a.get("metric", ""))}: {safe(a.get("expression", ""))}'
            f' for {escape(a.get("for_s", 0))} s</td><td class="l wrap">{escape(when)}</td></tr>'
        )
    head = "".join(f'<th class="l">{h}</th>' for h in ("state", "alert", "rule", "fired → cleared"))
    table = (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
             f"<tbody>{''.join(rows)}</tbody></table></div>")
    return card("alerts", "Alerts", "Rules checked every second during the run (alerts: in the "
                "scenario), with when each fired and cleared.", table)


def monitoring_sections(
    series: MonitorSeries, summary: Mapping[str, Any], scripts: list[str]
) -> str:
    """The Generator, Target and Alerts cards ('' for the parts a run does not have)."""
    parts = []
    if series.has_generator:
        parts.append(_generator_card(series, summary, scripts))
    if series.has_target:
        mon = summary.get("monitoring") or {}
        warnings = "".join(f'<p class="muted">{safe(w)}</p>' for w in mon.get("warnings") or [])
        parts.append(card(
            "target", "Target",
            "The system under test as seen from outside: its process (--monitor-pid) and "
            "gauges scraped from its /metrics (--monitor-prometheus).",
            warnings + _chart("target", target_figure(series), scripts),
        ))
    if summary.get("alerts"):
        parts.append(_alerts_card(summary))
    return "\n".join(parts)
