"""``ChatResponse``: OpenAI chat-completion streams in, assembled replies and timings out.

Sans-I/O: bytes are fed with synthetic arrival times (``at_ns``), no sockets.
"""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ErrorKind
from agentload.protocols.llm import ChatReply, ChatResponse, ToolCall, chat_request_body

SSE = [(b"Content-Type", b"text/event-stream; charset=utf-8")]
JSON = [(b"Content-Type", b"application/json")]


def event(obj: object) -> bytes:
    data = obj if isinstance(obj, str) else orjson.dumps(obj).decode()
    return f"data: {data}\n\n".encode()


def delta(d: dict[str, object], finish: str | None = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": d, "finish_reason": finish}],
        "usage": None,
    }


def usage(completion: int) -> dict[str, object]:
    counts = {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 5 + completion}
    return {"choices": [], "usage": counts}


def call(
    index: int | None, arguments: str, call_id: str | None = None, name: str | None = None
) -> dict[str, object]:
    """A ``delta`` carrying one tool-call fragment."""
    fragment: dict[str, object] = {"function": {"arguments": arguments}}
    if index is not None:
        fragment["index"] = index
    if call_id is not None:
        fragment.update(id=call_id, type="function")
        fragment["function"] = {"name": name, "arguments": arguments}
    return {"tool_calls": [fragment]}


def receive(
    pieces: list[tuple[int, bytes]], *, status: int = 200, headers: list[tuple[bytes, bytes]] = SSE
) -> ChatReply:
    chat = ChatResponse()
    chat.receive_head(status, headers, 0)
    for at, data in pieces:
        chat.receive_body(data, at)
    end = pieces[-1][0] if pieces else 0
    return chat.reply(start_ns=0, end_ns=end)


def test_content_deltas_are_assembled_and_timed() -> None:
    reply = receive(
        [
            (10, event(delta({"role": "assistant", "content": ""}))),  # role only: not a token
            (200, event(delta({"content": "Hel"}))),
            (220, event(delta({"content": "lo"}))),
            (240, event(delta({}, "stop")) + event(usage(2)) + event("[DONE]")),
        ]
    )
    assert reply.ok and reply.streamed
    assert reply.content == "Hello" and reply.finish_reason == "stop"
    assert reply.timing.token_ns == (200, 220)
    assert reply.timing.first_output_ns == 200
    assert reply.timing.done_ns == 240
    assert reply.timing.output_tokens == 2
    assert reply.usage == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    assert reply.id == "chatcmpl-1" and reply.model == "m" and reply.chunks == 5


def test_empty_and_role_only_chunks_do_not_count_as_tokens() -> None:
    reply = receive(
        [
            (5, event(delta({"role": "assistant"}))),
            (6, event(delta({"content": ""}))),
            (7, event(delta({"content": None, "tool_calls": []}))),
            (8, event(delta({"reasoning_content": ""}))),
            (50, event(delta({"content": "x"}, "stop"))),
        ]
    )
    assert reply.timing.token_ns == (50,)


def test_reasoning_counts_for_ttft_but_not_ttfot() -> None:
    reply = receive(
        [
            (30, event(delta({"reasoning_content": "Let me"}))),
            (40, event(delta({"reasoning": " think"}))),  # vLLM's newer field name
            (90, event(delta({"content": "Yes"}, "stop"))),
        ]
    )
    assert reply.reasoning == "Let me think" and reply.content == "Yes"
    assert reply.timing.token_ns == (30, 40, 90)
    assert reply.timing.first_output_ns == 90


def test_streamed_tool_calls_are_reassembled() -> None:
    both = {"tool_calls": [call(0, "", "call_a", "get_weather")["tool_calls"][0]]}
    both["tool_calls"] += call(1, "", "call_b", "get_time")["tool_calls"]
    reply = receive(
        [
            (10, event(delta({"role": "assistant", "content": None}))),
            (100, event(delta(both))),
            (120, event(delta(call(0, '{"city":')))),
            (140, event(delta(call(1, '{"tz": "UTC"}')))),
            (160, event(delta(call(0, ' "Paris"}')))),
            (180, event(delta({}, "tool_calls")) + event("[DONE]")),
        ]
    )
    assert reply.ok and reply.finish_reason == "tool_calls"
    assert reply.content is None
    assert reply.tool_calls == (
        ToolCall(0, "call_a", "function", "get_weather", '{"city": "Paris"}'),
        ToolCall(1, "call_b", "function", "get_time", '{"tz": "UTC"}'),
    )
    # The fragment naming the calls is the first token: tool calls are answer tokens.
    assert reply.timing.token_ns == (100, 120, 140, 160)
    assert reply.timing.first_output_ns == 100
    doc = reply.document()
    assert doc["tool_calls"][0] == {
        "id": "call_a",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }


def test_a_tool_call_without_index_is_placed_by_position() -> None:
    reply = receive(
        [
            (1, event(delta(call(None, "{}", "c", "f")))),
            (2, event(delta({}, "tool_calls"))),
        ]
    )
    assert reply.tool_calls == (ToolCall(0, "c", "function", "f", "{}"),)


def test_an_error_event_fails_the_reply() -> None:
    error = {"error": {"message": "model overloaded", "type": "server_error"}}
    reply = receive([(10, event(delta({"content": "a"}))), (20, event(error) + event("[DONE]"))])
    assert reply.error_kind is ErrorKind.LLM_ERROR
    assert reply.error == "model overloaded"
    assert not reply.ok


def test_an_error_typed_event_fails_the_reply() -> None:
    reply = receive([(10, b'event: error\ndata: {"message": "bad"}\n\n')])
    assert reply.error_kind is ErrorKind.LLM_ERROR


def test_a_chunk_that_is_not_json_is_malformed() -> None:
    reply = receive([(10, event("{not json")), (20, event(delta({}, "stop")))])
    assert reply.error_kind is ErrorKind.MALFORMED


def test_a_stream_without_done_or_finish_reason_was_cut() -> None:
    reply = receive([(10, event(delta({"content": "a"})))])
    assert reply.error_kind is ErrorKind.STREAM_CUT


def test_a_finish_reason_without_done_is_complete() -> None:
    reply = receive([(10, event(delta({"content": "a"}, "length")))])
    assert reply.ok and reply.finish_reason == "length"


def test_a_cut_connection_fails_as_stream_cut_unless_it_failed_before() -> None:
    chat = ChatResponse()
    chat.receive_head(200, SSE, 0)
    chat.receive_body(event(delta({"content": "a"})), 5)
    reply = chat.reply(start_ns=0, end_ns=0, cut="connection closed")
    assert reply.error_kind is ErrorKind.STREAM_CUT and reply.error == "connection closed"
    assert reply.content == "a"


def test_nothing_after_done_counts() -> None:
    late = event(delta({"content": "b"}))
    reply = receive([(10, event(delta({"content": "a"}, "stop")) + event("[DONE]") + late)])
    assert reply.content == "a" and reply.timing.token_ns == (10,)


def test_a_whole_completion() -> None:
    body = {
        "id": "c1",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hi there", "reasoning_content": "hm"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    reply = receive([(100, orjson.dumps(body)[:20]), (300, orjson.dumps(body)[20:])], headers=JSON)
    assert reply.ok and not reply.streamed
    assert reply.content == "Hi there" and reply.reasoning == "hm"
    # Every token of a whole completion arrives when the body is complete.
    assert reply.timing.token_ns == (300,) and reply.timing.first_output_ns == 300
    assert reply.timing.output_tokens == 4


def test_a_non_2xx_answer_keeps_its_message_and_leaves_the_status_to_the_caller() -> None:
    body = orjson.dumps({"error": {"message": "Invalid API key", "type": "auth"}})
    reply = receive([(5, body)], status=401, headers=JSON)
    assert reply.status == 401 and reply.error == "Invalid API key"
    assert reply.error_kind is None and not reply.ok


def test_a_2xx_body_that_is_not_a_completion_is_malformed() -> None:
    assert receive([(5, b"<html>")], headers=[]).error_kind is ErrorKind.MALFORMED
    assert receive([(5, b'{"x": 1}')], headers=JSON).error_kind is ErrorKind.MALFORMED


def test_the_request_body_asks_for_usage_when_streaming() -> None:
    msgs = [{"role": "user", "content": "hi"}]
    assert chat_request_body("m", msgs, stream=True, params={"max_tokens": 5}) == {
        "model": "m",
        "messages": msgs,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 5,
    }
    assert "stream_options" not in chat_request_body("m", msgs, stream=False)


STREAM = b"".join(
    [
        event(delta({"role": "assistant", "content": ""})),
        b": keep-alive\n\n",
        event(delta({"reasoning_content": "hmm"})),
        event(delta({"content": "Bonjour "})),
        event(delta({"content": "à vous 🚀"})),
        event(delta(call(0, '{"a"', "c", "f"))),
        event(delta(call(0, ": 1}"))),
        event(delta({}, "stop")),
        event(usage(5)),
        event("[DONE]"),
    ]
)


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(0, len(STREAM)), max_size=20))
def test_any_split_of_the_bytes_gives_the_same_reply(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    reply = receive([(i, p) for i, p in enumerate(pieces)])
    assert reply.ok
    assert reply.content == "Bonjour à vous 🚀" and reply.reasoning == "hmm"
    assert reply.tool_calls == (ToolCall(0, "c", "function", "f", '{"a": 1}'),)
    assert reply.timing.output_tokens == 5
    assert len(reply.timing.token_ns) == 5


@pytest.mark.parametrize("status", [200, 500])
def test_reply_before_any_body(status: int) -> None:
    chat = ChatResponse()
    chat.receive_head(status, SSE, 0)
    assert not chat.reply(start_ns=0, end_ns=0).ok


_KEYS = st.sampled_from(
    ["choices", "index", "delta", "content", "tool_calls", "function", "arguments", "name",
     "id", "usage", "completion_tokens", "finish_reason", "error", "message", "x"]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(_JSON, max_size=6), junk=st.binary(max_size=40))
def test_any_json_chunks_or_junk_never_raise(chunks: list[object], junk: bytes) -> None:
    chat = ChatResponse()
    chat.receive_head(200, SSE, 0)
    for i, chunk in enumerate(chunks):
        chat.receive_body(event(chunk), i)
    chat.receive_body(junk, 99)
    reply = chat.reply(start_ns=0, end_ns=100)
    assert reply.error_kind is None or isinstance(reply.error_kind, ErrorKind)
    reply.document()
