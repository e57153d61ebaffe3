"""Generator probe, target monitor and saturation rule, against known inputs."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.monitoring import (
    GeneratorProbe,
    MonitoredSinks,
    SaturationTracker,
    TargetMonitor,
    count_sockets,
    interval_load,
    parse_exposition,
)

EXPOSITION = """\
# HELP sessions Active sessions.
# TYPE sessions gauge
sessions 12.0
# HELP breaker Breaker state.
# TYPE breaker gauge
breaker{upstream="llm"} 2.0
# HELP reqs_total Requests.
# TYPE reqs_total counter
reqs_total 40.0
# HELP reqs_created Requests.
# TYPE reqs_created gauge
reqs_created 1.7e9
"""


def test_parse_exposition_keeps_gauges_or_the_chosen_names() -> None:
    got = [(s.tags, s.value) for s in parse_exposition(EXPOSITION)]
    assert got == [
        ((("metric", "sessions"),), 12.0),
        ((("metric", 'breaker{upstream="llm"}'),), 2.0),
    ]
    chosen = [(s.tags, s.value) for s in parse_exposition(EXPOSITION, ["reqs_total"])]
    assert chosen == [((("metric", "reqs_total"),), 40.0)]  # _created is not a measurement


def test_count_sockets_sees_new_sockets() -> None:
    before = count_sockets()
    socks = [socket.socket() for _ in range(3)]
    try:
        assert count_sockets() == before + 3
    finally:
        for s in socks:
            s.close()


def test_generator_probe_measures_a_blocked_loop() -> None:
    recorder = Recorder()

    async def main() -> None:
        probe = GeneratorProbe(recorder, worker="3", period=0.02, sample_every=0.1)
        task = asyncio.create_task(probe.run())
        await asyncio.sleep(0.05)
        time.sleep(0.15)  # the loop is blocked: the probe's timer fires late
        await asyncio.sleep(0.15)
        task.cancel()

    asyncio.run(main())
    snap = recorder.snapshot(start=0.0, end=1.0)
    load = interval_load(snap)
    assert load.lag_p99_ms is not None and load.lag_p99_ms >= 100  # blocked ~150 ms
    keys = {k.metric: dict(k.tags) for k in snap.series}
    assert keys["gen_cpu_percent"] == {"worker": "3"}
    assert keys["gen_open_sockets"] == {"worker": "3"}
    # the blocked 150 ms were spent in time.sleep, not on the CPU: far below one core
    assert load.cpu_max is not None and 0 <= load.cpu_max < 90


def _gen(cpu: float, lag_ms: float) -> Snapshot:
    r = Recorder()
    r.gauge("gen_cpu_percent", {"worker": "0"}).set(10.0)
    r.gauge("gen_cpu_percent", {"worker": "1"}).set(cpu)
    for _ in range(100):
        r.trend("gen_loop_lag").add(int(lag_ms * 1000))
    return r.snapshot(start=0.0, end=1.0)


def test_saturation_per_interval_and_over_the_run() -> None:
    assert not interval_load(_gen(89.0, 49.0)).saturated
    assert interval_load(_gen(91.0, 1.0)).reasons() == ["CPU 91% > 90%"]
    assert interval_load(_gen(1.0, 51.0)).reasons() == ["loop lag p99 51 ms > 50 ms"]
    tracker = SaturationTracker()
    agg = Aggregate()
    for k, (cpu, lag) in enumerate([(95, 1), (10, 1)] + [(10, 1)] * 20):
        snap = _gen(cpu, lag)
        agg.add(snap)
        tracker.on_snapshot(snap, agg, float(k + 1))
    assert not tracker.saturated and tracker.warning() is None  # one busy second is no verdict
    for k in range(3):
        tracker.on_snapshot(_gen(20, 80), agg, 23.0 + k)
    assert tracker.saturated
    summary = tracker.summary(agg)
    assert summary["saturated_intervals"] == 4 and summary["intervals"] == 25
    assert summary["first_saturated_s"] == 1.0
    assert summary["cpu_percent_peak"] == 95
    assert "saturated in 4 of 25 seconds (CPU above 90% and event-loop lag)" in summary["warning"]


@pytest.fixture
def exposition_url():  # type: ignore[no-untyped-def]
    reg = CollectorRegistry()
    Gauge("sessions", "Active sessions.", registry=reg).set(5)
    Counter("reqs", "Requests.", registry=reg).inc(3)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=reg)
    yield f"http://127.0.0.1:{server.server_port}/metrics"
    server.shutdown()
    server.server_close()
    thread.join()


def test_target_monitor_samples_a_pid_and_an_endpoint(exposition_url: str) -> None:
    monitor = TargetMonitor(pid=os.getpid(), prometheus_url=exposition_url)
    monitor.start()
    monitor.stop()  # no background samples: the test takes them itself
    monitor.sample_once()
    monitor.sample_once()
    snap = monitor.drain(start=0.0, end=1.0)
    values = {(k.metric, k.tags): d for k, d in snap.series.items()}
    assert values[("target_gauge", (("metric", "sessions"),))].value == 5.0  # type: ignore[union-attr]
    rss = values[("target_rss", ())].value  # type: ignore[union-attr]
    assert 10e6 < rss < 10e9
    assert values[("target_open_fds", ())].value >= 3  # type: ignore[union-attr]
    assert monitor.scrapes == 2 and monitor.warnings == []
    # no fresh sample: the latest reading is repeated for two intervals (jitter), then dropped
    for k in (1, 2):
        again = monitor.drain(start=float(k), end=float(k + 1)).series
        assert set(again) == set(snap.series)
        assert all(d.value == snap.series[key].value for key, d in again.items())  # type: ignore[union-attr]
    assert monitor.drain(start=3.0, end=4.0).series == {}


def test_target_monitor_warns_once_and_goes_on() -> None:
    lines: list[str] = []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed below: nothing listens there
    monitor = TargetMonitor(prometheus_url=f"http://127.0.0.1:{port}/metrics", notify=lines.append)
    for _ in range(3):
        monitor.sample_once()
    assert len(lines) == 1 and "cannot scrape" in lines[0]


def test_monitored_sinks_merge_into_every_snapshot_and_the_totals() -> None:
    class Keep:
        def __init__(self) -> None:
            self.got: list[Snapshot] = []

        def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
            self.got.append(snapshot)

    monitor = TargetMonitor()
    keep = Keep()
    feed = MonitoredSinks(monitor, [keep])
    load = Recorder()
    agg = Aggregate()
    for k, value in enumerate((3.0, 4.0)):
        monitor._pending.append(  # what the thread would have sampled
            __import__("agentload.monitoring.target", fromlist=["Sample"]).Sample(
                "target_cpu_percent", (), value))
        load.counter("http_reqs").add(1)
        snap = load.snapshot(start=float(k), end=float(k + 1))
        agg.add(snap)
        feed.on_snapshot(snap, agg, float(k + 1))
    assert [sorted(k.metric for k in s.series) for s in keep.got] == [
        ["http_reqs", "target_cpu_percent"]] * 2
    assert not agg.has("target_cpu_percent")  # the runner's aggregate decides on load only
    feed.merge_into(agg)
    gauge = agg.gauge("target_cpu_percent")
    assert gauge is not None and (gauge.value, gauge.min, gauge.max) == (4.0, 3.0, 4.0)
    assert agg.intervals == 2 and agg.counter("http_reqs") == 2


def test_a_monitored_process_that_ends_is_one_warning() -> None:
    import subprocess
    import sys

    lines: list[str] = []
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        monitor = TargetMonitor(pid=child.pid, notify=lines.append)
        monitor.start()
        monitor.stop()  # the test samples by itself
        monitor.sample_once()
        assert monitor.drain(start=0.0, end=1.0).series  # sampled while alive
    finally:
        child.kill()
        child.wait()
    monitor.sample_once()
    monitor.sample_once()
    assert len(lines) == 1 and f"PID {child.pid} can no longer be read" in lines[0]
