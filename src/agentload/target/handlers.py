"""Handlers of the target's API: health, chat, analytics, assistants, billing, auth, metrics."""

from __future__ import annotations

import asyncio
import hmac
import sqlite3
import time
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from agentload.target._http import bad_request, http_error, json_response, new_id, read_json_object
from agentload.target.config import TargetConfig
from agentload.target.state import STATE

__all__ = [
    "ChatRequest",
    "assistants",
    "auth_status",
    "banner",
    "billing_usage",
    "chat_message",
    "health",
    "kpi",
    "metrics",
    "parse_chat_request",
]

_MAX_MESSAGE_CHARS = 32_000
_MAX_ID_CHARS = 200
# The KPI cache is keyed by tenant; past this many keys it is simply emptied,
# which bounds memory when a test sends a fresh tenant id on every request.
_MAX_KPI_CACHE_KEYS = 1000
_REPLIES = (
    "Thanks for reaching out! I can help with that.",
    "Sure, let me look into it for you.",
    "Got it. Here is what I found.",
    "I understand. Could you tell me a bit more?",
    "Happy to help. Your request is being handled.",
)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated body of ``POST /api/chat/messages``."""

    message: str
    tenant_id: str | None
    conversation_id: str | None


def _optional_id(body: dict[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID_CHARS:
        raise bad_request(f"{key!r} must be a non-empty string of at most {_MAX_ID_CHARS} chars")
    return value


def parse_chat_request(body: dict[str, object]) -> ChatRequest:
    """Validate a chat body; raises a JSON 400 saying what is wrong."""
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        raise bad_request("'message' is required and must be a non-empty string")
    if len(message) > _MAX_MESSAGE_CHARS:
        raise bad_request(f"'message' is longer than {_MAX_MESSAGE_CHARS} characters")
    return ChatRequest(
        message, _optional_id(body, "tenant_id"), _optional_id(body, "conversation_id")
    )


def _count_tokens(text: str) -> int:
    # The usual rule of thumb for English with BPE tokenizers: ~4 characters a token.
    return max(1, round(len(text) / 4))


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def token_accepted(config: TargetConfig, token: str | None) -> bool:
    """Whether ``token`` opens the protected endpoints under ``config``."""
    if token is None:
        return False
    if config.token is None:
        return True
    # Constant-time, out of habit: this is a test fixture, but the habit matters.
    return hmac.compare_digest(token.encode(), config.token.encode())


async def banner(request: web.Request) -> web.Response:
    """``GET /``: what this server is and where to start."""
    return json_response(
        {
            "service": "agentload reference target",
            "health": "/health",
            "metrics": "/metrics",
            "docs": "python -m agentload.target --help",
        }
    )


async def health(request: web.Request) -> web.Response:
    """``GET /health``: 200 when the database answers ``SELECT 1``, else 503."""
    try:
        request.app[STATE].store.ping()
    except (sqlite3.Error, RuntimeError) as exc:
        return json_response({"status": "degraded", "db": f"error: {exc}"}, status=503)
    return json_response({"status": "ok", "db": "ok"})


async def chat_message(request: web.Request) -> web.Response:
    """``POST /api/chat/messages``: a simulated agent reply after a simulated think time."""
    state = request.app[STATE]
    chat = parse_chat_request(await read_json_object(request))
    start = time.perf_counter()
    await asyncio.sleep(state.config.chat_latency.sample(state.rng))
    rng = state.rng
    words = chat.message.split()
    topic = " ".join(words[:6]) + (" ..." if len(words) > 6 else "")
    reply = f"{_REPLIES[rng.randrange(len(_REPLIES))]} (re: {topic})"
    conversation_id = chat.conversation_id or new_id(rng, "conv")
    reply_tokens = _count_tokens(reply)
    latency_ms = (time.perf_counter() - start) * 1000.0
    state.store.add_exchange(
        conversation_id=conversation_id,
        tenant_id=chat.tenant_id,
        message=chat.message,
        reply=reply,
        message_tokens=_count_tokens(chat.message),
        reply_tokens=reply_tokens,
        latency_ms=latency_ms,
        now=time.time(),
    )
    state.metrics.chat_messages.inc()
    return json_response(
        {
            "conversation_id": conversation_id,
            "reply": reply,
            "tokens": reply_tokens,
            "latency_ms": round(latency_ms, 3),
        }
    )


async def kpi(request: web.Request) -> web.Response:
    """``GET /api/analytics/kpi[?tenant_id=]``: counts from the database, cached for a TTL."""
    state = request.app[STATE]
    tenant = request.query.get("tenant_id") or None
    now = time.monotonic()
    cached = state.kpi_cache.get(tenant)
    hit = cached is not None and cached[0] > now
    state.metrics.record_cache_lookup(hit=hit)
    if cached is not None and hit:
        body = cached[1]
    else:
        body = state.store.kpis(tenant)
        ttl = state.config.kpi_cache_ttl_s
        if ttl > 0:
            if len(state.kpi_cache) >= _MAX_KPI_CACHE_KEYS:
                state.kpi_cache.clear()
            state.kpi_cache[tenant] = (now + ttl, body)
    return json_response({**body, "cached": hit})


async def assistants(request: web.Request) -> web.Response:
    """``GET /api/assistants``: the assistants, for a valid bearer token only (else 401)."""
    state = request.app[STATE]
    if not token_accepted(state.config, bearer_token(request)):
        raise http_error(
            web.HTTPUnauthorized,
            "a valid 'Authorization: Bearer <token>' header is required",
            headers={"WWW-Authenticate": 'Bearer realm="agentload-target"'},
        )
    items = state.store.list_assistants()
    return json_response({"assistants": items, "count": len(items)})


async def billing_usage(request: web.Request) -> web.Response:
    """``GET /api/billing/usage[?tenant_id=]``: simulated usage and cost."""
    tenant = request.query.get("tenant_id") or None
    return json_response(request.app[STATE].store.usage(tenant))


async def auth_status(request: web.Request) -> web.Response:
    """``GET /api/auth/status``: whether a bearer token was sent and whether it is accepted."""
    config = request.app[STATE].config
    token = bearer_token(request)
    valid = token_accepted(config, token)
    return json_response(
        {
            "token_present": token is not None,
            "token_valid": valid,
            "authenticated": valid,
            "mode": "any-token" if config.token is None else "fixed-token",
        }
    )


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: Prometheus text exposition."""
    body = request.app[STATE].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
