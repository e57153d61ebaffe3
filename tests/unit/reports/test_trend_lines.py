"""Streaming/voice latency over time: which trends, exact per-window percentiles, the chart."""

from __future__ import annotations

from pytest import approx

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.reports.html import render_html
from agentload.reports.model import build_report_model
from agentload.reports.trend_lines import build_trend_lines, trend_lines_figure


def _snapshots(seconds: int = 4) -> list[Snapshot]:
    rec = Recorder()
    out = []
    for second in range(seconds):
        for i in range(1, 101):  # TTFT 1..100 ms in every second except the third
            if second != 2:
                rec.trend("llm_ttft", {"name": "ask"}).add(i * 1000 * (second + 1))
            rec.trend("http_req_waiting", {"name": "ask"}).add(5000)
            rec.trend("http_req_duration", {"name": "ask"}).add(9000)
            rec.counter("http_reqs", {"name": "ask", "status": "200"}).add()
        rec.trend("gen_loop_lag").add(100)
        out.append(rec.snapshot(start=float(second), end=float(second + 1)))
    return out


def test_only_latency_trends_beyond_http_with_exact_percentiles() -> None:
    lines = build_trend_lines(_snapshots())
    assert [line.metric for line in lines] == ["llm_ttft"]
    (ttft,) = lines
    assert ttft.times == (0.5, 1.5, 2.5, 3.5)
    # Second k holds (k+1) × 1..100 ms: p50 = 50·(k+1), p95 = 95·(k+1); nothing in second 3.
    # (HDR buckets: exact to 3 significant digits.)
    assert ttft.p50[2] is None and ttft.p95[2] is None
    assert ttft.p50 == (
        approx(50.0, rel=1e-3),
        approx(100.0, rel=1e-3),
        None,
        approx(200.0, rel=1e-3),
    )
    assert ttft.p95 == (
        approx(95.0, rel=1e-3),
        approx(190.0, rel=1e-3),
        None,
        approx(380.0, rel=1e-3),
    )


def test_long_runs_merge_windows_exactly() -> None:
    (ttft,) = build_trend_lines(_snapshots(), max_points=2)
    # Windows of two seconds: 1..100 ∪ 2,4..200 ms (the 100th of 200 values is 67 ms),
    # then 4,8..400 ms alone: percentiles of the merged samples, not averages of seconds.
    assert ttft.times == (1.0, 3.0)
    assert ttft.p50 == (approx(67.0, rel=1e-3), approx(200.0, rel=1e-3))
    assert ttft.p95[1] == approx(380.0, rel=1e-3)


def test_chart_and_report_section() -> None:
    snaps = _snapshots()
    fig = trend_lines_figure(build_trend_lines(snaps))
    # One legend entry per line (p50 shares it); solid p95, dotted p50.
    assert [(t["name"], t["showlegend"], t["line"]["dash"]) for t in fig["data"]] == [
        ("TTFT", True, "solid"),
        ("TTFT", False, "dot"),
    ]
    agg = Aggregate()
    for s in snaps:
        agg.add(s)
    summary = {"run": {"scenario_file": "s.yaml"}, "verdict": "passed", "metrics": {}}
    page = render_html(build_report_model(summary, snaps, agg), "")
    assert 'data-figure="data-trends-llm"' in page and "TTFT" in page
    rec = Recorder()  # no LLM traffic: no chart
    rec.trend("http_req_duration").add(1000)
    plain = [rec.snapshot(start=0.0, end=1.0)]
    page = render_html(build_report_model(summary, plain, Aggregate()), "")
    assert 'data-figure="data-trends' not in page
