"""The reference target's questionnaire: REST tools, and tool calls inside the simulated LLM."""

from __future__ import annotations

import json

import aiohttp

from agentload.target import LatencyDist, TargetConfig
from agentload.target.questionnaire import QUESTIONS
from tests.integration._target_client import run

FAST = TargetConfig(seed=1, tool_latency=LatencyDist.constant(0.001), llm_ttft_ms=1, llm_tps=5000)


def test_ten_cycles_over_rest() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/questionnaire/sessions", json={}) as resp:
            assert resp.status == 201
            sid = (await resp.json())["session_id"]
        for question in QUESTIONS:
            tools = "/api/questionnaire/tools/"
            async with client.post(tools + "get_next_question", json={"session_id": sid}) as r:
                assert r.status == 200
                assert (await r.json())["question"]["id"] == question.id
            args = {
                "session_id": sid,
                "question_id": question.id,
                "answer": question.example_answer,
            }
            async with client.post(tools + "validate_answer", json=args) as r:
                assert (await r.json())["valid"] is True
            async with client.post(tools + "record_response", json=args) as r:
                assert r.status == 200 and (await r.json())["recorded"] is True
        async with client.get(f"/api/questionnaire/sessions/{sid}") as resp:
            assert (await resp.json())["answered"] == 10

    run(body, FAST)


def test_rest_errors_and_fault_knobs() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        tools = "/api/questionnaire/tools/"
        async with client.post("/api/questionnaire/sessions", json={"session_id": "s1"}) as r:
            assert r.status == 201
        cases = [
            (tools + "nope", {"session_id": "s1"}, 404),
            (tools + "record_response", {"session_id": "zz", "answer": "yes"}, 404),
            (tools + "record_response", {"session_id": "s1", "answer": "maybe"}, 422),
            (
                tools + "record_response",
                {"session_id": "s1", "question_id": "q9", "answer": "y"},
                409,
            ),
            (tools + "validate_answer", {"answer": "yes"}, 400),
            ("/api/questionnaire/sessions", {"session_id": "s1"}, 409),
            (tools + "get_next_question?status=503", {"session_id": "s1"}, 503),
            (tools + "get_next_question?fail_rate=1", {"session_id": "s1"}, 500),
        ]
        for url, args, status in cases:
            async with client.post(url, json=args) as r:
                assert r.status == status, (url, await r.text())
                assert "error" in await r.json()
        async with client.get("/api/questionnaire/tools") as r:
            names = [t["function"]["name"] for t in (await r.json())["tools"]]
            assert names == ["get_next_question", "validate_answer", "record_response"]

    run(body, FAST)


async def _complete(
    client: aiohttp.ClientSession, messages: list[dict[str, object]], *, stream: bool
) -> dict[str, object]:
    """One completion: the assistant message (tool call or text) and the finish reason."""
    async with client.get("/api/questionnaire/tools") as r:
        tools = (await r.json())["tools"]
    body = {"model": "m", "messages": messages, "tools": tools, "stream": stream}
    async with client.post("/v1/chat/completions", json=body) as resp:
        assert resp.status == 200
        if not stream:
            choice = (await resp.json())["choices"][0]
            return {**choice["message"], "finish_reason": choice["finish_reason"]}
        text, name, arguments, call_id, finish = "", "", "", "", None
        async for line in resp.content:
            data = line.decode().strip().removeprefix("data: ")
            if not data or data == "[DONE]":
                continue
            for choice in json.loads(data)["choices"]:
                delta = choice["delta"]
                text += delta.get("content") or ""
                for call in delta.get("tool_calls", ()):
                    call_id = call.get("id", call_id)
                    name += call["function"].get("name") or ""
                    arguments += call["function"].get("arguments") or ""
                finish = choice["finish_reason"] or finish
    if name:
        function = {"name": name, "arguments": arguments}
        calls = [{"id": call_id, "type": "function", "function": function}]
        return {"role": "assistant", "content": None, "tool_calls": calls, "finish_reason": finish}
    return {"role": "assistant", "content": text, "finish_reason": finish}


def test_the_simulated_llm_drives_ten_cycles_through_tool_calls() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/questionnaire/sessions", json={}) as r:
            sid = (await r.json())["session_id"]
        tools_called: list[str] = []
        asked: list[str] = []
        for i, question in enumerate(QUESTIONS):
            stream = i % 2 == 0  # both forms of the reply
            history: list[dict[str, object]] = [
                {"role": "system", "content": f"session_id: {sid}"},
                {"role": "user", "content": question.example_answer},
            ]
            while True:
                reply = await _complete(client, history, stream=stream)
                finish = reply.pop("finish_reason")
                if "tool_calls" not in reply:
                    assert finish == "stop"
                    asked.append(str(reply["content"]))
                    break
                assert finish == "tool_calls"
                call = reply["tool_calls"][0]  # type: ignore[index]
                name, args = call["function"]["name"], call["function"]["arguments"]
                tools_called.append(name)
                async with client.post(f"/api/questionnaire/tools/{name}", data=args) as r:
                    assert r.status == 200, await r.text()
                    result = await r.text()
                history = [
                    *history,
                    reply,
                    {"role": "tool", "tool_call_id": call["id"], "content": result},
                ]
        assert tools_called == ["validate_answer", "record_response", "get_next_question"] * 10
        assert asked == [q.text for q in QUESTIONS[1:]] + [
            "Thank you, that completes the questionnaire."
        ]
        async with client.get(f"/api/questionnaire/sessions/{sid}") as r:
            assert (await r.json())["answered"] == 10

    run(body, FAST, timeout=60)


def test_other_tools_keep_the_plain_tool_call_knob() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        tools = [{"type": "function", "function": {"name": "get_weather"}}]
        payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": tools}
        async with client.post("/v1/chat/completions?tool_call=1", json=payload) as r:
            message = (await r.json())["choices"][0]["message"]
            assert message["tool_calls"][0]["function"]["name"] == "get_weather"
        async with client.post("/v1/chat/completions", json=payload) as r:
            assert (await r.json())["choices"][0]["message"]["content"].startswith("Sure")

    run(body, FAST)
