"""Aggregate: run totals, tag-filtered queries, saving and loading."""

from __future__ import annotations

import orjson
import pytest

from agentload.metrics import (
    Aggregate,
    GaugeData,
    MetricKind,
    RateData,
    Recorder,
    SeriesKey,
    Snapshot,
)


def _run() -> Aggregate:
    rec = Recorder()
    agg = Aggregate()
    login = rec.trend("http_req_duration", {"name": "login", "status": "200"})
    login_err = rec.trend("http_req_duration", {"name": "login", "status": "500"})
    home = rec.trend("http_req_duration", {"name": "home", "status": "200"})
    vus = rec.gauge("vus", {"scenario": "a"})
    vus_b = rec.gauge("vus", {"scenario": "b"})
    for second in range(3):
        for v in range(1, 101):
            login.add(v * 1_000)
            home.add(v * 10)
        login_err.add(500_000)
        rec.counter("http_reqs", {"name": "login"}).add(101)
        rec.counter("http_reqs", {"name": "home"}).add(100)
        rec.rate("http_req_failed", {"name": "login"}).add(False)
        rec.rate("http_req_failed", {"name": "login"}).add(True)
        rec.rate("http_req_failed", {"name": "home"}).add(False)
        vus.set(10 + second)
        vus_b.set(5)
        vus_b.set(1)
        agg.add(rec.snapshot(start=float(second), end=float(second + 1)))
    return agg


def test_trend_queries_merge_matching_series() -> None:
    agg = _run()
    everything = agg.trend("http_req_duration")
    assert everything is not None and everything.count == 3 * 201
    login = agg.trend("http_req_duration", {"name": "login"})
    assert login is not None and login.count == 303 and login.max == 500_000
    ok_login = agg.trend("http_req_duration", {"name": "login", "status": "200"})
    assert ok_login is not None and ok_login.count == 300
    # 50_000 lies in a bucket 32 wide: HDR answers its top, 50_015 (within 0.1 %).
    assert ok_login.percentile(50) == 50_015 and ok_login.min == 1_000
    assert ok_login.mean == pytest.approx(50_500)
    assert agg.trend("http_req_duration", {"name": "nope"}) is None
    assert agg.trend("http_reqs") is None and agg.trend("missing") is None
    # Queries return copies: changing one does not change the aggregate.
    login.record(1)
    again = agg.trend("http_req_duration", {"name": "login"})
    assert again is not None and again.count == 303


def test_counter_rate_gauge_queries() -> None:
    agg = _run()
    assert agg.counter("http_reqs") == 603
    assert agg.counter("http_reqs", {"name": "home"}) == 300
    assert agg.counter("http_reqs", {"name": "nope"}) == 0
    assert agg.counter("missing") == 0
    assert agg.rate("http_req_failed") == (3, 9)
    assert agg.rate("http_req_failed", {"name": "home"}) == (0, 3)
    assert agg.rate("http_req_failed", {"name": "nope"}) is None
    assert agg.gauge("vus", {"scenario": "a"}) == GaugeData(12, 10, 12)
    assert agg.gauge("vus") == GaugeData(13, 11, 17)
    assert agg.gauge("missing") is None


def test_introspection() -> None:
    agg = _run()
    assert agg.metrics() == {"http_req_duration", "http_reqs", "http_req_failed", "vus"}
    assert agg.kind("http_reqs") is MetricKind.COUNTER
    assert agg.kind("checks") is MetricKind.RATE  # built-in, not seen
    assert agg.kind("custom") is None
    assert agg.tag_values("http_req_duration", "status") == {"200", "500"}
    assert agg.tag_values("http_req_duration", "nope") == set()
    assert (agg.start, agg.end, agg.elapsed, agg.intervals) == (0.0, 3.0, 3.0, 3)
    assert agg.has("http_reqs", {"name": "home"}) and not agg.has("http_reqs", {"name": "x"})
    keys = agg.keys()
    assert keys == sorted(keys, key=lambda k: (k.metric, k.tags)) and len(keys) == 9
    rate = agg.data(SeriesKey.of("http_req_failed", {"name": "login"}))
    assert rate == RateData(3, 6)
    assert agg.data(SeriesKey("nope")) is None


def test_round_trip() -> None:
    agg = _run()
    back = Aggregate.from_dict(orjson.loads(orjson.dumps(agg.to_dict())))
    assert back.to_dict() == agg.to_dict()
    assert back.trend("http_req_duration") == agg.trend("http_req_duration")
    assert back.gauge("vus") == agg.gauge("vus")
    assert (back.start, back.end, back.intervals) == (agg.start, agg.end, agg.intervals)
    with pytest.raises(ValueError):
        Aggregate.from_dict({"series": []})
    empty = Aggregate.from_dict(Aggregate().to_dict())
    assert empty.elapsed == 0.0 and empty.metrics() == set()


def test_out_of_order_gauges_keep_latest_and_kind_clash() -> None:
    agg = Aggregate()
    key = SeriesKey("vus")
    agg.add(Snapshot(1, 2, {key: GaugeData(7, 7, 7)}))
    agg.add(Snapshot(0, 1, {key: GaugeData(3, 1, 3)}))
    assert agg.gauge("vus") == GaugeData(7, 1, 7)
    with pytest.raises(ValueError, match="gauge"):
        agg.add(Snapshot(2, 3, {key: RateData(1, 1)}))
