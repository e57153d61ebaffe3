"""The ``alerts:`` section: valid rules load, every problem is one file:line issue."""

# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.scenario import load_scenario_text
from agentload.scenario.model import AlertSpec

HEAD = "config: {target: http://h}\nflow: [{get: /a}]\n"


def _load(text: str):  # type: ignore[no-untyped-def]
    return load_scenario_text(HEAD + text, filename="s.yaml", env={}, base_dir=Path("."))


def test_rules_load_with_defaults() -> None:
    sf = _load(
        "alerts:\n"
        '  - {metric: http_req_duration, expr: "p(95)>500", for: 5s, name: slow}\n'
        "  - metric: target_gauge{metric:agentload_target_active_sessions}\n"
        '    expr: "value>100"\n'
        "    window: 10s\n"
    )
    assert sf.alerts == (
        AlertSpec("slow", "http_req_duration", "p(95)>500", for_s=5.0, window_s=1.0, line=4),
        AlertSpec(
            "target_gauge{metric:agentload_target_active_sessions}: value>100",
            "target_gauge{metric:agentload_target_active_sessions}",
            "value>100", for_s=0.0, window_s=10.0, line=5,
        ),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alerts: {metric: x}\n",
         ['s.yaml:3: alerts: expected a list of {metric: http_req_duration, expr: "p(95)>500", for: 5s}, found a mapping; see docs/scenario-format.md for the format']),
        ('alerts:\n  - {metric: http_req_duration, expr: "p(95)>500", fro: 5s}\n',
         ["s.yaml:4: alerts[0]: unknown key 'fro'; did you mean 'for'?"]),
        ("alerts:\n  - {metric: http_req_duration}\n",
         ["s.yaml:4: alerts[0]: missing 'expr'; add an expression (e.g. p(95)>500, rate>0.05 or value>100)"]),
        ('alerts:\n  - {metric: http_req_duration, expr: "p95>500"}\n',
         ["s.yaml:4: alerts[0].expr: bad expression 'p95>500' at column 1: unknown aggregation 'p95': write p(95)"]),
        ('alerts:\n  - {metric: "http req", expr: "p(95)>500"}\n',
         ["s.yaml:4: alerts[0].metric: bad selector 'http req' at column 6: a metric name has no spaces: 'http req'"]),
        ('alerts:\n  - {metric: vus, expr: "value>5", for: soon}\n',
         ["s.yaml:4: alerts[0].for: expected a duration such as 30s, 1m30s, 500ms or 2h, got 'soon'; the units are us, ms, s, m, h and d, with no spaces (1m30s)"]),
        ('alerts:\n  - {metric: vus, expr: "value>5", name: a}\n  - {metric: vus, expr: "value>6", name: a}\n',
         ["s.yaml:5: alerts[1].name: 'a' is used twice; give each alert its own name"]),
    ],
    ids=["not_a_list", "unknown_key", "missing_expr", "bad_expr", "bad_selector", "bad_for", "duplicate_name"],
)
def test_bad_alerts(text: str, expected: list[str]) -> None:
    with pytest.raises(ScenarioError) as caught:
        _load(text)
    assert [str(i) for i in caught.value.issues] == expected
