"""Real runs against the reference target: Prometheus endpoint, InfluxDB, monitoring, alerts.

Each test runs ``agentload run`` as a user would (a subprocess, stdout a pipe,
so the live view prints plain lines) for a few seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from agentload.target.process import TargetProcess
from tests.conftest import ROOT, run_cli

SCENARIO = """
config:
  target: http://127.0.0.1:1
load: {vus: 4, duration: 3s}
scenarios:
  - name: api
    flow:
      - get: {url: /health, name: health}
      - get: {url: /api/analytics/kpi, name: kpi}
      - think: 20ms
thresholds:
  http_req_duration: ["p(95)<2000"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scenario(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + extra)
    return path


def _summary(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "summary.json").read_text())


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_prometheus_endpoint_serves_the_run_while_it_goes(tmp_path: Path, target_url: str) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentload", "run", str(_scenario(tmp_path)), "--target",
         target_url, "--out", str(out), "--workers", "2", "--prometheus-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "160"},
    )
    assert proc.stdout is not None
    try:
        url = ""
        for line in proc.stdout:
            if line.startswith("prometheus: "):
                url = line.split()[1]
                break
        assert url.startswith("http://127.0.0.1:"), url
        during: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            seen = _scrape(url)
            if seen.get(("agentload_run_elapsed_seconds", ()), 0) >= 2:
                during = seen
                break
            time.sleep(0.2)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err + rest
    assert during, "no scrape during the run"
    # the coordinator drove the live view too: plain lines in the (piped) log
    assert sum("req/s" in ln and "VUs" in ln for ln in rest.splitlines()) >= 2, rest
    reqs = {k: v for k, v in during.items() if k[0] == "agentload_http_reqs_total"}
    by_name = {dict(k[1])["name"]: v for k, v in reqs.items()}
    assert by_name["kpi"] > 0 and by_name["health"] > 0
    final = _summary(out)["metrics"]["http_reqs"]["count"]
    assert sum(reqs.values()) <= final  # a scrape during the run saw part of it
    quantiles = [k for k in during if k[0] == "agentload_http_req_duration_seconds"]
    assert {dict(k[1])["quantile"] for k in quantiles} == {"0.5", "0.9", "0.95", "0.99"}
    assert all(0 < during[k] < 2 for k in quantiles)  # seconds, not µs
    workers = {dict(k[1]).get("worker") for k in during if k[0] == "agentload_gen_cpu_percent"}
    assert workers == {"0", "1"}  # CPU per worker process, through the coordinator
    # the port is closed after the run
    with pytest.raises(OSError):
        _scrape(url)


@pytest.fixture(scope="module")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real InfluxDB 1.x (Debian's influxdb package) on free ports, with a temporary data dir."""
    binary = shutil.which("influxd")
    if binary is None:
        pytest.skip("influxd is not installed (Debian: apt-get install -y influxdb, "
                    "or make test-deps)")
    base = tmp_path_factory.mktemp("influx")
    http_port, rpc_port = _free_port(), _free_port()
    config = base / "influxdb.conf"
    config.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc_port}"\n'
        f'[meta]\n  dir = "{base}/meta"\n'
        f'[data]\n  dir = "{base}/data"\n  wal-dir = "{base}/wal"\n  query-log-enabled = false\n'
        "[monitor]\n  store-enabled = false\n"
        f'[http]\n  enabled = true\n  bind-address = "127.0.0.1:{http_port}"\n'
        "  log-enabled = false\n"
        "[continuous_queries]\n  enabled = false\n"
    )
    log = (base / "influxd.log").open("w")
    proc = subprocess.Popen([binary, "-config", str(config)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=1) as resp:
                    if resp.status == 204:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"influxd did not start: {(base / 'influxd.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _influx_query(url: str, db: str, q: str) -> list[list[object]]:
    query = urllib.parse.urlencode({"db": db, "q": q})
    with urllib.request.urlopen(f"{url}/query?{query}", timeout=10) as resp:
        body = json.loads(resp.read())
    series = body["results"][0].get("series") or []
    return series[0]["values"] if series else []


def test_influxdb_output_writes_every_interval(tmp_path: Path, target_url: str,
                                               influxdb: str) -> None:
    out = tmp_path / "out"
    stream = tmp_path / "results.json"  # seed 001: --out json=results.json
    res = run_cli("run", str(_scenario(tmp_path)), "--target", target_url, "--workers", "1",
                  "--out", f"influxdb={influxdb}/agentload", "--out", str(out), "--quiet",
                  "--out", f"json={stream}")
    assert res.code == 0, res.stdout + res.stderr
    summary = _summary(out)
    total = summary["metrics"]["http_reqs"]["count"]
    (row,) = _influx_query(influxdb, "agentload", 'SELECT sum("value") FROM "http_reqs"')
    assert row[1] == total  # every interval arrived, none twice
    (row,) = _influx_query(influxdb, "agentload",
                           "SELECT sum(\"count\") FROM \"http_req_duration\" WHERE \"name\"='kpi'")
    (kpi,) = [r for r in summary["requests"] if r["name"] == "kpi"]
    assert row[1] == kpi["count"]
    rows = _influx_query(influxdb, "agentload", 'SELECT "value" FROM "gen_cpu_percent"')
    assert len(rows) >= 2
    written = summary["outputs"][f"influxdb {influxdb}/agentload"]
    assert written["failed"] == 0 and written["dropped"] == 0 and written["written"] >= 3
    assert "InfluxDB" not in res.stdout + res.stderr
    # the JSON lines are the same intervals as timeseries.jsonl
    assert stream.read_text() == (out / "timeseries.jsonl").read_text()


def test_unreachable_influxdb_is_one_warning_not_a_crash(tmp_path: Path, target_url: str) -> None:
    out = tmp_path / "out"
    port = _free_port()
    res = run_cli("run", str(_scenario(tmp_path)), "--target", target_url, "--workers", "1",
                  "--out", f"influxdb=http://127.0.0.1:{port}/db", "--out", str(out), "--quiet")
    assert res.code == 0, res.stdout + res.stderr
    warnings = [ln for ln in res.stdout.splitlines() if "cannot write to InfluxDB" in ln]
    assert len(warnings) == 1, res.stdout
    assert f"http://127.0.0.1:{port}/db" in warnings[0]
    (stats,) = _summary(out)["outputs"].values()
    assert stats["written"] == 0 and stats["failed"] >= 3
    assert "█" not in res.stdout  # --quiet: no live view


def test_monitoring_and_alerts_in_summary_report_and_log(tmp_path: Path) -> None:
    """examples/monitoring_alerts.yaml: the target's breaker opens, seen by scraping it."""
    out = tmp_path / "out"
    with TargetProcess() as target:
        assert target._proc is not None
        pid = target._proc.pid
        res = run_cli("run", "examples/monitoring_alerts.yaml", "--duration", "3s",
                      "--target", target.url, "--workers", "1", "--out", str(out),
                      "--monitor-pid", str(pid), "--monitor-prometheus", f"{target.url}/metrics")
    assert res.code == 0, res.stdout + res.stderr
    summary = _summary(out)
    metrics = summary["metrics"]
    assert metrics["target_rss"]["max"] > 10e6
    assert metrics["target_connections"]["max"] >= 1  # our keep-alive connections
    assert metrics["target_open_fds"]["max"] >= 5
    assert 0 <= metrics["target_cpu_percent"]["max"] <= 200
    assert summary["monitoring"]["scrapes"] >= 2 and summary["monitoring"]["warnings"] == []
    lines = [json.loads(ln) for ln in (out / "timeseries.jsonl").read_text().splitlines()]
    breaker = [s["value"] for ln in lines for s in ln["series"] if s["metric"] == "target_gauge"
               and s["tags"]["metric"] == "agentload_target_circuit_breaker_state"]
    assert breaker and max(breaker) >= 1
    gen = summary["generator"]
    assert gen["intervals"] >= 3 and gen["cpu_percent_peak"] is not None
    alerts = {a["name"]: a for a in summary["alerts"]}
    assert alerts["breaker tripped"]["fired"] >= 1
    storm = alerts["error storm"]
    assert storm["fired"] == 1 and storm["events"][0]["fired_at_s"] == 2.0  # held (0, 2]
    assert 0.5 < storm["events"][0]["observed"] < 0.8  # two thirds of the requests fail
    assert alerts["slow"]["fired"] == 0
    assert "alert 'error storm' fired at 2s" in res.stdout
    progress = [ln for ln in res.stdout.splitlines() if "req/s" in ln and "█" in ln + "░"]
    assert len(progress) >= 3, res.stdout  # plain lines in a log, not a redrawn screen
    assert "\x1b[" not in res.stdout
    page = (out / "report.html").read_text()
    for section in ('id="generator"', 'id="target"', 'id="alerts"', 'data-figure="data-target"'):
        assert section in page


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--out", "csv=x.csv"], "--out csv=x.csv: no live csv output"),
        (["--out", "json="], "--out json=: name a file"),
        (["--out", "influxdb=localhost:8086"], "expected http://host:8086/DATABASE"),
        (["--monitor-pid", "999999999"], "--monitor-pid 999999999: no such process"),
        (["--prometheus-port", "nine"], "--prometheus-port expects PORT or HOST:PORT"),
        (["--monitor-prometheus", "localhost/metrics"], "--monitor-prometheus expects http://"),
    ],
    ids=["k6_output", "json_without_file", "influx_url", "pid", "port", "scrape_url"],
)
def test_bad_flags_exit_2_before_any_load(tmp_path: Path, flags: list[str], message: str) -> None:
    # In process (click's runner): the same code path as the console script, without
    # a Python start-up per case. The target refuses connections: had the flags been
    # let through, the preflight check would exit 3, not 2.
    from click.testing import CliRunner

    from agentload.cli import cli

    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(_scenario(tmp_path)), "--target",
                                   "http://127.0.0.1:1", "-o", str(out), *flags])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not out.exists()  # nothing written, nothing sent
