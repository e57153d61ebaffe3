"""The console summary is golden-tested: a fixed summary renders to a fixed text.

Regenerate after an intended change with: AGENTLOAD_REGEN_GOLDEN=1 pytest tests/unit/reports
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from rich.console import Console

from agentload.reports.console import render_summary

GOLDEN = Path(__file__).parent / "golden"

SUMMARY = {
    "schema": "agentload.summary/1",
    "run": {
        "id": "abc",
        "scenario_file": "examples/demo.yaml",
        "target": "http://127.0.0.1:8080",
        "started_at": 0.0,
        "duration_s": 30.0,
        "planned_duration_s": 30.0,
        "stopped_early": False,
        "stop_reason": "completed",
        "plan": {},
        "plan_description": "closed model: 0 → 20 VUs over 8s",
        "agentload_version": "0.1.0",
    },
    "verdict": "failed",
    "exit_code": 1,
    "metrics": {
        "http_req_duration": {
            "kind": "trend",
            "unit": "ms",
            "count": 100,
            "min": 0.5,
            "avg": 12.25,
            "med": 10.0,
            "p90": 20.0,
            "p95": 150.0,
            "p99": 1500.0,
            "max": 2000.0,
        },
        "http_req_failed": {
            "kind": "rate",
            "rate": 0.02,
            "true_count": 2,
            "false_count": 98,
            "total": 100,
        },
        "http_reqs": {"kind": "counter", "unit": "", "count": 100, "rate": 3.3333},
        "vus": {"kind": "gauge", "value": 0, "min": 0, "max": 20},
    },
    "requests": [
        {
            "scenario": "chat",
            "name": "send message",
            "method": "POST",
            "count": 60,
            "rps": 2.0,
            "failed": 2,
            "duration_ms": {
                "count": 60,
                "min": 0.5,
                "avg": 12.0,
                "med": 10.0,
                "p90": 20.0,
                "p95": 150.0,
                "p99": 1500.0,
                "max": 2000.0,
            },
            "status_codes": {"200": 58, "500": 2},
            "errors": {"http_5xx": 2},
        },
        {
            "scenario": "default",
            "name": "GET /health?api_key=${env.KEY}",
            "method": "GET",
            "count": 40,
            "rps": 1.33,
            "failed": 0,
            "duration_ms": {
                "count": 40,
                "min": 0.5,
                "avg": 1.0,
                "med": 1.0,
                "p90": 2.0,
                "p95": 2.5,
                "p99": 3.0,
                "max": 3.5,
            },
            "status_codes": {"200": 40},
            "errors": {},
        },
    ],
    "checks": [
        {
            "scenario": "chat",
            "name": "send message",
            "check": "status is 200",
            "passes": 58,
            "fails": 2,
        }
    ],
    "errors": {"http_5xx": 2},
    "thresholds": [
        {
            "metric": "http_req_duration",
            "expression": "p(95)<500",
            "passed": True,
            "observed": 150.0,
            "abort_on_fail": False,
            "message": "p(95)=150ms; threshold <500ms",
        },
        {
            "metric": "http_req_failed",
            "expression": "rate<0.01",
            "passed": False,
            "observed": 0.02,
            "abort_on_fail": False,
            "message": "rate=0.02 (2%); threshold <0.01",
        },
    ],
}


def render() -> str:
    buf = io.StringIO()
    render_summary(SUMMARY, Console(file=buf, width=120, color_system=None, legacy_windows=False))
    return buf.getvalue()


def test_summary_matches_golden() -> None:
    path = GOLDEN / "summary.txt"
    text = render()
    if os.environ.get("AGENTLOAD_REGEN_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_summary_has_the_essentials() -> None:
    text = render()
    assert "verdict: failed (exit code 1)" in text
    assert "✗ http_req_failed: rate<0.01" in text
    assert "✓ http_req_duration: p(95)<500" in text
    assert "http_5xx: 2" in text
    assert "chat › send message" in text
    assert "1.50s" in text  # p99 of 1500 ms reads as seconds
    json.dumps(SUMMARY)  # the fixture is a valid summary document
