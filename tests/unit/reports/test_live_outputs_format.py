"""Prometheus families and InfluxDB line protocol from known snapshots."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from agentload.metrics import Aggregate, Recorder
from agentload.reports.influx import format_lines, parse_influx_url
from agentload.reports.prometheus import PrometheusExporter, build_families


def _snapshot():  # type: ignore[no-untyped-def]
    r = Recorder()
    t = r.trend("http_req_duration", {"name": "log in", "status": "200"})
    for v in (1_000, 2_000, 3_000, 4_000):
        t.add(v)
    r.counter("http_reqs", {"name": "log in", "status": "200"}).add(4)
    f = r.rate("http_req_failed", {"name": "log in"})
    for ok in (True, False, False, False):
        f.add(ok)
    r.gauge("vus").set(7)
    r.gauge("target_gauge", {"metric": 'x{a="b"}'}).set(0.5)
    return r.snapshot(start=0.0, end=1.0)


def test_prometheus_families_text() -> None:
    snap = _snapshot()
    agg = Aggregate()
    agg.add(snap)
    reg = CollectorRegistry(auto_describe=False)

    class C:
        def collect(self):  # type: ignore[no-untyped-def]
            return build_families(agg, [snap], 1.0, 30.0)

    reg.register(C())  # type: ignore[arg-type]
    text = generate_latest(reg).decode()
    assert 'agentload_http_reqs_total{name="log in",status="200"} 4.0' in text
    assert "agentload_vus 7.0" in text
    assert 'agentload_http_req_failed_true_total{name="log in"} 1.0' in text
    assert 'agentload_http_req_failed_samples_total{name="log in"} 4.0' in text
    assert 'agentload_http_req_duration_seconds_count{name="log in"} 4.0' in text
    assert 'agentload_http_req_duration_seconds_sum{name="log in"} 0.01' in text
    assert 'agentload_http_req_duration_seconds{name="log in",quantile="0.5"} 0.002' in text
    assert 'agentload_http_req_duration_seconds{name="log in",quantile="0.99"} 0.004' in text
    assert 'agentload_target_gauge{metric="x{a=\\"b\\"}"} 0.5' in text
    assert "agentload_run_planned_seconds 30.0" in text


def test_prometheus_exporter_uses_its_own_registry() -> None:
    from prometheus_client import REGISTRY

    before = set(REGISTRY._names_to_collectors)
    exporter = PrometheusExporter(0, planned=1.0)
    assert exporter.registry is not REGISTRY
    assert set(REGISTRY._names_to_collectors) == before


def test_influx_lines_escape_and_scale() -> None:
    text = format_lines(_snapshot(), 1_700_000_000.25)
    lines = text.splitlines()
    assert lines[0] == (
        "http_req_duration,name=log\\ in,status=200 count=4.0,mean=2.5,min=1.0,max=4.0,"
        "p50=2.0,p90=4.0,p95=4.0,p99=4.0 1700000000250"
    )
    assert "http_req_failed,name=log\\ in passes=1.0,total=4.0,rate=0.25 1700000000250" in lines
    assert "http_reqs,name=log\\ in,status=200 value=4.0 1700000000250" in lines
    assert 'target_gauge,metric=x{a\\="b"} value=0.5,min=0.5,max=0.5 1700000000250' in lines
    assert "vus value=7.0,min=7.0,max=7.0 1700000000250" in lines


def test_influx_url_forms() -> None:
    t = parse_influx_url("http://u:p%40ss@localhost:8086/k6")
    assert (t.base, t.database, t.username, t.password) == (
        "http://localhost:8086", "k6", "u", "p@ss")
    assert t.shown == "http://localhost:8086/k6"  # no credentials in messages
    for bad in ("localhost:8086/k6", "http://localhost:8086", "http://h/a/b", "ftp://h/db"):
        with pytest.raises(ValueError, match="http://"):
            parse_influx_url(bad)


def test_a_busy_prometheus_port_is_bad_input() -> None:
    import io
    import socket
    from pathlib import Path

    from rich.console import Console

    from agentload.cli._observe import ObserveOptions, Observers
    from agentload.errors import UsageError
    from agentload.profiles import compile_plan
    from agentload.scenario import load_scenario_text

    sf = load_scenario_text("config: {target: http://h}\nload: {rate: 5, duration: 2s}\n"
                            "flow: [{get: /a}]\n", filename="s.yaml", env={}, base_dir=Path("."))
    plan = compile_plan(sf.load, [(s.name, s.weight) for s in sf.scenarios])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        observers = Observers(ObserveOptions(quiet=True, prometheus_port=str(port)), sf, plan,
                              (), Console(file=io.StringIO()), [])
        assert observers._planned_rate(1.0) == 5.0
        with pytest.raises(UsageError, match="cannot listen there"):
            observers.__enter__()


def test_credentials_never_reach_messages() -> None:
    from agentload.cli._observe import split_out
    from agentload.errors import UsageError

    with pytest.raises(UsageError) as caught:
        split_out(["influxdb=http://admin:hunter2@localhost:8086"])
    assert "hunter2" not in str(caught.value)
    lines: list[str] = []
    from agentload.reports.influx import InfluxOutput

    out = InfluxOutput("http://admin:hunter2@127.0.0.1:9/db", notify=lines.append, timeout=1)
    out._warn(OSError("refused"))
    assert lines and "hunter2" not in lines[0] and "127.0.0.1:9/db" in lines[0]
