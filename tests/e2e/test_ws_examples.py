"""End to end: the seed-002 WebSocket examples and WebSocket faults, run as a user runs them.

Each run is short and goes against the reference target in its own process.
Faults (a drop without a close frame, close codes, a rejected handshake, a
stalled agent) are counted as errors of their kind; the run goes on, writes
its results, and its exit code comes from the thresholds alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples"
WS_METRICS = (
    "ws_connecting",
    "ws_session_duration",
    "ws_sessions",
    "ws_msgs_sent",
    "ws_msgs_received",
    "ws_reply_latency",
    "ws_connect_success",
    "ws_message_success",
)


def run(path: Path, out: Path, target: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    res = run_cli("run", str(path), "--target", target, "--workers", "1", "--out", str(out), *extra)
    summary = json.loads((out / "summary.json").read_text())
    return res.code, summary, res.stderr + res.stdout


@pytest.mark.parametrize(
    ("example", "flags", "sent"),
    [
        ("seed002_ws_conversation.yaml", ("--vus", "3", "-e", "WS_KEEPALIVE=500ms"), True),
        ("seed002_ws_connection_stress.yaml", ("--vus", "10", "-e", "WS_HOLD=500ms"), False),
        ("seed002_ws_throughput.yaml", ("--vus", "3"), True),
    ],
)
def test_seed002_examples_run_and_their_metrics_reach_the_summary(
    tmp_path: Path, target_url: str, example: str, flags: tuple[str, ...], sent: bool
) -> None:
    code, summary, output = run(
        EXAMPLES / example, tmp_path / "out", target_url, "--duration", "1s", *flags
    )
    assert code == 0, output
    metrics = summary["metrics"]
    for name in WS_METRICS:
        if name == "ws_msgs_sent" and not sent:
            continue
        assert name in metrics, (name, sorted(metrics))
    assert metrics["ws_connect_success"]["rate"] == 1.0
    assert metrics["ws_message_success"]["rate"] == 1.0
    assert metrics["ws_sessions"]["count"] > 0
    assert metrics["ws_msgs_received"]["count"] > 0
    assert metrics["ws_reply_latency"]["count"] > 0
    assert metrics["ws_connecting"]["unit"] == "ms"
    assert summary["errors"] == {}
    assert all(t["passed"] for t in summary["thresholds"]), summary["thresholds"]


FAULTS = """
config: {target: "http://unused"}
load: {vus: 4, duration: 2s}   # one VU per scenario (equal weights)
scenarios:
  - name: dropped
    flow:
      - ws:
          url: /ws/chat?first_token_ms=0&tokens=1&drop_after=1
          steps: [{send: a}, {expect: {json: {$.type: done}}}, {send: b},
                  {expect: {json: {$.type: done}, timeout: 2s}}]
  - name: closed
    flow:
      - ws:
          url: /ws/chat?first_token_ms=0&tokens=1&close_code=4001&close_after=1
          steps: [{send: a}, {expect: {json: {$.type: done}}}, {send: b},
                  {expect: {json: {$.type: done}, timeout: 2s}}]
  - name: rejected
    flow:
      - ws: {url: "/ws/chat?status=403"}
  - name: stalled
    flow:
      - ws:
          url: /ws/chat?first_token_ms=0&tokens=1&stall_after=0
          steps: [{send: a}, {expect: {json: {$.type: done}, timeout: 200ms}}, {close: 1000}]
"""


def test_faults_are_counted_by_kind_and_the_run_goes_on(tmp_path: Path, target_url: str) -> None:
    # Thresholds that hold despite the faults: the exit code is theirs, so 0.
    thresholds = "thresholds: {errors: ['count<1000000'], ws_connect_success: ['rate>0']}\n"
    scenario = tmp_path / "faults.yaml"
    scenario.write_text(FAULTS + thresholds)
    out = tmp_path / "out"
    code, summary, output = run(scenario, out, target_url)
    assert code == 0, output
    errors = summary["errors"]
    for kind in ("ws_abnormal_close", "ws_close_error", "ws_handshake", "ws_timeout"):
        assert errors.get(kind, 0) > 0, errors
    assert set(errors) <= {"ws_abnormal_close", "ws_close_error", "ws_handshake", "ws_timeout"}
    assert summary["metrics"]["ws_connect_success"]["rate"] < 1.0
    assert summary["metrics"]["ws_message_success"]["rate"] < 1.0
    assert summary["metrics"]["iterations"]["count"] > 4  # every scenario kept running
    for name in ("summary.json", "timeseries.jsonl", "report.html"):
        assert (out / name).exists(), name
