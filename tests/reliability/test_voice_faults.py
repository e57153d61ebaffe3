"""Voice faults of the target, end to end through ``agentload run`` (docs/reliability.md).

Each row runs the CLI once (all rows at once, as subprocesses) with one voice
scenario against the reference target's voice agents, whose fault knobs make
the fault, and checks that it is a *result*: counted under the expected metric
or error kind, the run completes and writes ``summary.json``, and the exit code
comes from the thresholds alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.reliability._faultserver import refusing_port

pytestmark = pytest.mark.slow

Summary = dict[str, Any]


@dataclass(frozen=True)
class VoiceFault:
    id: str
    dialect: str
    url: str
    turns: int
    thresholds: str
    exit_code: int
    check: Callable[[Summary], None]


def _stall(s: Summary) -> None:
    m = s["metrics"]
    assert m["voice_stall_time"]["max"] >= 550  # the agent paused 600 ms mid-reply
    assert m["voice_stalls"]["count"] >= 1
    assert m["voice_turns_failed"]["true_count"] == 0 and s["errors"] == {}


def _dropped(kind: str) -> Callable[[Summary], None]:
    def check(s: Summary) -> None:
        m = s["metrics"]
        assert s["errors"].get(kind, 0) >= 1, s["errors"]
        assert m["voice_calls_failed"]["true_count"] >= 1
        # the call was cut after its first turn: the turns it never reached failed
        assert m["voice_turns_failed"]["true_count"] >= 2
        assert m["voice_v2v_first_byte"]["count"] >= 1  # what came before was measured

    return check


def _refused(s: Summary) -> None:
    assert s["errors"].get("connect_refused", 0) >= 1, s["errors"]
    assert s["metrics"]["voice_calls_failed"]["rate"] == 1.0
    assert "voice_v2v" not in s["metrics"] or s["metrics"]["voice_v2v"]["count"] == 0


def _no_reply(s: Summary) -> None:
    assert s["errors"].get("voice_no_reply", 0) >= 1, s["errors"]
    assert s["metrics"]["voice_turns_failed"]["rate"] == 1.0
    assert s["metrics"]["voice_calls_failed"]["true_count"] == 0  # the call itself was fine


FAULTS = [
    VoiceFault("audio-stall", "twilio",
               "/voice/twilio?reply_delay_ms=200&reply=agent_greeting&stall_ms=600&stall_at_ms=300",
               1, 'voice_stall_time: ["max<200"]', 1, _stall),
    VoiceFault("abnormal-close", "pcm", "/voice/pcm?reply_delay_ms=200&drop_after_ms=3500",
               3, 'errors{kind:ws_abnormal_close}: ["count>0"]', 0,
               _dropped("ws_abnormal_close")),
    VoiceFault("close-1011", "realtime",
               "/v1/realtime?reply_delay_ms=200&drop_after_ms=3500&drop_code=1011",
               3, 'errors{kind:ws_close_error}: ["count>0"]', 0, _dropped("ws_close_error")),
    VoiceFault("connect-refused", "twilio", "ws://127.0.0.1:{refused}/voice/twilio",
               1, 'voice_calls_failed: ["rate>0.5"]', 0, _refused),
    VoiceFault("no-reply", "pcm", "/voice/pcm?reply_delay_ms=3000",
               1, 'voice_turns_failed: ["rate<0.5"]', 1, _no_reply),
]  # fmt: skip


def _scenario(fault: VoiceFault, url: str) -> str:
    return f"""
config: {{target: "${{env.TARGET}}"}}
load: {{vus: 1, duration: 1s}}
scenarios:
  - name: fault
    flow:
      - voice:
          dialect: {fault.dialect}
          url: "{url}"
          audio: confirm
          turns: {fault.turns}
          timeout: {{turn: 1s, connect: 2s}}
          reply_quiet: 1s
      - think: 200ms
thresholds:
  {fault.thresholds}
"""


@pytest.fixture(scope="module")
def outcomes(target_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with refusing_port() as refused:
        procs = {}
        for fault in FAULTS:
            work = tmp_path_factory.mktemp(fault.id)
            (work / "s.yaml").write_text(_scenario(fault, fault.url.format(refused=refused)))
            cmd = [sys.executable, "-m", "agentload", "run", str(work / "s.yaml"),
                   "--workers", "1", "--out", str(work / "out")]  # fmt: skip
            env = {**os.environ, "TARGET": target_url, "COLUMNS": "160"}
            procs[fault.id] = (work, subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True))  # fmt: skip
        found: dict[str, Any] = {}
        for name, (work, proc) in procs.items():
            stdout, stderr = proc.communicate(timeout=90)
            summary_file: Path = work / "out" / "summary.json"
            found[name] = (proc.returncode, stdout + stderr, summary_file)
    return found


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.id)
def test_voice_fault(fault: VoiceFault, outcomes: dict[str, Any]) -> None:
    code, output, summary_file = outcomes[fault.id]
    assert "Traceback" not in output, output
    assert summary_file.exists(), output
    summary = json.loads(summary_file.read_text())
    assert summary["run"]["stop_reason"] == "completed"
    assert (summary_file.parent / "timeseries.jsonl").exists()
    fault.check(summary)
    assert code == fault.exit_code, output
