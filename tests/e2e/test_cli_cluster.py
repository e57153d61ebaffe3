"""`agentload run --cluster local:N`: workers on a real Dask cluster, talking over TCP.

The cluster is a real ``distributed.LocalCluster`` of worker processes that
the CLI starts; each agentload worker is a Dask task's child process that
dials back to the coordinator over TCP, exactly as on remote machines (the
scenario's folder travels in the Setup message).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import ROOT, run_cli

pytest.importorskip("distributed", reason="agentload[dask] is not installed")
pytestmark = pytest.mark.slow

SCENARIO = """
config:
  target: http://127.0.0.1:1
load: {vus: 4, duration: DURATION}
scenarios:
  - name: api
    flow:
      - get: {url: /health, name: health, expect: {status: 200}}
      - post:
          url: /api/contacts/import
          name: upload
          multipart:
            file: {path: data/contacts.csv, content_type: text/csv}
          expect: {status: [200, 201, 202]}
      - think: 50ms
"""


def write(tmp_path: Path, duration: str) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "contacts.csv").write_text("name,phone\nAda,+15550100\n")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("DURATION", duration))
    return path


def summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def test_a_run_on_a_local_dask_cluster_sums_counts_across_workers(
    tmp_path: Path, target_url: str
) -> None:
    out = tmp_path / "o"
    path = write(tmp_path, "2s")
    res = run_cli("run", str(path), "-t", target_url, "-o", str(out), "-q", "--cluster", "local:2")
    assert res.code == 0, res.stderr + res.stdout
    data = summary(out)
    workers = data["run"]["workers"]
    assert workers["mode"] == "dask" and workers["cluster"] == "local:2"
    assert workers["count"] == 2 and [w["status"] for w in workers["list"]] == ["ok", "ok"]
    # The multipart file came from the bundle and every upload succeeded.
    by_name = {r["name"]: r for r in data["requests"]}
    assert by_name["upload"]["count"] > 5 and by_name["upload"]["failed"] == 0
    # Counts add up exactly: the per-second files sum to the summary's totals.
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    total = sum(
        s["value"]
        for line in lines
        for s in json.loads(line)["series"]
        if s["metric"] == "http_reqs"
    )
    assert total == data["metrics"]["http_reqs"]["count"]


@pytest.mark.parametrize(("policy", "code"), [("abort", 3), ("continue", 0)])
def test_killing_a_dask_worker_mid_run_ends_as_documented(
    tmp_path: Path, target_url: str, policy: str, code: int
) -> None:
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "agentload", "run", str(write(tmp_path, "30s"))]
    cmd += ["-t", target_url, "-o", str(out), "-q", "--cluster", "local:2"]
    cmd += ["--on-worker-failure", policy]
    if policy == "continue":
        cmd += ["--duration", "6s"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    seen: set[psutil.Process] = set()
    timeseries = out / "timeseries.jsonl"
    deadline = time.monotonic() + 60
    while not (timeseries.exists() and len(timeseries.read_text().splitlines()) >= 2):
        assert proc.poll() is None, "the run ended early: " + "".join(proc.communicate())
        assert time.monotonic() < deadline, "no two intervals within 60 s"
        seen.update(psutil.Process(proc.pid).children(recursive=True))
        time.sleep(0.1)
    tree = psutil.Process(proc.pid).children(recursive=True)
    seen.update(tree)
    victims = [p for p in tree if "agentload.distributed.remote" in " ".join(p.cmdline())]
    assert len(victims) == 2, [p.cmdline() for p in tree]
    victims[0].send_signal(signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=90)
    assert proc.returncode == code, stderr + stdout
    assert "1 of 2 workers failed" in stdout
    data = summary(out)
    workers = data["run"]["workers"]
    assert workers["failed"] == 1 and workers["degraded"] is (policy == "continue")
    assert sorted(w["status"] for w in workers["list"]) == ["failed", "ok"]
    assert data["metrics"]["http_reqs"]["count"] > 0
    assert (out / "report.html").exists()
    if policy == "abort":
        assert data["run"]["stop_reason"] == "worker_failed"
    # The local cluster, its workers and ours are all gone.
    deadline = time.monotonic() + 15
    alive = list(seen)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    assert not alive, [p.cmdline() for p in alive]


@pytest.mark.parametrize("value", ["tcp://nohost", "local:0", "local:x", "10.0.0.1:8786"])
def test_a_bad_cluster_address_is_one_usage_line(tmp_path: Path, value: str) -> None:
    res = run_cli("run", str(write(tmp_path, "1s")), "--cluster", value)
    assert res.code == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --cluster {value!r}:"), lines
