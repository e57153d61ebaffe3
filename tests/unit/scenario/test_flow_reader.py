"""Reading ``loop``, ``if``, ``poll``, ``choose``, ``once``, ``on_start`` and ``pacing``."""

# The expected messages are the user interface under test; they stay whole, one per line.
# ruff: noqa: E501

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentload.errors import ExitCode, ScenarioError
from agentload.scenario import load_scenario_text
from agentload.scenario.model import RequestStep, ScenarioFile, Template, VarRef
from agentload.scenario.model_flow import (
    ChooseStep,
    Condition,
    CondOp,
    IfStep,
    LoopStep,
    OnceStep,
    PaceStep,
    PollStep,
)
from agentload.scenario.parts import JsonCheck, StatusCheck

HEAD = "config: {target: 'http://t', variables: {x: 1, list: [1, 2]}}\n"


def load(text: str) -> ScenarioFile:
    return load_scenario_text(HEAD + text, filename="f.yaml", env={}, base_dir=Path("."))


def issues(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    return [str(i) for i in caught.value.issues]


def urls(steps: tuple[object, ...]) -> list[str]:
    return [s.url.source for s in steps if isinstance(s, RequestStep)]


def test_loops_of_every_kind() -> None:
    sf = load(
        "flow:\n"
        "  - loop: {count: 3, steps: [{get: /a}]}\n"
        "  - loop: {over: [a, '${x}'], as: w, pacing: 2s, steps: [{get: '/b/${w}'}]}\n"
        "  - loop:\n"
        "      over: ${list}\n"
        "      steps:\n"
        "        - loop: {count: 2, as: i, steps: [{get: '/c/${item}/${i}'}]}\n"
    )
    a, b, c = sf.scenarios[0].steps
    assert isinstance(a, LoopStep) and a.count == 3 and a.var is None and urls(a.steps) == ["/a"]
    assert isinstance(b, LoopStep) and b.var == "w" and b.pacing == 2.0
    assert b.items is not None and len(b.items) == 2
    assert isinstance(b.items[1], Template) and b.items[1].parts == (VarRef("x"),)
    assert isinstance(c, LoopStep) and c.source is not None and c.source.parts == (VarRef("list"),)
    assert c.var == "item"
    (inner,) = c.steps
    assert isinstance(inner, LoopStep) and urls(inner.steps) == ["/c/${item}/${i}"]


def test_conditions_and_branches() -> None:
    sf = load(
        "flow:\n"
        "  - get: /s\n"
        "    capture: [{json: $.state, as: state}, {json: $.n, as: n}, {json: $.m, as: maybe}]\n"
        "  - if: {var: state, equals: done}\n"
        "    then: [{get: /done}]\n"
        "    else: [{get: /wait}]\n"
        "  - if: [{var: n, gt: -1.5}, {var: state, matches: '^d'}, {var: maybe, exists: false}]\n"
        "    then: [{get: /all}]\n"
        "  - if: {var: '${state}', not_equals: 3}\n"
        "    then: [{get: /x}]\n"
    )
    _, first, second, third = sf.scenarios[0].steps
    assert isinstance(first, IfStep)
    assert first.conditions == (Condition("state", CondOp.EQUALS, "done"),)
    assert urls(first.then) == ["/done"] and urls(first.otherwise) == ["/wait"]
    assert isinstance(second, IfStep) and second.otherwise == ()
    gt, matches, absent = second.conditions
    assert gt == Condition("n", CondOp.GT, -1.5)
    assert matches.op is CondOp.MATCHES and isinstance(matches.value, re.Pattern)
    assert absent == Condition("maybe", CondOp.NOT_EXISTS)
    assert isinstance(third, IfStep)
    assert third.conditions == (Condition("state", CondOp.NOT_EQUALS, 3),)


def test_poll_choose_once() -> None:
    sf = load(
        "flow:\n"
        "  - post: /jobs\n"
        "    capture: [{json: $.id, as: job}]\n"
        "  - poll:\n"
        "      get: /jobs/${job}\n"
        "      until: {status: 200, json: {$.status: done}}\n"
        "      fail_if: {json: {$.status: failed}}\n"
        "      interval: 250ms\n"
        "      timeout: 30s\n"
        "      name: job\n"
        "  - poll: {request: {method: GET, url: /h, headers: {A: b}}, until: {status: 204}}\n"
        "  - choose:\n"
        "      - {weight: 3, steps: [{get: /a}, {get: /b}]}\n"
        "      - get: /c\n"
        "  - once: [{get: /login}]\n"
    )
    _, poll, short, choose, once = sf.scenarios[0].steps
    assert isinstance(poll, PollStep)
    assert (poll.name, poll.interval, poll.timeout) == ("job", 0.25, 30.0)
    assert poll.request.method == "GET" and poll.request.url.source == "/jobs/${job}"
    assert poll.until == (StatusCheck((200,)), JsonCheck("$.status", "done"))
    assert poll.fail_if == (JsonCheck("$.status", "failed"),)
    assert isinstance(short, PollStep)
    assert (short.name, short.interval, short.timeout) == ("GET /h", 1.0, 60.0)
    assert isinstance(choose, ChooseStep)
    assert [(w, urls(s)) for w, s in choose.branches] == [(3, ["/a", "/b"]), (1, ["/c"])]
    assert isinstance(once, OnceStep) and urls(once.steps) == ["/login"]


def test_on_start_and_pacing_wrap_the_flow() -> None:
    sf = load(
        "scenarios:\n"
        "  - name: s\n"
        "    on_start:\n"
        "      - post: /login\n"
        "        capture: [{json: $.token, as: token}]\n"
        "    pacing: 1.5s\n"
        "    flow:\n"
        "      - get: /me\n"
        "        headers: {Authorization: 'Bearer ${token}'}\n"
        "  - name: t\n"
        "    on_start: [{get: /warm}]\n"
        "    flow: [{get: /x}]\n"
    )
    (paced,) = sf.scenarios[0].steps
    assert isinstance(paced, PaceStep) and paced.seconds == 1.5
    once, me = paced.steps
    assert isinstance(once, OnceStep) and urls(once.steps) == ["/login"]
    assert urls((me,)) == ["/me"]
    (block,) = sf.scenarios[1].steps  # no pacing: a 0 s block
    assert isinstance(block, PaceStep) and block.seconds == 0
    once_t, x = block.steps
    assert isinstance(once_t, OnceStep) and urls((x,)) == ["/x"]


def test_dotted_names_of_loop_items_and_captured_objects_are_known() -> None:
    load(
        "flow:\n"
        "  - get: /u\n"
        "    capture: [{json: $.user, as: user}]\n"
        "  - get: '/u/${user.id}/${user.tags.0}'\n"
        "  - loop: {over: '${user.items}', as: it, steps: [{get: '/i/${it.sku}'}]}\n"
    )
    load_scenario_text(
        "config: {target: 'http://t', variables: {cfg: {path: /a}}}\nflow:\n  - get: '${cfg.path}'\n",
        filename="f.yaml",
        env={},
        base_dir=Path("."),
    )


BAD = [
    pytest.param(
        "flow:\n  - lop: {count: 1, steps: [{get: /a}]}\n",
        ["f.yaml:3: flow[0]: unknown step 'lop'; did you mean 'loop'?"],
        id="step_typo",
    ),
    pytest.param(
        "flow:\n  - loop: {count: 2, over: [1], steps: [{get: /a}]}\n",
        [
            "f.yaml:3: flow[0].loop: give exactly one of count (a number of rounds) or over (a list, ${var} or a data feeder's name)"
        ],
        id="loop_count_and_over",
    ),
    pytest.param(
        "flow:\n  - loop: {steps: [{get: /a}]}\n",
        [
            "f.yaml:3: flow[0].loop: give exactly one of count (a number of rounds) or over (a list, ${var} or a data feeder's name)"
        ],
        id="loop_neither",
    ),
    pytest.param(
        "flow:\n  - loop: {cuont: 2, steps: [{get: /a}]}\n",
        ["f.yaml:3: flow[0].loop: unknown key 'cuont'; did you mean 'count'?"],
        id="loop_key_typo",
    ),
    pytest.param(
        "flow:\n  - loop: {count: 2}\n",
        ["f.yaml:3: flow[0].loop: missing 'steps'; add the list of steps to repeat"],
        id="loop_no_steps",
    ),
    pytest.param(
        "flow:\n  - loop: {count: -1, steps: [{get: /a}]}\n",
        ["f.yaml:3: flow[0].loop.count: must be at least 0, found -1; use 0 or more"],
        id="loop_negative",
    ),
    pytest.param(
        "data: {users: [a]}\nflow:\n  - loop: {over: usres, steps: [{get: /a}]}\n",
        ["f.yaml:4: flow[0].loop.over: 'usres' is not a data feeder; did you mean 'users'?"],
        id="loop_data_typo",
    ),
    pytest.param(
        "flow:\n  - loop: {over: [], steps: [{get: /a}]}\n",
        ["f.yaml:3: flow[0].loop.over: the list is empty; add the items to loop over"],
        id="loop_empty_list",
    ),
    pytest.param(
        "flow:\n  - loop: {count: 2, as: 'a-b', steps: [{get: /a}]}\n",
        [
            "f.yaml:3: flow[0].loop.as: 'a-b' is not a valid variable name; use letters, digits and '_' (e.g. item)"
        ],
        id="loop_bad_as",
    ),
    pytest.param(
        "flow:\n  - loop: {count: 2, steps: [{get: '/a/${itme}'}], as: item}\n",
        [
            "f.yaml:3: flow[0].loop.steps[0].get: variable ${itme} is not defined; did you mean ${item}?"
        ],
        id="loop_var_typo",
    ),
    pytest.param(
        "flow:\n  - loop: {count: 2, steps: [{get: /a}]}\n    name: x\n",
        ["f.yaml:4: flow[0]: 'name' must go inside loop, or start a new step with '- '"],
        id="loop_key_outside",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, equals: 1}\n",
        ["f.yaml:3: flow[0]: missing 'then'; add the steps to run when the condition holds"],
        id="if_no_then",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, equal: 1}\n    then: [{get: /a}]\n",
        ["f.yaml:3: flow[0].if: unknown key 'equal'; did you mean 'equals'?"],
        id="if_op_typo",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, equals: 1, gt: 2}\n    then: [{get: /a}]\n",
        [
            "f.yaml:3: flow[0].if: give exactly one test (2 given): equals, not_equals, matches, exists, not_exists, gt, gte, lt, lte, contains"
        ],
        id="if_two_tests",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, exists: true}\n    then: [{get: /a}]\n    els: [{get: /b}]\n",
        ["f.yaml:5: flow[0]: unknown key 'els'; did you mean 'else'?"],
        id="if_else_typo",
    ),
    pytest.param(
        "flow:\n  - if: {var: y, equals: 1}\n    then: [{get: /a}]\n",
        [
            "f.yaml:3: flow[0].if.var: variable ${y} is not defined; set it in config.variables or capture it in scenario 'default'"
        ],
        id="if_undefined_var",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, matches: '(('}\n    then: [{get: /a}]\n",
        [
            "f.yaml:3: flow[0].if.matches: invalid regular expression: missing ), unterminated subpattern at position 1; fix the pattern"
        ],
        id="if_bad_regex",
    ),
    pytest.param(
        "flow:\n  - if: {var: x, gt: many}\n    then: [{get: /a}]\n",
        [
            "f.yaml:3: flow[0].if.gt: expected a number, found the text 'many'; see docs/scenario-format.md for the format"
        ],
        id="if_gt_text",
    ),
    pytest.param(
        "flow:\n  - poll: {get: /a}\n",
        [
            "f.yaml:3: flow[0].poll: missing 'until'; say when polling is done, e.g. until: {json: {$.status: done}}"
        ],
        id="poll_no_until",
    ),
    pytest.param(
        "flow:\n  - poll: {until: {status: 200}}\n",
        [
            "f.yaml:3: flow[0].poll: give exactly one request to poll (0 given), e.g. get: /api/jobs/${job_id}"
        ],
        id="poll_no_request",
    ),
    pytest.param(
        "flow:\n  - poll: {get: /a, until: {status: 200}, interval: 10s, timeout: 1s}\n",
        [
            "f.yaml:3: flow[0].poll: the interval (10s) is longer than the timeout (1s); poll more often or wait longer"
        ],
        id="poll_interval_over_timeout",
    ),
    pytest.param(
        "flow:\n  - poll: {get: {url: /a, think: 1s}, until: {status: 200}}\n",
        [
            "f.yaml:3: flow[0].poll.get: a polled request cannot have 'think'; the poll's 'interval' is its pause"
        ],
        id="poll_think",
    ),
    pytest.param(
        "flow:\n  - poll: {get: /a, untl: {status: 200}}\n",
        ["f.yaml:3: flow[0].poll: unknown key 'untl'; did you mean 'until'?"],
        id="poll_until_typo",
    ),
    pytest.param(
        "flow:\n  - poll: {get: /a, until: {stauts: 200}}\n",
        ["f.yaml:3: flow[0].poll.until: unknown key 'stauts'; did you mean 'status'?"],
        id="poll_check_typo",
    ),
    pytest.param(
        "flow:\n  - choose: [{get: /a}]\n",
        ["f.yaml:3: flow[0].choose: give at least two branches to choose from"],
        id="choose_one_branch",
    ),
    pytest.param(
        "flow:\n  - choose: [{weight: 0, steps: [{get: /a}]}, {get: /b}]\n",
        ["f.yaml:3: flow[0].choose[0].weight: must be at least 1, found 0; use 1 or more"],
        id="choose_zero_weight",
    ),
    pytest.param(
        "flow:\n  - once: []\n",
        ["f.yaml:3: flow[0].once: the flow is empty; add at least one request"],
        id="once_empty",
    ),
    pytest.param(
        "scenarios:\n  - name: s\n    pacing: soon\n    flow: [{get: /a}]\n",
        [
            "f.yaml:4: scenarios[0].pacing: expected a duration such as 30s, 1m30s, 500ms or 2h, got 'soon'; the units are us, ms, s, m, h and d, with no spaces (1m30s)"
        ],
        id="pacing_not_duration",
    ),
    pytest.param(
        "scenarios:\n  - name: s\n    on_strat: [{get: /a}]\n    flow: [{get: /a}]\n",
        ["f.yaml:4: scenarios[0]: unknown key 'on_strat'; did you mean 'on_start'?"],
        id="on_start_typo",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_control_flow(text: str, expected: list[str]) -> None:
    assert issues(text) == expected
