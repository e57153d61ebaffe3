"""Alert rules: fire after holding for ``for``, clear at the first false interval, windows."""

from __future__ import annotations

import pytest

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.reports.alerts import AlertEngine, AlertRule, AlertState


def _second(recorder: Recorder, k: int, latency_ms: float, errors: int = 0) -> Snapshot:
    trend = recorder.trend("http_req_duration", {"name": "a"})
    for _ in range(10):
        trend.add(int(latency_ms * 1000))
    recorder.counter("http_reqs", {"name": "a"}).add(10)
    if errors:
        recorder.counter("errors", {"kind": "http_5xx"}).add(errors)
    return recorder.snapshot(start=float(k), end=float(k + 1))


def _drive(engine: AlertEngine, latencies: list[float], errors: list[int] | None = None) -> None:
    recorder = Recorder()
    agg = Aggregate()
    for k, lat in enumerate(latencies):
        snap = _second(recorder, k, lat, (errors or [0] * len(latencies))[k])
        agg.add(snap)
        engine.on_snapshot(snap, agg, float(k + 1))


def test_fires_after_holding_for_and_clears() -> None:
    lines: list[str] = []
    rule = AlertRule.parse("slow", "http_req_duration", "p(95)>500", for_s=3.0)
    engine = AlertEngine([rule], notify=lines.append)
    # true on the intervals ending at 3, 4, 5 and 6 s; false again at 7 s
    _drive(engine, [100, 100, 600, 700, 650, 900, 100, 100])
    (status,) = engine.statuses
    (event,) = status.events
    assert event.fired_at_s == 5.0  # held (2, 5] = 3 s
    assert event.cleared_at_s == 7.0
    assert event.observed == pytest.approx(650, rel=1e-3)
    assert event.worst == pytest.approx(900, rel=1e-3)
    assert status.state is AlertState.INACTIVE
    assert lines == [
        "alert 'slow' fired at 5s: http_req_duration p(95)=650ms; threshold >500ms",
        "alert 'slow' cleared at 7s",
    ]


def test_a_short_spike_stays_pending_and_never_fires() -> None:
    engine = AlertEngine([AlertRule.parse("slow", "http_req_duration", "p(95)>500", for_s=3.0)])
    _drive(engine, [100, 900, 900, 100])
    assert engine.statuses[0].events == []
    engine2 = AlertEngine([AlertRule.parse("slow", "http_req_duration", "p(95)>500", for_s=3.0)])
    _drive(engine2, [100, 900, 900])
    assert engine2.statuses[0].state is AlertState.PENDING


def test_for_zero_fires_on_the_first_true_interval_and_refires() -> None:
    engine = AlertEngine([AlertRule.parse("slow", "http_req_duration", "max>500")])
    _drive(engine, [600, 100, 600, 600])
    events = engine.statuses[0].events
    assert [(e.fired_at_s, e.cleared_at_s) for e in events] == [(1.0, 2.0), (3.0, None)]
    summary = engine.summary()[0]
    assert summary["fired"] == 2 and summary["firing_at_end"] is True
    assert summary["events"][1] == {
        "fired_at_s": 3.0, "cleared_at_s": None, "observed": 600.0, "worst": 600.0,
    }


def test_window_rate_of_a_counter_is_per_second_over_the_window() -> None:
    # 30 errors in one second, then none: over a 3 s window that is 10/s, then 10/s, then 0
    rule = AlertRule.parse("errors", "errors", "rate>=10", window_s=3.0)
    engine = AlertEngine([rule])
    _drive(engine, [1, 1, 1, 1, 1, 1], errors=[0, 0, 30, 0, 0, 0])
    (event,) = engine.statuses[0].events
    assert event.fired_at_s == 3.0
    assert event.observed == pytest.approx(10.0)
    assert event.cleared_at_s == 6.0  # the 30 errors left the window


def test_no_samples_is_not_alarming() -> None:
    engine = AlertEngine([AlertRule.parse("q", "llm_ttft", "p(95)>0")])
    _drive(engine, [100, 100])
    assert engine.statuses[0].state is AlertState.INACTIVE
    assert "no samples" in engine.statuses[0].message
