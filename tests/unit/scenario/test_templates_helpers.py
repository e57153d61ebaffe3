"""Template helpers (``${uuid()}``, ``${randint(1, 10)}``, …) and dotted references."""

# ruff: noqa: E501

from __future__ import annotations

import random
import re
import time
import uuid
from pathlib import Path

import pytest

from agentload.engine._streamed import render_json
from agentload.errors import ScenarioError
from agentload.scenario import load_scenario_text
from agentload.scenario._templates import render_parts, split_text
from agentload.scenario.parts import Call, Template, VarRef


def template(text: str) -> Template:
    split = split_text(text, {})
    assert split.problems == (), split.problems
    return Template(split.parts, text)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("${uuid()}", (Call("uuid"),)),
        ("id-${uuid( )}!", ("id-", Call("uuid"), "!")),
        ("${randint(1, 10)}", (Call("randint", (1, 10)),)),
        ("${randint(-5,-1)}", (Call("randint", (-5, -1)),)),
        ("${random_string(8)}", (Call("random_string", (8,)),)),
        ("${timestamp()}${timestamp_ms()}", (Call("timestamp"), Call("timestamp_ms"))),
        ("${pick(msgs)}", (Call("pick", (VarRef("msgs"),)),)),
        ("${pick('a', \"b c\", 3, 1.5)}", (Call("pick", ("a", "b c", 3, 1.5)),)),
        ("${pick(row.tags)}", (Call("pick", (VarRef("row.tags"),)),)),
    ],
)
def test_calls_are_parsed(text: str, parts: tuple[object, ...]) -> None:
    split = split_text(text, {})
    assert split.problems == ()
    assert split.parts == parts
    assert not Template(split.parts, text).is_static


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("${uuidd()}", "'${uuidd()}': unknown helper 'uuidd'; did you mean uuid()?"),
        (
            "${nope()}",
            "'${nope()}': unknown helper 'nope'; use one of uuid(), randint(), random_string(), timestamp(), timestamp_ms(), pick()",
        ),
        ("${uuid(1)}", "'${uuid(1)}': uuid() takes no arguments, found 1; write uuid()"),
        (
            "${randint(1)}",
            "'${randint(1)}': randint() takes 2 arguments, found 1; write randint(min, max)",
        ),
        ("${randint(9, 1)}", "randint(9, 1): the minimum is larger than the maximum; swap them"),
        (
            "${randint(a, 2)}",
            "'${randint(a, 2)}': randint() takes whole numbers written in the file, not variables or text; write randint(min, max) with numbers",
        ),
        ("${random_string(0)}", "random_string(0): the length must be from 1 to 1,000,000"),
        (
            "${pick()}",
            "'${pick()}': pick() takes at least 1 argument, found 0; write pick(list_variable) or pick('a', 'b', …)",
        ),
        (
            "${pick(a b)}",
            "'${pick(a b)}': cannot read the arguments; write numbers, quoted text or variable names separated by commas: pick(list_variable) or pick('a', 'b', …)",
        ),
    ],
)
def test_bad_calls_are_reported(text: str, problem: str) -> None:
    assert split_text(text, {}).problems == (problem,)


def test_helpers_render_fresh_values_each_time() -> None:
    t = template("${uuid()}|${randint(3, 5)}|${random_string(12)}|${timestamp()}|${timestamp_ms()}")
    before = time.time()
    first = t.render({}).split("|")
    second = t.render({}).split("|")
    after = time.time()
    assert uuid.UUID(first[0]).version == 4 and first[0] != second[0]
    assert 3 <= int(first[1]) <= 5
    assert re.fullmatch(r"[A-Za-z0-9]{12}", first[2]) and first[2] != second[2]
    assert int(before) <= int(first[3]) <= after
    assert before * 1000 - 1 <= int(first[4]) <= after * 1000 + 1


def test_randint_covers_its_whole_range() -> None:
    random.seed(7)
    t = template("${randint(1, 3)}")
    assert {t.render({}) for _ in range(200)} == {"1", "2", "3"}


def test_pick_from_a_list_variable_and_from_literals() -> None:
    random.seed(1)
    from_var = template("${pick(msgs)}")
    assert {from_var.render({"msgs": ["x", "y"]}) for _ in range(100)} == {"x", "y"}
    literal = template("${pick('a', 'b')}")
    assert {literal.render({}) for _ in range(100)} == {"a", "b"}
    with pytest.raises(KeyError):
        from_var.render({"msgs": []})
    with pytest.raises(KeyError):
        from_var.render({})


def test_a_lone_helper_in_json_keeps_its_type() -> None:
    value = render_json(template("${randint(7, 7)}"), {})
    assert value == 7 and isinstance(value, int)
    assert render_json(template("${pick(rows)}"), {"rows": [{"a": 1}]}) == {"a": 1}


def test_dotted_references_read_into_objects_and_lists() -> None:
    variables = {"row": {"email": "a@x", "tags": ["t0", "t1"], "n": {"k": 2}}, "row.shadow": "s"}
    assert (
        template("${row.email} ${row.tags.1} ${row.n.k} ${row.shadow}").render(variables)
        == "a@x t1 2 s"
    )
    assert render_json(template("${row.n}"), variables) == {"k": 2}
    for missing in ("${row.nope}", "${row.tags.5}", "${other.x}", "${row.email.x}"):
        with pytest.raises(KeyError) as caught:
            template(missing).render(variables)
        assert caught.value.args[0] == missing[2:-1]


def test_the_plain_path_still_renders_and_reports_missing_names() -> None:
    t = template("/u/${id}?q=${q}")
    assert t.render({"id": 5, "q": True}) == "/u/5?q=true"
    assert t.variables == ("id", "q")
    assert template("${pick(a)} ${b}").variables == ("a", "b")
    with pytest.raises(KeyError, match="id"):
        t.render({})


def test_display_writes_calls_back() -> None:
    split = split_text("x ${randint(1, 2)} ${pick(v, 'w')} ${y}", {})
    assert render_parts(split.parts) == "x ${randint(1, 2)} ${pick(v, 'w')} ${y}"


def test_helpers_in_a_scenario_file_need_no_definition_but_their_arguments_do() -> None:
    ok = "config: {target: 'http://t', variables: {msgs: [a]}}\nflow:\n  - post: /x\n    json: {id: '${uuid()}', m: '${pick(msgs)}'}\n"
    load_scenario_text(ok, filename="t.yaml", env={}, base_dir=Path("."))
    bad = "config: {target: 'http://t'}\nflow:\n  - post: /x\n    json: {m: '${pick(msg)}', n: '${randit(1, 2)}'}\n"
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(bad, filename="t.yaml", env={}, base_dir=Path("."))
    assert [str(i) for i in caught.value.issues] == [
        "t.yaml:4: flow[0].json.n: '${randit(1, 2)}': unknown helper 'randit'; did you mean randint()?",
        "t.yaml:4: flow[0].json.m: variable ${msg} is not defined; set it in config.variables or capture it in scenario 'default'",
    ]
