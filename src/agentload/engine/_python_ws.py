"""``ctx.ws``: WebSocket sessions from Python code, recorded like the YAML ``ws`` step.

A thin layer over :class:`agentload.engine.ws.WsSession` (which records
``ws_*`` and ``errors`` exactly as the YAML step does, docs/metrics.md,
"WebSocket"): relative URLs go to ``config.target`` (``http``→``ws``),
``config.headers`` are sent on the handshake, and ``expect`` takes plain
Python conditions instead of predicate objects. A session the function left
open is closed when the call ends, so every session is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentload.engine.ws import WsMetrics, WsSession, ws_url
from agentload.protocols.ws import JsonCondition, MessageMatch, MessagePredicate

if TYPE_CHECKING:
    from agentload.engine.context import VuContext

__all__ = ["PyWs", "WsApi", "WsMessage"]


class WsMessage:
    """A message an ``expect`` matched: ``text``, ``data`` (str or bytes) and ``json()``."""

    __slots__ = ("_match",)

    def __init__(self, match: MessageMatch) -> None:
        self._match = match

    @property
    def text(self) -> str:
        """The message as text (binary messages decoded as UTF-8, lossy)."""
        return self._match.text

    @property
    def data(self) -> str | bytes:
        """The message as received."""
        return self._match.data

    def json(self) -> Any:
        """The message parsed as JSON; raises ``ValueError`` when it is not JSON."""
        if not self._match.is_json:
            raise ValueError(f"the message is not JSON: {self._match.text[:80]!r}")
        return self._match.document()


class PyWs:
    """One session (``ws = await ctx.ws.connect(...)``); ``ws.ok`` is False if it failed."""

    __slots__ = ("_session", "ok")

    def __init__(self, session: WsSession, ok: bool) -> None:
        self._session = session
        self.ok = ok
        """True when the connection opened (a failure was counted)."""

    @property
    def ended(self) -> bool:
        """True once the connection is gone."""
        return self._session.ended

    def send(self, text: str) -> bool:
        """Send a text message; False when the connection is gone."""
        return self._session.send_text(text)

    def send_json(self, value: object) -> bool:
        """Send ``value`` as JSON text."""
        return self._session.send_json(value)

    def send_bytes(self, data: bytes) -> bool:
        """Send a binary message."""
        return self._session.send_bytes(data)

    async def expect(
        self,
        *,
        json: Mapping[str, object] | None = None,
        contains: str | None = None,
        regex: str | None = None,
        timeout: float = 10.0,
        exchange: str = "reply",
    ) -> WsMessage | None:
        """Read until a message matches every condition given (none: any message).

        ``json`` maps JSONPaths to expected values (``...`` for "exists"), e.g.
        ``{"$.type": "done"}``. Returns ``None`` after ``timeout`` s (a ``ws_timeout``)
        or when the connection ended; ``ws_reply_latency{exchange}`` is recorded on a match.
        """
        conditions = [
            JsonCondition(path, exists_only=True) if value is ... else JsonCondition(path, value)
            for path, value in (json or {}).items()
        ]
        predicate = (
            MessagePredicate(json=conditions, regex=regex, contains=contains)
            if conditions or regex is not None or contains is not None
            else None
        )
        found = await self._session.expect(predicate, timeout=timeout, exchange=exchange)
        return WsMessage(found) if found is not None else None

    async def keepalive(self, seconds: float, *, ping_every: float | None = 10.0) -> bool:
        """Hold the connection, pinging; False if it ended meanwhile."""
        return await self._session.keepalive(seconds, ping_every=ping_every)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the session (records ``ws_session_duration``)."""
        await self._session.close(code, reason)


class WsApi:
    """``ctx.ws``."""

    __slots__ = ("_ctx", "open")

    def __init__(self, ctx: VuContext) -> None:
        self._ctx = ctx
        self.open: list[WsSession] = []

    async def connect(
        self,
        url: str,
        *,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: tuple[str, ...] = (),
        timeout: float = 10.0,
    ) -> PyWs:
        """Open a session; ``name`` tags its metrics (default: the URL's path)."""
        ctx = self._ctx
        b = ctx.bindings
        target = ws_url(url, b.base)
        tag = name if name is not None else url.split("?", 1)[0]
        metrics = b.ws_metrics(tag, lambda rec: WsMetrics(rec, name=tag, scenario=b.scenario))
        session = WsSession(metrics)
        fields = b.default_headers(ctx.vars, headers)
        ok = await session.connect(
            target, headers=fields, subprotocols=subprotocols, timeout=timeout
        )
        if ok:
            self.open.append(session)
        return PyWs(session, ok)

    async def close_all(self) -> None:
        """Close what the function left open (each session is recorded once)."""
        sessions, self.open = self.open, []
        for session in sessions:
            if not session.ended:
                await session.close()
