"""A chat agent over WebSocket: ``GET /ws/chat`` streams each reply as token events.

The agent of seed 002's WebSocket suite. After the handshake it sends
``{"type": "session", "session_id": …}``; each message from the client (a JSON
object ``{"type": "message", "text": …}`` or any text) gets a reply streamed as

* ``{"type": "token", "text": " order", "index": 3, "message_id": …}`` per token, then
* ``{"type": "done", "message_id": …, "conversation_id": …, "tokens": N, "text": …}``.

Timing is drift-free, as for ``/v1/chat/completions`` (``target/llm.py``):
token ``k`` (from 0) is sent at ``arrival + first_token + k / tps``, counted
from the arrival of the client's message on ``time.monotonic()``, so a
client's measured reply latency is exact. Messages that arrive while a reply
streams wait their turn.

Knobs, in the query of the upgrade request (defaults: the LLM start-up flags
``--llm-ttft``, ``--llm-tps``, ``--llm-tokens``, changeable at ``/admin/config``):

==================  ===========================================================
``first_token_ms``  message arrival → first token (default ``llm_ttft_ms``)
``tps``             tokens per second after the first (default ``llm_tps``)
``tokens``          tokens per reply (default ``llm_tokens``; 0: only ``done``)
``echo``            1: send every message straight back (text or binary), no tokens
``hello``           0: no ``session`` event after the handshake
``close_code``      close with this code after ``close_after`` replies (default 0:
                    right after the handshake), reason ``"close_code knob"``
``drop_after``      after this many replies drop the TCP connection without a
                    close frame (the client sees 1006)
``stall_after``     after this many replies read messages but never answer
==================  ===========================================================

Generic knobs apply too (``target/middleware.py``): ``?status=403`` rejects
the handshake with that status, ``?delay_ms=`` delays it. With a ``--token``
set, a handshake without ``Authorization: Bearer <token>`` gets 401.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
from aiohttp import WSMsgType, web

from agentload.target._http import bad_request, http_error, knob, new_id
from agentload.target.config import TargetConfig
from agentload.target.handlers import bearer_token, token_accepted
from agentload.target.state import STATE

__all__ = ["WsChatKnobs", "add_routes", "chat"]

_WORDS = (
    "Thanks", " for", " reaching", " out", "!", " Your", " order", " shipped",
    " yesterday", " and", " should", " arrive", " within", " two", " business",
    " days", ".", " Anything", " else", "?",
)  # fmt: skip
_MAX_MS = 600_000.0
_MAX_TOKENS = 100_000
_MAX_MESSAGE = 1 << 20


@dataclass(frozen=True, slots=True)
class WsChatKnobs:
    """How one chat connection behaves (see the module docstring)."""

    first_token_s: float
    tps: float
    tokens: int
    echo: bool = False
    hello: bool = True
    close_code: int | None = None
    close_after: int = 0
    drop_after: int | None = None
    stall_after: int | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str], config: TargetConfig) -> WsChatKnobs:
        """Knobs from the query, defaults from ``config``; 400 for a bad value."""

        def number(name: str, default: float, low: float, high: float) -> float:
            return knob(query, name, default, low, high)

        def optional(name: str, low: float, high: float) -> int | None:
            return None if name not in query else int(number(name, 0, low, high))

        code = optional("close_code", 1000, 4999)
        if code is not None and (code in (1004, 1005, 1006, 1015) or 1016 <= code < 3000):
            raise bad_request(f"knob close_code={code} cannot be sent in a close frame")
        return cls(
            first_token_s=number("first_token_ms", config.llm_ttft_ms, 0.0, _MAX_MS) / 1000.0,
            tps=number("tps", config.llm_tps, 0.001, 1e6),
            tokens=int(number("tokens", config.llm_tokens, 0, _MAX_TOKENS)),
            echo=number("echo", 0, 0, 1) >= 1,
            hello=number("hello", 1, 0, 1) >= 1,
            close_code=code,
            close_after=int(number("close_after", 0, 0, _MAX_TOKENS)),
            drop_after=optional("drop_after", 0, _MAX_TOKENS),
            stall_after=optional("stall_after", 0, _MAX_TOKENS),
        )


async def _until(when: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``when``; never return early."""
    while (delay := when - time.monotonic()) > 0:
        await asyncio.sleep(delay)


def _user_text(data: str) -> tuple[str, str | None]:
    """The user's text and conversation id from ``{"text": …}`` JSON, or the raw text."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data, None
    if isinstance(doc, dict):
        conv = doc.get("conversation_id")
        return str(doc.get("text", "")), conv if isinstance(conv, str) else None
    return data, None


async def _reply(
    ws: web.WebSocketResponse, knobs: WsChatKnobs, arrival: float, message_id: str, conv: str
) -> None:
    first = arrival + knobs.first_token_s
    words = [_WORDS[i % len(_WORDS)] for i in range(knobs.tokens)]
    for i, word in enumerate(words):
        await _until(first + i / knobs.tps)
        event = {"type": "token", "text": word, "index": i, "message_id": message_id}
        await ws.send_str(orjson.dumps(event).decode())
    if not words:
        await _until(first)
    done = {
        "type": "done",
        "message_id": message_id,
        "conversation_id": conv,
        "tokens": len(words),
        "text": "".join(words),
    }
    await ws.send_str(orjson.dumps(done).decode())


async def _fault(
    ws: web.WebSocketResponse, request: web.Request, knobs: WsChatKnobs, replies: int
) -> bool:
    """Apply a close or drop knob due after ``replies`` replies; True when the socket ended."""
    if knobs.drop_after is not None and replies >= knobs.drop_after:
        if request.transport is not None:
            request.transport.abort()  # no close frame: the client sees 1006
        return True
    if knobs.close_code is not None and replies >= knobs.close_after:
        await ws.close(code=knobs.close_code, message=b"close_code knob")
        return True
    return False


async def chat(request: web.Request) -> web.StreamResponse:
    """``GET /ws/chat``: the streaming chat agent (see the module docstring)."""
    state = request.app[STATE]
    config = state.config
    if config.token is not None and not token_accepted(config, bearer_token(request)):
        message = "a valid 'Authorization: Bearer <token>' header is required"
        raise http_error(web.HTTPUnauthorized, message)
    knobs = WsChatKnobs.parse(request.query, config)
    ws = web.WebSocketResponse(protocols=("chat.v1",), max_msg_size=_MAX_MESSAGE)
    await ws.prepare(request)
    session_id = new_id(state.rng, "sess")
    if knobs.hello and not knobs.echo:
        await ws.send_str(orjson.dumps({"type": "session", "session_id": session_id}).decode())
    replies = 0
    if await _fault(ws, request, knobs, replies):
        return ws
    async for msg in ws:
        arrival = time.monotonic()
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        if knobs.stall_after is not None and replies >= knobs.stall_after:
            continue  # stalled: read, never answer
        if knobs.echo:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            else:
                await ws.send_bytes(msg.data)
        else:
            text = msg.data if msg.type == WSMsgType.TEXT else msg.data.decode("utf-8", "replace")
            _, conv = _user_text(text)
            await _reply(ws, knobs, arrival, new_id(state.rng, "msg"), conv or session_id)
        replies += 1
        if await _fault(ws, request, knobs, replies):
            return ws
    return ws


def add_routes(app: web.Application) -> None:
    """Register ``GET /ws/chat``."""
    app.router.add_get("/ws/chat", chat)
