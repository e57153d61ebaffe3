"""LLM / WebSocket / voice tables of the HTML report: exact figures from known series."""

from __future__ import annotations

from pytest import approx

from agentload.metrics import Aggregate, Recorder
from agentload.reports.html import render_html
from agentload.reports.html_protocols import protocol_cards
from agentload.reports.model import build_report_model
from agentload.reports.protocol_tables import (
    build_protocol_tables,
    format_cell,
    llm_table,
    voice_table,
    ws_table,
)

LLM = {"name": "ask", "scenario": "llm users"}
WS = {"name": "chat", "scenario": "ws users"}
VOICE = {"name": "call", "scenario": "callers"}


def _agg(rec: Recorder) -> Aggregate:
    agg = Aggregate()
    agg.add(rec.snapshot(start=0.0, end=1.0))
    return agg


def _llm(rec: Recorder) -> None:
    for i in range(1, 101):  # 100 requests: TTFT i ms, e2e 10·i ms, ITL 2 ms, TPOT 3 ms
        rec.trend("llm_ttft", LLM).add(i * 1000)
        rec.trend("llm_e2e", LLM).add(i * 10_000)
        rec.trend("llm_itl", LLM).add(2000)
        rec.trend("llm_tpot", LLM).add(3000)
        rec.trend("llm_output_tokens_per_s", LLM).add(333)
        rec.rate("llm_requests_failed", LLM).add(i <= 4)  # 4 % failed
        rec.rate("llm_goodput", LLM).add(i > 10)  # 90 % met the SLO
    rec.trend("http_req_duration", {**LLM, "method": "POST"}).add(5000)


def _ws(rec: Recorder) -> None:
    for i in range(1, 11):  # 10 sessions, two exchanges each
        rec.counter("ws_sessions", WS).add(1)
        rec.rate("ws_connect_success", WS).add(True)
        rec.trend("ws_connecting", WS).add(i * 1000)  # 1..10 ms
        rec.trend("ws_reply_latency", {**WS, "exchange": "first"}).add(100_000)
        rec.rate("ws_message_success", {**WS, "exchange": "first"}).add(True)
        rec.trend("ws_reply_latency", {**WS, "exchange": "done"}).add(400_000)
        rec.rate("ws_message_success", {**WS, "exchange": "done"}).add(i != 1)
    rec.counter("errors", {**WS, "kind": "ws_timeout"}).add(1)
    rec.counter("errors", {"name": "other", "scenario": "x", "kind": "http_5xx"}).add(7)


def _voice(rec: Recorder) -> None:
    for call in range(4):  # 4 calls of 2 turns; one turn failed
        rec.rate("voice_calls_failed", VOICE).add(False)
        rec.counter("voice_turns", VOICE).add(2)
        rec.rate("voice_turns_failed", VOICE).add(False)
        rec.rate("voice_turns_failed", VOICE).add(call == 0)
    for ms in (300, 400, 500, 600, 700, 800, 900):  # the 7 turns that got a reply
        rec.trend("voice_v2v_first_byte", VOICE).add(ms * 1000)
        rec.trend("voice_v2v", VOICE).add((ms + 100) * 1000)
        rec.trend("voice_audio_jitter", VOICE).add(2000)
        rec.trend("voice_rtf_permille", VOICE).add(950)
    rec.trend("voice_barge_in_detect", VOICE).add(150_000)
    rec.counter("voice_stalls", VOICE).add(3)


def test_llm_row_has_exact_percentiles_rates_and_counts() -> None:
    rec = Recorder()
    _llm(rec)
    table = llm_table(_agg(rec))
    assert table is not None
    assert [c.title for c in table.columns] == [
        "requests", "TTFT p50", "TTFT p95", "ITL p50", "ITL p95", "TPOT p50",
        "tokens/s p50", "e2e p95", "goodput", "failed",
    ]  # fmt: skip
    (row,) = table.rows
    assert (row.scenario, row.name, row.exchange) == ("llm users", "ask", None)
    assert row.cells == (
        100.0,
        approx(50.0, rel=1e-3),
        approx(95.0, rel=1e-3),
        approx(2.0, rel=1e-3),
        approx(2.0, rel=1e-3),
        approx(3.0, rel=1e-3),
        approx(333.0, rel=1e-3),  # tokens/s is not a duration: not divided by 1000
        approx(950.0, rel=1e-3),
        approx(0.90),
        approx(0.04),
    )


def test_ws_rows_per_step_then_per_exchange() -> None:
    rec = Recorder()
    _ws(rec)
    table = ws_table(_agg(rec))
    assert table is not None
    step, done, first = table.rows
    assert (step.exchange, done.exchange, first.exchange) == (None, "done", "first")
    sessions, connect_p95, p50, p95, p99, success, errors = step.cells
    assert sessions == 10.0 and connect_p95 == approx(10.0, rel=1e-3)
    # 10 replies at 100 ms and 10 at 400 ms: the median is the 10th value (100 ms).
    assert (p50, p95, p99) == (approx(100.0, rel=1e-3), approx(400.0, rel=1e-3),
                               approx(400.0, rel=1e-3))  # fmt: skip
    assert success == approx(19 / 20)
    assert errors == "ws_timeout×1"  # another step's errors are not counted here
    assert done.cells[:2] == (None, None) and done.cells[5] == approx(0.9)
    assert first.cells[2] == approx(100.0, rel=1e-3) and first.cells[5] == 1.0


def test_ws_single_exchange_has_no_sub_rows() -> None:
    rec = Recorder()
    rec.trend("ws_reply_latency", {**WS, "exchange": "only"}).add(5000)
    rec.rate("ws_message_success", {**WS, "exchange": "only"}).add(True)
    table = ws_table(_agg(rec))
    assert table is not None and len(table.rows) == 1
    assert table.rows[0].cells[0] == 0.0  # no session ended: the counter is 0, not missing


def test_voice_row() -> None:
    rec = Recorder()
    _voice(rec)
    table = voice_table(_agg(rec))
    assert table is not None
    (row,) = table.rows
    calls, turns, failed, fb50, fb95, on50, on95, bi50, bi95, jitter, stalls = row.cells
    assert (calls, turns, failed) == (4.0, 8.0, approx(1 / 8))
    assert fb50 == approx(600.0, rel=1e-3) and fb95 == approx(900.0, rel=1e-3)
    assert on50 == approx(700.0, rel=1e-3) and on95 == approx(1000.0, rel=1e-3)
    assert bi50 == bi95 == approx(150.0, rel=1e-3)
    assert jitter == approx(2.0, rel=1e-3) and stalls == 3.0
    assert "rtf" not in " ".join(c.title for c in table.columns)


def test_only_protocols_present_and_cells_formatted() -> None:
    rec = Recorder()
    rec.trend("http_req_duration", {"name": "x"}).add(1000)
    assert build_protocol_tables(_agg(rec)) == ()
    assert protocol_cards(()) == ""
    _llm(rec)
    _voice(rec)
    assert [t.ident for t in build_protocol_tables(_agg(rec))] == ["llm-table", "voice-table"]
    assert format_cell(None, "ms") == "–" and format_cell(0.04, "ratio") == "4.00%"
    assert format_cell(12.5, "ms") == "12.5 ms" and format_cell("", "kinds") == "–"


def test_report_shows_tables_with_escaped_names() -> None:
    rec = Recorder()
    _llm(rec)
    _ws(rec)
    evil = {"name": "<b>hi</b>", "scenario": "default"}
    rec.rate("voice_calls_failed", evil).add(True)
    agg = _agg(rec)
    html = protocol_cards(build_protocol_tables(agg))
    assert 'id="llm-table"' in html and 'id="ws-table"' in html and 'id="voice-table"' in html
    assert "&lt;b&gt;hi&lt;/b&gt;" in html and "<b>hi" not in html
    assert "↳ exchange </span>done" in html and 'class="l bad">ws_timeout×1' in html
    assert 'class="bad">95.00%' in html  # a message success below 100 % stands out
    summary = {"run": {"scenario_file": "s.yaml"}, "verdict": "passed", "metrics": {}}
    page = render_html(build_report_model(summary, [], agg), "")
    assert page.index('id="endpoints"') < page.index('id="llm-table"') < page.index('id="ws-table"')
