"""The ``ws:`` step: one WebSocket session (docs/scenario-format.md, "WebSocket").

A session connects, runs its actions in order (send, expect, keepalive,
think, close) and closes. The engine runs it (:mod:`agentload.engine.ws`);
the YAML reader is :mod:`agentload.scenario._ws`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from agentload.scenario.parts import Capture, JsonValue, Template, ThinkTime

__all__ = [
    "WsAction",
    "WsClose",
    "WsExpect",
    "WsJsonMatch",
    "WsKeepalive",
    "WsPayload",
    "WsRepeat",
    "WsSend",
    "WsStep",
    "WsThink",
]


class WsPayload(enum.StrEnum):
    """What a ``send`` puts in its frame."""

    TEXT = "text"
    """A text message: the rendered template."""
    JSON = "json"
    """A text message: the rendered JSON value, serialised."""
    BINARY = "binary"
    """A binary message: literal bytes, or the rendered template as UTF-8."""


@dataclass(frozen=True, slots=True)
class WsSend:
    """Send one message; exactly one of ``text``, ``json`` or ``data`` is used by ``kind``."""

    kind: WsPayload
    text: Template | None = None
    json: JsonValue = None
    data: bytes | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class WsJsonMatch:
    """The value at ``path`` equals ``expected`` (which may hold ``${vars}``), or exists."""

    path: str
    expected: JsonValue = None
    exists_only: bool = False


@dataclass(frozen=True, slots=True)
class WsExpect:
    """Read messages until one matches every condition, for at most ``timeout`` seconds.

    Messages that do not match are read and skipped. ``exchange`` tags
    ``ws_reply_latency`` and ``ws_message_success``; captures read the
    matching message.
    """

    exchange: str
    timeout: float
    json: tuple[WsJsonMatch, ...] = ()
    regex: str | None = None
    contains: str | None = None
    captures: tuple[Capture, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class WsKeepalive:
    """Hold the connection ``duration`` seconds, pinging every ``ping_every`` (None: never).

    Messages arriving meanwhile are read and skipped.
    """

    duration: float
    ping_every: float | None = 10.0
    line: int = 0


@dataclass(frozen=True, slots=True)
class WsThink:
    """A pause inside the session (incoming messages wait in the queue)."""

    think: ThinkTime
    line: int = 0


@dataclass(frozen=True, slots=True)
class WsClose:
    """Close the session with ``code`` and ``reason``; later actions are not allowed."""

    code: int = 1000
    reason: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class WsRepeat:
    """Run ``actions`` ``count`` times in a row (a message-throughput loop); no close inside."""

    count: int
    actions: tuple[WsAction, ...]
    line: int = 0


WsAction: TypeAlias = WsSend | WsExpect | WsKeepalive | WsThink | WsClose | WsRepeat


@dataclass(frozen=True, slots=True)
class WsStep:
    """One WebSocket session.

    ``url`` is relative to ``config.target`` (``http`` becomes ``ws``,
    ``https`` becomes ``wss``) unless absolute. ``name`` tags every ``ws_*``
    metric. A session without a ``close`` action closes with 1000 at the end.
    """

    name: str
    url: Template
    headers: tuple[tuple[str, Template], ...] = ()
    subprotocols: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    actions: tuple[WsAction, ...] = ()
    think: ThinkTime | None = None
    line: int = 0
