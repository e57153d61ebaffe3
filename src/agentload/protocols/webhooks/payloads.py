"""Bodies of the webhook events Vapi and Retell deliver (``protocols.md`` §5.3-5.4). Pure.

Vapi wraps every server message as ``{"message": {"type", "timestamp", "call", …}}``;
``tool-calls`` carries ``toolCallList: [{"id", "type": "function", "function":
{"name", "arguments": {…}}}]`` (arguments as an object) plus Vapi's
``toolWithToolCallList``; ``end-of-call-report`` carries ``endedReason``,
``artifact`` (transcript, messages) and ``analysis``. Retell sends
``{"event": "call_started" | "call_ended" | "call_analyzed", "call": {…}}``
with ``call_id``, ``call_status`` and millisecond timestamps. The templates
hold plausible fixed values; a scenario overrides any field with
:func:`merge_patch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EVENTS", "RETELL_EVENTS", "VAPI_EVENTS", "ToolCallSpec", "merge_patch", "payload"]

VAPI_EVENTS = ("assistant-request", "tool-calls", "end-of-call-report")
"""Vapi server messages with a shipped template."""
RETELL_EVENTS = ("call_started", "call_ended", "call_analyzed")
"""Retell call events with a shipped template."""
EVENTS = VAPI_EVENTS + RETELL_EVENTS
"""Every shipped template; the name alone tells the platform (the two sets do not overlap)."""

_CALL_MS = 93_400  # the simulated call's length, for the end-of-call events
_CALLER = "+15555550100"
_AGENT_NUMBER = "+15555550199"
_TRANSCRIPT = (
    ("bot", "Hi! Do you have two minutes for a short survey?"),
    ("user", "Sure, go ahead."),
    ("bot", "Have you used our service in the last month?"),
    ("user", "Yes."),
)


@dataclass(frozen=True, slots=True)
class ToolCallSpec:
    """One call in a ``tool-calls`` message: ``arguments`` is a decoded JSON object."""

    id: str
    name: str
    arguments: Mapping[str, Any]


def _iso(ms: int) -> str:
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _vapi(
    event: str, call_id: str, now_ms: int, tool_calls: Sequence[ToolCallSpec]
) -> dict[str, Any]:
    ended = event == "end-of-call-report"
    started_ms = now_ms - _CALL_MS if ended else now_ms
    status = {"assistant-request": "ringing", "tool-calls": "in-progress"}.get(event, "ended")
    call = {
        "id": call_id,
        "orgId": "org_agentload",
        "type": "inboundPhoneCall",
        "status": status,
        "createdAt": _iso(started_ms),
        "customer": {"number": _CALLER},
        "phoneNumber": {"number": _AGENT_NUMBER},
    }
    message: dict[str, Any] = {"type": event, "timestamp": now_ms, "call": call}
    if event == "assistant-request":
        message["customer"] = {"number": _CALLER}
    elif event == "tool-calls":
        calls = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": dict(c.arguments)},
            }
            for c in tool_calls
        ]
        message["toolCallList"] = calls
        message["toolWithToolCallList"] = [
            {"type": "function", "function": {"name": spec.name}, "toolCall": call}
            for spec, call in zip(tool_calls, calls, strict=True)
        ]
    else:
        lines = [f"{'AI' if role == 'bot' else 'User'}: {text}" for role, text in _TRANSCRIPT]
        message.update(
            {
                "endedReason": "customer-ended-call",
                "startedAt": _iso(started_ms),
                "endedAt": _iso(now_ms),
                "durationSeconds": _CALL_MS / 1000,
                "cost": 0.12,
                "artifact": {
                    "transcript": "\n".join(lines),
                    "messages": [{"role": r, "message": t} for r, t in _TRANSCRIPT],
                    "recordingUrl": f"https://recordings.example.invalid/{call_id}.wav",
                },
                "analysis": {
                    "summary": "The caller answered the survey.",
                    "successEvaluation": "true",
                },
            }
        )
    return {"message": message}


def _retell(event: str, call_id: str, now_ms: int) -> dict[str, Any]:
    started_ms = now_ms if event == "call_started" else now_ms - _CALL_MS
    call: dict[str, Any] = {
        "call_type": "phone_call",
        "direction": "inbound",
        "from_number": _CALLER,
        "to_number": _AGENT_NUMBER,
        "call_id": call_id,
        "agent_id": "agent_agentload",
        "call_status": "ongoing" if event == "call_started" else "ended",
        "start_timestamp": started_ms,
        "metadata": {},
    }
    if event != "call_started":
        call.update(
            {
                "end_timestamp": now_ms,
                "duration_ms": _CALL_MS,
                "disconnection_reason": "user_hangup",
                "transcript": "\n".join(
                    f"{'Agent' if role == 'bot' else 'User'}: {text}" for role, text in _TRANSCRIPT
                ),
                "recording_url": f"https://recordings.example.invalid/{call_id}.wav",
            }
        )
    if event == "call_analyzed":
        call["call_analysis"] = {
            "call_summary": "The caller answered the survey.",
            "user_sentiment": "Positive",
            "call_successful": True,
            "in_voicemail": False,
        }
    return {"event": event, "call": call}


def payload(
    event: str, *, call_id: str, timestamp_ms: int, tool_calls: Sequence[ToolCallSpec] = ()
) -> dict[str, Any]:
    """The shipped template of ``event`` (one of :data:`EVENTS`); ``ValueError`` otherwise."""
    if event in VAPI_EVENTS:
        return _vapi(event, call_id, timestamp_ms, tool_calls)
    if event in RETELL_EVENTS:
        return _retell(event, call_id, timestamp_ms)
    raise ValueError(f"no template for event {event!r}; use one of {', '.join(EVENTS)}")


def merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as an RFC 7386 JSON Merge Patch (a new value).

    Objects merge key by key, recursively; a ``null`` member removes the key;
    anything else (arrays included) replaces the target's value.
    """
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out
