"""Whatever the input, the loader returns a model or raises ScenarioError, nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentload.errors import ScenarioError
from agentload.scenario import ScenarioFile, load_scenario_text

# Words the loader knows, so random documents reach deep into validation.
KEYS = [
    "config", "target", "headers", "variables", "timeout", "connect", "read", "total",
    "load", "vus", "duration", "stages", "target", "rate", "rate_stages", "start_vus",
    "start_rate", "max_vus", "pre_allocated_vus", "poisson", "seed", "max_queue",
    "graceful_stop", "graceful_ramp_down", "scenarios", "name", "weight", "flow",
    "request", "method", "url", "get", "post", "put", "patch", "delete", "head", "think",
    "json", "body", "form", "multipart", "path", "value", "content_type", "expect",
    "status", "body_contains", "capture", "as", "regex", "header", "uniform", "normal",
    "mean", "stddev", "constant", "exists", "thresholds", "threshold", "abort_on_fail",
    "delay_abort_eval", "<<", "$.id", "http_req_duration",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "/a",
            "http://h",
            "https://h:1/x",
            "ftp://x",
            "30s",
            "-1s",
            "1m30s",
            "0",
            "GET",
            "post",
            "${x}",
            "${env.HOME}",
            "${env.NOPE:-1}",
            "$${x}",
            "${",
            "p(95)<300",
            "rate<0.01",
            "$.a[",
            "(",
            "data.csv",
            "50/s",
            "",
        ]
    ),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    ),
    max_leaves=30,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def check(text: str) -> None:
    try:
        result = load_scenario_text(
            text, filename="f.yaml", env={"HOME": "/h"}, base_dir=Path("/nonexistent")
        )
    except ScenarioError as exc:
        assert exc.issues
        assert all(str(issue).startswith("f.yaml") for issue in exc.issues)
        assert all("\n" not in str(issue) for issue in exc.issues)
    else:
        assert isinstance(result, ScenarioFile)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_never_raises_anything_else(text: str) -> None:
    check(text)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_random_documents_never_raise_anything_else(document: dict[str, object]) -> None:
    check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["get", "post", "think", "request", "expect", "capture"]), min_size=1),
    st.lists(SCALARS, min_size=1, max_size=5),
)
def test_random_flows_never_raise_anything_else(kinds: list[str], values: list[object]) -> None:
    flow = [{kind: values[i % len(values)]} for i, kind in enumerate(kinds)]
    document = {"config": {"target": "http://h"}, "flow": flow}
    check(yaml.safe_dump(document, allow_unicode=True))
