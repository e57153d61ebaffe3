"""``compare.html``: the comparison of two runs as one self-contained page.

Pure: a :class:`Comparison` and both saved runs in, an HTML string out. Like
``report.html`` (:mod:`agentload.reports.html`) it inlines plotly.js and every
figure's JSON, so it opens offline, and it shares that page's stylesheet and
scripts (``data-charts`` / ``data-errors`` for the headless-browser check).
Charts overlay the runs: base dotted and grey-toned, new solid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentload.reports._html_page import chart_card, page
from agentload.reports.charts import distribution_figure
from agentload.reports.compare import Comparison, RateRow, TrendRow, Verdict
from agentload.reports.compare_views import EndpointLines, run_views
from agentload.reports.distribution import LatencyCurve, build_curves
from agentload.reports.formatting import fmt_ms, fmt_pct, fmt_rate, fmt_timestamp
from agentload.reports.html_sections import card, escape, safe
from agentload.reports.saved import SavedRun
from agentload.reports.timeline import Timeline

__all__ = ["baseline_section", "render_compare_html"]

_BASE, _NEW = "#94a3b8", "#4f46e5"
_FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_CLASS = {
    Verdict.REGRESSED: "bad",
    Verdict.IMPROVED: "ok",
    Verdict.UNCHANGED: "",
    Verdict.NOT_JUDGED: "muted",
}
_EXTRA_STYLE = """
.pair .b { color: var(--muted); } .pair .arrow { color: var(--muted); margin: 0 4px; }
.chg.up { color: var(--fail); } .chg.down { color: var(--pass); } .chg { font-size: 12px; }
.notes li { color: var(--warn); }
"""


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 11}},
        "gridcolor": "#e7ebf0",
        "zeroline": False,
        **extra,
    }


def _layout(y_title: str) -> dict[str, Any]:
    return {
        "margin": {"l": 60, "r": 20, "t": 30, "b": 46},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": _FONT, "size": 12, "color": "#334155"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": _axis("time since start (s)"),
        "yaxis": _axis(y_title, rangemode="tozero"),
    }


def _line(
    name: str,
    x: Sequence[float],
    y: Sequence[float | None],
    *,
    base: bool,
    width: float = 2.0,
    color: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": list(x),
        "y": [None if v is None else round(v, 3) for v in y],
        "connectgaps": False,
        "line": {
            "color": color or (_BASE if base else _NEW),
            "width": width,
            "dash": "dot" if base else "solid",
        },
    }


def _times(tl: Timeline) -> list[float]:
    return [round((p.start + p.end) / 2, 2) for p in tl.points]


def _over_time(base: Timeline, new: Timeline) -> dict[str, dict[str, Any] | None]:
    if not base.points and not new.points:
        return {"latency": None, "throughput": None, "errors": None}
    lat = []
    for label, tl, is_base in (("base", base, True), ("new", new, False)):
        t = _times(tl)
        lat.append(_line(f"{label} p95", t, [p.p95 for p in tl.points], base=is_base))
        lat.append(
            _line(
                f"{label} p50",
                t,
                [p.p50 for p in tl.points],
                base=is_base,
                width=1.2,
                color="#cbd5e1" if is_base else "#a5b4fc",
            )
        )
    rps = [
        _line(label, _times(tl), [p.rps for p in tl.points], base=is_base)
        for label, tl, is_base in (("base", base, True), ("new", new, False))
    ]
    err = [
        _line(label, _times(tl), [p.failed_rate * 100 for p in tl.points], base=is_base)
        for label, tl, is_base in (("base", base, True), ("new", new, False))
    ]
    return {
        "latency": {"data": lat, "layout": _layout("latency (ms)")},
        "throughput": {"data": rps, "layout": _layout("requests/s")},
        "errors": {"data": err, "layout": _layout("failed requests (%)")},
    }


_PALETTE = ("#4f46e5", "#f97316", "#0d9488", "#e11d48", "#ca8a04", "#9333ea", "#0284c7", "#65a30d")


def _by_endpoint(b: EndpointLines, n: EndpointLines) -> dict[str, Any] | None:
    """p95 over time per endpoint, both runs: one colour per endpoint, base dotted."""
    labels = sorted(set(b) | set(n))[: len(_PALETTE)]
    if len(labels) < 2:  # one endpoint: the all-requests chart says it all
        return None
    data = []
    for i, label in enumerate(labels):
        for side, is_base in ((b, True), (n, False)):
            if label in side:
                t, v = side[label]
                tag = "base" if is_base else "new"
                data.append(_line(f"{tag} · {label}", t, v, base=is_base, color=_PALETTE[i]))
    return {"data": data, "layout": _layout("p95 latency (ms)")}


def _distribution(base: SavedRun, new: SavedRun) -> dict[str, Any] | None:
    """Percentile spectra of both runs, per endpoint: base dotted, new solid, same colour."""
    bc = {c.label: c for c in build_curves(base.aggregate)}
    nc = {c.label: c for c in build_curves(new.aggregate)}
    labels = sorted(set(bc) | set(nc), key=lambda lbl: (lbl != "all requests", lbl))[:8]
    curves: list[LatencyCurve] = []
    styles: list[tuple[int, bool]] = []
    for i, label in enumerate(labels):
        for side, is_base in ((bc, True), (nc, False)):
            c = side.get(label)
            if c is not None:
                tag = "base" if is_base else "new"
                curves.append(LatencyCurve(f"{tag} · {label}", c.count, c.percentiles, c.values_ms))
                styles.append((i, is_base))
    if not curves:
        return None
    fig = distribution_figure(curves)
    palette = _PALETTE
    for trace, (i, is_base) in zip(fig["data"], styles, strict=True):
        trace["line"]["color"] = palette[i % len(palette)]
        trace["line"]["dash"] = "dot" if is_base else "solid"
        trace["line"]["width"] = 1.6 if is_base else 2.4
        trace["opacity"] = 0.75 if is_base else 1.0
    return fig


def _pair(b: str, n: str, change: float | None, *, worse_up: bool = True) -> str:
    chg = ""
    if change is not None:
        up = change > 0
        cls = "up" if up == worse_up else "down"
        chg = f' <span class="chg {cls}">{change * 100:+.1f}%</span>'
    return (
        f'<span class="pair"><span class="b">{escape(b)}</span><span class="arrow">→</span>'
        f"{escape(n)}{chg}</span>"
    )


def _table(head: Iterable[tuple[str, str]], rows: Iterable[str], ident: str) -> str:
    ths = "".join(f'<th class="{c}">{escape(h)}</th>' for h, c in head)
    return (
        f'<div class="scroll"><table id="{escape(ident)}"><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _verdict_cell(verdict: Verdict, reason: str) -> str:
    extra = (
        f' <span class="muted">({escape(reason)})</span>' if verdict is Verdict.NOT_JUDGED else ""
    )
    return f'<td class="l {_CLASS[verdict]}">{escape(verdict.value)}{extra}</td>'


def _endpoint(endpoint: str, method: str) -> str:
    m = f'<span class="method">{escape(method)}</span>' if method else ""
    return f'<td class="l">{m}{safe(endpoint)}</td>'


def _latency_rows(rows: Sequence[TrendRow]) -> list[str]:
    out = []
    for r in rows:
        cells = "".join(
            f"<td>{_pair(fmt_ms(r.base.get(s)), fmt_ms(r.new.get(s)), r.change(s))}</td>"
            for s in ("p50", "p95", "p99", "avg")
        )
        ci = "–" if r.ci is None else f"{(r.ci[0] - 1) * 100:+.1f}% .. {(r.ci[1] - 1) * 100:+.1f}%"
        out.append(
            f'<tr data-verdict="{escape(r.verdict.value)}">{_endpoint(r.endpoint, r.method)}'
            f'<td class="l code">{escape(r.metric)}</td>{cells}<td>{escape(ci)}</td>'
            f"{_verdict_cell(r.verdict, r.reason)}</tr>"
        )
    return out


def _rate_rows(rows: Sequence[RateRow]) -> list[str]:
    out = []
    for r in rows:
        rps_chg = r.new_rps / r.base_rps - 1 if r.base_rps > 0 else None
        err = _pair(
            fmt_pct(r.base_error_rate) if r.base_error_rate is not None else "–",
            fmt_pct(r.new_error_rate) if r.new_error_rate is not None else "–",
            None,
        )
        ci = "–" if r.ci is None else f"{r.ci[0] * 100:+.2f} .. {r.ci[1] * 100:+.2f} pt"
        out.append(
            f'<tr data-verdict="{escape(r.verdict.value)}">{_endpoint(r.endpoint, r.method)}'
            f"<td>{_pair(f'{r.base_count:,}', f'{r.new_count:,}', None)}</td>"
            f"<td>{_pair(fmt_rate(r.base_rps), fmt_rate(r.new_rps), rps_chg, worse_up=False)}</td>"
            f"<td>{err}</td><td>{escape(ci)}</td>{_verdict_cell(r.verdict, r.reason)}</tr>"
        )
    return out


def _banner(c: Comparison) -> str:
    bound = f"{c.options.max_regression * 100:g}%"
    state = "failed" if c.regressed else "passed"
    if c.regressed:
        headline = f"{len(c.regressions)} regression(s) beyond {bound}"
        detail = "; ".join(c.regressions[:4])
    else:
        judged = c.judged
        headline = f"No regression beyond {bound}"
        detail = f"{judged} statistics judged with 95% block-bootstrap intervals"
    return (
        f'<section id="verdict" class="verdict {state}">'
        f'<div class="badge">{"REGRESSED" if c.regressed else "PASSED"}</div>'
        f'<div class="what"><div class="headline">{escape(headline)}</div>'
        f'<div class="detail">{safe(detail)}</div></div>'
        f'<div class="exit">exit code {1 if c.regressed else 0}</div></section>'
    )


def _runs(c: Comparison) -> str:
    keys = (
        ("scenario_file", "scenario"),
        ("target", "target"),
        ("started_at", "started"),
        ("duration_s", "duration (s)"),
        ("plan_description", "load plan"),
        ("agentload_version", "agentload"),
        ("host", "host"),
        ("id", "run id"),
    )
    rows = []
    for key, label in keys:
        b, n = c.base_run.get(key, "–"), c.new_run.get(key, "–")
        if key == "started_at":
            b, n = fmt_timestamp(b), fmt_timestamp(n)
        elif key == "duration_s":
            b = f"{b:.1f}" if isinstance(b, int | float) else b
            n = f"{n:.1f}" if isinstance(n, int | float) else n
        rows.append(
            f'<tr><td class="l muted">{escape(label)}</td><td class="l wrap">{safe(b)}'
            f'</td><td class="l wrap">{safe(n)}</td></tr>'
        )
    paths = (
        f'<tr><td class="l muted">results</td><td class="l wrap code">{safe(c.base_path)}'
        f'</td><td class="l wrap code">{safe(c.new_path)}</td></tr>'
    )
    return card(
        "runs",
        "Runs",
        "",
        _table((("", "l"), ("base", "l"), ("new", "l")), [paths, *rows], "runs-table"),
    )


def render_compare_html(c: Comparison, base: SavedRun, new: SavedRun, plotly_js: str) -> str:
    """The whole page; ``plotly_js`` is inlined as is."""
    scripts: list[str] = []
    # compare_runs gathered them in its pass over the snapshots; else read them now.
    base_views, new_views = c.views or (run_views(base), run_views(new))
    over = _over_time(
        base_views.timeline,
        new_views.timeline,
    )
    charts = (
        '<div class="grid2" id="charts">'
        + chart_card(
            "latency",
            "p95 and p50 latency over time",
            "All requests; base dotted, new solid.",
            over["latency"],
            scripts,
        )
        + chart_card(
            "throughput",
            "Requests per second",
            "Base dotted, new solid.",
            over["throughput"],
            scripts,
        )
        + chart_card(
            "errors",
            "Failed requests over time",
            "Share of requests that failed.",
            over["errors"],
            scripts,
        )
        + chart_card(
            "endpoints",
            "p95 latency over time by endpoint",
            "Base dotted, new solid; one colour per endpoint.",
            _by_endpoint(base_views.endpoint_p95, new_views.endpoint_p95),
            scripts,
        )
        + "</div>"
        + chart_card(
            "distribution",
            "Latency distribution by endpoint",
            "Latency at each percentile; base dotted, new solid, one colour per endpoint.",
            _distribution(base, new),
            scripts,
            tall=True,
        )
    )
    notes = ""
    if c.notes:
        items = "".join(f"<li>{safe(n)}</li>" for n in c.notes)
        notes = card(
            "notes", "Before you trust this comparison", "", f'<ul class="notes">{items}</ul>'
        )
    latency_head = (
        ("endpoint", "l"),
        ("metric", "l"),
        ("p50", ""),
        ("p95", ""),
        ("p99", ""),
        ("avg", ""),
        ("p95 change, 95% CI", ""),
        ("verdict", "l"),
    )
    rate_head = (
        ("endpoint", "l"),
        ("requests", ""),
        ("req/s", ""),
        ("error rate", ""),
        ("Δ error rate, 95% CI", ""),
        ("verdict", "l"),
    )
    rule = (
        f"A p95 regressed when it grew by more than {c.options.max_regression * 100:g}% and "
        f"{c.options.min_delta_ms:g} ms, and its 95% confidence interval (block bootstrap over "
        "one-second intervals) lies wholly beyond that bound. Only p95 is judged."
    )
    return page(
        title=f"agentload compare · {'regressed' if c.regressed else 'passed'}",
        kind="run comparison",
        where=f"{safe(c.base_path)} → {safe(c.new_path)}",
        extra_style=_EXTRA_STYLE,
        main=[
            _banner(c),
            "\n",
            notes,
            card(
                "latency",
                "Latency by endpoint",
                rule,
                _table(latency_head, _latency_rows(c.trends), "latency-table"),
            ),
            card(
                "requests",
                "Requests and errors by endpoint",
                "Error rate = http_req_failed; judged like p95, on the difference in points "
                "(bound: the larger of the relative bound × base rate and 0.1 point).",
                _table(rate_head, _rate_rows(c.rates), "requests-table"),
            ),
            charts,
            "\n",
            _runs(c),
        ],
        footer="Generated by agentload compare · self-contained, works offline · "
        "charts by plotly.js",
        scripts=scripts,
        plotly_js=plotly_js,
    )


def baseline_section(summary: Mapping[str, Any]) -> str:
    """report.html's card for ``run --baseline``: the verdict, what regressed, the diff page.

    Empty when the run had no baseline.
    """
    gate = (summary.get("run") or {}).get("baseline")
    if not isinstance(gate, Mapping):
        return ""
    verdict = str(gate.get("verdict", ""))
    if verdict == "error":
        body = f'<p class="bad">The baseline could not be read: {safe(gate.get("error", ""))}</p>'
    else:
        mark = (
            '<span class="pill bad">✗ regressed</span>'
            if verdict == "regressed"
            else '<span class="pill ok">✓ no regression</span>'
        )
        bound = gate.get("max_regression")
        limit = f" beyond {bound * 100:g}%" if isinstance(bound, int | float) else ""
        items = "".join(f"<li>{safe(line)}</li>" for line in gate.get("regressions") or [])
        body = (
            f'<p>{mark} against <span class="code">{safe(gate.get("base", ""))}</span>'
            f"{escape(limit)}"
            f' — details in <a href="{escape(gate.get("report", "compare.html"))}">'
            f"{escape(gate.get('report', 'compare.html'))}</a>.</p>"
            + (f"<ul>{items}</ul>" if items else "")
        )
    hint = "p95 and error rate per endpoint, judged with 95% block-bootstrap intervals."
    return card("baseline", "Baseline comparison", hint, body)
