"""Streams cut mid-way, through the real CLI: the LLM token stream and a plain SSE feed.

The reference target ends the response after N events without the final one
(``cut_after``). Each cut stream must be one failed request with one error of
kind ``stream_cut``; the other scenario's requests keep succeeding; the
results are written and the exit code follows the thresholds only.
(WebSocket and audio faults: test_ws*.py and test_voice_faults.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

SCENARIO = """
config:
  target: TARGET
load: {vus: 3, duration: 2s}
scenarios:
  - name: ok
    flow:
      - get: {url: /health, name: ok, expect: {status: 200}}
      - think: 20ms
  - name: llm
    flow:
      - llm:
          name: llm-cut
          url: /v1/chat/completions?cut_after=3&ttft_ms=10&tps=1000
          model: m
          messages: [{role: user, content: hi}]
      - think: 20ms
  - name: sse
    flow:
      - sse:
          name: sse-cut
          url: /api/events?count=5&interval_ms=10&cut_after=2
      - think: 20ms
thresholds:
  "http_req_failed{scenario:ok}": ["rate==0"]
  "errors{kind:stream_cut}": ["count>0"]
"""


def errors_by_name(summary: dict[str, Any]) -> dict[str, int]:
    """Per request name, its errors of every kind (the ``requests`` rows carry them)."""
    return {r["name"]: sum(r["errors"].values()) for r in summary["requests"] if r["errors"]}


def test_cut_llm_and_sse_streams_are_stream_cut_errors_and_the_run_goes_on(
    tmp_path: Path, target_url: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("TARGET", target_url))
    out = tmp_path / "o"
    res = run_cli("run", str(path), "-o", str(out), "-q", "-w", "1")
    assert res.code == 0, res.stderr + res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["stop_reason"] == "completed"
    rows = {r["name"]: r for r in summary["requests"]}
    # Every cut stream failed, once each, as stream_cut; the healthy scenario never did.
    for name in ("llm-cut", "sse-cut"):
        assert rows[name]["count"] >= 3 and rows[name]["failed"] == rows[name]["count"], rows[name]
    assert rows["ok"]["failed"] == 0 and rows["ok"]["count"] > 10
    assert set(summary["errors"]) == {"stream_cut"}, summary["errors"]
    assert errors_by_name(summary) == {
        "llm-cut": rows["llm-cut"]["count"],
        "sse-cut": rows["sse-cut"]["count"],
    }
    assert summary["metrics"]["llm_requests_failed"]["rate"] == 1.0
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    total = sum(
        s["value"] for line in lines for s in json.loads(line)["series"] if s["metric"] == "errors"
    )
    assert total == sum(errors_by_name(summary).values())
    assert (out / "report.html").exists() and (out / "failures.jsonl").exists()
