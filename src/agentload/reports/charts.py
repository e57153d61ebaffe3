"""Plotly figure specs (plain dicts, JSON-ready) for the HTML report. Pure: data in, dicts out.

We build the figure JSON ourselves instead of importing plotly's Python API:
that API takes seconds to import and pulls pandas-like machinery onto the CLI
path, while plotly.js only needs ``{"data": [...], "layout": {...}}``.
Titles live in the page's card headers, so figures carry none.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from agentload.reports.distribution import LatencyCurve
from agentload.reports.model import LatencyLimit
from agentload.reports.timeline import LatencyHeatmap, Timeline

__all__ = [
    "ERROR_COLORS",
    "FONT",
    "distribution_figure",
    "errors_figure",
    "heatmap_figure",
    "latency_figure",
    "throughput_figure",
    "visible_limits",
]

Figure = dict[str, Any]

FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#334155"
_GRID = "#e7ebf0"
_INDIGO = "#4f46e5"
_SLATE = "#64748b"
_P50, _P95, _P99 = "#10b981", "#f59e0b", "#e11d48"
_PASS, _FAIL = "#16a34a", "#dc2626"
ERROR_COLORS = (
    "#dc2626",
    "#f97316",
    "#eab308",
    "#a855f7",
    "#0ea5e9",
    "#14b8a6",
    "#ec4899",
    "#84cc16",
    "#6366f1",
    "#78716c",
)
# Neighbouring hues differ a lot: endpoints' curves often run close together.
_CURVE_COLORS = (
    "#4f46e5",  # indigo
    "#f97316",  # orange
    "#0d9488",  # teal
    "#e11d48",  # rose
    "#ca8a04",  # ochre
    "#9333ea",  # purple
    "#0284c7",  # sky
    "#65a30d",  # lime
    "#db2777",  # pink
    "#78350f",  # brown
)
# Draw a threshold line only when it is on the chart's scale: a limit 10x
# above the data would flatten every line into the floor.
_LIMIT_SCALE = 2.0


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _label(text: str) -> str:
    # plotly.js reads a subset of HTML in names (and decodes entities): a "<" in
    # a request name must show as text, not open a tag.
    return html.escape(text, quote=False)


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 11}},
        "gridcolor": _GRID,
        "zeroline": False,
        "linecolor": "#cbd5e1",
        "ticks": "outside",
        "tickcolor": "#cbd5e1",
        **extra,
    }


def _log_ticks(low: float, high: float) -> list[float]:
    """Round tick values (1-2-5 per decade, or powers of ten over many decades) in range."""
    low = max(low, 1e-3)
    high = max(high, low * 1.01)
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1.0,) if last - first > 4 else (1.0, 2.0, 5.0)
    ticks = [m * 10.0**d for d in range(first, last + 1) for m in steps]
    inside = [t for t in ticks if low / 1.05 <= t <= high * 1.05]
    return inside or [10.0**first]


def _log_axis(title: str, low: float, high: float) -> dict[str, Any]:
    # Plotly's own log ticks label minor ticks "2" and "5" without their decade,
    # which reads as nonsense next to "10": label every tick in full instead.
    ticks = _log_ticks(low, high)
    return _axis(title, type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def _layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 30, "b": 46},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 12, "color": _INK},
        "hovermode": "x unified",
        "hoverlabel": {"font": {"family": FONT}},
        # A quiet tool bar: plotly's default grey box competes with the data.
        "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": "#94a3b8", "activecolor": _INDIGO},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": _axis(x_title),
        "yaxis": _axis(y_title, rangemode="tozero"),
    }
    layout.update(extra)
    return layout


def _times(timeline: Timeline) -> list[float | None]:
    # The middle of each window, so a one-second bar sits over its second.
    return [_r((p.start + p.end) / 2, 2) for p in timeline.points]


def throughput_figure(timeline: Timeline) -> Figure:
    """Requests per second (area) and virtual users (step line, right axis)."""
    t = _times(timeline)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "requests/s",
            "x": t,
            "y": [_r(p.rps, 2) for p in timeline.points],
            "line": {"color": _INDIGO, "width": 2},
            "fill": "tozeroy",
            "fillcolor": "rgba(79,70,229,0.12)",
            "hovertemplate": "%{y:,.1f} req/s<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "virtual users",
            "x": t,
            "y": [_r(p.vus, 2) for p in timeline.points],
            "yaxis": "y2",
            "line": {"color": _SLATE, "width": 2, "shape": "hv", "dash": "dot"},
            "hovertemplate": "%{y:,.0f} VUs<extra></extra>",
        },
    ]
    layout = _layout(
        "time since start (s)",
        "requests/s",
        # tickmode "auto": an overlaying axis otherwise syncs its ticks to the
        # left axis and labels VUs 3.6, 7.21, ...
        yaxis2=_axis(
            "virtual users",
            overlaying="y",
            side="right",
            showgrid=False,
            rangemode="tozero",
            tickmode="auto",
            nticks=6,
        ),
    )
    layout["margin"]["r"] = 60
    return {"data": data, "layout": layout}


def visible_limits(timeline: Timeline, limits: Sequence[LatencyLimit]) -> list[LatencyLimit]:
    """The limits close enough to the observed p99s to draw on the latency chart."""
    top = max((p.p99 for p in timeline.points if p.p99 is not None), default=0.0)
    return [lim for lim in limits if not top or lim.limit_ms <= top * _LIMIT_SCALE]


def latency_figure(timeline: Timeline, limits: Sequence[LatencyLimit] = ()) -> Figure:
    """p50/p95/p99 of ``http_req_duration`` per window, with threshold lines on scale."""
    t = _times(timeline)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": t,
            "y": [_r(getattr(p, attr)) for p in timeline.points],
            "line": {"color": color, "width": 2},
            "connectgaps": False,
            "hovertemplate": f"{name} %{{y:,.2f}} ms<extra></extra>",
        }
        for name, attr, color in (("p50", "p50", _P50), ("p95", "p95", _P95), ("p99", "p99", _P99))
    ]
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for limit in visible_limits(timeline, limits):
        color = _PASS if limit.passed else _FAIL
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": limit.limit_ms,
                "y1": limit.limit_ms,
                "line": {"color": color, "width": 1.5, "dash": "dash"},
            }
        )
        notes.append(
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "yref": "y",
                "y": limit.limit_ms,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 10, "color": color},
                "text": f"{limit.label} {limit.limit_ms:g} ms",
            }
        )
    layout = _layout("time since start (s)", "latency (ms)", shapes=shapes, annotations=notes)
    return {"data": data, "layout": layout}


def errors_figure(timeline: Timeline) -> Figure:
    """Errors per second, stacked by kind; a quiet "no errors" note when there were none."""
    t = _times(timeline)
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": _label(kind),
            "x": t,
            "y": [_r(p.errors_by_kind.get(kind, 0) / p.span, 2) for p in timeline.points],
            "marker": {"color": ERROR_COLORS[i % len(ERROR_COLORS)]},
            "hovertemplate": "%{fullData.name} %{y:,.1f}/s<extra></extra>",
        }
        for i, kind in enumerate(timeline.error_kinds)
    ]
    notes: list[dict[str, Any]] = []
    if not data:
        data.append(
            {
                "type": "bar",
                "name": "errors",
                "x": t,
                "y": [0 for _ in t],
                "marker": {"color": _FAIL},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        notes.append(
            {
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.55,
                "showarrow": False,
                "text": "no errors",
                "font": {"size": 16, "color": _PASS},
            }
        )
    layout = _layout(
        "time since start (s)", "errors/s", barmode="stack", bargap=0.15, annotations=notes
    )
    if not timeline.error_kinds:
        layout["yaxis"]["range"] = [0, 1]
    return {"data": data, "layout": layout}


def heatmap_figure(heatmap: LatencyHeatmap) -> Figure:
    """Requests per (time window, latency band): where latency sits and how it shifts."""
    # Plotly wants z[row][column] = z[band][window]; empty cells stay blank.
    z = [
        [n if (n := heatmap.counts[i][j]) else None for i in range(len(heatmap.times))]
        for j in range(len(heatmap.edges_ms) - 1)
    ]
    data = [
        {
            "type": "heatmap",
            "x": [_r(x, 2) for x in heatmap.times],
            "y": [_r(e, 4) for e in heatmap.edges_ms],
            "z": z,
            "colorscale": [[0, "#e0e7ff"], [0.35, "#818cf8"], [0.7, "#4338ca"], [1, "#1e1b4b"]],
            "colorbar": {
                "title": {"text": "requests", "side": "right"},
                "thickness": 12,
                "outlinewidth": 0,
            },
            "hovertemplate": "t %{x:.0f}s · %{y:.2f} ms · %{z:,} requests<extra></extra>",
            "xgap": 0,
            "ygap": 0,
        }
    ]
    layout = _layout("time since start (s)", "latency (ms, log scale)", hovermode="closest")
    layout["yaxis"] = _log_axis(
        "latency (ms, log scale)", heatmap.edges_ms[0], heatmap.edges_ms[-1]
    )
    return {"data": data, "layout": layout}


_SPECTRUM_TICKS = (1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000)
_SPECTRUM_TEXT = ("0%", "50%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%")


def distribution_figure(curves: Sequence[LatencyCurve]) -> Figure:
    """Latency by percentile per endpoint, on HdrHistogram's ``1/(1-p)`` log axis."""
    data: list[dict[str, Any]] = []
    top = 1.0
    for i, curve in enumerate(curves):
        pairs = [(p, v) for p, v in zip(curve.percentiles, curve.values_ms, strict=True) if p < 100]
        xs = [_r(1.0 / (1.0 - p / 100.0), 4) for p, _ in pairs]
        top = max(top, *(x or 1.0 for x in xs))
        total = curve.label == "all requests"
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _label(curve.label),
                "x": xs,
                "y": [_r(v) for _, v in pairs],
                "customdata": [_r(p, 4) for p, _ in pairs],
                "line": {
                    "color": "#0f172a" if total else _CURVE_COLORS[i % len(_CURVE_COLORS)],
                    "width": 3 if total else 1.8,
                    "shape": "hv",
                },
                "hovertemplate": "%{fullData.name}<br>p%{customdata}: %{y:,.2f} ms<extra></extra>",
            }
        )
    ticks = [t for t in _SPECTRUM_TICKS if t <= top * 1.001] or [1]
    layout = _layout("percentile", "latency (ms, log scale)", hovermode="closest")
    layout["xaxis"] = _axis(
        "percentile",
        type="log",
        tickvals=list(ticks),
        ticktext=list(_SPECTRUM_TEXT[: len(ticks)]),
    )
    values = [v for c in curves for v in c.values_ms if v > 0]
    low, high = (min(values), max(values)) if values else (0.1, 1.0)
    layout["yaxis"] = _log_axis("latency (ms, log scale)", low, high)
    layout["legend"] = {"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}}
    layout["margin"]["r"] = 200
    return {"data": data, "layout": layout}
