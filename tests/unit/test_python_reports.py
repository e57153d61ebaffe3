"""Custom metrics and script errors in the console summary and the HTML report's cards."""

from __future__ import annotations

import io

from rich.console import Console

from agentload.reports.console import render_summary
from agentload.reports.html_custom import custom_metrics_card

SUMMARY = {
    "run": {
        "scenario_file": "s.py",
        "target": "http://x",
        "duration_s": 1.0,
        "planned_duration_s": 1.0,
        "stopped_early": False,
        "stop_reason": "completed",
        "plan_description": "",
        "agentload_version": "0",
        "started_at": 0.0,
    },
    "verdict": "passed",
    "exit_code": 0,
    "metrics": {
        "conversation_completion": {
            "kind": "rate",
            "rate": 0.75,
            "true_count": 3,
            "false_count": 1,
            "total": 4,
            "custom": True,
            "description": "reached <close>",
        },
        "turn_time": {
            "kind": "trend",
            "unit": "ms",
            "count": 2,
            "min": 1.0,
            "avg": 1.5,
            "med": 1.0,
            "p90": 2.0,
            "p95": 2.0,
            "p99": 2.0,
            "max": 2.0,
            "custom": True,
        },
        "http_reqs": {"kind": "counter", "unit": "", "count": 5, "rate": 5.0},
    },
    "requests": [],
    "checks": [],
    "errors": {"script_error": 2},
    "script_errors": [
        {"scenario": "chat", "function": "s.py:boom", "message": "KeyError: 'x'", "count": 2}
    ],
    "thresholds": [],
}


def test_the_cards_list_custom_metrics_and_script_errors_escaped() -> None:
    html = custom_metrics_card(SUMMARY)
    assert html.count('id="custom-metrics"') == 1 and html.count('id="script-errors"') == 1
    assert "conversation_completion" in html and "75.00%" in html and "3 of 4" in html
    assert "reached &lt;close&gt;" in html  # user text is escaped
    assert "turn_time" in html and "p95" in html
    assert "http_reqs" not in html  # built-ins have their own sections
    assert "KeyError: &#x27;x&#x27;" in html or "KeyError: &#39;x&#39;" in html
    assert custom_metrics_card({**SUMMARY, "metrics": {}, "script_errors": []}) == ""


def test_the_console_lists_script_errors_under_their_kind() -> None:
    out = io.StringIO()
    render_summary(SUMMARY, Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    assert "script_error: 2" in text
    assert "2× s.py:boom: KeyError: 'x'" in text  # ":boom:" stays text, not an emoji
    assert "conversation_completion" in text and "75.00%" in text
