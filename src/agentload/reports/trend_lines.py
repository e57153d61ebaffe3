"""Latency trends beyond HTTP over time: LLM TTFT/ITL/TPOT, SSE, voice and WebSocket latencies.

Pure: snapshots in, per-window p50/p95 per metric out, and the plotly figures.
Which trends: every duration trend (unit µs) that is not ``http_req_*`` (the
latency chart shows ``http_req_duration``), not per-iteration bookkeeping and
not a generator/target system metric. The report draws one chart per protocol
(:func:`trend_charts`): a few headline metrics each for LLM, WebSocket and
voice, and any other protocol's latencies (SSE, polling, …) on an "other"
chart, so a new protocol's latencies appear without touching this module.
Counts and ratios (``voice_rtf_permille``, tokens/s) are never on a ms axis:
only unit-µs trends are taken. Percentiles per window are exact (histograms
merged), as in :mod:`agentload.reports.timeline`.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from agentload.metrics import Aggregate, MetricKind, Snapshot, metric_def
from agentload.reports.timeline import WindowedReducer, reduce_snapshots, window_size

__all__ = [
    "MAX_EXCHANGES",
    "TrendChart",
    "TrendLine",
    "TrendLinesBuilder",
    "build_trend_lines",
    "latency_trend_names",
    "trend_charts",
    "trend_label",
    "trend_lines_figure",
]

_SKIP_PREFIXES = ("http_req_", "iteration", "gen_", "target_")
_SKIP = frozenset({"llm_done", "llm_ttfot"})  # near-duplicates of llm_e2e / llm_ttft
_PER_EXCHANGE = "ws_reply_latency"  # tagged ``exchange`` (engine/ws.py)
MAX_EXCHANGES = 4
_COLORS = ("#4f46e5", "#f97316", "#0d9488", "#e11d48", "#ca8a04", "#9333ea", "#0284c7")
_FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True, slots=True)
class TrendLine:
    """One trend's p50/p95 per window (ms; ``None`` where the window had no sample)."""

    metric: str
    times: tuple[float, ...]
    p50: tuple[float | None, ...]
    p95: tuple[float | None, ...]
    exchange: str | None = None
    """For ``ws_reply_latency`` of a step with several exchanges: this exchange only."""


def latency_trend_names(metrics: set[str], kind_of: Any) -> list[str]:
    """The latency trends among ``metrics`` that this chart (and run comparison) shows."""
    out = []
    for m in metrics:
        d = metric_def(m)
        if d is None or d.unit != "us" or kind_of(m) is not MetricKind.TREND:
            continue
        if m.startswith(_SKIP_PREFIXES) or m in _SKIP:
            continue
        out.append(m)
    return sorted(out)


class TrendLinesBuilder(WindowedReducer):
    """Builds :func:`build_trend_lines`' result one snapshot at a time (one window held)."""

    __slots__ = ("_exchanges", "_names", "_windows")

    def __init__(self, intervals: int, *, max_points: int = 600) -> None:
        super().__init__(window_size(intervals, max_points))
        # Per window: its midpoint and (p50, p95) in ms of each latency trend in it
        # (keyed (metric, None)) and of each WebSocket exchange ((metric, exchange)).
        self._windows: list[tuple[float, dict[tuple[str, str | None], tuple[float, float]]]] = []
        self._names: set[str] = set()
        self._exchanges: set[str] = set()

    def trends(self, metric: str) -> bool:
        """The latency trends this chart shows."""
        return bool(latency_trend_names({metric}, lambda _: MetricKind.TREND))

    def _take(self, agg: Aggregate) -> None:
        values: dict[tuple[str, str | None], tuple[float, float]] = {}
        for metric in latency_trend_names(agg.metrics(), agg.kind):
            self._names.add(metric)
            found = _pair(agg, metric, None)
            if found is not None:
                values[metric, None] = found
            if metric != _PER_EXCHANGE:
                continue
            for ex in agg.tag_values(metric, "exchange"):
                self._exchanges.add(ex)
                found = _pair(agg, metric, {"exchange": ex})
                if found is not None:
                    values[metric, ex] = found
        self._windows.append((round(((agg.start or 0.0) + (agg.end or 0.0)) / 2, 2), values))

    def result(self) -> tuple[TrendLine, ...]:
        """One line per latency trend present in the run (call :meth:`close` first).

        ``ws_reply_latency`` gets one line per exchange when the run had 2 to
        :data:`MAX_EXCHANGES` exchange names (more would be a tangle: one line).
        """
        times = tuple(t for t, _ in self._windows)
        split = 2 <= len(self._exchanges) <= MAX_EXCHANGES
        lines = []
        for metric in sorted(self._names):
            keys: Sequence[str | None] = (None,)
            if metric == _PER_EXCHANGE and split:
                keys = sorted(self._exchanges)
            for ex in keys:
                pairs = [values.get((metric, ex)) for _, values in self._windows]
                p50 = tuple(None if p is None else p[0] for p in pairs)
                p95 = tuple(None if p is None else p[1] for p in pairs)
                lines.append(TrendLine(metric, times, p50, p95, ex))
        return tuple(lines)


def _pair(agg: Aggregate, metric: str, tags: dict[str, str] | None) -> tuple[float, float] | None:
    """(p50, p95) in ms of the matching series in this window, or ``None``."""
    hist = agg.trend(metric, tags)
    if hist is None or not hist.count:
        return None
    a, b = hist.percentiles((50.0, 95.0))
    return round(a / 1000.0, 3), round(b / 1000.0, 3)


def build_trend_lines(
    snapshots: Collection[Snapshot], *, max_points: int = 600
) -> tuple[TrendLine, ...]:
    """One line per latency trend present in the run; empty when there is none."""
    builder = TrendLinesBuilder(len(snapshots), max_points=max_points)
    reduce_snapshots(snapshots, builder)
    return builder.result()


@dataclass(frozen=True, slots=True)
class TrendChart:
    """One protocol's latency-over-time chart: its id, title, one-line hint and lines."""

    ident: str
    title: str
    hint: str
    lines: tuple[TrendLine, ...]


# Headline metrics per protocol, in legend order, with their short labels;
# definitions: docs/metrics.md ("LLM streaming", "WebSocket", "Voice").
_GROUPS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "trends-llm",
        "LLM streaming latency over time",
        "TTFT: first token − request start; ITL: gap between token chunks; "
        "TPOT: decode time per output token; e2e: last token − request start.",
        (("llm_ttft", "TTFT"), ("llm_itl", "ITL"), ("llm_tpot", "TPOT"), ("llm_e2e", "e2e")),
    ),
    (
        "trends-ws",
        "WebSocket latency over time",
        "reply: matching message − the last send before the expect, per exchange; "
        "connect: TCP + TLS + WebSocket handshake.",
        (("ws_reply_latency", "reply"), ("ws_connecting", "connect")),
    ),
    (
        "trends-voice",
        "Voice latency over time",
        "first byte / onset: first agent audio / agent speech onset − end of the caller's "
        "utterance; barge-in detect / stop: interruption signal / last interrupted audio − "
        "start of the interrupting utterance; greeting: greeting onset − session start.",
        (
            ("voice_v2v_first_byte", "V2V first byte"),
            ("voice_v2v", "V2V onset"),
            ("voice_barge_in_detect", "barge-in detect"),
            ("voice_barge_in_stop", "barge-in stop"),
            ("voice_greeting", "greeting"),
        ),
    ),
)
_PROTOCOL_PREFIXES = ("llm_", "ws_", "voice_")
_PERCENTILES = "Per interval, in ms: p95 solid, p50 dotted (exact, not averaged). "


def trend_label(line: TrendLine) -> str:
    """The line's legend label: the metric's short name, and its exchange if any."""
    for _, _, _, metrics in _GROUPS:
        for metric, label in metrics:
            if metric == line.metric:
                return f"{label} · {line.exchange}" if line.exchange else label
    return line.metric


def trend_charts(lines: Sequence[TrendLine]) -> tuple[TrendChart, ...]:
    """One chart per protocol with lines in the run (headline metrics only), then the rest.

    Lines of ``llm_*``/``ws_*``/``voice_*`` trends that are not headline metrics
    are left out (their figures are in the protocol tables and summary.json);
    other protocols' latency trends (SSE, polling, …) share an "other" chart.
    """
    charts = []
    for ident, title, hint, metrics in _GROUPS:
        order = {m: i for i, (m, _) in enumerate(metrics)}
        picked = sorted(
            (line for line in lines if line.metric in order),
            key=lambda line: (order[line.metric], line.exchange or ""),
        )
        if picked:
            charts.append(TrendChart(ident, title, _PERCENTILES + hint, tuple(picked)))
    rest = tuple(line for line in lines if not line.metric.startswith(_PROTOCOL_PREFIXES))
    if rest:
        names = ", ".join(line.metric for line in rest)
        charts.append(
            TrendChart(
                "trends-other",
                "Other streaming latency over time",
                f"{_PERCENTILES}{names} (see docs/metrics.md).",
                rest,
            )
        )
    return tuple(charts)


def trend_lines_figure(lines: Sequence[TrendLine]) -> dict[str, Any]:
    """p95 (solid) and p50 (dotted) of each line; one legend entry per line toggles both."""
    data = []
    for i, line in enumerate(lines):
        color = _COLORS[i % len(_COLORS)]
        label = _label(trend_label(line))
        # A value between two empty windows (a few calls a minute) draws no line
        # at all: such sparse lines show each window's value as a dot as well.
        sparse = _has_isolated(line.p95)
        for pct, values, dash, width in (
            ("p95", line.p95, "solid", 2),
            ("p50", line.p50, "dot", 1.4),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers" if sparse else "lines",
                    **({"marker": {"size": 5 if pct == "p95" else 4}} if sparse else {}),
                    "name": label,
                    "legendgroup": f"g{i}",
                    # The p50 line shares the p95 line's legend entry (and colour).
                    "showlegend": pct == "p95",
                    "x": list(line.times),
                    "y": list(values),
                    "connectgaps": False,
                    "line": {"color": color, "width": width, "dash": dash},
                    "hovertemplate": f"{label} {pct} %{{y:,.2f}} ms<extra></extra>",
                }
            )
    axis = {"gridcolor": "#e7ebf0", "zeroline": False}
    layout = {
        "margin": {"l": 60, "r": 20, "t": 30, "b": 46},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": _FONT, "size": 12, "color": "#334155"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {**axis, "title": {"text": "time since start (s)", "font": {"size": 11}}},
        "yaxis": {
            **axis,
            "rangemode": "tozero",
            "title": {"text": "latency (ms)", "font": {"size": 11}},
        },
    }
    return {"data": data, "layout": layout}


def _has_isolated(values: Sequence[float | None]) -> bool:
    """Whether some value has no value beside it (plotly draws no line through it)."""
    padded = [None, *values, None]
    return any(
        padded[i] is not None and padded[i - 1] is None and padded[i + 1] is None
        for i in range(1, len(padded) - 1)
    )


def _label(text: str) -> str:
    # plotly.js reads a subset of HTML in names: an exchange named "<x>" shows as text.
    return html.escape(text, quote=False)
