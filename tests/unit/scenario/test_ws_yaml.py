"""``ws:`` steps in scenario files: the model they load into, and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ScenarioError
from agentload.scenario import ScenarioFile, load_scenario_text
from agentload.scenario.model import CaptureSource, JsonObject, Template, VarRef
from agentload.scenario.model_ws import (
    WsClose,
    WsExpect,
    WsJsonMatch,
    WsKeepalive,
    WsPayload,
    WsRepeat,
    WsSend,
    WsStep,
    WsThink,
)


def load(flow: str) -> ScenarioFile:
    text = "config: {target: 'http://t.test', variables: {sid: s1}}\nflow:\n" + flow
    return load_scenario_text(text, filename="s.yaml", env={"TOKEN": "tok-9"}, base_dir=Path("."))


def issues(flow: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(flow)
    return [str(i) for i in caught.value.issues]


def step_of(flow: str) -> WsStep:
    step = load(flow).scenarios[0].steps[0]
    assert isinstance(step, WsStep)
    return step


def test_a_full_ws_step() -> None:
    step = step_of(
        """
  - ws:
      name: chat
      url: /ws/chat?tokens=3
      headers: {Authorization: "Bearer ${env.TOKEN}"}
      subprotocols: [chat.v1, chat.v2]
      timeout: 3s
      think: 1s
      steps:
        - expect: {json: {$.type: session}, capture: [{json: $.session_id, as: conv}]}
        - send: "hello ${sid}"
        - send_json: {type: message, conversation_id: "${conv}"}
        - send_binary: {base64: AAEC}
        - send_binary: {hex: ff00}
        - send_binary: "raw ${sid}"
        - expect:
            name: reply
            json: {$.type: done, $.conversation_id: "${conv}", $.text: {exists: true}}
            regex: "done"
            contains: "message_id"
            timeout: 2s
            capture: [{regex: '"tokens": ?(\\d+)', as: n}]
        - keepalive: {duration: 30s, ping: 5s}
        - keepalive: 2s
        - keepalive: {duration: 1s, ping: false}
        - think: 500ms
        - close: {code: 4000, reason: bye}
"""
    )
    assert step.name == "chat"
    assert step.url.source == "/ws/chat?tokens=3"
    assert step.headers[0][0] == "Authorization"
    assert step.headers[0][1].parts == ("Bearer tok-9",)
    assert step.subprotocols == ("chat.v1", "chat.v2")
    assert step.connect_timeout == 3.0
    assert step.think is not None and step.think.a == 1.0
    a = step.actions
    assert isinstance(a[0], WsExpect) and a[0].exchange == "expect_1" and a[0].timeout == 10.0
    assert a[0].captures[0].source is CaptureSource.JSON and a[0].captures[0].var == "conv"
    assert isinstance(a[1], WsSend) and a[1].kind is WsPayload.TEXT
    assert a[1].text == Template(("hello ", VarRef("sid")), "hello ${sid}")
    assert isinstance(a[2], WsSend) and a[2].kind is WsPayload.JSON
    assert isinstance(a[2].json, JsonObject)
    assert isinstance(a[3], WsSend) and a[3].data == b"\x00\x01\x02"
    assert isinstance(a[4], WsSend) and a[4].data == b"\xff\x00"
    assert isinstance(a[5], WsSend) and a[5].kind is WsPayload.BINARY and a[5].text is not None
    e = a[6]
    assert isinstance(e, WsExpect) and e.exchange == "reply" and e.timeout == 2.0
    assert e.json[0].path == "$.type" and isinstance(e.json[0].expected, Template)
    assert e.json[0].expected.parts == ("done",)
    assert e.json[2] == WsJsonMatch("$.text", exists_only=True)
    assert e.regex == "done" and e.contains == "message_id"
    assert a[7] == WsKeepalive(30.0, 5.0, a[7].line)
    assert isinstance(a[8], WsKeepalive) and a[8].duration == 2.0 and a[8].ping_every == 10.0
    assert isinstance(a[9], WsKeepalive) and a[9].ping_every is None
    assert isinstance(a[10], WsThink)
    assert a[11] == WsClose(4000, "bye", a[11].line)


def test_defaults_and_absolute_urls() -> None:
    step = step_of("  - ws: {url: 'ws://127.0.0.1:9/ws?api_key=sekrit'}\n")
    assert step.actions == () and step.subprotocols == ()
    assert step.connect_timeout == 10.0
    assert "sekrit" not in step.name  # a literal secret never becomes a metric tag
    for url in ("wss://h.test/x", "http://h.test/x", "https://h.test/x", "${base}/ws"):
        flow = f"  - ws: {{url: '{url}'}}\n"
        if "${base}" in url:
            flow = "  - get: /x\n    capture: [{json: $.u, as: base}]\n" + flow
        load(flow)
    bare = step_of("  - ws: {url: /ws, steps: [{close: }]}\n").actions[0]
    assert isinstance(bare, WsClose) and (bare.code, bare.reason) == (1000, "")
    coded = step_of("  - ws: {url: /ws, steps: [{close: 1001}]}\n").actions[0]
    assert isinstance(coded, WsClose) and coded.code == 1001


def test_repeat_nests_actions_and_numbers_its_expects() -> None:
    step = step_of(
        "  - ws:\n"
        "      url: /ws\n"
        "      steps:\n"
        "        - expect: {}\n"
        "        - repeat: {count: 3, steps: [{send: x}, {expect: {}}]}\n"
    )
    repeat = step.actions[1]
    assert isinstance(repeat, WsRepeat) and repeat.count == 3
    inner = repeat.actions[1]
    assert isinstance(inner, WsExpect) and inner.exchange == "expect_2"


def test_a_ws_step_counts_exchanges_for_default_names() -> None:
    step = step_of("  - ws: {url: /ws, steps: [{expect: {}}, {send: x}, {expect: {}}]}\n")
    names = [a.exchange for a in step.actions if isinstance(a, WsExpect)]
    assert names == ["expect_1", "expect_2"]


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        ("  - ws: {}\n", "s.yaml:3: flow[0].ws: missing 'url'; add e.g. url: /ws/chat"),
        ("  - ws: {url: /ws, stpes: []}\n", "unknown key 'stpes'; did you mean 'steps'?"),
        ("  - ws: {ur: /ws}\n", "unknown key 'ur'; did you mean 'url'?"),
        ("  - ws: {url: 'ftp://h/x'}\n", "'ftp://' cannot open a WebSocket; use ws://"),
        ("  - ws: {url: 'ws/chat'}\n", "is neither a path nor a URL"),
        ("  - ws: {url: ''}\n", "the url is empty"),
        ("  - ws: {url: 'ws://'}\n", "has no valid host"),
        ("  - ws: {url: /ws, subprotocols: ['a b']}\n", "'a b' is not a valid subprotocol"),
        ("  - ws: {url: /ws, subprotocols: []}\n", "the list is empty"),
        ("  - ws: {url: /ws, headers: {'Bad Header': x}}\n", "not a valid header name"),
        ("  - ws: {url: /ws, timeout: -1s}\n", "flow[0].ws.timeout"),
        ("  - ws: {url: /ws, steps: [{sned: x}]}\n", "unknown action 'sned'; did you mean 'send'?"),
        ("  - ws: {url: /ws, steps: [{}]}\n", "the action is empty"),
        ("  - ws: {url: /ws, steps: [{send: x, close: }]}\n", "cannot be both 'send' and 'close'"),
        ("  - ws: {url: /ws, steps: [{send: {a: 1}}]}\n", "write send_json: for a JSON message"),
        ("  - ws: {url: /ws, steps: [{send_binary: {base64: '!!'}}]}\n", "not valid base64"),
        ("  - ws: {url: /ws, steps: [{send_binary: {hex: zz}}]}\n", "not valid hex"),
        (
            "  - ws: {url: /ws, steps: [{send_binary: {base64: a, hex: b}}]}\n",
            "keep exactly one of them",
        ),
        ("  - ws: {url: /ws, steps: [{expect: {jsn: {}}}]}\n", "did you mean 'json'?"),
        ("  - ws: {url: /ws, steps: [{expect: {json: {'$[': 1}}}]}\n", "bad JSONPath '$['"),
        ("  - ws: {url: /ws, steps: [{expect: {regex: '('}}]}\n", "bad regular expression '('"),
        ("  - ws: {url: /ws, steps: [{expect: {timeout: 0s}}]}\n", "must be greater than 0"),
        ("  - ws: {url: /ws, steps: [{expect: {name: ''}}]}\n", "the name is empty"),
        (
            "  - ws: {url: /ws, steps: [{expect: {capture: [{header: X, as: h}]}}]}\n",
            "a WebSocket message has no headers",
        ),
        (
            "  - ws: {url: /ws, steps: [{expect: {json: {$.a: {exists: false}}}}]}\n",
            "exists: false is not supported",
        ),
        ("  - ws: {url: /ws, steps: [{keepalive: {ping: 1s}}]}\n", "missing 'duration'"),
        ("  - ws: {url: /ws, steps: [{keepalive: {duraton: 1s}}]}\n", "did you mean 'duration'?"),
        ("  - ws: {url: /ws, steps: [{keepalive: soon}]}\n", "flow[0].ws.steps[0].keepalive"),
        ("  - ws: {url: /ws, steps: [{close: 1006}]}\n", "1006 is not a close code a client"),
        ("  - ws: {url: /ws, steps: [{close: {cod: 1000}}]}\n", "did you mean 'code'?"),
        ("  - ws: {url: /ws, steps: [{close: }, {send: x}]}\n", "'send' comes after close"),
        (
            "  - ws: {url: /ws, steps: [{close: {reason: '" + "x" * 124 + "'}}]}\n",
            "at most 123 bytes",
        ),
        ("  - ws: {url: /ws, steps: {send: x}}\n", "expected a list of actions"),
        ("  - ws: {url: /ws, steps: []}\n", "the list is empty"),
        ("  - ws: {url: /ws, steps: [{repeat: {steps: [{send: x}]}}]}\n", "missing 'count'"),
        ("  - ws: {url: /ws, steps: [{repeat: {count: 2}}]}\n", "missing 'steps'"),
        ("  - ws: {url: /ws, steps: [{repeat: {count: 0, steps: [{send: x}]}}]}\n", "at least 1"),
        (
            "  - ws: {url: /ws, steps: [{repeat: {count: 2, steps: [{close: }]}}]}\n",
            "close cannot be repeated",
        ),
        ("  - ws: {url: /ws, steps: [{send: '${nope}'}]}\n", "nope"),
        ("  - ws: /ws/chat\n", "expected a mapping with url and steps"),
    ],
)
def test_bad_input_is_one_line_with_a_fix(flow: str, expected: str) -> None:
    found = issues(flow)
    assert any(expected in line for line in found), found
    for line in found:
        assert line.startswith("s.yaml:") and "\n" not in line and ";" in line, line


def test_every_problem_is_reported_at_once() -> None:
    found = issues(
        "  - ws:\n"
        "      url: /ws\n"
        "      steps:\n"
        "        - sned: x\n"
        "        - expect: {regex: '('}\n"
        "        - close: 1006\n"
    )
    assert [line.split(":")[1] for line in found] == ["6", "7", "8"], found


_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["/ws", "ws://h:1/x", "${sid}", "${nope}", "$.type", "(", "10s", "-1s", ""])
    | st.text(max_size=8)
)
_KEYS = (
    "url", "steps", "send", "send_json", "send_binary", "expect", "json", "regex", "timeout",
    "capture", "keepalive", "duration", "ping", "close", "code", "reason", "repeat", "count",
    "name", "as", "base64", "hex", "exists", "think", "headers", "subprotocols", "$.type", "bogus",
)  # fmt: skip
_STEP_KEYS = ("url", "steps", "name", "timeout", "headers", "subprotocols", "think", "stpes")
_value = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(_STEP_KEYS), _value, max_size=5))
def test_any_ws_mapping_loads_or_gives_one_line_issues(fields: dict[str, object]) -> None:
    flow = yaml.safe_dump([{"ws": fields}], default_flow_style=False)
    flow = "".join("  " + line + "\n" for line in flow.splitlines())
    try:
        load(flow)
    except ScenarioError as exc:
        for issue in exc.issues:
            line = str(issue)
            assert line.startswith("s.yaml") and "\n" not in line, line
