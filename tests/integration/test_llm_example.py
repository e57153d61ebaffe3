"""End to end: ``examples/llm_streaming.yaml`` as a user runs it, against the reference target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "llm_streaming.yaml"


def test_the_example_validates() -> None:
    res = run_cli("inspect", str(EXAMPLE))
    assert res.code == 0, res.stderr
    for name in ("ask", "follow up", "weather tool", "order updates"):
        assert name in res.stdout


def test_the_example_runs_and_its_llm_metrics_reach_the_summary(
    tmp_path: Path, target_url: str
) -> None:
    out = tmp_path / "out"
    args = ("--target", target_url, "--duration", "3s", "--out", str(out))
    res = run_cli("run", str(EXAMPLE), *args)
    assert res.code == 0, res.stderr + res.stdout
    summary = json.loads((out / "summary.json").read_text())
    metrics = summary["metrics"]
    for name in ("llm_ttft", "llm_ttfot", "llm_itl", "llm_tpot", "llm_e2e", "llm_done"):
        assert metrics[name]["kind"] == "trend" and metrics[name]["unit"] == "ms", name
        assert metrics[name]["count"] > 0, name
    assert metrics["llm_output_tokens"]["count"] > 0
    assert metrics["llm_output_tokens_per_s"]["count"] > 0
    assert metrics["llm_requests_failed"]["true_count"] == 0
    assert metrics["llm_goodput"]["rate"] == 1.0
    assert metrics["sse_events"]["count"] > 0
    assert metrics["sse_streams_failed"]["true_count"] == 0
    assert all(t["passed"] for t in summary["thresholds"]), summary["thresholds"]
    rows = {r["name"]: r for r in summary["requests"]}
    assert {"ask", "follow up", "weather tool", "order updates"} <= set(rows)
    assert rows["ask"]["method"] == "POST" and rows["ask"]["failed"] == 0
    assert all(c["fails"] == 0 for c in summary["checks"]), summary["checks"]
    assert summary["errors"] == {}
