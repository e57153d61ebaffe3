"""``VoiceMetrics.record``: a call report becomes the voice_* series, ns → µs, exactly."""

from __future__ import annotations

import pytest

from agentload.engine.voice import VoiceMetrics
from agentload.errors import ErrorKind
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.voice import CallReport, ResponseStats, TurnResult

MS = 1_000_000


def _stats() -> ResponseStats:
    return ResponseStats(
        first_arrival_ns=1000 * MS, last_arrival_ns=1900 * MS, onset_ns=1180 * MS,
        audio_ns=1200 * MS, jitter_ns=2.5 * MS, stall_ns=30 * MS, stalls=1, frames=60,
    )  # fmt: skip


def test_a_report_is_recorded_with_its_exact_values() -> None:
    recorder = Recorder()
    metrics = VoiceMetrics(recorder, name="call", scenario="s")
    report = CallReport(
        connect_ns=7 * MS,
        greeting_ns=300 * MS,
        turns=(
            TurnResult(1, False, v2v_ns=580 * MS, v2v_first_byte_ns=400 * MS,
                       endpointing_ns=250 * MS, response=_stats()),
            TurnResult(2, False, v2v_ns=590 * MS, v2v_first_byte_ns=410 * MS, barge_in=True,
                       barge_detect_ns=150 * MS, barge_stop_ns=140 * MS,
                       barge_residual_ns=800 * MS, response=_stats()),
            TurnResult(3, True),
        ),
        send_lateness_ns=(0, 1 * MS, 3 * MS),
        send_jitter_ns=0.75 * MS,
        frames_sent=3,
        tool_calls=2,
        protocol_errors=1,
        server_errors=0,
        error=ErrorKind.WS_ABNORMAL_CLOSE,
    )  # fmt: skip
    metrics.record(report, planned_turns=5)
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))

    def trend(name: str) -> tuple[int, float, float]:
        hist = agg.trend(name)
        assert hist is not None, name
        return hist.count, hist.min, hist.max

    assert trend("voice_v2v") == (2, pytest.approx(580_000, rel=1e-3),
                                  pytest.approx(590_000, rel=1e-3))  # fmt: skip
    assert trend("voice_v2v_first_byte")[0] == 2
    assert trend("voice_leading_silence")[1] == pytest.approx(180_000, rel=1e-3)
    assert trend("voice_endpointing") == (1, pytest.approx(250_000, rel=1e-3),
                                          pytest.approx(250_000, rel=1e-3))  # fmt: skip
    assert trend("voice_greeting")[1] == pytest.approx(300_000, rel=1e-3)
    assert trend("voice_barge_in_detect")[1] == pytest.approx(150_000, rel=1e-3)
    assert trend("voice_barge_in_stop")[1] == pytest.approx(140_000, rel=1e-3)
    assert trend("voice_barge_in_residual")[1] == pytest.approx(800_000, rel=1e-3)
    assert trend("voice_audio_jitter")[1] == pytest.approx(2500, rel=1e-3)
    assert trend("voice_stall_time")[1] == pytest.approx(30_000, rel=1e-3)
    assert trend("voice_rtf_permille")[1] == pytest.approx(750, rel=1e-3)  # 900 ms / 1200 ms
    assert trend("voice_send_lateness") == (3, 0, pytest.approx(3000, rel=1e-3))
    assert trend("voice_send_jitter")[1] == pytest.approx(750, rel=1e-3)
    assert trend("voice_connect")[1] == pytest.approx(7000, rel=1e-3)
    assert agg.counter("voice_stalls") == 2
    assert agg.counter("voice_turns") == 5  # 3 reported + 2 never reached
    assert agg.rate("voice_turns_failed") == (3, 5)
    assert agg.rate("voice_calls_failed") == (1, 1)
    assert agg.counter("voice_tool_calls") == 2
    assert agg.counter("errors", {"kind": "ws_abnormal_close"}) == 1
    assert agg.counter("errors", {"kind": "voice_no_reply"}) == 1
    assert agg.counter("errors", {"kind": "malformed_response"}) == 1


def test_a_clean_hang_up_after_the_last_reply_is_not_a_failed_call() -> None:
    recorder = Recorder()
    metrics = VoiceMetrics(recorder, name="call", scenario="s")
    done = TurnResult(1, False, v2v_ns=500 * MS, v2v_first_byte_ns=400 * MS, response=_stats())
    base = dict(connect_ns=MS, greeting_ns=None, send_lateness_ns=(), send_jitter_ns=0.0,
                frames_sent=0, tool_calls=0, protocol_errors=0, server_errors=0)  # fmt: skip
    metrics.record(CallReport(turns=(done,), error=ErrorKind.CLOSED, **base), planned_turns=1)
    metrics.record(CallReport(turns=(done,), error=ErrorKind.CLOSED, **base), planned_turns=2)
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    assert agg.rate("voice_calls_failed") == (1, 2)  # only the call cut before its 2nd turn
    assert agg.counter("errors", {"kind": "connection_closed"}) == 1
