"""The live dashboard's content and its two renderings: pure functions, golden-tested.

:func:`build_view` reads one interval snapshot and the run's aggregate into a
:class:`DashboardView`; :func:`render_panel` draws it for a terminal (rich) and
:func:`render_line` as one plain line for CI logs. "Current" figures (req/s,
percentiles, per-endpoint rates) come from the last interval; error rates and
totals from the whole run so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agentload.metrics import (
    Aggregate,
    CounterData,
    GaugeData,
    Histogram,
    RateData,
    Snapshot,
    TrendData,
)
from agentload.reports.formatting import fmt_ms
from agentload.reports.redact import redact
from agentload.thresholds import ThresholdResult

__all__ = [
    "AlertLine",
    "DashboardView",
    "EndpointRow",
    "GeneratorState",
    "build_view",
    "render_line",
    "render_panel",
]


@dataclass(frozen=True, slots=True)
class EndpointRow:
    """One request name: this interval's rate and p95, the run's failure share."""

    name: str
    rps: float
    p95_ms: float | None
    total: float
    error_rate: float | None


@dataclass(frozen=True, slots=True)
class AlertLine:
    """An alert rule's live state (``inactive``, ``pending`` or ``firing``)."""

    name: str
    state: str
    detail: str


@dataclass(frozen=True, slots=True)
class GeneratorState:
    """The generator's health in the last interval."""

    cpu_percent: float | None = None
    loop_lag_p99_ms: float | None = None
    saturated: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DashboardView:
    """Everything the dashboard shows at one instant."""

    elapsed: float
    planned: float
    vus: int
    iterations_per_s: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    interval_error_rate: float | None
    error_rate: float | None
    total_requests: float
    endpoints: tuple[EndpointRow, ...] = ()
    hidden_endpoints: int = 0
    thresholds: tuple[ThresholdResult, ...] = ()
    alerts: tuple[AlertLine, ...] = ()
    generator: GeneratorState = GeneratorState()
    planned_rate: float | None = None
    """Open model: the plan's arrival rate now (iterations/s); ``None`` otherwise."""


def _merge(into: dict[str, Histogram], name: str, hist: Histogram) -> None:
    known = into.get(name)
    if known is None:
        into[name] = hist.copy()
    else:
        known.add(hist)


def build_view(
    snapshot: Snapshot,
    aggregate: Aggregate,
    elapsed: float,
    planned: float,
    *,
    top: int = 8,
    thresholds: Sequence[ThresholdResult] = (),
    alerts: Sequence[AlertLine] = (),
    generator: GeneratorState | None = None,
    planned_rate: float | None = None,
) -> DashboardView:
    """The view after ``snapshot`` (one interval) with the run totals in ``aggregate``."""
    span = max(snapshot.end - snapshot.start, 1e-9)
    reqs: dict[str, float] = {}
    hists: dict[str, Histogram] = {}
    failed = [0, 0]
    iterations = 0.0
    for key, data in snapshot.series.items():
        name = key.tag("name") or ""
        if key.metric == "http_reqs" and isinstance(data, CounterData):
            reqs[name] = reqs.get(name, 0.0) + data.value
        elif key.metric == "http_req_duration" and isinstance(data, TrendData):
            _merge(hists, name, data.hist)
            _merge(hists, "\0all", data.hist)
        elif key.metric == "http_req_failed" and isinstance(data, RateData):
            failed[0] += data.passes
            failed[1] += data.total
        elif key.metric == "iterations" and isinstance(data, CounterData):
            iterations += data.value
    everything = hists.get("\0all")
    p50 = p95 = p99 = None
    if everything is not None and everything.count:
        p50, p95, p99 = (v / 1000 for v in everything.percentiles((50.0, 95.0, 99.0)))
    run_failed = aggregate.rate("http_req_failed")
    vus = aggregate.gauge("vus")
    names = aggregate.tag_values("http_reqs", "name")
    totals = {n: aggregate.counter("http_reqs", {"name": n}) for n in names}
    ranked = sorted(names, key=lambda n: (-totals[n], n))
    rows = []
    for name in ranked[:top]:
        hist = hists.get(name)
        rate = aggregate.rate("http_req_failed", {"name": name})
        rows.append(
            EndpointRow(
                name=redact(name),
                rps=reqs.get(name, 0.0) / span,
                p95_ms=hist.percentile(95.0) / 1000 if hist is not None and hist.count else None,
                total=totals[name],
                error_rate=rate[0] / rate[1] if rate and rate[1] else None,
            )
        )
    return DashboardView(
        elapsed=elapsed,
        planned=planned,
        vus=int(vus.value) if isinstance(vus, GaugeData) else 0,
        iterations_per_s=iterations / span,
        rps=sum(reqs.values()) / span,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        interval_error_rate=failed[0] / failed[1] if failed[1] else None,
        error_rate=run_failed[0] / run_failed[1] if run_failed and run_failed[1] else None,
        total_requests=aggregate.counter("http_reqs"),
        endpoints=tuple(rows),
        hidden_endpoints=max(0, len(ranked) - top),
        thresholds=tuple(thresholds),
        alerts=tuple(alerts),
        generator=generator or GeneratorState(),
        planned_rate=planned_rate,
    )


def _bar(fraction: float, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.2f}%"


def _ms(x: float | None) -> str:
    return fmt_ms(x, sep=" ")


def _progress(view: DashboardView) -> str:
    frac = view.elapsed / view.planned if view.planned > 0 else 1.0
    return f"{_bar(frac)} {view.elapsed:4.0f}s/{view.planned:.0f}s {min(frac, 1.0) * 100:3.0f}%"


def _plan(view: DashboardView) -> str:
    return "" if view.planned_rate is None else f" (plan {view.planned_rate:,.1f}/s)"


def _generator_text(g: GeneratorState) -> str:
    cpu = "–" if g.cpu_percent is None else f"{g.cpu_percent:.0f}%"
    lag = _ms(g.loop_lag_p99_ms)
    text = f"generator CPU {cpu}  loop lag p99 {lag}"
    if g.saturated:
        text += "  SATURATED: " + "; ".join(g.reasons) + " — numbers are not trustworthy"
    return text


def render_line(view: DashboardView) -> str:
    """One plain line for logs (no colour, no cursor movement)."""
    passed = sum(1 for r in view.thresholds if r.passed)
    parts = [
        f"{_progress(view)}",
        f"VUs {view.vus}",
        f"{view.iterations_per_s:,.1f} it/s{_plan(view)}",
        f"{view.rps:,.1f} req/s",
        f"p50 {_ms(view.p50_ms)} p95 {_ms(view.p95_ms)} p99 {_ms(view.p99_ms)}",
        f"errors {_pct(view.error_rate)}",
        f"total {int(view.total_requests):,}",
    ]
    if view.thresholds:
        parts.append(f"thresholds {passed}/{len(view.thresholds)} ok")
    firing = [a.name for a in view.alerts if a.state == "firing"]
    if firing:
        parts.append("ALERTS " + ", ".join(firing))
    if view.generator.saturated:
        parts.append("GENERATOR SATURATED (" + "; ".join(view.generator.reasons) + ")")
    return "  ".join(parts)


def _endpoint_table(view: DashboardView) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    table.add_column("endpoint", overflow="ellipsis", no_wrap=True, max_width=40)
    for col in ("req/s", "p95", "requests", "errors"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in view.endpoints:
        err = _pct(row.error_rate)
        style = "red" if row.error_rate else ""
        table.add_row(
            row.name or "(unnamed)",
            f"{row.rps:,.1f}",
            _ms(row.p95_ms),
            f"{int(row.total):,}",
            Text(err, style=style),
        )
    if view.hidden_endpoints:
        table.add_row(f"… {view.hidden_endpoints} more", "", "", "", "")
    return table


def render_panel(view: DashboardView) -> RenderableType:
    """The terminal dashboard: progress, rates, latencies, endpoints, thresholds, alerts."""
    lines: list[RenderableType] = [
        Text(_progress(view), style="cyan"),
        Text(
            f"VUs {view.vus}   iterations {view.iterations_per_s:,.1f}/s{_plan(view)}   "
            f"requests {view.rps:,.1f}/s   total {int(view.total_requests):,}"
        ),
        Text(
            f"latency p50 {_ms(view.p50_ms)}   p95 {_ms(view.p95_ms)}   "
            f"p99 {_ms(view.p99_ms)}   errors {_pct(view.interval_error_rate)} now, "
            f"{_pct(view.error_rate)} overall"
        ),
    ]
    if view.endpoints:
        lines.append(_endpoint_table(view))
    for r in view.thresholds:
        mark, style = ("✓", "green") if r.passed else ("✗", "red")
        lines.append(Text(f"{mark} {r.threshold.selector}: {r.threshold.source}  {r.message}",
                          style=style))
    for a in view.alerts:
        style = {"firing": "bold red", "pending": "yellow"}.get(a.state, "dim")
        lines.append(Text(f"alert {a.name}: {a.state}  {a.detail}".rstrip(), style=style))
    g = view.generator
    lines.append(Text(_generator_text(g), style="bold red" if g.saturated else "dim"))
    return Group(*lines)
