"""``webhook:`` steps in scenario files: the model they load into, and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ScenarioError
from agentload.protocols.webhooks import Signing
from agentload.scenario import ScenarioFile, load_scenario_text
from agentload.scenario.model import JsonObject, StatusCheck, Template, VarRef, WebhookStep

SECRET = "whsec-unit-9d1e"


def load(flow: str) -> ScenarioFile:
    text = "config: {target: 'http://t.test', variables: {sid: s1}}\nflow:\n" + flow
    env = {"HOOK_SECRET": SECRET}
    return load_scenario_text(text, filename="s.yaml", env=env, base_dir=Path("."))


def issues(flow: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(flow)
    return [str(i) for i in caught.value.issues]


def test_a_full_webhook_step() -> None:
    sf = load(
        """
  - webhook:
      name: tools
      url: /webhooks/vapi
      sign: {scheme: vapi, secret: "${env.HOOK_SECRET}"}
      event: tool-calls
      call_id: "${sid}"
      tool_calls:
        - {name: get_next_question, arguments: {session_id: "${sid}"}, id: t1}
      payload: {message: {customer: {number: "+1555"}}}
      headers: {X-Trace: "1"}
      expect: {status: 200}
      capture: [{json: "$.results[0].result", as: result}]
      timeout: {read: 5s}
"""
    )
    step = sf.scenarios[0].steps[0]
    assert isinstance(step, WebhookStep)
    assert step.name == "tools" and step.event == "tool-calls"
    assert step.signing == Signing("vapi", SECRET)
    assert step.call_id == Template((VarRef("sid"),), "${sid}")
    assert step.tool_calls[0].name.source == "get_next_question"
    assert isinstance(step.tool_calls[0].arguments, JsonObject)
    assert step.tool_calls[0].id is not None and step.tool_calls[0].id.source == "t1"
    assert isinstance(step.payload, JsonObject)
    assert step.checks == (StatusCheck((200,)),)
    assert step.captures[0].var == "result"
    assert step.timeouts is not None and step.timeouts.read == 5.0
    assert SECRET not in repr(step)


def test_defaults_unsigned_and_named_after_the_event() -> None:
    sf = load("  - webhook: {url: /webhooks/retell, event: call_started}\n")
    step = sf.scenarios[0].steps[0]
    assert isinstance(step, WebhookStep)
    assert step.signing == Signing() and step.name == "webhook call_started /webhooks/retell"
    hmac_step = (
        load(
            """
  - webhook:
      url: /hook
      payload: {a: 1}
      sign: {scheme: hmac, secret: "${env.HOOK_SECRET}", header: X-Sig, algorithm: sha1,
             encoding: base64, prefix: "v1=", timestamp_header: X-Ts}
"""
        )
        .scenarios[0]
        .steps[0]
    )
    assert isinstance(hmac_step, WebhookStep)
    assert hmac_step.signing == Signing("hmac", SECRET, "X-Sig", "sha1", "base64", "v1=", "X-Ts")


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        ("  - webhook: {event: call_started}\n", "s.yaml:3: flow[0].webhook: missing 'url'"),
        ("  - webhook: {url: /h}\n", "give an event (e.g. event: tool-calls) or a payload"),
        ("  - webhook: {url: /h, event: call_startd}\n", "did you mean 'call_started'?"),
        ("  - webhook: {url: /h, event: tool-calls}\n", "event tool-calls needs tool_calls"),
        (
            "  - webhook: {url: /h, event: call_ended, tool_calls: [{name: f}]}\n",
            "only event tool-calls takes tool_calls",
        ),
        ("  - webhook: {url: /h, payload: [1]}\n", "expected a mapping (a JSON object)"),
        (
            "  - webhook: {url: /h, payload: {}, sgn: none}\n",
            "unknown key 'sgn'; did you mean 'sign'?",
        ),
        (
            "  - webhook: {url: /h, payload: {}, sign: {scheme: retell, secret: literal}}\n",
            "write the secret as ${env.NAME}",
        ),
        (
            "  - webhook: {url: /h, payload: {}, sign: {scheme: retell}}\n",
            "missing 'secret'",
        ),
        (
            "  - webhook: {url: /h, payload: {}, sign: {scheme: stripe, secret: x}}\n",
            "unknown value 'stripe'",
        ),
        (
            '  - webhook: {url: /h, payload: {}, sign: {scheme: vapi, secret: "${env.HOOK_SECRET}",'
            " header: X}}\n",
            "'header' applies to scheme hmac only",
        ),
        (
            '  - webhook: {url: /h, payload: {}, sign: {scheme: hmac, secret: "${env.HOOK_SECRET}",'
            " algorithm: md5}}\n",
            "unknown value 'md5'",
        ),
        (
            '  - webhook: {url: /h, payload: {}, sign: {scheme: hmac, secret: "${env.HOOK_SECRET}",'
            ' header: "a b"}}\n',
            "is not a valid header name",
        ),
        (
            '  - webhook: {url: /h, payload: {}, sign: {scheme: hmac, secret: "${env.NOPE}"}}\n',
            "NOPE",
        ),
        ("  - webhook: {url: /h, payload: {}, sign: 3}\n", "none, or a mapping with scheme"),
        (
            "  - webhook: {url: /h, event: tool-calls, tool_calls: [{arguments: [1]}]}\n",
            "missing 'name'",
        ),
        ("  - webhook: /h\n", "expected a mapping with url and event or payload"),
    ],
)
def test_bad_input_is_reported_with_its_line(flow: str, expected: str) -> None:
    found = issues(flow)
    assert any(expected in issue for issue in found), found
    assert all(issue.startswith("s.yaml:") for issue in found), found
    assert all(SECRET not in issue for issue in found)
