"""``llm:`` and ``sse:`` steps in scenario files: the model they load into, and their issues."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.scenario import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    FinishReasonCheck,
    JsonBody,
    JsonCheck,
    JsonObject,
    LlmSlo,
    LlmStep,
    ScenarioFile,
    SseStep,
    SseUntil,
    StatusCheck,
    Template,
    Timeouts,
    VarRef,
    load_scenario_text,
)


def load(flow: str) -> ScenarioFile:
    text = "config: {target: 'http://t.test', variables: {name: Ada}}\nflow:\n" + flow
    return load_scenario_text(text, filename="s.yaml", env={"KEY": "sk-1"}, base_dir=Path("."))


def issues(flow: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(flow)
    return [str(i) for i in caught.value.issues]


def test_a_full_llm_step() -> None:
    sf = load(
        """
  - llm:
      name: ask
      model: gpt-4o-mini
      messages: [{role: user, content: "Hello ${name}"}]
      max_tokens: 100
      temperature: 0.2
      tools: [{type: function, function: {name: f}}]
      params: {top_p: 0.9}
      headers: {Authorization: "Bearer ${env.KEY}"}
      slo: {ttft: 500ms, itl: 50ms, e2e: 5s}
      expect: {status: 200, finish_reason: stop, body_contains: Ada}
      capture: [{json: $.content, as: answer}]
      timeout: {read: 10s}
"""
    )
    step = sf.scenarios[0].steps[0]
    assert isinstance(step, LlmStep)
    assert step.name == "ask" and step.line == 4 and step.stream
    assert step.url == Template.literal("/v1/chat/completions")
    assert step.model == Template.literal("gpt-4o-mini")
    user = JsonObject(
        (
            ("role", Template.literal("user")),
            ("content", Template(("Hello ", VarRef("name")), "Hello ${name}")),
        )
    )
    assert step.messages == (user,)
    assert [k for k, _ in step.params] == ["max_tokens", "temperature", "tools", "top_p"]
    assert dict(step.params)["max_tokens"] == 100
    assert step.headers == (("Authorization", Template(("Bearer sk-1",), "Bearer ${env.KEY}")),)
    assert step.slo == LlmSlo(ttft=0.5, itl=0.05, e2e=5.0)
    assert step.checks == (
        FinishReasonCheck(("stop",)),
        StatusCheck((200,)),
        BodyContainsCheck("Ada"),
    )
    assert step.captures == (Capture(CaptureSource.JSON, "$.content", "answer"),)
    assert step.timeouts == Timeouts(read=10.0)


def test_defaults_and_a_message_list_from_a_variable() -> None:
    sf = load(
        """
  - llm: {model: m, messages: [{role: user, content: hi}], stream: false}
  - llm: {model: m, messages: "${history}", capture: {json: $.content, as: history}}
"""
    )
    first, second = sf.scenarios[0].steps
    assert isinstance(first, LlmStep) and isinstance(second, LlmStep)
    assert first.name == "llm m" and not first.stream
    assert first.params == () and first.slo is None
    assert second.messages == Template((VarRef("history"),), "${history}")


def test_an_sse_step() -> None:
    sf = load(
        """
  - sse:
      url: /api/events?count=3
      method: post
      json: {topic: orders}
      max_events: 10
      until: {event: done, data_contains: ok, json: {"$.status": complete}}
      expect: {status: 200}
"""
    )
    step = sf.scenarios[0].steps[0]
    assert isinstance(step, SseStep)
    assert step.name == "sse /api/events?count=3" and step.method == "POST"
    assert step.body == JsonBody(JsonObject((("topic", Template.literal("orders")),)))
    assert step.max_events == 10
    assert step.until == SseUntil(
        event="done", data_contains="ok", json=(JsonCheck("$.status", "complete"),)
    )
    assert step.checks == (StatusCheck((200,)),)


def test_every_llm_problem_is_reported_with_its_line() -> None:
    found = issues(
        """
  - llm:
      modle: m
      messages: []
      max_tokens: 0
      tools: {a: 1}
      params: {model: x, top_p: 0.9}
      slo: {ttft: 500ms, tpt: 20ms}
      expect: {finish_reason: [], body_contain: x}
"""
    )
    assert found == [
        "s.yaml:5: flow[0].llm: unknown key 'modle'; did you mean 'model'?",
        "s.yaml:6: flow[0].llm.messages: the list is empty; add a message such as {role: user, …}",
        "s.yaml:7: flow[0].llm.max_tokens: must be at least 1, found 0; use 1 or more",
        "s.yaml:8: flow[0].llm.tools: expected a list of tools ({type: function, function: "
        "{…}}), found a mapping; see docs/scenario-format.md for the format",
        "s.yaml:9: flow[0].llm.params: 'model' is a key of the llm step itself; "
        "write model: … next to model, not in params",
        "s.yaml:10: flow[0].llm.slo: unknown key 'tpt'; did you mean 'tpot'?",
        "s.yaml:11: flow[0].llm.expect: unknown key 'body_contain'; did you mean 'body_contains'?",
        "s.yaml:11: flow[0].llm.expect.finish_reason: the list is empty; "
        "give reasons such as [stop, length]",
    ]


def test_missing_model_and_messages_and_a_message_without_role() -> None:
    assert issues("  - llm: {name: x}\n") == [
        "s.yaml:3: flow[0].llm: missing 'model'; add e.g. model: gpt-4o-mini",
        "s.yaml:3: flow[0].llm: missing 'messages'; add e.g. [{role: user, content: \"Hi\"}]",
    ]
    assert issues("  - llm: {model: m, messages: [{content: hi}]}\n") == [
        "s.yaml:3: flow[0].llm.messages[0]: missing 'role'; add e.g. role: user",
    ]


def test_an_undefined_variable_in_messages_is_found_before_the_run() -> None:
    found = issues('  - llm: {model: m, messages: [{role: user, content: "${nmae}"}]}\n')
    assert len(found) == 1 and "variable ${nmae} is not defined; did you mean ${name}?" in found[0]


def test_sse_problems() -> None:
    found = issues(
        """
  - sse:
      method: DELETE
      url: api/events
      until: {evnt: done}
      max_events: 0
"""
    )
    assert found == [
        "s.yaml:5: flow[0].sse.method: 'DELETE' cannot open an event stream; use GET or POST",
        "s.yaml:6: flow[0].sse.url: 'api/events' is neither a path nor a URL; relative URLs "
        "start with / (e.g. '/api/events'), absolute ones with http:// or https://",
        "s.yaml:7: flow[0].sse.until: unknown key 'evnt'; did you mean 'event'?",
        "s.yaml:8: flow[0].sse.max_events: must be at least 1, found 0; use 1 or more",
    ]
    assert issues("  - sse: {url: /e, until: {}}\n") == [
        "s.yaml:3: flow[0].sse.until: no condition given; add event, data_contains or json"
    ]


def test_a_misspelled_step_kind_suggests_llm() -> None:
    found = issues("  - lm: {model: m}\n")
    assert found == ["s.yaml:3: flow[0]: unknown step 'lm'; did you mean 'llm'?"]


def test_an_llm_step_needs_a_mapping() -> None:
    found = issues("  - llm: /v1/chat/completions\n")
    assert found == [
        "s.yaml:3: flow[0].llm: expected a mapping with model and messages, found the text "
        "'/v1/chat/completions'; see docs/scenario-format.md for the format"
    ]
