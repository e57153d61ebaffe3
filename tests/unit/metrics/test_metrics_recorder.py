"""Recorder, series and snapshots: draining, merging, the JSON form."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.metrics import (
    BUILTIN_METRICS,
    CounterData,
    GaugeData,
    MetricKind,
    RateData,
    Recorder,
    SeriesKey,
    Snapshot,
    TrendData,
    make_tags,
    metric_def,
)

DURATION = SeriesKey.of("http_req_duration", {"name": "login"})


def test_series_key_normalises_prints_and_parses() -> None:
    key = SeriesKey.of("http_reqs", {"status": "200", "name": "a"})
    assert key.tags == (("name", "a"), ("status", "200"))
    assert key == SeriesKey.of("http_reqs", [("status", "200"), ("name", "a")])
    assert str(key) == "http_reqs{name:a,status:200}"
    assert SeriesKey.parse(str(key)) == key
    assert SeriesKey.parse("vus") == SeriesKey("vus")
    assert str(SeriesKey("vus")) == "vus"
    assert SeriesKey.parse("x{url:http://h:1/p}").tag("url") == "http://h:1/p"
    assert key.matches({}) and key.matches({"name": "a"})
    assert not key.matches({"name": "b"}) and not key.matches({"method": "GET"})
    for bad in ("", "{a:b}", "m{a:b", "m{ab}", "m}"):
        with pytest.raises(ValueError):
            SeriesKey.parse(bad)
    assert make_tags(None) == () and make_tags({}) == ()


def test_builtin_definitions() -> None:
    duration = metric_def("http_req_duration")
    assert duration is not None and duration.kind is MetricKind.TREND and duration.is_duration
    assert metric_def("data_sent") is not None and BUILTIN_METRICS["data_sent"].unit == "bytes"
    assert metric_def("http_req_failed").kind is MetricKind.RATE  # type: ignore[union-attr]
    assert metric_def("nope") is None
    with pytest.raises(TypeError):
        BUILTIN_METRICS["x"] = duration  # type: ignore[index]
    expected = {
        "http_req_duration", "http_req_service_time", "http_req_waiting", "http_req_connecting",
        "http_req_tls_handshaking", "iteration_duration", "iteration_queue_time", "http_reqs",
        "http_req_failed", "iterations", "dropped_iterations", "iterations_interrupted",
            "data_sent", "data_received",
        "checks", "errors", "vus", "vus_max",
        # LLM streaming (docs/metrics.md)
        "llm_ttft", "llm_ttfot", "llm_itl", "llm_tpot", "llm_e2e", "llm_done",
        "llm_output_tokens", "llm_output_tokens_per_s", "llm_requests_failed", "llm_goodput",
        "sse_first_event", "sse_event_gap", "sse_stream_duration", "sse_events",
        "sse_streams_failed",
        # WebSocket (docs/metrics.md)
        "ws_connecting", "ws_session_duration", "ws_sessions", "ws_msgs_sent", "ws_msgs_received",
        "ws_reply_latency", "ws_connect_success", "ws_message_success",
        # Control flow and data feeders (docs/metrics.md)
        "poll_duration", "data_exhausted",
        # Voice (docs/metrics.md)
        "voice_connect", "voice_v2v", "voice_v2v_first_byte", "voice_leading_silence",
        "voice_endpointing", "voice_greeting", "voice_barge_in_detect", "voice_barge_in_stop",
        "voice_barge_in_residual", "voice_audio_jitter", "voice_stall_time", "voice_stalls",
        "voice_rtf_permille", "voice_turns", "voice_turns_failed", "voice_calls_failed",
        "voice_send_lateness", "voice_send_jitter", "voice_tool_calls",
        # Tool-call cycles (docs/metrics.md)
        "llm_tool_calls",
        # Generator and target monitoring (docs/metrics.md)
        "gen_cpu_percent", "gen_loop_lag", "gen_open_sockets", "target_connections",
        "target_cpu_percent", "target_gauge", "target_open_fds", "target_rss",
    }
    assert set(BUILTIN_METRICS) == expected


def test_recorder_caches_and_checks_kinds() -> None:
    rec = Recorder()
    assert rec.trend("http_req_duration", {"name": "login"}) is rec.trend(
        "http_req_duration", [("name", "login")]
    )
    rec.counter("my_counter")
    with pytest.raises(ValueError, match="counter"):
        rec.trend("my_counter")
    with pytest.raises(ValueError, match="trend"):
        rec.counter("http_req_duration")  # built-in kinds are fixed


def test_snapshot_drains_and_resets() -> None:
    rec = Recorder()
    trend = rec.trend("http_req_duration", {"name": "login"})
    add = trend.add  # engines may cache the bound append
    reqs = rec.counter("http_reqs")
    failed = rec.rate("http_req_failed")
    vus = rec.gauge("vus")
    idle = rec.counter("iterations")
    for v in (1_000, 2_000, 3_000):
        add(v)
    trend.add(4_000)
    reqs.add()
    reqs.add(3)
    failed.add(True)
    failed.add(False)
    vus.set(5)
    vus.set(2)
    vus.add(1)

    snap = rec.snapshot(start=10.0, end=11.0)
    assert (snap.start, snap.end) == (10.0, 11.0)
    data = snap.series[DURATION]
    assert isinstance(data, TrendData)
    assert (data.count, data.sum, data.min, data.max) == (4, 10_000, 1_000, 4_000)
    assert snap.series[SeriesKey("http_reqs")] == CounterData(4)
    assert snap.series[SeriesKey("http_req_failed")] == RateData(1, 2)
    assert snap.series[SeriesKey("vus")] == GaugeData(3, 2, 5)
    assert SeriesKey("iterations") not in snap.series and idle.value == 0
    assert reqs.value == 4 and failed.total == 2  # cumulative values stay for the engine
    with pytest.raises(TypeError):
        snap.series[SeriesKey("x")] = CounterData(1)  # type: ignore[index]
    with pytest.raises(ValueError, match="frozen"):
        data.hist.record(5)

    add(7_000)
    second = rec.snapshot(start=11.0, end=12.0)
    again = second.series[DURATION]
    assert isinstance(again, TrendData) and again.count == 1 and again.min == 7_000
    assert set(second.series) == {DURATION, SeriesKey("vus")}  # gauges always reported
    assert second.series[SeriesKey("vus")] == GaugeData(3, 3, 3)
    assert set(rec.snapshot(start=12, end=13).series) == {SeriesKey("vus")}


def test_trend_add_needs_ints() -> None:
    trend = Recorder().trend("t")
    with pytest.raises(TypeError):
        trend.add(1.5)  # type: ignore[arg-type]


def test_compact_bounds_buffers_without_losing_values() -> None:
    rec = Recorder(max_buffered=100)
    trend = rec.trend("t")
    small = rec.trend("u")
    for v in range(250):
        trend.add(v)
    small.add(1)
    assert rec.compact() == 250
    assert trend.buffered == 0 and small.buffered == 1
    trend.add(1_000)
    data = rec.snapshot(start=0, end=1).series[SeriesKey("t")]
    assert isinstance(data, TrendData)
    assert (data.count, data.min, data.max) == (251, 0, 1_000)


def test_out_of_range_trend_values_are_reported() -> None:
    rec = Recorder(highest=1_000)
    trend = rec.trend("t")
    trend.add(-3)
    trend.add(5_000)
    data = rec.snapshot(start=0, end=1).series[SeriesKey("t")]
    assert isinstance(data, TrendData)
    assert data.hist.out_of_range == 2 and data.count == 2


def _worker_snapshot(seed: int) -> Snapshot:
    rng = np.random.default_rng(seed)
    rec = Recorder()
    for name in ("login", "home"):
        trend = rec.trend("http_req_duration", {"name": name})
        for v in rng.lognormal(9, 1, 500).astype(np.int64).tolist():
            trend.add(v)
    rec.counter("http_reqs").add(1000)
    rec.counter("data_received").add(12_345.5)
    rate = rec.rate("checks", {"check": "status is 200"})
    for ok in rng.random(100) < 0.9:
        rate.add(bool(ok))
    rec.gauge("vus").set(seed)
    return rec.snapshot(start=100.0 + seed * 0.001, end=101.0)


def test_snapshot_dict_round_trip_through_json() -> None:
    snap = _worker_snapshot(3)
    text = orjson.dumps(snap.to_dict())
    back = Snapshot.from_dict(orjson.loads(text))
    assert back == snap
    items = snap.to_dict()["series"]
    assert [i["metric"] for i in items] == sorted(i["metric"] for i in items)
    first = next(i for i in items if i["kind"] == "trend")
    assert set(first) == {"metric", "tags", "kind", "count", "sum", "min", "max", "hist"}
    assert first["tags"] == {"name": "home"}
    for bad in ({}, {"start": 1, "end": 2, "series": [{"metric": "x"}]},
                {"start": 1, "end": 2, "series": [{"metric": "x", "kind": "bogus"}]},
                {"start": 1, "end": 2, "series": [{"metric": "x", "kind": "trend",
                                                   "hist": "zz"}]}):
        with pytest.raises(ValueError):
            Snapshot.from_dict(bad)


def test_merge_adds_up_exactly() -> None:
    a, b = _worker_snapshot(1), _worker_snapshot(2)
    merged = a.merge(b)
    assert merged == b.merge(a)
    assert (merged.start, merged.end) == (a.start, 101.0)
    assert merged.series[SeriesKey("http_reqs")] == CounterData(2000)
    assert merged.series[SeriesKey("vus")] == GaugeData(3, 3, 3)
    checks = SeriesKey.of("checks", {"check": "status is 200"})
    ra, rb, rm = a.series[checks], b.series[checks], merged.series[checks]
    assert isinstance(ra, RateData) and isinstance(rb, RateData) and isinstance(rm, RateData)
    assert (rm.passes, rm.total) == (ra.passes + rb.passes, 200)
    ta, tb, tm = a.series[DURATION], b.series[DURATION], merged.series[DURATION]
    assert isinstance(ta, TrendData) and isinstance(tb, TrendData) and isinstance(tm, TrendData)
    both = ta.hist.copy()
    both.add(tb.hist)
    assert tm.hist == both and tm.count == 1000
    clash = Snapshot(0, 1, {SeriesKey("http_reqs"): RateData(1, 1)})
    with pytest.raises(ValueError, match="http_reqs"):
        a.merge(clash)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 10**7), st.booleans()),
        max_size=200,
    ),
    st.integers(1, 4),
)
def test_split_across_workers_equals_one_recorder(events: list[tuple[str, int, bool]],
                                                  workers: int) -> None:
    def record(rec: Recorder, name: str, value: int, ok: bool) -> None:
        rec.trend("t", {"name": name}).add(value)
        rec.counter("n", {"name": name}).add(value)
        rec.rate("r").add(ok)

    one = Recorder()
    many = [Recorder() for _ in range(workers)]
    for i, (name, value, ok) in enumerate(events):
        record(one, name, value, ok)
        record(many[i % workers], name, value, ok)
    whole = one.snapshot(start=0, end=1)
    parts = [Snapshot.from_dict(r.snapshot(start=0, end=1).to_dict()) for r in many]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert merged == whole
