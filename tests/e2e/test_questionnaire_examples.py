"""The seed-000 examples that are not audio: concurrent questionnaire sessions over REST and
tool execution through the LLM's tool calls, each run briefly against the reference target."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentload.scenario import load_scenario
from agentload.scenario.model import LoopStep
from agentload.target.process import TargetProcess
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tool_target() -> Iterator[str]:
    with TargetProcess("--tool-latency", "constant:1ms") as target:
        yield target.url


def _run(example: str, target: str, out: Path, *load: str) -> dict[str, object]:
    args = ("--target", target, *load, "--workers", "1", "--out", str(out))
    res = run_cli("run", str(ROOT / "examples" / example), *args)
    assert res.code == 0, res.stderr + res.stdout
    summary: dict[str, object] = json.loads((out / "summary.json").read_text())
    return summary


def test_the_examples_load_with_ten_cycles() -> None:
    for name in ("seed000_concurrent_sessions.yaml", "seed000_tool_execution.yaml"):
        sf = load_scenario(ROOT / "examples" / name, env={})
        loops = [s for s in sf.scenarios[0].steps if isinstance(s, LoopStep)]
        assert len(loops) == 1
        assert loops[0].count == 10 or len(loops[0].items or ()) == 10


def test_concurrent_sessions_run_ten_cycles_each(tmp_path: Path, tool_target: str) -> None:
    summary = _run(
        "seed000_concurrent_sessions.yaml", tool_target, tmp_path / "out",
        "--vus", "5", "--duration", "2s",
    )  # fmt: skip
    rows = {r["name"]: r for r in summary["requests"]}  # type: ignore[attr-defined]
    sessions = rows["session summary"]["count"]
    assert sessions > 0
    for tool in ("get_next_question", "validate_answer", "record_response"):
        row = rows[tool]
        assert row["failed"] == 0
        # Every finished session made ten calls; up to 5 sessions were cut by the end.
        assert 10 * sessions <= row["count"] <= 10 * (sessions + 5)
    assert summary["errors"] == {}
    assert all(t["passed"] for t in summary["thresholds"])  # type: ignore[attr-defined]


def test_tool_execution_through_llm_tool_calls(tmp_path: Path, tool_target: str) -> None:
    summary = _run(
        "seed000_tool_execution.yaml", tool_target, tmp_path / "out",
        "--rate", "2", "--duration", "2s",
    )  # fmt: skip
    metrics = summary["metrics"]
    rows = {r["name"]: r for r in summary["requests"]}  # type: ignore[attr-defined]
    sessions = rows["session summary"]["count"]
    assert sessions >= 1
    executed = sum(
        rows[f"execute {tool}"]["count"]
        for tool in ("validate_answer", "record_response", "get_next_question")
    )
    assert executed >= 30 * sessions
    # One tool call per reply but the last of each cycle: three of every four replies.
    assert metrics["llm_tool_calls"]["count"] == executed  # type: ignore[index]
    assert metrics["llm_ttft"]["count"] > 0  # type: ignore[index]
    assert metrics["llm_requests_failed"]["true_count"] == 0  # type: ignore[index]
    assert summary["errors"] == {}
    assert all(c["fails"] == 0 for c in summary["checks"])  # type: ignore[attr-defined]
    assert all(t["passed"] for t in summary["thresholds"])  # type: ignore[attr-defined]
