"""Graceful stop in every phase: SIGINT or SIGTERM during the ramp or the hold.

The first signal stops scheduling, lets running iterations finish within the
grace period and writes everything; a second one cancels what is still
running at once. Either way summary.json, report.html and a timeseries
complete to the last (partial) second are written, marked stopped early.
(Suites: tests/e2e/test_suites*.py; worker processes: tests/e2e/test_cli_workers.py.)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

RAMP = "stages: [{duration: 60s, target: 20}]"
HOLD = "stages: [{duration: 1s, target: 4}, {duration: 60s, target: 4}]"

SCENARIO = """
config:
  target: TARGET
load:
  LOAD
flow:
  - get: {url: /health, name: health}
  - think: THINK
"""


def start(
    tmp_path: Path, target_url: str, load: str, think: str, *args: str
) -> subprocess.Popen[str]:
    path = tmp_path / "s.yaml"
    text = SCENARIO.replace("TARGET", target_url).replace("LOAD", load).replace("THINK", think)
    path.write_text(text)
    cmd = [sys.executable, "-m", "agentload", "run", str(path), "-o", str(tmp_path / "o"), "-q"]
    return subprocess.Popen(
        [*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )


def wait_intervals(proc: subprocess.Popen[str], out: Path, count: int) -> None:
    timeseries = out / "timeseries.jsonl"
    deadline = time.monotonic() + 60
    while not (timeseries.exists() and len(timeseries.read_text().splitlines()) >= count):
        assert proc.poll() is None, "the run ended early: " + "".join(proc.communicate())
        assert time.monotonic() < deadline, f"no {count} intervals within 60 s"
        time.sleep(0.05)


def check_results(out: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    assert summary["run"]["stopped_early"] is True
    assert summary["run"]["stop_reason"] == "signal"
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    total = sum(
        s["value"]
        for line in lines
        for s in json.loads(line)["series"]
        if s["metric"] == "http_reqs"
    )
    # Nothing is lost: the per-second file adds up to the summary, to the last partial second.
    assert total == summary["metrics"]["http_reqs"]["count"] > 0
    assert json.loads(lines[-1])["end"] == pytest.approx(summary["run"]["duration_s"])
    assert (out / "report.html").stat().st_size > 10_000
    return summary


@pytest.mark.parametrize("phase", ["ramp", "hold"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_signal_in_any_phase_stops_gracefully_and_writes_everything(
    tmp_path: Path, target_url: str, phase: str, sig: signal.Signals, workers: str
) -> None:
    proc = start(tmp_path, target_url, RAMP if phase == "ramp" else HOLD, "50ms", "-w", workers)
    wait_intervals(proc, tmp_path / "o", 3)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr + stdout
    assert f"{sig.name}: stopping gracefully" in stdout
    summary = check_results(tmp_path / "o")
    assert summary["run"]["duration_s"] < 30
    if phase == "ramp":  # stopped well before the 20 VUs were reached
        assert 0 < summary["metrics"]["vus_max"]["value"] < 20


def test_a_second_signal_cancels_running_iterations_at_once(
    tmp_path: Path, target_url: str
) -> None:
    # Iterations think for 40 s: a graceful stop alone would wait for them (30 s grace).
    proc = start(tmp_path, target_url, HOLD, "40s", "-w", "1")
    wait_intervals(proc, tmp_path / "o", 3)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert proc.poll() is None, "the first signal must let iterations finish, not end the run"
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr + stdout
    assert time.monotonic() - began < 20, "the second signal did not force the stop"
    summary = check_results(tmp_path / "o")
    assert summary["metrics"]["iterations_interrupted"]["count"] == 4
