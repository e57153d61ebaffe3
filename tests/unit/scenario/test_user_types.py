"""User types with their own load, profiles, --only, config.health and function shapes."""

# The expected messages are the user interface under test; they stay whole, one per line.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.profiles import ClosedModel, LoadGroup, OpenModel, Stage, compile_groups
from agentload.scenario import HealthCheck, ScenarioFile, load_scenario_text
from agentload.scenario._user_types import load_groups

T = "config: {target: http://h}\n"
TYPES = (
    T
    + """load: {vus: 4, duration: 10s}
scenarios:
  - {name: normal, weight: 3, flow: [{get: /a}]}
  - {name: dash, flow: [{get: /b}]}
  - name: high
    load: {rate: 20, duration: 5s, max_vus: 30}
    flow: [{get: /c}]
  - name: burst
    load: {preset: spike, peak: 10, before: 1s, ramp_up: 1s, ramp_down: 1s}
    flow: [{get: /d}]
"""
)


def load(text: str, base: Path = Path("scen"), **overrides: str) -> ScenarioFile:
    return load_scenario_text(text, filename="t.yaml", env={}, base_dir=base, overrides=overrides)


def issues(text: str, base: Path = Path("scen"), **overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text, base, **overrides)
    return [str(i) for i in caught.value.issues]


def test_scenarios_with_their_own_load_become_groups() -> None:
    sf = load(TYPES)
    assert [s.load is None for s in sf.scenarios] == [True, True, False, False]
    groups = load_groups(sf.load, sf.scenarios)
    assert groups[0] == LoadGroup(sf.load, (("normal", 3), ("dash", 1)))
    assert groups[1].weights == (("high", 1),)
    assert groups[1].model == OpenModel(
        stages=(Stage(5, 20),), start_rate=20, max_vus=30, pre_allocated_vus=10
    )
    assert groups[2].model == ClosedModel(
        stages=(Stage(1, 1), Stage(1, 10), Stage(1, 1)), start_vus=1
    )
    plan = compile_groups(groups)
    assert plan.duration == 10 and plan.max_vus() == 4 + 30 + 10


def test_without_own_loads_the_plan_is_the_single_load_one() -> None:
    sf = load(T + "load: {vus: 2, duration: 5s}\nflow: [{get: /a}]\n")
    (group,) = load_groups(sf.load, sf.scenarios)
    assert group == LoadGroup(sf.load, (("default", 1),))


def test_every_scenario_with_its_own_load_has_no_shared_group() -> None:
    sf = load(T + "scenarios:\n  - {name: a, load: {vus: 1, duration: 1s}, flow: [{get: /a}]}\n")
    assert [g.weights for g in load_groups(sf.load, sf.scenarios)] == [(("a", 1),)]


def test_scale_applies_to_every_load_and_vus_to_the_shared_one() -> None:
    sf = load(TYPES, scale="0.5", vus="8")
    shared, high, burst = load_groups(sf.load, sf.scenarios)
    assert shared.model.stages == (Stage(10, 4),)  # --vus 8, then --scale 0.5
    assert high.model.stages == (Stage(5, 10),) and isinstance(high.model, OpenModel)
    assert max(s.target for s in burst.model.stages) == 5


def test_shared_flags_without_a_shared_load_are_an_error() -> None:
    text = T + "scenarios:\n  - {name: a, load: {vus: 1, duration: 1s}, flow: [{get: /a}]}\n"
    assert issues(text, vus="3") == [
        "t.yaml: --vus: changes the file's shared load, but every scenario has its own load:; use --scale to scale them, or edit their load sections"
    ]


def test_a_bad_own_load_is_reported_at_its_line() -> None:
    text = T + "scenarios:\n  - name: a\n    load: {vus: 0, duration: 1s}\n    flow: [{get: /a}]\n"
    assert issues(text) == ["t.yaml:4: load.vus: must be at least 1, found 0; use 1 or more"]


def test_profiles_replace_the_load_by_name() -> None:
    text = (
        T
        + "profiles:\n  baseline: {vus: 10, duration: 2m}\n  peak: {preset: spike}\nflow: [{get: /a}]\n"
    )
    sf = load(text, profile="baseline")
    assert sf.profiles == ("baseline", "peak")
    assert sf.load == ClosedModel(stages=(Stage(120, 10),), start_vus=10)
    assert load(text, profile="peak", scale="2").load.stages[1] == Stage(30, 200)
    assert issues(text, profile="basline") == [
        "t.yaml: --profile: no profile named 'basline'; did you mean 'baseline'?"
    ]


def test_only_keeps_the_named_scenarios() -> None:
    sf = load(TYPES, only="dash,high")
    assert [s.name for s in sf.scenarios] == ["dash", "high"]
    assert issues(TYPES, only="nromal") == [
        "t.yaml: --only: no scenario named 'nromal'; did you mean 'normal'?"
    ]


def test_health_config_forms() -> None:
    assert load(T.replace("}", ", health: /healthz}") + "flow: [{get: /a}]\n").config.health == (
        HealthCheck(url="/healthz", line=1)
    )
    text = (
        "config:\n  target: http://h\n  health:\n    url: http://other:9/health\n"
        "    expect: {status: 204, body_contains: ok}\n    timeout: 2s\n    retries: 3\n"
        "    interval: 250ms\nflow: [{get: /a}]\n"
    )
    assert load(text).config.health == HealthCheck(
        url="http://other:9/health",
        status=204,
        timeout=2.0,
        retries=3,
        interval=0.25,
        body_contains="ok",
        line=4,
    )
    assert load(text, health="off").config.health is None
    assert load(text, health="/ready").config.health == HealthCheck(url="/ready")


def test_bad_health_config() -> None:
    text = "config:\n  target: http://h\n  health: {ulr: /h, retries: -1}\nflow: [{get: /a}]\n"
    assert issues(text) == [
        "t.yaml:3: config.health: unknown key 'ulr'; did you mean 'url'?",
        "t.yaml:3: config.health: missing 'url'; e.g. {url: /health, expect: {status: 200}}",
    ]
    assert issues(T.replace("}", ", health: ftp://x}") + "flow: [{get: /a}]\n") == [
        "t.yaml:1: config.health.url: 'ftp://x' must be a path such as /health or an http(s):// URL"
    ]


SHAPES = """
import math

def wave(t):
    return 5 + 5 * math.sin(t / 10)

def until_20(t):
    return None if t >= 20 else (int(t // 5) + 1, 1)

class StepShape:  # Locust's LoadTestShape contract
    def tick(self):
        t = self.get_run_time()
        return None if t > 30 else (10 if t > 10 else 2, 5)

def broken(t):
    return 1 / 0
"""


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    (tmp_path / "shapes.py").write_text(SHAPES)
    return tmp_path


def test_function_shapes_by_reference(shapes: Path) -> None:
    sf = load(
        T + "load: {shape: shapes.py:wave, duration: 1m, step: 5s}\nflow: [{get: /a}]\n", shapes
    )
    assert isinstance(sf.load, ClosedModel) and sf.load.start_vus == 5
    assert sum(s.duration for s in sf.load.stages) == 60
    sf = load(T + "load: {shape: shapes.py:until_20, step: 5s}\nflow: [{get: /a}]\n", shapes)
    assert sf.load == ClosedModel(
        stages=(
            Stage(5, 1),
            Stage(0, 2),
            Stage(5, 2),
            Stage(0, 3),
            Stage(5, 3),
            Stage(0, 4),
            Stage(5, 4),
        ),
        start_vus=1,
    )
    sf = load(
        T + "load: {shape: shapes.py:StepShape, graceful_stop: 1s}\nflow: [{get: /a}]\n", shapes
    )
    assert sf.load == ClosedModel(
        stages=(Stage(11, 2), Stage(0, 10), Stage(20, 10)), start_vus=2, graceful_stop=1.0
    )
    sf = load(
        T
        + "load: {shape: shapes.py:wave, duration: 10s, model: open, max_vus: 7}\nflow: [{get: /a}]\n",
        shapes,
        scale="2",
    )
    assert isinstance(sf.load, OpenModel) and sf.load.start_rate == 10 and sf.load.max_vus == 14


def test_bad_function_shapes(shapes: Path) -> None:
    def one(load_line: str) -> list[str]:
        return issues(T + load_line + "\nflow: [{get: /a}]\n", shapes)

    assert one("load: {shape: shapes.py:nope}") == [
        "t.yaml:2: load.shape: shapes.py has no function 'nope'; write shape: FILE.py:FUNCTION, e.g. shape: shapes.py:my_shape"
    ]
    assert one("load: {shape: other.py:wave}") == [
        "t.yaml:2: load.shape: other.py: no such file next to the scenario"
    ]
    assert one("load: {shape: wave}") == [
        "t.yaml:2: load.shape: 'wave' is not FILE.py:FUNCTION; write shape: FILE.py:FUNCTION, e.g. shape: shapes.py:my_shape"
    ]
    assert one("load: {shape: shapes.py:broken, duration: 5s}") == [
        "t.yaml:2: load.shape: shapes.py:broken raised ZeroDivisionError('division by zero')"
    ]
    assert one("load: {shape: shapes.py:wave, start_vus: 3}") == [
        "t.yaml:2: load: unknown key 'start_vus'; did you mean 'max_vus'?"
    ]


def test_only_drops_thresholds_of_the_scenarios_it_leaves_out() -> None:
    text = TYPES + (
        "thresholds:\n  http_req_failed: ['rate<0.01']\n"
        "  'http_req_duration{scenario:high}': ['p(95)<500']\n"
        "  'http_req_duration{scenario:normal}': ['p(95)<900']\n"
    )
    assert [t.metric for t in load(text).thresholds] == [
        "http_req_failed",
        "http_req_duration{scenario:high}",
        "http_req_duration{scenario:normal}",
    ]
    assert [t.metric for t in load(text, only="high").thresholds] == [
        "http_req_failed",
        "http_req_duration{scenario:high}",
    ]
