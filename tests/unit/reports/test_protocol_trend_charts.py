"""One latency-over-time chart per protocol: which lines, per-exchange split, labels."""

from __future__ import annotations

from dataclasses import replace

from pytest import approx

from agentload.metrics import Recorder, Snapshot
from agentload.reports.trend_lines import (
    MAX_EXCHANGES,
    build_trend_lines,
    trend_charts,
    trend_label,
    trend_lines_figure,
)

WS = {"name": "chat", "scenario": "ws"}
VOICE = {"name": "call", "scenario": "phone"}


def _snapshots(exchanges: int = 2) -> list[Snapshot]:
    rec = Recorder()
    out = []
    for second in range(3):
        for metric in ("llm_ttft", "llm_itl", "llm_tpot", "llm_e2e", "llm_done", "llm_ttfot"):
            rec.trend(metric, {"name": "ask"}).add(10_000)
        rec.trend("ws_connecting", WS).add(3000)
        rec.trend("ws_session_duration", WS).add(9_000_000)
        for i in range(exchanges):
            rec.trend("ws_reply_latency", {**WS, "exchange": f"ex{i}"}).add((i + 1) * 100_000)
        if second == 1:  # a sparse metric: one call in the middle second
            rec.trend("voice_v2v_first_byte", VOICE).add(400_000)
        rec.trend("voice_rtf_permille", VOICE).add(950)  # not a duration
        rec.trend("voice_send_lateness", VOICE).add(100)  # not a headline metric
        rec.trend("sse_first_event", {"name": "feed"}).add(7000)
        out.append(rec.snapshot(start=float(second), end=float(second + 1)))
    return out


def test_one_chart_per_protocol_with_headline_metrics_only() -> None:
    charts = trend_charts(build_trend_lines(_snapshots()))
    assert [c.ident for c in charts] == ["trends-llm", "trends-ws", "trends-voice", "trends-other"]
    llm, ws, voice, other = charts
    assert [trend_label(line) for line in llm.lines] == ["TTFT", "ITL", "TPOT", "e2e"]
    assert [trend_label(line) for line in ws.lines] == ["reply · ex0", "reply · ex1", "connect"]
    assert [line.metric for line in voice.lines] == ["voice_v2v_first_byte"]
    assert [line.metric for line in other.lines] == ["sse_first_event"]
    assert all("p95 solid, p50 dotted" in c.hint for c in charts)
    # Each exchange's line holds that exchange's samples only.
    assert ws.lines[0].p95 == (approx(100.0, rel=1e-3),) * 3
    assert ws.lines[1].p50 == (approx(200.0, rel=1e-3),) * 3


def test_many_exchanges_share_one_line() -> None:
    (ws,) = [c for c in trend_charts(build_trend_lines(_snapshots(MAX_EXCHANGES + 1)))
             if c.ident == "trends-ws"]  # fmt: skip
    assert [trend_label(line) for line in ws.lines] == ["reply", "connect"]


def test_sparse_lines_get_markers_dense_lines_do_not() -> None:
    charts = {c.ident: c for c in trend_charts(build_trend_lines(_snapshots()))}
    voice = trend_lines_figure(charts["trends-voice"].lines)["data"]
    assert voice[0]["mode"] == "lines+markers" and voice[0]["y"] == [None, 400.0, None]
    llm = trend_lines_figure(charts["trends-llm"].lines)["data"]
    assert {t["mode"] for t in llm} == {"lines"}
    assert all(t["hovertemplate"].endswith("ms<extra></extra>") for t in voice + llm)


def test_names_are_plotly_safe() -> None:
    rec = Recorder()
    for ex in ("<b>", "ok"):
        rec.trend("ws_reply_latency", {**WS, "exchange": ex}).add(1000)
    lines = build_trend_lines([rec.snapshot(start=0.0, end=1.0)])
    names = {t["name"] for t in trend_lines_figure(lines)["data"]}
    assert names == {"reply · &lt;b&gt;", "reply · ok"}


def test_markers_only_where_a_value_stands_alone() -> None:
    lines = build_trend_lines(_snapshots())
    (ttft,) = [line for line in lines if line.metric == "llm_ttft"]
    gap_at_end = replace(ttft, p50=(*ttft.p50[:2], None), p95=(*ttft.p95[:2], None))
    assert trend_lines_figure([gap_at_end])["data"][0]["mode"] == "lines"
    alone = replace(ttft, p50=(1.0, None, 1.0), p95=(1.0, None, 1.0))
    assert trend_lines_figure([alone])["data"][0]["mode"] == "lines+markers"
