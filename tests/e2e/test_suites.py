"""Suites, user types with their own load, and health checks, end to end through the CLI."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentload.cli import cli
from tests.conftest import ROOT, CliResult

EXAMPLES = ROOT / "examples"


def run_cli(*args: str) -> CliResult:
    """``agentload ARGS`` in this process (a subprocess per run costs seconds on a busy box)."""
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def summary(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((path / "summary.json").read_text())


def scenario(tmp_path: Path, name: str, target: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"config: {{target: {target}}}\n{body}")
    return path


def test_seed002_user_types_run_side_by_side(target_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "run", str(EXAMPLES / "seed002_user_types.yaml"), "--target", target_url,
        "-e", "RAMP=500ms", "-e", "HOLD=1500ms", "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.stderr + result.stdout
    doc = summary(out)
    counts = {}
    for row in doc["requests"]:
        counts[row["scenario"]] = counts.get(row["scenario"], 0) + row["count"]
    assert set(counts) == {"normal_chat", "normal_dashboard", "high_load"}
    # The open group's 20 it/s for 1.5 s: exactly 30 arrivals, whatever the closed group does.
    assert counts["high_load"] == 30
    assert doc["run"]["plan"]["groups"][0]["weights"] == [["high_load", 1]]
    assert doc["run"]["health"]["before"]["ok"] and doc["run"]["health"]["after"]["ok"]
    assert "health after: " in result.stdout


def test_a_target_failing_its_health_check_gets_no_load(target_url: str, tmp_path: Path) -> None:
    path = scenario(tmp_path, "s.yaml", target_url, "flow: [{get: /a}]\n")
    out = tmp_path / "out"
    result = run_cli(
        "run", str(path), "--health", "/health?status=503", "--workers", "1", "--out", str(out)
    )
    assert result.code == 3
    assert result.stderr.strip().splitlines() == [
        f"error: health check before the load: {target_url}/health?status=503 failed: "
        "status 503, expected 200; no load was sent"
    ]
    assert not out.exists()


class _Flip(http.server.BaseHTTPRequestHandler):
    """Healthy for the first request, then 503: a target that breaks during the load."""

    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        ok = type(self).served == 1
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flip_server() -> Iterator[str]:
    _Flip.served = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_failed_end_check_fails_the_run_and_is_recorded(
    target_url: str, flip_server: str, tmp_path: Path
) -> None:
    body = "load: {vus: 1, duration: 500ms}\nflow: [{get: /health}]\n"
    path = tmp_path / "s.yaml"
    path.write_text(
        f"config:\n  target: {target_url}\n  health: {{url: {flip_server}/h, retries: 0}}\n" + body
    )
    out = tmp_path / "out"
    result = run_cli("run", str(path), "--workers", "1", "-q", "--out", str(out))
    assert result.code == 1, result.stderr
    doc = summary(out)
    assert doc["verdict"] == "failed"
    assert doc["run"]["health"]["before"]["ok"] is True
    after = doc["run"]["health"]["after"]
    assert after == {
        "ok": False, "url": f"{flip_server}/h", "status": 503, "attempts": 1,
        "latency_ms": after["latency_ms"], "error": "status 503, expected 200",
    }  # fmt: skip
    assert "health after: " in result.stdout and "failed: status 503" in result.stdout


def test_scenarios_names_profiles_and_runs_a_suite(target_url: str, tmp_path: Path) -> None:
    out = tmp_path / "suite"
    result = run_cli(
        "run", str(EXAMPLES / "seed004_profiles.yaml"), "--target", target_url,
        "--scenarios", "baseline", "normal", "peak", "--duration", "1s", "--scale", "0.05",
        "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert result.code == 0, result.stderr + result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "01-baseline", "02-normal", "03-peak", "index.html", "suite.json",
    ]  # fmt: skip
    suite = json.loads((out / "suite.json").read_text())
    assert suite["exit_code"] == 0 and not suite["interrupted"]
    assert [(r["name"], r["status"], r["exit_code"]) for r in suite["runs"]] == [
        ("baseline", "completed", 0), ("normal", "completed", 0), ("peak", "completed", 0),
    ]  # fmt: skip
    for run in suite["runs"]:
        sub = summary(out / run["dir"])
        assert sub["run"]["planned_duration_s"] == 1.0
        assert run["requests"] == sub["metrics"]["http_reqs"]["count"] > 0
    index = (out / "index.html").read_text()
    assert '<a href="02-normal/report.html">normal</a>' in index
    assert "Suite" in result.stdout and "03-peak" not in result.stderr


def test_several_files_run_in_order_and_the_worst_exit_code_wins(
    target_url: str, tmp_path: Path
) -> None:
    good = scenario(
        tmp_path,
        "good.yaml",
        target_url,
        "load: {vus: 1, duration: 300ms}\nflow: [{get: /health}]\n",
    )
    bad = scenario(
        tmp_path, "bad.yaml", target_url,
        "load: {vus: 1, duration: 300ms}\nflow: [{get: /health}]\n"
        "thresholds: {http_req_duration: ['p(95)<0']}\n",
    )  # fmt: skip
    out = tmp_path / "out"
    result = run_cli("run", str(good), str(bad), "--workers", "1", "-q", "--out", str(out))
    assert result.code == 1
    suite = json.loads((out / "suite.json").read_text())
    assert [(r["dir"], r["exit_code"], r["verdict"]) for r in suite["runs"]] == [
        ("01-good", 0, "passed"), ("02-bad", 1, "failed"),
    ]  # fmt: skip


def test_suite_files_and_their_bad_input(target_url: str, tmp_path: Path) -> None:
    scenario(tmp_path, "api.yaml", target_url, "flow: [{get: /health}]\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "suite:\n  - {file: api.yaml, preset: smoke, duration: 300ms}\n"
        "  - file: api.yaml\n    name: twice\n    vus: 2\n    duration: 300ms\n"
    )
    out = tmp_path / "out"
    result = run_cli("run", str(suite), "--workers", "1", "-q", "--out", str(out))
    assert result.code == 0, result.stderr
    runs = json.loads((out / "suite.json").read_text())["runs"]
    assert [r["dir"] for r in runs] == ["01-api-smoke", "02-twice"]
    assert summary(out / "02-twice")["metrics"]["vus"]["max"] == 2
    # Every problem, file:line, before any load; a later entry's bad load stops the first too.
    suite.write_text(
        "suite:\n  - {file: api.yaml, duration: 300ms}\n  - {file: nope.yaml}\n"
        "  - {file: api.yaml, prest: smoke}\n"
    )
    result = run_cli("run", str(suite), "--workers", "1", "-q", "--out", str(tmp_path / "o2"))
    assert result.code == 2
    assert result.stderr.splitlines()[:2] == [
        f"error: {suite}:3: suite[1].file: {tmp_path}/nope.yaml: no such file; give a path "
        "relative to the suite file",
        f"error: {suite}:4: suite[2]: unknown key 'prest'; did you mean 'preset'?",
    ]
    suite.write_text(
        "suite:\n  - {file: api.yaml, duration: 300ms}\n  - {file: api.yaml, vus: 0}\n"
    )
    result = run_cli("run", str(suite), "--workers", "1", "-q", "--out", str(tmp_path / "o3"))
    assert result.code == 2 and "--vus: expected a whole number of at least 1" in result.stderr
    assert not (tmp_path / "o3").exists()


def test_unknown_suite_names_are_bad_input(target_url: str, tmp_path: Path) -> None:
    path = scenario(tmp_path, "s.yaml", target_url, "flow: [{get: /health}]\n")
    result = run_cli("run", str(path), "--scenarios", "smoke,nope", "--out", str(tmp_path / "o"))
    assert result.code == 2
    assert result.stderr.strip() == (
        f"error: --scenarios nope: {path} has no profile or scenario of that name and it is not "
        "a preset; use one of default, smoke, average, stress, spike, soak, step, breakpoint, "
        "realistic"
    )


def test_ctrl_c_stops_the_current_run_writes_it_and_skips_the_rest(
    target_url: str, tmp_path: Path
) -> None:
    scenario(
        tmp_path,
        "api.yaml",
        target_url,
        "load: {vus: 1, duration: 30s}\nflow: [{get: /health}, {think: 50ms}]\n",
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text("suite:\n  - api.yaml\n  - {file: api.yaml, name: second}\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentload", "run", str(suite), "--workers", "1", "-q",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "COLUMNS": "160"},
    )  # fmt: skip
    timeseries = out / "01-api" / "timeseries.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        timeseries.exists() and timeseries.read_text().count("\n") >= 1
    ):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    suite_doc = json.loads((out / "suite.json").read_text())
    assert suite_doc["interrupted"] is True
    first, second = suite_doc["runs"]
    assert first["status"] == "interrupted" and first["stop_reason"] == "signal"
    assert first["requests"] > 0 and summary(out / "01-api")["run"]["stopped_early"] is True
    assert second["status"] == "skipped" and not (out / "02-second").exists()
    assert "stopping gracefully" in stdout


def test_suite_names_resolve_as_profile_then_preset_then_scenario(tmp_path: Path) -> None:
    from agentload.cli._run import RunOptions
    from agentload.cli._suite import plan_suite

    path = tmp_path / "s.yaml"
    path.write_text(
        "config: {target: http://h}\nprofiles:\n  smoke: {vus: 2, duration: 1s}\n"
        "scenarios:\n  - {name: chat, flow: [{get: /a}]}\n  - {name: kpi, flow: [{get: /b}]}\n"
    )
    opts = RunOptions(scenario=path)
    assert plan_suite(opts, (), ()) is None  # one file, no names: a single run
    runs = plan_suite(opts, (Path("average"), Path("chat")), ("smoke",))
    assert runs is not None
    assert [(r.name, r.opts.profile, r.opts.preset, r.opts.only) for r in runs] == [
        ("smoke", "smoke", None, None),  # the file's profile wins over the preset
        ("average", None, "average", None),
        ("chat", None, None, "chat"),
    ]
    two = plan_suite(opts, (path,), ("kpi,average",))
    assert two is not None and [r.name for r in two] == [
        "s-kpi", "s-average", "s-kpi", "s-average",
    ]  # fmt: skip


def test_inspect_a_suite_validates_and_shows_each_run() -> None:
    result = run_cli("inspect", str(EXAMPLES / "artillery" / "all.yaml"))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")][:3] == [
        "01-concurrent-sessions", "02-audio-streaming", "03-tool-execution",
    ]  # fmt: skip
    as_json = run_cli("inspect", str(EXAMPLES / "artillery" / "all.yaml"), "--json")
    doc = json.loads(as_json.stdout)
    assert [r["name"] for r in doc["suite"]] == [
        "concurrent-sessions", "audio-streaming", "tool-execution",
    ]  # fmt: skip
    assert doc["suite"][1]["plan"]["model"]["stages"] == [{"duration": 300.0, "target": 10.0}]
