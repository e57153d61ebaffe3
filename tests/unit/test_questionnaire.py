"""The questionnaire tool executor and the simulated agent's tool-cycle policy (pure Python)."""

from __future__ import annotations

import json
import random

import pytest

from agentload.target.questionnaire import (
    QUESTIONS,
    TOOL_NAMES,
    Questionnaire,
    ToolError,
    Turn,
    offers_questionnaire,
    plan_turn,
    tool_definitions,
)


def test_ten_question_answer_cycles_then_done() -> None:
    q = Questionnaire(random.Random(1))
    first = q.start()
    sid = str(first["session_id"])
    assert first["question_id"] == "q1" and first["remaining"] == 10
    for i, question in enumerate(QUESTIONS):
        nxt = q.call("get_next_question", {"session_id": sid})
        assert nxt["question_id"] == question.id and nxt["done"] is False
        again = q.call("get_next_question", {"session_id": sid})
        assert again == nxt  # idempotent until the answer is recorded
        checked = q.call(
            "validate_answer",
            {"session_id": sid, "question_id": question.id, "answer": question.example_answer},
        )
        assert checked["valid"] is True and checked["reason"] is None
        rec = q.call("record_response", {"session_id": sid, "answer": question.example_answer})
        assert rec == {
            "session_id": sid,
            "question_id": question.id,
            "recorded": True,
            "answered": i + 1,
            "remaining": 9 - i,
        }
    done = q.call("get_next_question", {"session_id": sid})
    assert done["done"] is True and done["question"] is None and done["remaining"] == 0
    view = q.session_view(sid)
    assert view["answered"] == 10 and view["done"] is True
    assert view["answers"] == {
        "q1": "yes", "q2": "4", "q3": "phone", "q4": "no", "q5": "3",
        "q6": "Shorter waiting times", "q7": "yes", "q8": "5", "q9": "plus",
        "q10": "No, thank you",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("question", "answer", "normalized"),
    [
        (0, " Yes ", "yes"),
        (0, "n", "no"),
        (0, "maybe", None),
        (1, "5", "5"),
        (1, "6", None),
        (1, "four", None),
        (2, "EMAIL", "email"),
        (2, "fax", None),
        (5, "", None),
        (5, "x" * 501, None),
        (5, "Faster", "Faster"),
    ],
)
def test_validation_by_question_type(question: int, answer: str, normalized: str | None) -> None:
    found, reason = QUESTIONS[question].check(answer)
    assert found == normalized
    assert (reason is None) == (normalized is not None)


def test_tool_errors_carry_their_http_status() -> None:
    q = Questionnaire(random.Random(2))
    sid = str(q.start()["session_id"])
    cases = [
        ("no_such_tool", {"session_id": sid}, 404),
        ("validate_answer", {"session_id": "nope", "answer": "yes"}, 404),
        ("get_next_question", {}, 400),
        ("record_response", {"session_id": sid}, 400),
        ("record_response", {"session_id": sid, "answer": ["yes"]}, 400),
        ("record_response", {"session_id": sid, "question_id": "q2", "answer": "yes"}, 409),
        ("record_response", {"session_id": sid, "answer": "maybe"}, 422),
    ]
    for tool, args, status in cases:
        with pytest.raises(ToolError) as caught:
            q.call(tool, args)
        assert caught.value.status == status, (tool, args)
    with pytest.raises(ToolError) as caught:
        q.start(sid)
    assert caught.value.status == 409
    # A failed call changed nothing.
    assert q.call("get_next_question", {"session_id": sid})["question_id"] == "q1"


def test_get_next_question_starts_an_unknown_session_and_sessions_are_bounded() -> None:
    q = Questionnaire(random.Random(3), max_sessions=3)
    assert q.call("get_next_question", {"session_id": "call-1"})["question_id"] == "q1"
    for i in range(2, 6):
        q.start(f"s{i}")
    assert len(q) == 3
    with pytest.raises(ToolError):
        q.session_view("call-1")  # the oldest went first


def test_tool_definitions_name_the_three_tools() -> None:
    defs = tool_definitions()
    assert [d["function"]["name"] for d in defs] == list(TOOL_NAMES)  # type: ignore[index]
    assert offers_questionnaire(defs)
    assert not offers_questionnaire([{"type": "function", "function": {"name": "get_weather"}}])
    assert not offers_questionnaire(None)


def _run_agent(q: Questionnaire, sid: str, answers: list[str]) -> list[str]:
    """Play the caller and the tool runner against plan_turn; return the tool names called."""
    called: list[str] = []
    for answer in answers:
        messages: list[dict[str, object]] = [
            {"role": "system", "content": f"session_id: {sid}"},
            {"role": "user", "content": answer},
        ]
        while True:
            turn = plan_turn(messages)
            if turn.tool is None:
                break
            called.append(turn.tool)
            result = q.call(turn.tool, dict(turn.arguments or {}))
            call_id = f"call_{len(called)}"
            function = {"name": turn.tool, "arguments": json.dumps(turn.arguments)}
            messages = [
                *messages[:2],
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": call_id, "type": "function", "function": function}
                ]},
                {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)},
            ]  # fmt: skip
    return called


def test_the_simulated_agent_runs_ten_cycles_statelessly() -> None:
    q = Questionnaire(random.Random(4))
    sid = str(q.start()["session_id"])
    called = _run_agent(q, sid, [question.example_answer for question in QUESTIONS])
    assert called == ["validate_answer", "record_response", "get_next_question"] * 10
    assert q.session_view(sid)["answered"] == 10


def test_the_simulated_agent_asks_again_after_an_invalid_answer() -> None:
    q = Questionnaire(random.Random(5))
    sid = str(q.start()["session_id"])
    assert _run_agent(q, sid, ["maybe"]) == ["validate_answer"]
    assert q.session_view(sid)["answered"] == 0


def test_plan_turn_edge_cases() -> None:
    assert plan_turn([]).text
    assert plan_turn([{"role": "user", "content": "hi"}]).text == (
        "I need a session_id to start the questionnaire."
    )
    fresh = plan_turn([{"role": "user", "content": 'session_id="abc" hello'}])
    assert fresh == Turn(
        "validate_answer", {"session_id": "abc", "answer": 'session_id="abc" hello'}
    )
    broken = plan_turn(
        [
            {"role": "system", "content": "session_id: abc"},
            {"role": "tool", "tool_call_id": "x", "name": "validate_answer", "content": "oops"},
        ]
    )
    assert broken.tool is None and "oops" in (broken.text or "")
    last = plan_turn(
        [
            {"role": "system", "content": "session_id: abc"},
            {"role": "tool", "name": "get_next_question", "content": '{"done": true}'},
        ]
    )
    assert last.text == "Thank you, that completes the questionnaire."
