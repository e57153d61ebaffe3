"""The HTML report (``report.html``): one self-contained page, rendered from a :class:`ReportModel`.

Pure: model + the plotly.js source in, an HTML string out (the caller reads
plotly.js and writes the file). The page opens offline: plotly.js and every
figure's JSON are inline. The non-chart sections come from
:mod:`agentload.reports.html_sections`, which escapes and redacts every text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from agentload.reports._html_assets import DRAW_JS, ERRORS_JS, STYLE
from agentload.reports.charts import (
    distribution_figure,
    errors_figure,
    heatmap_figure,
    latency_figure,
    throughput_figure,
    visible_limits,
)
from agentload.reports.compare_html import baseline_section
from agentload.reports.failures import failure_section
from agentload.reports.formatting import fmt_ms, fmt_timestamp
from agentload.reports.html_custom import custom_metrics_card
from agentload.reports.html_sections import (
    card,
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
from agentload.reports.trend_lines import trend_lines_figure

__all__ = ["render_html"]


def _json_script(ident: str, data: Any) -> str:
    # "<" never appears raw, so the JSON cannot close the <script> element.
    body = orjson.dumps(data).decode().replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(ident)}">{body}</script>'


def _chart(
    ident: str,
    title: str,
    hint: str,
    figure: Mapping[str, Any] | None,
    scripts: list[str],
    *,
    tall: bool = False,
) -> str:
    if figure is None:
        body = '<div class="empty">No data recorded.</div>'
    else:
        scripts.append(_json_script(f"data-{ident}", figure))
        cls = "chart tall" if tall else "chart"
        body = (
            f'<div class="{cls}" id="fig-{escape(ident)}" data-figure="data-{escape(ident)}"></div>'
        )
    return card(f"chart-{ident}", title, hint, body)


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
        _chart(
            "throughput",
            "Throughput",
            "Requests per second and active virtual users.",
            throughput_figure(tl) if has_points else None,
            scripts,
        ),
        _chart(
            "latency",
            "Latency over time",
            _latency_hint(model),
            latency_figure(tl, model.limits) if has_points else None,
            scripts,
        ),
        _chart(
            "errors",
            "Errors per second",
            "Failed requests and checks, stacked by kind.",
            errors_figure(tl) if has_points else None,
            scripts,
        ),
        _chart(
            "heatmap",
            "Latency heatmap",
            "How many requests fell in each latency band, over time (log scale); darker = more.",
            heatmap_figure(model.heatmap) if model.heatmap else None,
            scripts,
        ),
    ]
    distribution = _chart(
        "distribution",
        "Latency distribution by endpoint",
        "Latency at each percentile over the whole run; the tail is on the right.",
        distribution_figure(model.curves) if model.curves else None,
        scripts,
        tall=True,
    )
    if model.trend_lines:  # LLM / streaming / voice latencies, only when the run had them
        names = ", ".join(line.metric for line in model.trend_lines)
        distribution = _chart(
            "trends",
            "Streaming and voice latency over time",
            f"p95 per interval (p50 dotted: click it in the legend): {names}.",
            trend_lines_figure(model.trend_lines),
            scripts,
        ) + distribution
    return f'<div class="grid2" id="charts">{"".join(grid)}</div>{distribution}'


def render_html(model: ReportModel, plotly_js: str) -> str:
    """The whole page. ``plotly_js`` is the plotly.js bundle's source, inlined as is."""
    summary = model.summary
    run = summary["run"]
    verdict = "passed" if summary.get("verdict") == "passed" else "failed"
    scripts: list[str] = []
    charts = _charts(model, scripts)
    title = f"agentload · {redact(str(run.get('scenario_file', '')))} · {verdict}"
    version = run.get("agentload_version", "")
    # A literal "</script" inside the bundle would end the element early.
    js = plotly_js.replace("</script", "<\\/script")
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en" data-errors="" data-charts="pending">\n<head>\n',
            '<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f'<meta name="generator" content="agentload {escape(version)}">\n',
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n<script>{ERRORS_JS}</script>\n",
            "</head>\n<body>\n",
            '<header class="top"><div><span class="brand">agentload</span>',
            '<span class="kind">load test report</span></div>',
            f'<div class="where">{safe(run.get("scenario_file", ""))} → ',
            f"{safe(run.get('target', ''))} · {escape(fmt_timestamp(run.get('started_at')))}</div>",
            "</header>\n<main>\n",
            verdict_banner(summary),
            "\n",
            kpi_cards(summary),
            "\n",
            thresholds_table(summary),
            "\n",
            baseline_section(summary),
            "\n",
            charts,
            "\n",
            endpoints_table(summary),
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
            "\n</main>\n",
            f"<footer>Generated by agentload {escape(version)} from summary.json, "
            "timeseries.jsonl and aggregate.json · self-contained, works offline · "
            "charts by plotly.js</footer>\n",
            "\n".join(scripts),
            "\n",
            f"<script>{js}</script>\n<script>{DRAW_JS}</script>\n</body>\n</html>\n",
        ]
    )
