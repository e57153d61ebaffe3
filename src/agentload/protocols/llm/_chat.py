"""Receiving a chat-completions response, streamed or whole: sans-I/O.

The wire format is OpenAI's (``protocols.md`` §4.1): with ``"stream": true``
the body is ``text/event-stream``, one JSON chunk per ``data:`` event::

    data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}
    data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}
    data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1",
           "function":{"name":"f","arguments":"{\\"a\\""}}]}}]}
    data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}
    data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}
    data: [DONE]

Open-model servers add ``delta.reasoning_content`` (or ``delta.reasoning``);
errors may arrive in the stream as ``data: {"error": {...}}`` (GuideLLM's
``_check_streaming_error``). Without streaming the body is one
``chat.completion`` object whose ``choices[0].message`` has the same fields.

:class:`ChatResponse` is a :class:`~agentload.protocols.http.StreamReceiver`:
the HTTP client feeds it pieces with their arrival times, and
:meth:`ChatResponse.reply` assembles a :class:`ChatReply`. Only choice 0 is
assembled and timed (``n > 1`` is not a load-testing case).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from agentload.errors import ErrorKind
from agentload.protocols.llm._reply import ChatReply, ToolCall
from agentload.protocols.llm.timing import TokenTiming
from agentload.protocols.sse import SSEError, SSEEvent, SSEParser

__all__ = ["MAX_BODY_BYTES", "ChatResponse", "error_message"]

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""The largest non-streamed body kept (a larger one fails as ``malformed_response``)."""

_EVENT_STREAM: Final = b"text/event-stream"


def error_message(body: object, limit: int = 200) -> str:
    """A one-line message from an error body: OpenAI's ``{"error": {"message"}}`` or other."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            for key in ("message", "code", "type"):
                value = error.get(key)
                if isinstance(value, str) and value:
                    return value[:limit]
        if isinstance(error, str) and error:
            return error[:limit]
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    return " ".join(text.split())[:limit]


class _ToolCallParts:
    """The fragments of one tool call received so far."""

    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id = ""
        self.type = ""
        self.name: list[str] = []
        self.arguments: list[str] = []


class ChatResponse:
    """One chat-completions response being received; see the module docstring.

    Feed it with :meth:`receive_head` and :meth:`receive_body` (directly, or by
    passing it to ``HttpClient.stream``), then call :meth:`reply` once.
    """

    __slots__ = (
        "_body",
        "_body_size",
        "_calls",
        "_chunks",
        "_content",
        "_done_ns",
        "_error",
        "_error_kind",
        "_finish",
        "_first_output_ns",
        "_id",
        "_model",
        "_reasoning",
        "_sse",
        "_status",
        "_token_ns",
        "_usage",
    )

    def __init__(self) -> None:
        self._status = 0
        self._sse: SSEParser | None = None
        self._body: list[bytes] = []
        self._body_size = 0
        self._token_ns: list[int] = []
        self._first_output_ns: int | None = None
        self._done_ns: int | None = None
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _ToolCallParts] = {}
        self._finish: str | None = None
        self._usage: dict[str, Any] | None = None
        self._id: str | None = None
        self._model: str | None = None
        self._error_kind: ErrorKind | None = None
        self._error: str | None = None
        self._chunks = 0

    @property
    def status(self) -> int:
        """The response status, 0 until the head arrived."""
        return self._status

    # -- StreamReceiver ---------------------------------------------------------------

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]], at_ns: int) -> None:
        """Note the status; a 2xx ``text/event-stream`` answer is parsed as a stream."""
        self._status = status
        if 200 <= status < 300:
            for name, value in headers:
                if name.lower() == b"content-type":
                    if value.lower().startswith(_EVENT_STREAM):
                        self._sse = SSEParser()
                    break

    def receive_body(self, data: bytes, at_ns: int) -> bool:
        """Parse a piece of the body; returns ``True`` (stop) once the body is unusable."""
        sse = self._sse
        if sse is None:
            self._body_size += len(data)
            if self._body_size > MAX_BODY_BYTES:
                self._fail(ErrorKind.MALFORMED, f"the body is larger than {MAX_BODY_BYTES} bytes")
                return True
            self._body.append(data)
            return False
        try:
            sse.receive_data(data)
        except SSEError as exc:
            self._fail(ErrorKind.MALFORMED, str(exc))
            return True
        for event in sse.events_received():
            self._event(event, at_ns)
        return False

    # -- the result ---------------------------------------------------------------------

    def reply(self, *, start_ns: int, end_ns: int, cut: str | None = None) -> ChatReply:
        """Assemble the reply. ``end_ns``: when the response was complete.

        ``cut`` is the reason the connection failed mid-response, if it did: the
        reply then fails as ``stream_cut`` (unless it had already failed).
        """
        if cut is not None:
            self._fail(ErrorKind.STREAM_CUT, cut)
        elif self._sse is not None:
            self._sse.receive_eof()
            if self._done_ns is None and self._finish is None:
                reason = "the stream ended without [DONE] or a finish_reason"
                self._fail(ErrorKind.STREAM_CUT, reason)
        elif self._status:
            self._whole(end_ns)
        usage = self._usage
        tokens = usage.get("completion_tokens") if usage is not None else None
        return ChatReply(
            status=self._status,
            timing=TokenTiming(
                start_ns=start_ns,
                token_ns=tuple(self._token_ns),
                first_output_ns=self._first_output_ns,
                done_ns=self._done_ns,
                output_tokens=tokens if type(tokens) is int and tokens >= 0 else None,
            ),
            streamed=self._sse is not None,
            content="".join(self._content) if self._content else None,
            reasoning="".join(self._reasoning) if self._reasoning else None,
            tool_calls=tuple(
                ToolCall(
                    index=index,
                    id=parts.id,
                    type=parts.type or "function",
                    name="".join(parts.name),
                    arguments="".join(parts.arguments),
                )
                for index, parts in sorted(self._calls.items())
            ),
            finish_reason=self._finish,
            usage=usage,
            id=self._id,
            model=self._model,
            error_kind=self._error_kind,
            error=self._error,
            chunks=self._chunks,
        )

    # -- interpretation ---------------------------------------------------------------------

    def _fail(self, kind: ErrorKind, message: str) -> None:
        if self._error_kind is None:  # the first failure is the cause; later ones follow from it
            self._error_kind = kind
            self._error = message

    def _event(self, event: SSEEvent, at_ns: int) -> None:
        if self._done_ns is not None:
            return  # nothing counts after [DONE]
        data = event.data
        if data == "[DONE]":
            self._done_ns = at_ns
            return
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            self._fail(ErrorKind.MALFORMED, f"a stream chunk is not JSON: {data[:60]!r}")
            return
        if not isinstance(chunk, dict):
            self._fail(ErrorKind.MALFORMED, f"a stream chunk is not a JSON object: {data[:60]!r}")
            return
        if event.event == "error" or chunk.get("error") is not None:
            self._fail(ErrorKind.LLM_ERROR, error_message(chunk))
            return
        self._chunks += 1
        self._completion(chunk, "delta", at_ns)

    def _completion(self, obj: dict[str, Any], part: str, at_ns: int) -> None:
        # One chunk (part "delta") or a whole completion (part "message").
        if self._id is None and isinstance(obj.get("id"), str):
            self._id = obj["id"]
        if self._model is None and isinstance(obj.get("model"), str):
            self._model = obj["model"]
        choices = obj.get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get(part)
                if isinstance(delta, dict):
                    self._delta(delta, at_ns)
                finish = choice.get("finish_reason")
                if isinstance(finish, str):
                    self._finish = finish
        usage = obj.get("usage")
        if isinstance(usage, dict):
            self._usage = usage  # the last one wins (vLLM's continuous usage stats)

    def _delta(self, delta: dict[str, Any], at_ns: int) -> None:
        output = False
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._content.append(content)
            output = True
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        thought = isinstance(reasoning, str) and bool(reasoning)
        if thought:
            self._reasoning.append(str(reasoning))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            for position, fragment in enumerate(calls):
                if isinstance(fragment, dict) and self._tool_fragment(position, fragment):
                    output = True
        if output or thought:
            # A token-bearing chunk (docs/metrics.md): it sets TTFT and ITL.
            self._token_ns.append(at_ns)
            if output and self._first_output_ns is None:
                self._first_output_ns = at_ns

    def _tool_fragment(self, position: int, fragment: dict[str, Any]) -> bool:
        """Add one ``tool_calls`` fragment; ``True`` when it carried any text of the call."""
        index = fragment.get("index")
        if type(index) is not int:
            index = position  # some servers omit the index of a lone call
        parts = self._calls.get(index)
        if parts is None:
            parts = self._calls[index] = _ToolCallParts()
        carried = False
        call_id = fragment.get("id")
        if isinstance(call_id, str) and call_id:
            carried = True
            if not parts.id:  # sent once, with the first fragment
                parts.id = call_id
        kind = fragment.get("type")
        if isinstance(kind, str) and kind and not parts.type:
            parts.type = kind
        function = fragment.get("function")
        if isinstance(function, dict):
            name = function.get("name")
            if isinstance(name, str) and name:
                parts.name.append(name)
                carried = True
            arguments = function.get("arguments")
            if isinstance(arguments, str) and arguments:
                parts.arguments.append(arguments)
                carried = True
        return carried

    def _whole(self, end_ns: int) -> None:
        # Not an event stream: a whole completion (stream: false), or a non-2xx
        # answer whose body says what went wrong.
        raw = b"".join(self._body)
        self._body = []
        try:
            body: object = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        if not 200 <= self._status < 300:
            self._error = error_message(body) if raw else f"HTTP {self._status}"
            return
        if not isinstance(body, dict):
            self._fail(ErrorKind.MALFORMED, f"the body is not a JSON object: {error_message(body)}")
        elif body.get("error") is not None:
            self._fail(ErrorKind.LLM_ERROR, error_message(body))
        elif not isinstance(body.get("choices"), list):
            self._fail(ErrorKind.MALFORMED, "the completion has no 'choices' list")
        else:
            # Every token of a whole completion arrives when the body is complete.
            self._completion(body, "message", end_ns)
