"""`agentload run --workers N` as a user runs it: same results, clean stops, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

SCENARIO = """
config:
  target: http://127.0.0.1:1
load: {vus: 4, duration: DURATION}
scenarios:
  - name: api
    flow:
      - get: {url: /health, name: health, expect: {status: 200}}
      - post: {url: /api/chat/messages, name: chat, json: {message: hi}, expect: {status: 200}}
      - think: 20ms
thresholds:
  http_req_duration: ["p(95)<2000"]
"""


def write(tmp_path: Path, duration: str, extra: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("DURATION", duration) + extra)
    return path


def summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


def timeseries_total(out: Path, metric: str = "http_reqs") -> float:
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    return float(
        sum(
            s["value"]
            for line in lines
            for s in json.loads(line)["series"]
            if s["metric"] == metric
        )
    )


def shape(value: object) -> object:
    """The keys of a JSON document, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k != "plan"}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "leaf"


def test_two_workers_give_the_same_summary_shape_as_one(tmp_path: Path, target_url: str) -> None:
    path = write(tmp_path, "2s")
    results = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = run_cli("run", str(path), "-t", target_url, "-o", str(out), "-q", "-w", workers)
        assert res.code == 0, res.stderr + res.stdout
        results[workers] = summary(out)
        assert timeseries_total(out) == results[workers]["metrics"]["http_reqs"]["count"] > 20
    one, two = results["1"], results["2"]
    assert one["run"]["workers"]["mode"] == "in-process"
    assert two["run"]["workers"]["mode"] == "processes"
    assert [w["status"] for w in two["run"]["workers"]["list"]] == ["ok", "ok"]
    # The same document, field for field.
    assert shape(one) == shape(two)
    assert two["metrics"]["vus"]["max"] == 4 and two["metrics"]["vus_max"]["value"] == 4
    assert {r["name"] for r in two["requests"]} == {"health", "chat"}


def test_a_failed_threshold_still_exits_1_and_workers_are_capped_by_vus(
    tmp_path: Path, target_url: str
) -> None:
    path = write(tmp_path, "1s")
    path.write_text(path.read_text().replace("p(95)<2000", "p(95)<0.001"))
    out = tmp_path / "o"
    res = run_cli("run", str(path), "-t", target_url, "-o", str(out), "-q", "-w", "9")
    assert res.code == 1, res.stderr + res.stdout
    assert "note: 4 workers, not 9" in res.stdout
    data = summary(out)
    assert data["verdict"] == "failed" and data["run"]["workers"]["count"] == 4


def test_every_cpu_is_the_default() -> None:
    res = run_cli("run", "--help")
    assert "[default: auto]" in " ".join(res.stdout.split())


@pytest.mark.parametrize("value", ["0", "-2", "lots", "1.5"])
def test_a_bad_worker_count_is_a_usage_error(tmp_path: Path, value: str) -> None:
    res = run_cli("run", str(write(tmp_path, "1s")), "--workers", value)
    assert res.code == 2
    assert res.stderr.strip().splitlines() == [
        f"error: --workers expects auto or a count ≥ 1, got {value!r}"
    ]


class Run:
    """`agentload run -w 2` in the background, with its process tree watched."""

    def __init__(
        self,
        tmp_path: Path,
        target_url: str,
        *args: str,
        duration: str = "60s",
        own_group: bool = False,
    ) -> None:
        self.out = tmp_path / "o"
        cmd = [sys.executable, "-m", "agentload", "run", str(write(tmp_path, duration))]
        cmd += ["-t", target_url, "-o", str(self.out), "-q", "-w", "2", *args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            start_new_session=own_group,
        )
        self.seen: set[psutil.Process] = set()

    def wait_for_intervals(self, count: int, timeout: float = 30) -> None:
        timeseries = self.out / "timeseries.jsonl"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.watch()
            if timeseries.exists() and len(timeseries.read_text().splitlines()) >= count:
                return
            if self.proc.poll() is not None:
                raise AssertionError("the run ended early:\n" + "".join(self.finish()))
            time.sleep(0.1)
        raise AssertionError(f"no {count} intervals within {timeout} s")

    def watch(self) -> list[psutil.Process]:
        """Every descendant seen so far is remembered, so none can slip away."""
        try:
            found = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        self.seen.update(found)
        return found

    def workers(self) -> list[psutil.Process]:
        return [p for p in self.watch() if "spawn_main" in " ".join(p.cmdline())]

    def finish(self, timeout: float = 60) -> tuple[str, str]:
        stdout, stderr = self.proc.communicate(timeout=timeout)
        return stdout, stderr

    def assert_no_process_left(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        alive = list(self.seen)
        while alive and time.monotonic() < deadline:
            alive = [p for p in alive if _running(p)]
            time.sleep(0.1)
        assert not alive, f"left behind: {[(p.pid, p.cmdline()) for p in alive]}"


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigterm_writes_everything_and_leaves_no_worker(tmp_path: Path, target_url: str) -> None:
    run = Run(tmp_path, target_url)
    run.wait_for_intervals(2)
    assert len(run.workers()) == 2
    run.proc.send_signal(signal.SIGTERM)
    stdout, stderr = run.finish()
    assert run.proc.returncode == 0, stderr + stdout
    assert "SIGTERM: stopping gracefully" in stdout
    data = summary(run.out)
    assert data["run"]["stop_reason"] == "signal" and data["run"]["duration_s"] < 30
    assert [w["stop_reason"] for w in data["run"]["workers"]["list"]] == ["signal", "signal"]
    assert [w["exit_code"] for w in data["run"]["workers"]["list"]] == [0, 0]
    # Every worker's final partial interval is in: the files agree to the request.
    assert timeseries_total(run.out) == data["metrics"]["http_reqs"]["count"] > 0
    lines = (run.out / "timeseries.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["end"] == pytest.approx(data["run"]["duration_s"])
    assert (run.out / "aggregate.json").exists()
    run.assert_no_process_left()


def test_ctrl_c_reaches_every_process_and_only_the_coordinator_acts(
    tmp_path: Path, target_url: str
) -> None:
    """A terminal's Ctrl-C signals the whole process group: workers ignore it."""
    run = Run(tmp_path, target_url, own_group=True)
    run.wait_for_intervals(2)
    assert len(run.workers()) == 2
    os.killpg(run.proc.pid, signal.SIGINT)
    stdout, stderr = run.finish()
    assert run.proc.returncode == 0, stderr + stdout
    assert "SIGINT: stopping gracefully" in stdout
    data = summary(run.out)
    assert data["run"]["stop_reason"] == "signal"
    assert [(w["status"], w["exit_code"]) for w in data["run"]["workers"]["list"]] == [
        ("ok", 0),
        ("ok", 0),
    ]
    assert timeseries_total(run.out) == data["metrics"]["http_reqs"]["count"] > 0
    run.assert_no_process_left()


def test_a_killed_worker_aborts_the_run_with_exit_3(tmp_path: Path, target_url: str) -> None:
    run = Run(tmp_path, target_url)
    run.wait_for_intervals(2)
    victim = run.workers()[0]
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = run.finish()
    assert run.proc.returncode == 3, stderr + stdout
    assert f"(pid {victim.pid}) failed: killed by SIGKILL; stopping the run" in stdout
    data = summary(run.out)
    assert data["run"]["stop_reason"] == "worker_failed" and data["exit_code"] == 3
    workers = data["run"]["workers"]
    assert workers["failed"] == 1 and workers["degraded"] is False
    failed = [w for w in workers["list"] if w["status"] == "failed"]
    assert [(w["pid"], w["error"], w["exit_code"]) for w in failed] == [
        (victim.pid, "killed by SIGKILL", -9)
    ]
    assert timeseries_total(run.out) == data["metrics"]["http_reqs"]["count"] > 0
    run.assert_no_process_left()


def test_continue_finishes_the_run_without_the_dead_worker(tmp_path: Path, target_url: str) -> None:
    run = Run(tmp_path, target_url, "--on-worker-failure", "continue", duration="4s")
    run.wait_for_intervals(1)
    run.workers()[1].send_signal(signal.SIGKILL)
    stdout, stderr = run.finish()
    assert run.proc.returncode == 0, stderr + stdout
    assert "going on with 1 of 2 workers" in stdout
    data = summary(run.out)
    assert data["run"]["stop_reason"] == "completed"
    assert data["run"]["duration_s"] == pytest.approx(4.0, abs=0.5)
    assert data["run"]["workers"]["degraded"] is True
    assert [w["status"] for w in data["run"]["workers"]["list"]] == ["ok", "failed"]
    run.assert_no_process_left()


def test_workers_end_when_the_coordinator_is_killed(tmp_path: Path, target_url: str) -> None:
    run = Run(tmp_path, target_url)
    run.wait_for_intervals(1)
    assert len(run.workers()) == 2
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    # Orphaned workers see the end of their control pipe, stop at once and exit.
    run.assert_no_process_left(timeout=15)
