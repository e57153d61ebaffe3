"""End to end: `agentload` as a user runs it, against the real reference target."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

SMOKE = """
config:
  target: http://127.0.0.1:1
load: {vus: 3, duration: 2s}
scenarios:
  - name: api
    flow:
      - get: {url: /health, name: health, expect: {status: 200, json: {"$.status": ok}}}
      - post:
          url: /api/chat/messages
          name: chat
          json: {message: hi}
          expect: {status: 200}
          capture: [{json: $.conversation_id, as: conv}]
      - post:
          url: /api/chat/messages
          name: follow
          json: {message: again, conversation_id: "${conv}"}
thresholds:
  http_req_duration: ["p(95)<2000"]
  http_req_failed: ["rate<0.01"]
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_run_passes_and_writes_results(tmp_path: Path, target_url: str) -> None:
    out = tmp_path / "out"
    res = run_cli("run", str(write(tmp_path, SMOKE)), "--target", target_url, "--out", str(out))
    assert res.code == 0, res.stderr + res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == "agentload.summary/1"
    assert summary["verdict"] == "passed" and summary["exit_code"] == 0
    reqs = summary["metrics"]["http_reqs"]["count"]
    assert reqs > 10
    names = {r["name"] for r in summary["requests"]}
    assert names == {"health", "chat", "follow"}
    # Every request of the flow ran as often as the others: the capture fed the follow-up.
    counts = {r["name"]: r["count"] for r in summary["requests"]}
    assert abs(counts["chat"] - counts["follow"]) <= 3
    assert summary["metrics"]["http_req_failed"]["true_count"] == 0
    assert all(t["passed"] for t in summary["thresholds"])
    # The timeseries covers the run second by second and adds up to the totals.
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    assert len(lines) >= 2
    total = sum(
        s["value"]
        for line in lines
        for s in json.loads(line)["series"]
        if s["metric"] == "http_reqs"
    )
    assert total == reqs
    assert (out / "plan.json").exists() and (out / "aggregate.json").exists()
    assert "verdict: passed" in res.stdout


def test_impossible_threshold_exits_1(tmp_path: Path, target_url: str) -> None:
    text = SMOKE.replace('["p(95)<2000"]', '["p(95)<0.001"]')
    res = run_cli(
        "run",
        str(write(tmp_path, text)),
        "--target",
        target_url,
        "--duration",
        "1s",
        "--out",
        str(tmp_path / "o"),
    )
    assert res.code == 1, res.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["verdict"] == "failed" and summary["exit_code"] == 1
    assert "✗ http_req_duration: p(95)<0.001" in res.stdout


def test_malformed_scenario_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "config:\n  target: http://127.0.0.1:8080\nload: {vus: 1, duration: 2s}\n"
        "flow:\n  - get: /health\n    expcet: {status: 200}\n",
    )
    res = run_cli("run", str(path))
    assert res.code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"error: {path}:6: ")
    assert "did you mean 'expect'" in lines[0]
    assert "Traceback" not in res.stderr + res.stdout


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "config:\n  target: ftp://nope\nload: {vus: -1, duration: 2s}\n"
        "flow:\n  - get: /health\n    expect: {status: 999}\n",
    )
    res = run_cli("inspect", str(path))
    assert res.code == 2
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) >= 3, res.stderr
    assert all(f"{path}:" in line for line in errors)


def test_inspect_prints_the_plan(tmp_path: Path) -> None:
    res = run_cli("inspect", str(ROOT / "examples" / "demo.yaml"), "--segments", "2")
    assert res.code == 0, res.stderr
    assert "closed model: 0 → 12 VUs over 8s" in res.stdout
    assert "4 load groups side by side" in res.stdout
    assert "Split across 2 workers" in res.stdout
    res = run_cli("inspect", str(ROOT / "examples" / "demo.yaml"), "--json")
    assert res.code == 0
    plan = json.loads(res.stdout)["plan"]
    assert plan["model"]["kind"] == "closed"


def test_target_down_exits_3_before_any_load(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_cli(
        "run",
        str(write(tmp_path, SMOKE)),
        "--target",
        f"http://127.0.0.1:{port}",
        "--out",
        str(tmp_path / "o"),
    )
    assert res.code == 3
    assert "not reachable" in res.stderr and "no load was sent" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "summary.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run"], "Missing argument"),
        (["run", "x.yaml", "--bogus"], "No such option"),
        (["run", "missing.yaml"], "no such scenario file"),
        (["run", "examples/demo.yaml", "-e", "NOEQUALS"], "-e expects KEY=VALUE"),
        (["run", "examples/demo.yaml", "--vus", "ten"], "vus"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str], needle: str) -> None:
    res = run_cli(*args)
    assert res.code == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert needle in lines[0]
    assert "Traceback" not in res.stderr


def test_version() -> None:
    res = run_cli("--version")
    assert res.code == 0 and res.stdout.startswith("agentload")


def test_sigterm_stops_gracefully_and_writes_everything(tmp_path: Path, target_url: str) -> None:
    text = SMOKE.replace("load: {vus: 3, duration: 2s}", "load: {vus: 3, duration: 60s}")
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentload",
            "run",
            str(write(tmp_path, text)),
            "--target",
            target_url,
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    timeseries = out / "timeseries.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until at least two intervals are on disk
        if timeseries.exists() and len(timeseries.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["stopped_early"] is True
    assert summary["run"]["stop_reason"] == "signal"
    assert summary["run"]["duration_s"] < 30
    lines = timeseries.read_text().splitlines()
    total = sum(
        s["value"]
        for line in lines
        for s in json.loads(line)["series"]
        if s["metric"] == "http_reqs"
    )
    assert total == summary["metrics"]["http_reqs"]["count"] > 0
    # The last interval ends where the run ended: nothing after the last full second is lost.
    assert json.loads(lines[-1])["end"] == pytest.approx(summary["run"]["duration_s"])
    assert "stopped early" in stdout
