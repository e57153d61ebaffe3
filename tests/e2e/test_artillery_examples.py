"""Seed 000's Artillery scripts (examples/artillery/) run unmodified against the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentload.cli import cli
from agentload.profiles import OpenModel, Stage
from agentload.scenario import load_scenario
from tests.conftest import ROOT

ARTILLERY = ROOT / "examples" / "artillery"
SCRIPTS = ("concurrent-sessions.yml", "audio-streaming.yml", "tool-execution.yml")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "160"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_the_readme_profiles_and_targets_translate_exactly() -> None:
    sessions = load_scenario(ARTILLERY / "concurrent-sessions.yml", env={})
    # Warm-up 5 users over 30 s, ramp to 50 over 2 min, hold 3 min, ramp down over 1 min.
    assert sessions.load == OpenModel(
        stages=(Stage(30, 5 / 30), Stage(0, 5), Stage(120, 50), Stage(180, 50), Stage(60, 1)),
        start_rate=5 / 30,
        max_vus=1000,
        pre_allocated_vus=50,
    )
    assert [(t.metric, t.expression) for t in sessions.thresholds] == [
        ("http_req_failed", "rate<=0.01"),  # error rate < 1 %
        ("http_req_duration", "p(95)<300"),
        ("http_req_duration", "p(99)<500"),
    ]
    audio = load_scenario(ARTILLERY / "audio-streaming.yml", env={})
    assert audio.load.stages == (Stage(300, 10),)  # 10 new sessions/s for 5 minutes
    tools = load_scenario(ARTILLERY / "tool-execution.yml", env={})
    assert tools.load.stages == (Stage(30, 5 / 30), Stage(0, 20), Stage(180, 20))
    assert ("http_req_duration", "p(95)<500") in [
        (t.metric, t.expression) for t in tools.thresholds
    ]


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_script_runs_unmodified(script: str, target_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = invoke(
        "run", str(ARTILLERY / script), "--target", target_url, "--rate", "10",
        "--duration", "1s", "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert code == 0, text
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["metrics"]
    assert all(t["passed"] for t in summary["thresholds"]) and summary["thresholds"]
    if script == "audio-streaming.yml":
        # 32 messages a session (start, 30 chunks, end), every one echoed back.
        assert metrics["ws_sessions"]["count"] == 10
        assert metrics["ws_msgs_sent"]["count"] == 320
        assert metrics["ws_connect_success"]["rate"] == 1.0
    else:
        assert metrics["checks"]["rate"] == 1.0 and metrics["checks"]["total"] > 0
        assert metrics["http_req_failed"]["rate"] == 0.0
    if script == "tool-execution.yml":
        names = {row["name"] for row in summary["requests"]}
        assert "POST /api/questionnaire/tools/record_response" in names
        # 10 sessions × 10 cycles × 3 tool calls, all recorded.
        rows = [r for r in summary["requests"] if r["name"].endswith("record_response")]
        assert rows[0]["count"] == 100


def test_load_all_runs_the_three_as_a_suite(target_url: str, tmp_path: Path) -> None:
    out = tmp_path / "all"
    code, text = invoke(
        "run", str(ARTILLERY / "all.yaml"), "--target", target_url, "--rate", "5",
        "--duration", "500ms", "--workers", "1", "-q", "--out", str(out),
    )  # fmt: skip
    assert code == 0, text
    suite = json.loads((out / "suite.json").read_text())
    assert [r["dir"] for r in suite["runs"]] == [
        "01-concurrent-sessions", "02-audio-streaming", "03-tool-execution",
    ]  # fmt: skip
