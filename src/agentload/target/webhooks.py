"""Webhook receivers that verify signatures: Vapi, Retell, generic HMAC (protocols.md §5.3-5.4).

A hosted voice platform POSTs events to the customer's backend; these routes
are that backend. With ``--webhook-secret`` (or ``AGENTLOAD_TARGET_WEBHOOK_SECRET``)
every delivery must be signed, else 401; without one, deliveries are accepted
unsigned. Verification is written here from the protocol notes, independently
of agentload's signer (``protocols/webhooks``), so the two check each other.

``POST /webhooks/vapi``
    Accepted with ``x-vapi-secret: <secret>`` (the legacy shared secret) or
    ``x-vapi-signature: <hex HMAC-SHA256(secret, raw body)>`` (HMAC credential).
    Body ``{"message": {"type", "call", …}}``. ``assistant-request`` → an
    assistant object (``assistantOverrides.variableValues.session_id``: the
    call id); ``tool-calls`` → ``{"results": [{"toolCallId", "result"}]}`` from
    the questionnaire tools (``session_id`` defaults to ``call.id``);
    other types → ``{}`` (Vapi needs no answer to them).
``POST /webhooks/retell``
    ``X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(secret, raw body + v)>``,
    ``v`` within five minutes of now. Body ``{"event": "call_started" | "call_ended"
    | "call_analyzed", "call": {…}}`` → ``{"ok": true, "event": …, "call_id": …}``.
``POST /webhooks/generic``
    ``<header>: <prefix><hex|base64 HMAC-<algorithm>(secret, [ts "."] raw body)>``;
    the query chooses ``header`` (``X-Signature``), ``algorithm`` (``sha256`` or
    ``sha1``), ``encoding`` (``hex`` or ``base64``), ``prefix`` (none) and
    ``timestamp_header`` (none: with it, the signed bytes are ``<ts>.<body>`` with
    ``ts`` in unix seconds, accepted within five minutes). Any body → ``{"ok": true}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import orjson
from aiohttp import web

from agentload.target._http import bad_request, http_error, json_response
from agentload.target.questionnaire import QUESTIONNAIRE, ToolError, tool_definitions
from agentload.target.state import STATE

__all__ = [
    "RETELL_TOLERANCE_S",
    "add_routes",
    "generic_webhook",
    "retell_webhook",
    "vapi_webhook",
    "verify_retell",
]

RETELL_TOLERANCE_S = 300.0
"""How far a signature's timestamp may be from now (Retell's five-minute window)."""
_ALGORITHMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
_RETELL_EVENTS = ("call_started", "call_ended", "call_analyzed")


def _unauthorized(why: str) -> web.HTTPException:
    return http_error(web.HTTPUnauthorized, f"webhook signature rejected: {why}")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify_retell(body: bytes, secret: str, header: str | None, now_s: float) -> str | None:
    """Why a Retell signature is wrong, or ``None`` when it is right."""
    if not header:
        return "missing X-Retell-Signature"
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp, digest = fields.get("v", ""), fields.get("d", "")
    if not stamp.isdigit() or not digest:
        return "X-Retell-Signature must be v=<unix ms>,d=<hex digest>"
    if abs(now_s - int(stamp) / 1000.0) > RETELL_TOLERANCE_S:
        return "the signature's timestamp is outside the five-minute window"
    expected = hmac.new(secret.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    return None if _same(digest, expected) else "the digest does not match"


async def _verified_body(request: web.Request, scheme: str) -> bytes:
    body = await request.read()
    secret = request.app[STATE].config.webhook_secret
    if secret is None:
        return body
    headers = request.headers
    if scheme == "vapi":
        given, signature = headers.get("x-vapi-secret"), headers.get("x-vapi-signature")
        if given is not None:
            if not _same(given, secret):
                raise _unauthorized("x-vapi-secret does not match")
        elif signature is not None:
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            if not _same(signature.removeprefix("sha256="), expected):
                raise _unauthorized("x-vapi-signature does not match")
        else:
            raise _unauthorized("missing x-vapi-secret or x-vapi-signature")
    elif scheme == "retell":
        why = verify_retell(body, secret, headers.get("X-Retell-Signature"), time.time())
        if why is not None:
            raise _unauthorized(why)
    else:
        _verify_generic(request, body, secret)
    return body


def _verify_generic(request: web.Request, body: bytes, secret: str) -> None:
    query = request.query
    algorithm = _ALGORITHMS.get(query.get("algorithm", "sha256"))
    encoding = query.get("encoding", "hex")
    if algorithm is None or encoding not in ("hex", "base64"):
        raise bad_request("algorithm must be sha256 or sha1, encoding hex or base64")
    header = query.get("header", "X-Signature")
    signed = body
    stamp_header = query.get("timestamp_header")
    if stamp_header:
        stamp = request.headers.get(stamp_header, "")
        if not stamp.isdigit():
            raise _unauthorized(f"missing or malformed {stamp_header}")
        if abs(time.time() - int(stamp)) > RETELL_TOLERANCE_S:
            raise _unauthorized("the timestamp is outside the five-minute window")
        signed = stamp.encode() + b"." + body
    mac = hmac.new(secret.encode(), signed, algorithm).digest()
    digest = mac.hex() if encoding == "hex" else base64.b64encode(mac).decode()
    given = request.headers.get(header)
    if given is None:
        raise _unauthorized(f"missing {header}")
    if not _same(given, query.get("prefix", "") + digest):
        raise _unauthorized(f"{header} does not match")


def _json(body: bytes) -> dict[str, object]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def _assistant(call_id: object) -> dict[str, object]:
    """The assistant an ``assistant-request`` gets: the survey agent with its tools.

    ``assistantOverrides.variableValues.session_id`` names the questionnaire
    session of the call (its id), so a scenario can capture it.
    """
    prompt = "You run a ten-question customer survey. Use the tools to fetch, check and record."
    return {
        "assistant": {
            "name": "agentload survey agent",
            "firstMessage": "Hi! Do you have two minutes for a short survey?",
            "model": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "messages": [{"role": "system", "content": prompt}],
                "tools": tool_definitions(),
            },
            "voice": {"provider": "11labs", "voiceId": "paula"},
        },
        "assistantOverrides": {"variableValues": {"session_id": call_id}},
    }


def _tool_results(request: web.Request, message: dict[str, object]) -> dict[str, object]:
    calls = message.get("toolCallList")
    if not isinstance(calls, list):
        raise bad_request("a tool-calls message needs a toolCallList")
    call = message.get("call")
    call_id = call.get("id") if isinstance(call, dict) else None
    questionnaire = request.app[QUESTIONNAIRE]
    results: list[dict[str, object]] = []
    for item in calls:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(function, dict):
            raise bad_request("each toolCallList item needs an id and a function")
        args = function.get("arguments", {})
        if isinstance(args, str):  # some senders keep OpenAI's JSON-text form
            try:
                args = json.loads(args)
            except ValueError:
                args = None
        entry: dict[str, object] = {"toolCallId": item.get("id")}
        if not isinstance(args, dict):
            entry["error"] = "arguments must be a JSON object"
        else:
            if "session_id" not in args and isinstance(call_id, str):
                args = {**args, "session_id": call_id}
            try:
                entry["result"] = json.dumps(questionnaire.call(str(function.get("name")), args))
            except ToolError as exc:
                entry["error"] = exc.message
        results.append(entry)
    return {"results": results}


async def vapi_webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/vapi``: a Vapi server message (see the module docstring)."""
    data = _json(await _verified_body(request, "vapi"))
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise bad_request('a Vapi webhook is {"message": {"type": …, …}}')
    kind = message["type"]
    if kind == "assistant-request":
        call = message.get("call")
        return json_response(_assistant(call.get("id") if isinstance(call, dict) else None))
    if kind == "tool-calls":
        return json_response(_tool_results(request, message))
    return json_response({})


async def retell_webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/retell``: a Retell call event (see the module docstring)."""
    data = _json(await _verified_body(request, "retell"))
    event = data.get("event")
    if event not in _RETELL_EVENTS:
        raise bad_request("'event' must be one of " + ", ".join(_RETELL_EVENTS))
    call = data.get("call", data.get("data"))
    if not isinstance(call, dict):
        raise bad_request("a Retell event carries its call in 'call'")
    return json_response({"ok": True, "event": event, "call_id": call.get("call_id")})


async def generic_webhook(request: web.Request) -> web.Response:
    """``POST /webhooks/generic``: any body, HMAC-verified as the query says."""
    body = await _verified_body(request, "generic")
    return json_response({"ok": True, "bytes": len(body)})


def add_routes(app: web.Application) -> None:
    """Install the webhook receivers on ``app`` (after the questionnaire's routes)."""
    app.router.add_post("/webhooks/vapi", vapi_webhook)
    app.router.add_post("/webhooks/retell", retell_webhook)
    app.router.add_post("/webhooks/generic", generic_webhook)
