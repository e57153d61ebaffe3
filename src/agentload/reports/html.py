"""The HTML report (``report.html``): one self-contained page, rendered from a :class:`ReportModel`.

Pure: model + the plotly.js source in, an HTML string out (the caller reads
plotly.js and writes the file). The page opens offline: plotly.js and every
figure's JSON are inline. The non-chart sections come from
:mod:`agentload.reports.html_sections`, which escapes and redacts every text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentload.reports._html_page import chart_card, page
from agentload.reports.charts import (
    distribution_figure,
    errors_figure,
    heatmap_figure,
    latency_figure,
    throughput_figure,
    visible_limits,
)
from agentload.reports.failures import failure_section
from agentload.reports.formatting import fmt_ms, fmt_timestamp
from agentload.reports.html_custom import custom_metrics_card
from agentload.reports.html_protocols import protocol_cards
from agentload.reports.html_sections import (
    endpoints_table,
    errors_and_checks,
    escape,
    kpi_cards,
    run_metadata,
    safe,
    thresholds_table,
    verdict_banner,
)
from agentload.reports.model import ReportModel
from agentload.reports.monitor_report import monitoring_sections
from agentload.reports.redact import redact
from agentload.reports.trend_lines import trend_charts, trend_lines_figure

__all__ = ["render_html"]


def _latency_hint(model: ReportModel) -> str:
    hint = "p50 / p95 / p99 of http_req_duration per interval (exact, not averaged)."
    shown = visible_limits(model.timeline, model.limits)
    hidden = [lim for lim in model.limits if lim not in shown]
    if shown:
        hint += " Dashed: threshold limits."
    if hidden:
        listed = ", ".join(
            f"{lim.label.removesuffix(' limit')} < {fmt_ms(lim.limit_ms)}" for lim in hidden
        )
        hint += f" Off the chart's scale: {listed}."
    return hint


def _charts(model: ReportModel, scripts: list[str]) -> str:
    tl = model.timeline
    has_points = bool(tl.points)
    grid = [
        chart_card(
            "throughput",
            "Throughput",
            "Requests per second and active virtual users.",
            throughput_figure(tl) if has_points else None,
            scripts,
        ),
        chart_card(
            "latency",
            "Latency over time",
            _latency_hint(model),
            latency_figure(tl, model.limits) if has_points else None,
            scripts,
        ),
        chart_card(
            "errors",
            "Errors per second",
            "Failed requests and checks, stacked by kind.",
            errors_figure(tl) if has_points else None,
            scripts,
        ),
        chart_card(
            "heatmap",
            "Latency heatmap",
            "How many requests fell in each latency band, over time (log scale); darker = more.",
            heatmap_figure(model.heatmap) if model.heatmap else None,
            scripts,
        ),
    ]
    distribution = chart_card(
        "distribution",
        "Latency distribution by endpoint",
        "Latency at each percentile over the whole run; the tail is on the right.",
        distribution_figure(model.curves) if model.curves else None,
        scripts,
        tall=True,
    )
    # LLM / WebSocket / voice latencies: one chart per protocol the run had.
    trends = [
        chart_card(c.ident, c.title, c.hint, trend_lines_figure(c.lines), scripts)
        for c in trend_charts(model.trend_lines)
    ]
    paired = len(trends) - len(trends) % 2  # an odd last chart gets the full width
    pairs = f'<div class="grid2">{"".join(trends[:paired])}</div>' if paired else ""
    distribution = pairs + "".join(trends[paired:]) + distribution
    return f'<div class="grid2" id="charts">{"".join(grid)}</div>{distribution}'


def _baseline_section(summary: Mapping[str, Any]) -> str:
    """The ``run --baseline`` card; the comparison modules load only for such a run (D21)."""
    if "baseline" not in (summary.get("run") or {}):
        return ""
    from agentload.reports.compare_html import baseline_section  # noqa: PLC0415 - D21

    return baseline_section(summary)


def render_html(model: ReportModel, plotly_js: str) -> str:
    """The whole page. ``plotly_js`` is the plotly.js bundle's source, inlined as is."""
    summary = model.summary
    run = summary["run"]
    verdict = "passed" if summary.get("verdict") == "passed" else "failed"
    scripts: list[str] = []
    charts = _charts(model, scripts)
    title = f"agentload · {redact(str(run.get('scenario_file', '')))} · {verdict}"
    version = run.get("agentload_version", "")
    return page(
        title=title,
        generator=f"agentload {version}",
        kind="load test report",
        where=f"{safe(run.get('scenario_file', ''))} → {safe(run.get('target', ''))} · "
        f"{escape(fmt_timestamp(run.get('started_at')))}",
        main=[
            verdict_banner(summary),
            "\n",
            kpi_cards(summary),
            "\n",
            thresholds_table(summary),
            "\n",
            _baseline_section(summary),
            "\n",
            charts,
            "\n",
            endpoints_table(summary),
            "\n",
            protocol_cards(model.protocol_tables),  # reports/html_protocols.py
            "\n",
            custom_metrics_card(summary),  # reports/html_custom.py
            "\n",
            errors_and_checks(summary),
            "\n",
            failure_section(model.failures),
            "\n",
            monitoring_sections(model.monitoring, summary, scripts),
            "\n",
            run_metadata(summary),
        ],
        footer=f"Generated by agentload {escape(version)} from summary.json, "
        "timeseries.jsonl and aggregate.json · self-contained, works offline · "
        "charts by plotly.js",
        scripts=scripts,
        plotly_js=plotly_js,
    )
