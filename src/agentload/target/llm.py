"""A simulated LLM: ``POST /v1/chat/completions`` (OpenAI-compatible) and ``GET /api/events``.

Chat completions stream in OpenAI's format (``protocols.md`` §4.1): a role
chunk at once, then one chunk per token, a finish chunk, the usage chunk
(with ``stream_options.include_usage``) and ``data: [DONE]``. Without
``"stream": true`` the whole completion comes as one JSON object when the last
token would have been generated.

Timing is drift-free: token ``k`` (from 0) is written at ``arrival + ttft +
k / tps``, all counted from the request's arrival, so a late wake-up delays
one token but never the ones after it, and a client's expected TTFT and
inter-token gaps are exact. The clock is ``time.monotonic()``, not
``loop.time()``: uvloop's loop clock has millisecond steps, and its timers may
fire up to a millisecond early, which would send tokens before their time.

Knobs, per request in the query (``?ttft_ms=200&tps=50``) or in the body's
``"agentload"`` object (the query wins), defaults from the start-up flags:

=============  ==============================================================
``ttft_ms``    time to the first token (default ``--llm-ttft``)
``tps``        tokens per second after the first (default ``--llm-tps``)
``tokens``     answer tokens (default ``--llm-tokens``; ``max_tokens`` caps it,
               with ``finish_reason: length``)
``reasoning``  reasoning tokens (``delta.reasoning_content``) before the answer
``tool_call``  1: answer with a streamed call of the first tool given (or
               ``get_weather``), ``finish_reason: tool_calls``
``cut_after``  close the connection after this many tokens (never a finish chunk)
``error``      1: an in-stream error event instead of the first token
=============  ==============================================================

Tool cycles: when the request offers a questionnaire tool (``get_next_question``,
``validate_answer`` or ``record_response``, ``target/questionnaire.py``), the
model plays the survey agent of seed 000 instead: from the conversation alone
it streams the next tool call (``finish_reason: tool_calls``), or, after a
question was fetched, the question as text (one token a word, ``stop``) —
see :func:`agentload.target.questionnaire.plan_turn`. ``tokens`` then sets the
tool call's tokens only; the timing knobs apply unchanged.

``GET /api/events?count=5&interval_ms=100&event=tick&until=done&cut_after=N``
is a plain event stream: ``count`` events (``id``, ``event``, ``data:
{"seq": i}``), one per interval, then an ``until`` event if asked, then the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from aiohttp import web

from agentload.target._http import bad_request, http_error, json_response, new_id, read_json_object
from agentload.target.config import TargetConfig
from agentload.target.handlers import bearer_token, token_accepted
from agentload.target.questionnaire import offers_questionnaire, plan_turn
from agentload.target.state import STATE

__all__ = ["LlmKnobs", "chat_completions", "events"]

_WORDS = (
    "Sure", "!", " I", " can", " help", " with", " that", ".", " Your", " order",
    " is", " on", " its", " way", " and", " should", " arrive", " within", " two",
    " business", " days", ".", " Is", " there", " anything", " else", " I", " can",
    " do", " for", " you", "?",
)  # fmt: skip
_THOUGHTS = (" Let", " me", " think", " about", " the", " order", " status", ".")
_ARGUMENTS = '{"city": "Paris", "unit": "celsius", "days": 3}'
_MAX_TOKENS = 100_000
_MAX_MS = 600_000.0


@dataclass(frozen=True, slots=True)
class LlmKnobs:
    """How one simulated completion behaves (see the module docstring)."""

    ttft_s: float
    tps: float
    tokens: int
    reasoning: int = 0
    tool_call: bool = False
    cut_after: int | None = None
    error: bool = False

    @classmethod
    def parse(
        cls, query: Mapping[str, str], body: Mapping[str, object], config: TargetConfig
    ) -> LlmKnobs:
        """Knobs from the query, then the body's ``agentload`` object, then ``config``."""
        extra = body.get("agentload")
        given: dict[str, object] = dict(extra) if isinstance(extra, dict) else {}
        given.update(query)

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = given.get(name, default)
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise bad_request(f"knob {name}={raw!r} is not a number") from None
            if not math.isfinite(value) or not low <= value <= high:
                raise bad_request(f"knob {name}={raw!r} must be between {low:g} and {high:g}")
            return value

        cut = given.get("cut_after")
        return cls(
            ttft_s=number("ttft_ms", config.llm_ttft_ms, 0.0, _MAX_MS) / 1000.0,
            tps=number("tps", config.llm_tps, 0.001, 1e6),
            tokens=int(number("tokens", config.llm_tokens, 0, _MAX_TOKENS)),
            reasoning=int(number("reasoning", 0, 0, _MAX_TOKENS)),
            tool_call=number("tool_call", 0, 0, 1) >= 1,
            cut_after=None if cut is None else int(number("cut_after", 0, 0, _MAX_TOKENS)),
            error=number("error", 0, 0, 1) >= 1,
        )


@dataclass(frozen=True, slots=True)
class _Script:
    """What a reply says: content words, or a call of ``tool`` with ``arguments``."""

    words: tuple[str, ...] = _WORDS
    tool: str | None = None
    arguments: str = _ARGUMENTS


def _script(knobs: LlmKnobs, body: Mapping[str, object]) -> tuple[LlmKnobs, _Script]:
    """The reply's script, and the knobs adjusted to it (questionnaire tool cycles)."""
    messages = body.get("messages")
    if not offers_questionnaire(body.get("tools")) or not isinstance(messages, list):
        name = _tool_name(body) if knobs.tool_call else None
        return knobs, _Script(tool=name)
    turn = plan_turn([m for m in messages if isinstance(m, dict)])
    if turn.tool is not None:
        arguments = orjson.dumps(dict(turn.arguments or {})).decode()
        return dataclasses.replace(knobs, tool_call=True), _Script(
            tool=turn.tool, arguments=arguments
        )
    words = tuple(re.findall(r"\s*\S+", turn.text or "")) or ("",)
    return dataclasses.replace(knobs, tool_call=False, tokens=len(words)), _Script(words=words)


def _split(text: str, parts: int) -> list[str]:
    """``text`` in ``parts`` non-empty pieces of near-equal length (fewer if it is short)."""
    parts = max(1, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    out, pos = [], 0
    for i in range(parts):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return out


def _tool_name(body: Mapping[str, object]) -> str:
    tools = body.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        function = tools[0].get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return "get_weather"


def _deltas(knobs: LlmKnobs, answer: int, script: _Script, call_id: str) -> list[dict[str, object]]:
    """One delta per token: reasoning first, then content or a tool call's fragments."""
    out: list[dict[str, object]] = [
        {"reasoning_content": _THOUGHTS[i % len(_THOUGHTS)]} for i in range(knobs.reasoning)
    ]
    if not knobs.tool_call:
        words = script.words
        out.extend({"content": words[i % len(words)]} for i in range(answer))
        return out
    if answer == 0:
        return out
    pieces = _split(script.arguments, answer - 1) if answer > 1 else []
    head = {"name": script.tool, "arguments": "" if pieces else script.arguments}
    out.append({"tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": head}]})
    out.extend({"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces)
    return out


def _prompt_tokens(body: Mapping[str, object]) -> int:
    # ~4 characters a token, the usual rule of thumb for English BPE tokenizers.
    return max(1, len(orjson.dumps(body.get("messages"))) // 4)


def _check_request(request: web.Request, body: Mapping[str, object], config: TargetConfig) -> None:
    if config.token is not None and not token_accepted(config, bearer_token(request)):
        message = "a valid 'Authorization: Bearer <token>' header is required"
        raise http_error(web.HTTPUnauthorized, message)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("'model' is required and must be a non-empty string")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' is required and must be a non-empty list")


async def _until(when: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``when``; never return early."""
    while (delay := when - time.monotonic()) > 0:
        await asyncio.sleep(delay)  # again if the timer fired a fraction early


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """``POST /v1/chat/completions``: a simulated completion, streamed or whole."""
    arrival = time.monotonic()  # every token is scheduled from here (drift-free)
    state = request.app[STATE]
    config = state.config
    body = await read_json_object(request)
    _check_request(request, body, config)
    knobs, script = _script(LlmKnobs.parse(request.query, body, config), body)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    answer, finish = knobs.tokens, "tool_calls" if knobs.tool_call else "stop"
    if type(limit) is int and limit >= 0 and knobs.reasoning + answer > limit:
        # Reasoning tokens count toward the limit too (as OpenAI's do).
        knobs = dataclasses.replace(knobs, reasoning=min(knobs.reasoning, limit))
        answer, finish = limit - knobs.reasoning, "length"
    call_id = new_id(state.rng, "call")
    deltas = _deltas(knobs, answer, script, call_id)
    ident, created, model = new_id(state.rng, "chatcmpl"), int(time.time()), str(body["model"])
    prompt = _prompt_tokens(body)
    usage = {"prompt_tokens": prompt, "completion_tokens": len(deltas), "total_tokens": prompt}
    usage["total_tokens"] += len(deltas)
    first = arrival + knobs.ttft_s
    if body.get("stream") is not True:
        await _until(first + max(0, len(deltas) - 1) / knobs.tps)
        if knobs.cut_after is not None and request.transport is not None:
            request.transport.close()  # no answer at all
            return web.Response()
        if knobs.error:
            error = {"message": "simulated error (error=1)", "type": "server_error"}
            return json_response({"error": error}, status=500)
        text = "".join(str(d["content"]) for d in deltas if "content" in d)
        thought = "".join(str(d["reasoning_content"]) for d in deltas if "reasoning_content" in d)
        message: dict[str, object] = {"role": "assistant", "content": text or None}
        if thought:
            message["reasoning_content"] = thought
        if knobs.tool_call and answer:
            function = {"name": script.tool, "arguments": script.arguments}
            message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
        return json_response(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )
    options = body.get("stream_options")
    with_usage = isinstance(options, dict) and options.get("include_usage") is True
    head = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model}

    def chunk(delta: dict[str, object] | None, reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": reason}
        extra = {"usage": None} if with_usage else {}
        return b"data: " + orjson.dumps({**head, "choices": [choice], **extra}) + b"\n\n"

    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    await response.write(chunk({"role": "assistant", "content": ""}))  # not a token
    if knobs.error:
        # Where the first token would be: an error event, then the end (GuideLLM's
        # _check_streaming_error shape, protocols.md §4.1).
        await _until(first)
        failure = {"message": "simulated error (error=1)", "type": "server_error", "code": None}
        await response.write(b"data: " + orjson.dumps({"error": failure}) + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
    cut = knobs.cut_after
    for k, delta in enumerate(deltas):
        if cut is not None and k >= cut:
            break
        await _until(first + k / knobs.tps)
        await response.write(chunk(delta))
    if cut is not None:
        # Mid-stream, before the finish chunk: the chunked body never ends.
        if request.transport is not None:
            request.transport.close()
        return response
    await _until(first + max(0, len(deltas) - 1) / knobs.tps)
    await response.write(chunk({}, finish))
    if with_usage:
        payload = {**head, "choices": [], "usage": usage}
        await response.write(b"data: " + orjson.dumps(payload) + b"\n\n")
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def events(request: web.Request) -> web.StreamResponse:
    """``GET /api/events``: a plain server-sent event stream (see the module docstring)."""
    arrival = time.monotonic()
    query = request.query
    knobs: dict[str, int] = {}
    for name, default, high in (("count", 5, 100_000), ("interval_ms", 100, 600_000)):
        raw = query.get(name, str(default))
        if not raw.isdigit() or int(raw) > high:
            raise bad_request(f"{name}={raw!r} must be a whole number from 0 to {high}")
        knobs[name] = int(raw)
    cut = query.get("cut_after")
    if cut is not None and not cut.isdigit():
        raise bad_request(f"cut_after={cut!r} must be a whole number")
    kind, final = query.get("event", "tick"), query.get("until", "")
    if any(c in name for name in (kind, final) for c in "\r\n:"):
        raise bad_request("event and until must be event type names, on one line")
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    await response.write(b": agentload reference target\n\n")  # a comment, as keep-alives are
    interval = knobs["interval_ms"] / 1000.0
    for i in range(knobs["count"]):
        if cut is not None and i >= int(cut):
            if request.transport is not None:
                request.transport.close()
            return response
        await _until(arrival + (i + 1) * interval)
        data = orjson.dumps({"seq": i})
        await response.write(b"id: %d\nevent: %s\ndata: %s\n\n" % (i, kind.encode(), data))
    if final:
        data = orjson.dumps({"seq": knobs["count"]})
        await response.write(b"event: %s\ndata: %s\n\n" % (final.encode(), data))
    await response.write_eof()
    return response
