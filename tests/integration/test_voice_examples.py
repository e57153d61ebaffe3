"""End to end: the voice examples as a user runs them, against the reference target.

``examples/seed000_audio_streaming.yaml`` (raw PCM, seed 000), ``voice_twilio.yaml``
and ``voice_realtime.yaml`` run for a couple of seconds each (all three at once;
a started call always finishes) and their metrics must reach ``summary.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

EXAMPLES = {
    "seed000_audio_streaming": ("--rate", "1", "--duration", "2s"),
    "voice_twilio": ("--vus", "2", "--duration", "2s"),
    "voice_realtime": ("--vus", "2", "--duration", "2s"),
}


@pytest.fixture(scope="module")
def summaries(target_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    procs = {}
    outs = {}
    for name, flags in EXAMPLES.items():
        outs[name] = tmp_path_factory.mktemp(name) / "out"
        example = str(ROOT / "examples" / f"{name}.yaml")
        out = str(outs[name])
        cmd = [sys.executable, "-m", "agentload", "run", example,
               "--target", target_url, "--workers", "1", "--out", out, *flags]  # fmt: skip
        procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, "COLUMNS": "160"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    found: dict[str, Any] = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=90)
        assert proc.returncode in (0, 1), f"{name}: {stderr}{stdout}"
        found[name] = summary = json.loads((outs[name] / "summary.json").read_text())
        # Exit 1 only for the tester's own send-lateness gate: the 2-core machine is
        # shared, and a busy neighbour delays our loop (gen_loop_lag shows it).
        failed = {t["metric"] for t in summary["thresholds"] if not t["passed"]}
        assert failed <= {"voice_send_lateness"}, summary["thresholds"]
        assert proc.returncode == (1 if failed else 0)
    return found


def _trend(summary: dict[str, Any], name: str) -> dict[str, Any]:
    metric = summary["metrics"][name]
    assert metric["kind"] == "trend" and metric["count"] > 0, name
    return metric  # type: ignore[no-any-return]


def test_seed000_audio_streaming(summaries: dict[str, Any]) -> None:
    s = summaries["seed000_audio_streaming"]
    first_byte = _trend(s, "voice_v2v_first_byte")
    assert 380 <= first_byte["med"] <= 460  # the agent answers 400 ms after the caller
    for name in ("voice_v2v", "voice_connect", "voice_audio_jitter", "voice_stall_time",
                 "voice_rtf_permille", "voice_send_lateness", "voice_send_jitter"):  # fmt: skip
        _trend(s, name)
    assert s["metrics"]["voice_turns"]["count"] >= 2
    assert s["metrics"]["voice_turns_failed"]["true_count"] == 0
    assert s["metrics"]["voice_calls_failed"]["true_count"] == 0
    assert s["errors"] == {}


def test_voice_twilio(summaries: dict[str, Any]) -> None:
    s = summaries["voice_twilio"]
    for name in ("voice_greeting", "voice_v2v", "voice_barge_in_detect",
                 "voice_barge_in_stop", "voice_barge_in_residual"):  # fmt: skip
        _trend(s, name)
    assert 130 <= s["metrics"]["voice_barge_in_detect"]["med"] <= 190  # barge_in_ms=150
    assert s["metrics"]["voice_turns_failed"]["true_count"] == 0


def test_voice_realtime(summaries: dict[str, Any]) -> None:
    s = summaries["voice_realtime"]
    for name in ("voice_v2v", "voice_endpointing", "voice_barge_in_detect"):
        _trend(s, name)
    assert s["metrics"]["voice_tool_calls"]["count"] >= 2  # one per reply (tools offered)
    assert s["metrics"]["voice_rtf_permille"]["max"] < 500  # deltas faster than real time
    assert s["errors"] == {}
