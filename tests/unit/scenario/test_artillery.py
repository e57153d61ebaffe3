"""Artillery scripts → agentload's model: phases, ensure, payload, variables, flows, ws, errors."""

# The expected messages are the user interface under test; they stay whole, one per line.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.profiles import OpenModel, Stage
from agentload.scenario import (
    JsonBody,
    RequestStep,
    ScenarioFile,
    StatusCheck,
    ThinkStep,
    load_scenario_text,
)
from agentload.scenario.artillery import convert_templates
from agentload.scenario.model import Step
from agentload.scenario.model_flow import DataStep, LoopStep, PaceStep, Strategy
from agentload.scenario.model_log import LogStep
from agentload.scenario.model_ws import WsRepeat, WsSend, WsStep, WsThink

HEAD = 'config:\n  target: "http://h"\n'


def load(
    text: str, base: Path = Path("scen"), env: dict[str, str] | None = None, **overrides: str
) -> ScenarioFile:
    return load_scenario_text(
        text, filename="a.yml", env=env or {}, base_dir=base, overrides=overrides
    )


def issues(text: str, base: Path = Path("scen")) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text, base)
    return [str(i) for i in caught.value.issues]


def flat(steps: tuple[Step, ...]) -> list[Step]:
    """The steps with the data-pick block (a 0 s PaceStep) opened."""
    out: list[Step] = []
    for step in steps:
        out += flat(step.steps) if isinstance(step, PaceStep) and step.seconds == 0 else [step]
    return out


def thresholds(sf: ScenarioFile) -> list[str]:
    return [f"{t.metric}: {t.expression}" for t in sf.thresholds]


FLOW = "scenarios:\n  - flow:\n      - get: {url: /a}\n"


def test_phases_become_an_open_model_with_the_same_arrivals() -> None:
    sf = load(
        HEAD
        + """  phases:
    - {duration: 30, arrivalRate: 1, rampTo: 5, name: Warm up}
    - {duration: 60, arrivalRate: 5}
    - {pause: 10}
    - {duration: "1m", arrivalCount: 30}
    - {duration: 20, arrivalRate: 0}
    - {duration: 10, arrivalRate: 8, maxVusers: 40}
"""
        + FLOW
    )
    assert sf.load == OpenModel(
        stages=(
            Stage(30, 5),  # 1 → 5 it/s
            Stage(60, 5),
            Stage(0, 0), Stage(10, 0),  # pause
            Stage(0, 0.5), Stage(60, 0.5),  # 30 arrivals over a minute
            Stage(0, 0), Stage(20, 0),  # arrivalRate 0: Artillery's pause
            Stage(0, 8), Stage(10, 8),
        ),
        start_rate=1,
        max_vus=40,
        pre_allocated_vus=8,
    )  # fmt: skip
    assert [s.name for s in sf.scenarios] == ["scenario 1"]


def test_default_pool_poisson_mode_and_overrides() -> None:
    text = HEAD + "  phases: [{duration: 5, arrivalRate: 2, mode: poisson}]\n" + FLOW
    model = load(text).load
    assert isinstance(model, OpenModel)
    assert (model.max_vus, model.pre_allocated_vus, model.poisson) == (1000, 2, True)
    assert load(text, rate="7", duration="1s").load.stages == (Stage(1, 7),)
    assert load(text, scale="3").load.stages == (Stage(5, 6),)


def test_ensure_becomes_thresholds() -> None:
    sf = load(
        HEAD
        + """  phases: [{duration: 1, arrivalRate: 1}]
  ensure:
    p95: 300
    p99: 500.7
    median: 100
    maxErrorRate: 1
    thresholds:
      - http.response_time.p999: 900
      - "http.codes.500": 1
    conditions:
      - expression: "http.response_time.mean < 200 and http.request_rate >= 5"
"""
        + FLOW
    )
    assert thresholds(sf) == [
        "http_req_duration: p(95)<300",
        "http_req_duration: p(99)<500",  # Artillery parseInt()s legacy values
        "http_req_duration: med<100",
        "http_req_duration: p(99.9)<900",
        "http_req_duration: avg<200",
        "http_req_failed: rate<=0.01",
        "http_reqs{status:500}: count<1",
        "http_reqs: rate>=5",
    ]


def test_unsupported_ensure_metrics_and_expressions() -> None:
    text = (
        HEAD
        + """  ensure:
    thresholds: [{vusers.failed: 1}]
    conditions: [{expression: "http.response_time.p95 < 1 or http.requests > 2"}]
    apdex: 1
"""
        + FLOW
    )
    assert issues(text) == [
        "a.yml:4: config.ensure.thresholds[0]: the metric 'vusers.failed' has no agentload equivalent; use http.response_time.<min|max|median|mean|p50|p75|p90|p95|p99|p999>, http.requests, http.request_rate or http.codes.<status>",
        "a.yml:5: config.ensure.conditions[0]: cannot translate 'http.response_time.p95 < 1 or http.requests > 2': write conditions as 'METRIC < NUMBER' joined by 'and' (or and functions are not supported)",
        "a.yml:6: config.ensure: 'apdex' is not supported; use p95, p99, min, max, median, maxErrorRate, thresholds or conditions",
    ]


def test_payload_csv_variables_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("name,pin\nada,0042\nbob,7\n\n")
    (tmp_path / "ids.tsv").write_text("1\t2\n3\t4\n")
    sf = load(
        HEAD
        + """  payload:
    - {path: users.csv, fields: [user, pin], skipHeader: true}
    - {path: ids.tsv, fields: [a, b], delimiter: "\\t", order: sequence, cast: false}
  variables:
    greeting: hello
    color: [red, green]
  defaults:
    headers: {X-Tenant: t1}
  http: {timeout: 7}
scenarios:
  - flow:
      - post:
          url: /login
          json: {user: "{{ user }}", pin: "{{ pin }}", a: "{{ a }}", c: "{{ color }}", g: "{{ greeting }}"}
""",
        tmp_path,
    )
    assert sf.config.headers[0][0] == "X-Tenant"
    assert sf.config.variables == {"greeting": "hello"}
    assert sf.config.timeouts.total == 7.0
    data, post = flat(sf.scenarios[0].steps)
    assert isinstance(data, DataStep) and isinstance(post, RequestStep)
    by_name = {s.name: s for s in data.sources}
    assert by_name["payload"].rows == ({"user": "ada", "pin": 42}, {"user": "bob", "pin": 7})
    assert by_name["payload"].strategy is Strategy.RANDOM and by_name["payload"].top_level
    assert by_name["payload2"].rows == ({"a": "1", "b": "2"}, {"a": "3", "b": "4"})
    assert by_name["payload2"].strategy is Strategy.SEQUENTIAL
    assert by_name["color"].rows == ("red", "green")
    assert by_name["color"].strategy is Strategy.RANDOM


def test_http_flow_steps() -> None:
    sf = load(
        HEAD
        + """  phases: [{duration: 1, arrivalRate: 1}]
scenarios:
  - name: buy
    weight: 3
    flow:
      - get:
          url: "/search?q={{ $randomString(8) }}"
          qs: {page: 1}
          headers: {X-Id: "{{ $processEnvironment.RUN_ID }}"}
          capture:
            - {json: "$.id", as: id}
            - {regexp: "order-[0-9]+", as: order}
            - {regexp: "id=([0-9]+)", group: 1, flags: i, as: num}
            - {header: x-trace, as: trace}
          expect:
            - statusCode: [200, 201]
            - hasProperty: data.id
            - hasHeader: x-trace
            - headerEquals: [x-kind, basket]
      - think: 1.5
      - post: {url: "/items/{{ id }}", body: "n={{ $randomNumber(1, 9) }}"}
      - put: {url: /f, form: {a: b}}
      - patch: {url: /p, json: [1, 2]}
      - delete: /d
      - options: {url: /o}
      - log: "bought {{ id }}"
  - {name: browse, flow: [{head: {url: /}}]}
""",
        env={"RUN_ID": "r7"},
    )
    buy, browse = sf.scenarios
    assert (buy.weight, browse.weight) == (3, 1)
    get, think, post, put, patch, delete, options, log = buy.steps
    assert isinstance(get, RequestStep) and get.method == "GET"
    assert get.url.source == "/search?q=${random_string(8)}"
    assert get.query[0][0] == "page" and get.headers[0][1].render({}) == "r7"
    assert [c.expr for c in get.captures] == [
        "$.id",
        "(order-[0-9]+)",
        "(?i)id=([0-9]+)",
        "x-trace",
    ]
    assert StatusCheck((200, 201)) in get.checks and len(get.checks) == 4
    assert isinstance(think, ThinkStep) and think.think.a == 1.5
    assert isinstance(post, RequestStep) and post.body is not None
    assert [s.method for s in (post, put, patch, delete, options)] == [
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
    ]  # type: ignore[union-attr]
    assert isinstance(patch, RequestStep) and isinstance(patch.body, JsonBody)
    assert isinstance(log, LogStep) and log.message.source == "bought ${id}"


def test_loops_count_from_one_and_iterate_lists_and_payloads(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("x\ny\n")
    sf = load(
        HEAD
        + """  payload: {path: rows.csv, fields: [v], loadAll: true, name: rows}
  variables:
    sizes: [S, M]
scenarios:
  - flow:
      - loop:
          - get: "/page/{{ $loopCount }}"
        count: 3
      - loop:
          - get: "/item/{{ $loopElement }}"
        over: [a, b]
      - loop:
          - get: "/row/{{ $loopElement.v }}"
        over: rows
""",
        tmp_path,
    )
    steps = flat(sf.scenarios[0].steps)
    counted, listed, rows = (s for s in steps if isinstance(s, LoopStep))
    assert counted.items == (1, 2, 3) and counted.var == "loopCount"
    assert [t.source for t in listed.items] == ["a", "b"] and listed.var == "loopElement"  # type: ignore[union-attr]
    assert rows.data is not None and rows.data.rows == ({"v": "x"}, {"v": "y"})


def test_ws_engine_flows_are_one_connection() -> None:
    sf = load(
        """config:
  target: "ws://h:9/ws/chat?echo=1"
  phases: [{duration: 2, arrivalRate: 1}]
scenarios:
  - engine: ws
    flow:
      - send: hello
      - send: {type: start, rate: 16000}
      - think: 0.5
      - loop:
          - send: chunk
          - think: 0.032
        count: 4
"""
    )
    assert sf.config.target == "http://h:9"
    (ws,) = sf.scenarios[0].steps
    assert isinstance(ws, WsStep) and ws.url.source == "/ws/chat?echo=1"
    text, js, think, repeat = ws.actions
    assert isinstance(text, WsSend) and isinstance(js, WsSend) and isinstance(think, WsThink)
    assert isinstance(repeat, WsRepeat) and repeat.count == 4 and len(repeat.actions) == 2
    connect = load(
        HEAD
        + "scenarios:\n  - engine: ws\n    flow:\n      - connect: ws://o:1/x\n      - send: hi\n"
    )
    assert connect.scenarios[0].steps[0].url.source == "ws://o:1/x"  # type: ignore[union-attr]


def test_max_error_rate_bounds_failed_connections_for_ws() -> None:
    text = 'config:\n  target: "ws://h"\n  ensure: {maxErrorRate: 2}\nscenarios:\n  - {engine: ws, flow: [{send: x}]}\n'
    assert thresholds(load(text)) == ["ws_connect_success: rate>=0.98"]
    assert issues(text.replace("{maxErrorRate: 2}", "{p95: 200}")) == [
        "a.yml:3: config.ensure: p95: 200 is about HTTP responses, but the script has no http scenario; remove it"
    ]


def test_unsupported_features_are_one_line_errors_naming_them() -> None:
    text = """config:
  target: http://h
  processor: ./funcs.js
  plugins: {ensure: {}, publish-metrics: {}}
  environments: {staging: {target: http://s}}
  tls: {rejectUnauthorized: false}
before:
  flow: [{get: /login}]
scenarios:
  - beforeScenario: setUp
    flow:
      - function: pick
      - get: {url: /a, beforeRequest: sign, capture: {xpath: //a, as: a}}
      - loop: [{get: /b}]
        whileTrue: more
      - get: "/c/{{ $randomEmail() }}"
  - {engine: socketio, flow: [{emit: {channel: x}}]}
"""
    first = issues(text)
    assert first == [
        "a.yml:16: the Artillery template {{ $randomEmail() }} is not supported; use a variable, $loopElement, $loopCount, $randomNumber(a, b), $randomString(n) or $processEnvironment.NAME"
    ]
    rest = issues(text.replace("{{ $randomEmail() }}", "x"))
    assert rest == [
        "a.yml:3: config.processor: processor functions (custom JavaScript) are not supported; write the logic as steps, or as a Python step (docs/python-api.md)",
        "a.yml:4: config.plugins.publish-metrics: the Artillery plugin 'publish-metrics' is not supported (only ensure, expect, metrics-by-endpoint, which agentload has built in)",
        "a.yml:5: config.environments: environments are not supported; put the environment's settings in config, or use ${env.NAME} and -e NAME=value",
        "a.yml:6: config.tls: config.tls is not supported; agentload verifies certificates with the system store",
        "a.yml:7: before: Artillery's before section (a flow run once per test) is not supported; use an agentload once: step or a Python setup/teardown",
        "a.yml:10: scenarios[0].beforeScenario: processor hooks are not supported",
        "a.yml:12: scenarios[0].flow[0]: processor functions are not supported",
        "a.yml:13: scenarios[0].flow[1].get.beforeRequest: processor hooks (beforeRequest) are not supported",
        "a.yml:13: scenarios[0].flow[1].get.capture: capture by 'xpath' is not supported; use json, regexp or header",
        "a.yml:15: scenarios[0].flow[2]: whileTrue (a processor function) is not supported",
        "a.yml:17: scenarios[1].engine: the socket.io engine is not supported",
        "a.yml:17: scenarios[1].flow[0]: socket.io steps are not supported",
    ]


def test_templates_keep_their_lines() -> None:
    text, problems = convert_templates(
        'a: "{{ x }}"\nb: "{{ $loopElement.id }}-{{ $loopCount }}"\nc: "{{ 1 + 2 }}"\n', "f"
    )
    assert text.splitlines()[:2] == ['a: "${x}"', 'b: "${loopElement.id}-${loopCount}"']
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (3, "the Artillery template {{ 1 + 2 }} is not supported")
    ]


def test_agentload_files_are_not_mistaken_for_artillery() -> None:
    sf = load(HEAD + "load: {vus: 1, duration: 1s}\nscenarios:\n  - {name: a, flow: [{get: /a}]}\n")
    assert sf.load.stages == (Stage(1, 1),) and sf.thresholds == ()


def test_agentload_loops_and_logs_are_not_artillery_steps() -> None:
    sf = load(
        HEAD
        + """scenarios:
  - name: a
    flow:
      - loop: {count: 2, steps: [{get: /a}]}
      - log: {message: done}
"""
    )
    loop, log = sf.scenarios[0].steps
    assert isinstance(loop, LoopStep) and loop.count == 2 and isinstance(log, LogStep)
    artillery = load(HEAD + "scenarios:\n  - flow:\n      - log: hello\n")
    assert isinstance(artillery.scenarios[0].steps[0], LogStep)
    assert artillery.scenarios[0].name == "scenario 1"  # the Artillery default name
