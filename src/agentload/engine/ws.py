"""WebSocket sessions: :class:`WsSession` (Python API and YAML alike) and the ``ws`` step.

A session is one connection: connect, then any sequence of sends, expects,
keepalives and pauses, then close. It records (docs/metrics.md, "WebSocket"):

* ``ws_connect_success`` (rate) per connect attempt, ``ws_connecting`` (µs,
  TCP + TLS + handshake) per successful one;
* ``ws_msgs_sent`` per message sent, ``ws_msgs_received`` per message the
  connection received (read by an expect or keepalive, or left unread when the
  session ended);
* per ``expect``: ``ws_message_success`` (true when a matching message came
  before the timeout) and, on a match, ``ws_reply_latency{exchange}`` = arrival
  of the matching message − the session's last send (or the end of the
  handshake when nothing was sent yet);
* per session that connected: ``ws_session_duration`` (connect start → end of
  the connection) and ``ws_sessions``;
* ``errors{kind}``: the connect failure's kind, ``ws_timeout`` per expect that
  timed out, one error per session the peer ended badly (``ws_abnormal_close``
  for 1006, ``ws_close_error`` for other non-normal codes,
  ``malformed_response`` for RFC 6455 violations), ``connection_closed`` for an
  expect cut short by a normal close, ``script_error`` / ``capture_failed``.

Every series is tagged ``name`` (the step's) and ``scenario``; the two per
expect add ``exchange``. Series are created when the session's metrics object
is made (exchanges on first use), never per message.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from agentload._redact import redact
from agentload.engine._failures import FailureSampler
from agentload.engine._streamed import ErrorCounts, draw_think, merge_headers, render_json
from agentload.engine.vu import VU
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.ws import (
    JsonCondition,
    MessageMatch,
    MessagePredicate,
    WsConnection,
    WsError,
    compile_path,
)
from agentload.scenario.model import Capture, CaptureSource, RunConfig
from agentload.scenario.model_ws import (
    WsClose,
    WsExpect,
    WsKeepalive,
    WsPayload,
    WsRepeat,
    WsSend,
    WsStep,
    WsThink,
)
from agentload.scenario.parts import Template

__all__ = ["WsMetrics", "WsRequest", "WsSession", "ws_url"]

_Add = Callable[[Any], None]


def ws_url(url: str, base: str) -> str:
    """``url`` made absolute against ``base`` with ``http``→``ws``, ``https``→``wss``.

    ``ws://`` and ``wss://`` URLs pass unchanged.
    """
    if url.startswith("/"):
        url = base.rstrip("/") + url
    lowered = url[:8].lower()
    if lowered.startswith("https://"):
        return "wss://" + url[8:]
    if lowered.startswith("http://"):
        return "ws://" + url[7:]
    return url


class WsMetrics:
    """The ``ws_*`` and ``errors`` series of one session name in one scenario."""

    __slots__ = (
        "_errors",
        "_exchanges",
        "_failures",
        "_recorder",
        "connect_success",
        "connecting",
        "received",
        "sent",
        "session_duration",
        "sessions",
        "tags",
    )

    def __init__(self, recorder: Recorder, *, name: str, scenario: str) -> None:
        tags = (("name", name), ("scenario", scenario))
        self.tags = tags
        self._recorder = recorder
        self.connecting: _Add = recorder.trend("ws_connecting", tags).add
        self.session_duration: _Add = recorder.trend("ws_session_duration", tags).add
        self.sessions: _Add = recorder.counter("ws_sessions", tags).add
        self.sent: _Add = recorder.counter("ws_msgs_sent", tags).add
        self.received: _Add = recorder.counter("ws_msgs_received", tags).add
        self.connect_success: _Add = recorder.rate("ws_connect_success", tags).add
        self._exchanges: dict[str, tuple[_Add, _Add]] = {}
        self._errors = ErrorCounts(recorder, tags)
        self._failures = FailureSampler(recorder, tags)

    def exchange(self, name: str) -> tuple[_Add, _Add]:
        """``(ws_reply_latency add, ws_message_success add)`` of exchange ``name``."""
        found = self._exchanges.get(name)
        if found is None:
            tags = (*self.tags, ("exchange", name))
            found = self._exchanges[name] = (
                self._recorder.trend("ws_reply_latency", tags).add,
                self._recorder.rate("ws_message_success", tags).add,
            )
        return found

    def error(self, kind: ErrorKind, message: str = "") -> None:
        """Count one ``errors{kind}`` (and keep a redacted sample of the first few)."""
        self._errors.add(kind)
        if message:
            self._failures.capture(kind, message)


class WsSession:
    """One WebSocket session that records its metrics (see the module docstring).

    Methods never raise for a fault of the target: they count it and return
    ``False`` / ``None``. After the peer ended the connection, :attr:`ended` is
    true and further sends and expects fail at once (an expect still counts as
    an unsuccessful message).

    Example (Python API)::

        session = WsSession(WsMetrics(recorder, name="chat", scenario="s"))
        if await session.connect("ws://127.0.0.1:8080/ws/chat"):
            session.send_json({"type": "message", "text": "hi"})
            done = await session.expect(
                MessagePredicate(json=[JsonCondition("$.type", "done")]),
                timeout=5, exchange="reply")
            await session.close()
    """

    __slots__ = (
        "_closed_counted",
        "_conn",
        "_connected_ns",
        "_counted",
        "_finished",
        "_last_send_ns",
        "_metrics",
        "_start_ns",
        "max_message_bytes",
    )

    def __init__(self, metrics: WsMetrics, *, max_message_bytes: int = 16 << 20) -> None:
        self._metrics = metrics
        self._conn: WsConnection | None = None
        self._start_ns = 0
        self._connected_ns = 0
        self._last_send_ns = 0
        self._counted = 0
        self._finished = False
        self._closed_counted = False
        self.max_message_bytes = max_message_bytes

    @property
    def connection(self) -> WsConnection | None:
        """The driver's connection (``None`` before a successful :meth:`connect`)."""
        return self._conn

    @property
    def ended(self) -> bool:
        """True once the connection is gone (closed by either side, or never opened)."""
        conn = self._conn
        return conn is None or conn.ended or self._finished

    async def connect(
        self,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        subprotocols: Sequence[str] = (),
        timeout: float = 10.0,
    ) -> bool:
        """Open the connection (``ws://``/``wss://``); ``False`` after counting the failure."""
        metrics = self._metrics
        self._start_ns = time.perf_counter_ns()
        try:
            conn = await WsConnection.connect(
                url,
                headers=headers,
                subprotocols=subprotocols,
                timeout=timeout,
                max_message_bytes=self.max_message_bytes,
            )
        except WsError as exc:
            metrics.connect_success(False)
            metrics.error(exc.kind, exc.message)
            self._finished = True
            return False
        self._conn = conn
        self._connected_ns = time.perf_counter_ns()
        metrics.connect_success(True)
        metrics.connecting(conn.connect_us)
        return True

    # -- sending -----------------------------------------------------------------
    def send_text(self, text: str) -> bool:
        """Send a text message; ``False`` when the connection is gone."""
        return self._send(text, None)

    def send_json(self, value: object) -> bool:
        """Send ``value`` serialised as JSON in a text message."""
        return self._send(orjson.dumps(value).decode(), None)

    def send_bytes(self, data: bytes) -> bool:
        """Send a binary message; ``False`` when the connection is gone."""
        return self._send(None, data)

    def _send(self, text: str | None, data: bytes | None) -> bool:
        conn = self._conn
        if conn is None or self._finished:
            self._cut_short("send")
            return False
        try:
            if text is not None:
                conn.send_text(text)
            else:
                conn.send_bytes(data or b"")
        except WsError:
            self._peer_ended()
            self._cut_short("send")
            return False
        self._last_send_ns = time.perf_counter_ns()
        self._metrics.sent(1)
        return True

    # -- receiving ---------------------------------------------------------------
    async def expect(
        self,
        predicate: MessagePredicate | None = None,
        *,
        timeout: float = 10.0,
        exchange: str = "reply",
    ) -> MessageMatch | None:
        """Read messages until one matches ``predicate`` (``None``: any message).

        Returns the match, or ``None`` when ``timeout`` seconds passed
        (``errors{ws_timeout}``) or the connection ended first. Messages that
        do not match are read and skipped.
        """
        latency, success = self._metrics.exchange(exchange)
        conn = self._conn
        if conn is None:
            success(False)
            return None
        # After the end, messages that came before it are still read from the queue.
        since = self._last_send_ns or self._connected_ns
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise WsError(ErrorKind.WS_TIMEOUT, f"no matching message in {timeout:g} s")
                msg = await conn.recv(remaining)
            except WsError as exc:
                success(False)
                if exc.kind is ErrorKind.WS_TIMEOUT:
                    self._metrics.error(
                        ErrorKind.WS_TIMEOUT,
                        f"exchange {exchange!r}: no matching message within {timeout:g} s",
                    )
                else:
                    self._peer_ended()
                    self._cut_short(f"exchange {exchange!r}")
                return None
            if not self._finished:  # once ended, every message was counted (_finish)
                self._counted += 1
                self._metrics.received(1)
            found = predicate.match(msg.data) if predicate is not None else _any_message(msg.data)
            if found is not None:
                latency(max(0, msg.received_ns - since) // 1000)
                success(True)
                return found

    async def keepalive(self, duration: float, *, ping_every: float | None = 10.0) -> bool:
        """Hold the connection ``duration`` s, pinging every ``ping_every`` s, reading and
        skipping messages; ``False`` if the connection ended meanwhile."""
        conn = self._conn
        if conn is None or self._finished:
            self._cut_short("keepalive")
            return False
        loop = asyncio.get_running_loop()
        end = loop.time() + duration
        next_ping = loop.time() + ping_every if ping_every else math.inf
        while True:
            now = loop.time()
            if now >= end:
                return True
            if now >= next_ping:
                try:
                    conn.ping()
                except WsError:
                    self._peer_ended()
                    self._cut_short("keepalive")
                    return False
                while next_ping <= now:
                    next_ping += ping_every or math.inf
            try:
                await conn.recv(min(end, next_ping) - now)
            except WsError as exc:
                if exc.kind is ErrorKind.WS_TIMEOUT:
                    continue
                self._peer_ended()
                self._cut_short("keepalive")
                return False
            self._counted += 1
            self._metrics.received(1)

    # -- ending ------------------------------------------------------------------
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with ``code`` (waits for the peer's close frame, at most 5 s) and record
        the session."""
        conn = self._conn
        if conn is not None and not conn.closed and not self._finished:
            await conn.close(code, reason)
        self._finish()

    def abort(self) -> None:
        """Drop the connection at once without recording the session (the run is ending)."""
        conn = self._conn
        if conn is not None:
            conn.abort()
        self._finished = True

    def _peer_ended(self) -> None:
        self._finish()

    def _cut_short(self, what: str) -> None:
        """The peer closed *normally* before ``what`` could run: one ``connection_closed``
        per session (a bad close was counted by its own kind in :meth:`_finish`)."""
        conn = self._conn
        if self._closed_counted or conn is None or not conn.closed_by_peer:
            return
        if conn.close_error_kind() is not None:
            return
        self._closed_counted = True
        code = conn.close_code or 0
        self._metrics.error(
            ErrorKind.CLOSED, f"{what}: the peer closed the WebSocket first ({code})"
        )

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        conn = self._conn
        if conn is None:
            return
        metrics = self._metrics
        end_ns = conn.closed_ns if conn.closed else time.perf_counter_ns()
        metrics.session_duration(max(0, end_ns - self._start_ns) // 1000)
        metrics.sessions(1)
        unread = conn.messages_received - self._counted
        if unread > 0:
            self._counted += unread
            metrics.received(unread)
        kind = conn.close_error_kind()
        if kind is not None:
            code = conn.close_code
            metrics.error(kind, f"peer ended the WebSocket: {code} {conn.close_reason}".strip())


def _any_message(data: str | bytes) -> MessageMatch:
    text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
    return MessageMatch(data, text)


# ---------------------------------------------------------------------- the step


class _Expect:
    """An ``expect`` action compiled: predicate (with templated values), captures."""

    __slots__ = ("captures", "exchange", "predicate", "timeout", "values")

    def __init__(self, action: WsExpect) -> None:
        self.exchange = action.exchange
        self.timeout = action.timeout
        conditions = [JsonCondition(m.path, None, m.exists_only) for m in action.json]
        given = action.json or action.regex is not None or action.contains is not None
        self.predicate = (
            MessagePredicate(json=conditions, regex=action.regex, contains=action.contains)
            if given
            else None
        )
        self.values = tuple(m.expected for m in action.json)
        self.captures = tuple(_capture(c) for c in action.captures)

    def render(self, variables: dict[str, object]) -> MessagePredicate | None:
        """The predicate with this VU's expected values; ``KeyError`` for an unset variable."""
        if self.predicate is None or not self.values:
            return self.predicate
        return self.predicate.with_expected([render_json(v, variables) for v in self.values])


def _capture(capture: Capture) -> tuple[str, Callable[[MessageMatch], object | None]]:
    if capture.source is CaptureSource.JSON:
        path = compile_path(capture.expr)
        return capture.var, lambda m: m.json_value(path)
    pattern = re.compile(capture.expr)

    def from_regex(m: MessageMatch) -> object | None:
        found = pattern.search(m.text)
        if found is None:
            return None
        return found.group(1) if pattern.groups else found.group(0)

    return capture.var, from_regex


class _Repeat:
    __slots__ = ("actions", "count")

    def __init__(self, count: int, actions: tuple[Any, ...]) -> None:
        self.count = count
        self.actions = actions


class WsRequest:
    """A compiled ``ws`` step: one session per run (see the module docstring)."""

    __slots__ = ("_actions", "_base", "_headers", "_metrics", "_step", "name")

    def __init__(
        self, step: WsStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self.name = step.name
        self._step = step
        self._base = config.target
        self._headers = merge_headers(config.headers, step.headers)
        self._metrics = WsMetrics(recorder, name=step.name, scenario=scenario)
        self._actions = self._compile(step.actions)

    def _compile(self, actions: Sequence[Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for a in actions:
            if isinstance(a, WsExpect):
                out.append(_Expect(a))
                self._metrics.exchange(a.exchange)  # the series exist from the start
            elif isinstance(a, WsRepeat):
                out.append(_Repeat(a.count, self._compile(a.actions)))
            else:
                out.append(a)
        return tuple(out)

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Run the session; ``False`` (skip the rest of the iteration) when it broke."""
        step, variables, metrics = self._step, vu.variables, self._metrics
        try:
            url = ws_url(step.url.render(variables), self._base)
            headers = [(k, v.render(variables)) for k, v in self._headers]
        except KeyError as exc:
            metrics.error(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
            return False
        session = WsSession(metrics)
        if not await session.connect(
            url, headers=headers, subprotocols=step.subprotocols, timeout=step.connect_timeout
        ):
            return False
        try:
            ok = await self._actions_run(session, vu, self._actions)
            await session.close()
        except BaseException:
            session.abort()  # cancelled (the run is stopping): do not wait for a close frame
            raise
        if ok and step.think is not None:
            await asyncio.sleep(draw_think(step.think, vu))
        return ok

    async def _actions_run(self, session: WsSession, vu: VU, actions: tuple[Any, ...]) -> bool:
        variables = vu.variables
        for action in actions:
            if isinstance(action, _Repeat):
                for _ in range(action.count):
                    if not await self._actions_run(session, vu, action.actions):
                        return False
            elif isinstance(action, _Expect):
                try:
                    predicate = action.render(variables)
                except KeyError as exc:
                    self._metrics.error(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
                    return False
                found = await session.expect(
                    predicate, timeout=action.timeout, exchange=action.exchange
                )
                if found is None:
                    if session.ended:
                        return False
                    continue  # timed out: the conversation goes on
                for var, capture in action.captures:
                    value = capture(found)
                    if value is None:
                        self._metrics.error(
                            ErrorKind.CAPTURE_FAILED,
                            f"exchange {action.exchange!r}: nothing to capture as {var!r} in "
                            f"{redact(found.text[:200])!r}",
                        )
                        return False
                    variables[var] = value
            elif isinstance(action, WsSend):
                try:
                    sent = _send(session, action, variables)
                except KeyError as exc:
                    self._metrics.error(ErrorKind.SCRIPT, f"variable {exc.args[0]!r} is not set")
                    return False
                if not sent:
                    return False
            elif isinstance(action, WsKeepalive):
                if not await session.keepalive(action.duration, ping_every=action.ping_every):
                    return False
            elif isinstance(action, WsThink):
                await asyncio.sleep(draw_think(action.think, vu))
            elif isinstance(action, WsClose):
                await session.close(action.code, action.reason)
        return True


def _send(session: WsSession, action: WsSend, variables: dict[str, object]) -> bool:
    if action.kind is WsPayload.JSON:
        return session.send_json(render_json(action.json, variables))
    if action.kind is WsPayload.TEXT:
        assert action.text is not None
        return session.send_text(action.text.render(variables))
    if action.data is not None:
        return session.send_bytes(action.data)
    assert isinstance(action.text, Template)
    return session.send_bytes(action.text.render(variables).encode())
