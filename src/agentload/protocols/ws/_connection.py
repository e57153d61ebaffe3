"""The asyncio WebSocket client driver, on picows (docs/decisions.md D9).

picows parses frames and handles the handshake; this module only adapts it:
it times the connect, reassembles fragments (:class:`MessageAssembler`, ours,
sans-I/O), answers the peer's close, turns library and OS exceptions into
:class:`WsError` and hands each message either to a synchronous listener (the
voice hot path) or to a queue that :meth:`WsConnection.recv` drains.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import picows

from agentload.errors import ErrorKind
from agentload.protocols.http._errors import error_from_os
from agentload.protocols.ws._assembler import FrameError, MessageAssembler
from agentload.protocols.ws._close import (
    ABNORMAL_CLOSURE,
    NO_STATUS_RECEIVED,
    NORMAL_CLOSURE,
    close_error_kind,
    describe_close,
    is_sendable_close_code,
)
from agentload.protocols.ws._errors import WsError

__all__ = ["MessageListener", "WsConnection", "WsMessage"]

_TEXT = picows.WSMsgType.TEXT
_BINARY = picows.WSMsgType.BINARY
_CONTINUATION = picows.WSMsgType.CONTINUATION
_CLOSE = picows.WSMsgType.CLOSE
_PONG = picows.WSMsgType.PONG
# How long close() waits for the peer's answering close frame before dropping
# the TCP connection (RFC 6455 §7.1.1 lets the client give up).
_CLOSE_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class WsMessage:
    """One complete message: ``str`` for text, ``bytes`` for binary frames."""

    data: str | bytes
    received_ns: int
    """``time.perf_counter_ns()`` when its (last) frame arrived."""


MessageListener = Callable[[WsMessage], None]


class _Listener(picows.WSListener):
    __slots__ = ("_conn",)

    def __init__(self, conn: WsConnection) -> None:
        self._conn = conn

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        self._conn._on_frame(transport, frame)

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        self._conn._on_disconnected()


class WsConnection:
    """A client WebSocket connection (RFC 6455). Create it with :meth:`connect`.

    Messages that arrive while no listener is set are queued for :meth:`recv`;
    with a listener set (:meth:`set_listener`) each message is passed to it
    synchronously as it arrives, and nothing is queued.
    """

    __slots__ = (
        "_assembler",
        "_callback",
        "_closed_future",
        "_closing_locally",
        "_loop",
        "_protocol_fault",
        "_queue",
        "_transport",
        "_url",
        "_waiter",
        "close_code",
        "close_reason",
        "closed",
        "closed_ns",
        "connect_us",
        "listener_error",
        "messages_received",
        "pongs_received",
        "subprotocol",
    )

    def __init__(self, url: str, max_message_bytes: int) -> None:
        self._url = url
        self._assembler = MessageAssembler(max_message_bytes)
        self._callback: MessageListener | None = None
        self._queue: collections.deque[WsMessage] = collections.deque()
        self._waiter: asyncio.Future[bool] | None = None
        self._loop = asyncio.get_running_loop()
        self._transport: picows.WSTransport | None = None
        self._closed_future: asyncio.Future[None] = self._loop.create_future()
        self._closing_locally = False
        self._protocol_fault = False
        self.connect_us = 0
        """Microseconds from the start of the TCP connect to the end of the handshake."""
        self.subprotocol: str | None = None
        """The subprotocol the server chose, or ``None``."""
        self.closed = False
        """True once the TCP connection is gone."""
        self.closed_ns = 0
        """``time.perf_counter_ns()`` when the TCP connection went (0 while open)."""
        self.close_code: int | None = None
        """The peer's close code (1005: frame without a code; 1006: no close frame)."""
        self.close_reason = ""
        """The reason text of the peer's close frame."""
        self.pongs_received = 0
        """Pong frames received (answers to :meth:`ping`)."""
        self.messages_received = 0
        """Complete data messages received (queued or passed to the listener)."""
        self.listener_error: Exception | None = None
        """The first exception the listener raised (the connection was then closed)."""

    # ------------------------------------------------------------------ connect
    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        subprotocols: Sequence[str] = (),
        timeout: float = 10.0,
        max_message_bytes: int = 16 << 20,
        ssl_context: ssl.SSLContext | None = None,
    ) -> WsConnection:
        """Open a connection to ``url`` (``ws://`` or ``wss://``) and complete the handshake.

        ``timeout`` bounds DNS, TCP, TLS and the upgrade together. Raises
        :class:`WsError` (``connect_refused``, ``connect_timeout``, ``dns``,
        ``tls``, ``ws_handshake`` with :attr:`WsError.status`, …) and
        ``ValueError`` for a URL that is not ``ws://``/``wss://``.
        """
        if not url[:6].lower().startswith(("ws://", "wss://")):
            raise ValueError(f"not a WebSocket URL (ws:// or wss://): {url!r}")
        conn = cls(url, max_message_bytes)
        extra = list(headers)
        if subprotocols:
            extra.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
        where = _where(url)
        start = time.perf_counter_ns()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await picows.ws_connect(
                    lambda: _Listener(conn),
                    url,
                    ssl_context=ssl_context,
                    websocket_handshake_timeout=timeout,
                    enable_auto_pong=True,
                    max_frame_size=max_message_bytes,
                    extra_headers=extra,
                    max_redirects=0,  # a load test reports a redirect, it does not follow it
                )
        except picows.WSInvalidURL as exc:
            raise ValueError(f"bad WebSocket URL {url!r}: {exc}") from None
        except picows.WSHandshakeError as exc:
            status = exc.response.status.value if exc.response is not None else None
            # A 101 with a bad Sec-WebSocket-Accept or Upgrade: picows says which.
            what = f"HTTP {status}" if status not in (None, 101) else str(exc)
            raise WsError(
                ErrorKind.WS_HANDSHAKE,
                f"WebSocket handshake with {where} rejected: {what}",
                status=status,
            ) from None
        except TimeoutError:
            raise WsError(
                ErrorKind.CONNECT_TIMEOUT, f"WebSocket connect to {where} timed out"
            ) from None
        except OSError as exc:
            err = error_from_os(exc, where, connecting=True)
            raise WsError(err.kind, f"WebSocket {err}") from None
        except picows.WSError as exc:  # any other handshake failure picows reports
            raise WsError(
                ErrorKind.WS_HANDSHAKE, f"WebSocket handshake with {where} failed: {exc}"
            ) from None
        conn.connect_us = (time.perf_counter_ns() - start) // 1000
        conn._transport = transport
        if transport.response is None:
            # picows returns when the peer hangs up before answering the upgrade.
            transport.disconnect(graceful=False)
            raise WsError(
                ErrorKind.WS_HANDSHAKE,
                f"WebSocket server {where} closed the connection before answering the handshake",
            )
        chosen = transport.response.headers.get("Sec-WebSocket-Protocol")
        if chosen is not None and chosen not in subprotocols:
            transport.disconnect(graceful=False)
            raise WsError(
                ErrorKind.WS_HANDSHAKE,
                f"WebSocket server {where} chose subprotocol {chosen!r}, which was not offered",
            )
        conn.subprotocol = chosen
        return conn

    # ----------------------------------------------------------------- sending
    def send_text(self, text: str) -> None:
        """Send one text message (raises :class:`WsError` once the connection closed)."""
        # _writable(), inline: voice calls send 50 of these a second per call.
        transport = self._transport
        if self.closed or transport is None or transport.is_close_frame_sent:
            raise self._closed_error()
        transport.send(_TEXT, text.encode())

    def send_bytes(self, data: bytes) -> None:
        """Send one binary message (raises :class:`WsError` once the connection closed)."""
        self._writable().send(_BINARY, data)

    def ping(self) -> None:
        """Send a ping frame; the pong is counted in :attr:`pongs_received`."""
        self._writable().send_ping()

    def _writable(self) -> picows.WSTransport:
        transport = self._transport
        if self.closed or transport is None or transport.is_close_frame_sent:
            raise self._closed_error()
        return transport

    # --------------------------------------------------------------- receiving
    def set_listener(self, callback: MessageListener | None) -> None:
        """Deliver each message to ``callback`` as it arrives (``None``: queue for :meth:`recv`).

        Messages already queued (e.g. a greeting that came with the handshake)
        are handed to the new callback at once, in order. The callback runs
        inside the event loop's read callback: keep it short and do not await.
        If it raises, the connection is closed with 1011 and the exception is
        kept in :attr:`listener_error` (the driver does not swallow it silently).
        """
        self._callback = callback
        queue = self._queue
        while callback is not None and queue and self._callback is callback:
            self._call_listener(callback, queue.popleft())

    async def recv(self, timeout: float | None = None) -> WsMessage:
        """The next queued message; waits up to ``timeout`` seconds (``None``: forever).

        Raises :class:`WsError`: ``ws_timeout`` when nothing arrived in time, and
        once the connection is closed and the queue empty, the kind of the
        close (``ws_abnormal_close``, ``ws_close_error``, else ``connection_closed``).
        """
        queue = self._queue
        if queue:
            return queue.popleft()
        if self.closed:
            raise self._closed_error()
        if self._waiter is not None:
            raise RuntimeError("recv() is already being awaited on this connection")
        # A bare future plus call_later costs far less than asyncio.timeout()
        # on this hot path (bench/ws_echo): the result says whether data came.
        waiter: asyncio.Future[bool] = self._loop.create_future()
        self._waiter = waiter
        handle = None if timeout is None else self._loop.call_later(timeout, _expire, waiter)
        try:
            woken = await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()
        if queue:
            return queue.popleft()
        if not woken:
            raise WsError(
                ErrorKind.WS_TIMEOUT,
                f"no WebSocket message from {_where(self._url)} within {timeout:g} s",
            )
        raise self._closed_error()

    def _closed_error(self) -> WsError:
        code = self.close_code if self.close_code is not None else ABNORMAL_CLOSURE
        kind = self.close_error_kind() or ErrorKind.CLOSED
        return WsError(
            kind,
            f"WebSocket to {_where(self._url)} closed: {describe_close(code, self.close_reason)}",
            close_code=code,
        )

    def _call_listener(self, callback: MessageListener, message: WsMessage) -> None:
        try:
            callback(message)
        except Exception as exc:  # the user's bug: keep it, fail the connection (1011)
            if self.listener_error is None:
                self.listener_error = exc
            transport = self._transport
            if transport is not None and not self.closed:
                self._closing_locally = True
                if not transport.is_close_frame_sent:
                    transport.send_close(picows.WSCloseCode.INTERNAL_ERROR)
                transport.disconnect()

    def _deliver(self, message: WsMessage) -> None:
        self.messages_received += 1
        callback = self._callback
        if callback is not None:
            self._call_listener(callback, message)
            return
        self._queue.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    def _on_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        now = time.perf_counter_ns()
        msg_type = frame.msg_type
        # The common case, one unfragmented text frame, skips the assembler.
        if msg_type is _TEXT and frame.fin and not self._assembler.in_progress:
            try:
                text = frame.get_payload_as_utf8_text()
            except UnicodeDecodeError:
                self._fail(transport, FrameError(1007, "text message is not valid UTF-8"))
                return
            self._deliver(WsMessage(text, now))
        elif msg_type is _TEXT or msg_type is _BINARY or msg_type is _CONTINUATION:
            try:
                data = self._assembler.feed(msg_type.value, frame.fin, frame.get_payload_as_bytes())
            except FrameError as exc:
                self._fail(transport, exc)
                return
            if data is not None:
                self._deliver(WsMessage(data, now))
        elif msg_type is _CLOSE:
            self._on_close_frame(transport, frame)
        elif msg_type is _PONG:
            self.pongs_received += 1

    def _on_close_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        code = frame.get_close_code().value
        self.close_code = code if code else NO_STATUS_RECEIVED
        self.close_reason = frame.get_close_reason() or ""
        if not transport.is_close_frame_sent:
            # RFC 6455 §5.5.1: answer with a close frame, echoing the code.
            echo = code if is_sendable_close_code(code) else NORMAL_CLOSURE
            transport.send_close(picows.WSCloseCode(echo))
        transport.disconnect()

    def _fail(self, transport: picows.WSTransport, exc: FrameError) -> None:
        """Fail the connection (RFC 6455 §7.1.7); the peer broke the protocol."""
        self.close_code = exc.close_code
        self.close_reason = str(exc)
        self._protocol_fault = True
        transport.send_close(picows.WSCloseCode(exc.close_code), str(exc).encode()[:120])
        transport.disconnect()

    def _on_disconnected(self) -> None:
        self.closed_ns = time.perf_counter_ns()
        self.closed = True
        if self.close_code is None:
            transport = self._transport
            handshake = transport.close_handshake if transport is not None else None
            sent = handshake.sent if handshake is not None else None
            if sent is not None and not self._closing_locally:
                # picows failed the connection itself (a frame over the size limit,
                # a bad opcode or close code from the peer): a protocol fault.
                self._protocol_fault = True
                self.close_code = sent.code.value
                self.close_reason = sent.reason or ""
            else:
                self.close_code = ABNORMAL_CLOSURE
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)
        if not self._closed_future.done():
            self._closed_future.set_result(None)

    # ----------------------------------------------------------------- closing
    @property
    def closed_by_peer(self) -> bool:
        """True when the peer (not :meth:`close`) ended the connection."""
        return self.close_code is not None and not self._closing_locally

    @property
    def ended(self) -> bool:
        """True once nothing more can be sent: a close frame came or went, or the TCP
        connection is gone."""
        transport = self._transport
        return (
            self.closed
            or self.close_code is not None
            or (transport is not None and transport.is_close_frame_sent)
        )

    def close_error_kind(self) -> ErrorKind | None:
        """The error kind of how the peer ended the connection; ``None`` if clean, still
        open, or closed by us.

        A connection we failed because the peer broke RFC 6455 (bad UTF-8, a
        message over ``max_message_bytes``, stray continuation) is
        ``malformed_response``.
        """
        if self._protocol_fault:
            return ErrorKind.MALFORMED
        # close_code is set as soon as the peer's close frame arrives (or the
        # connection drops), before the TCP connection is fully gone.
        if self._closing_locally or self.close_code is None:
            return None
        return close_error_kind(self.close_code)

    async def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Send a close frame, wait (up to 5 s) for the peer's, then drop the connection.

        Never raises for a peer that already went away.
        """
        if not is_sendable_close_code(code):
            raise ValueError(f"{code} is not a close code a client may send (RFC 6455 §7.4)")
        transport = self._transport
        if transport is None or self.closed:
            return
        if self.close_code is None and not transport.is_close_frame_sent:
            # Only a close we start is ours; after the peer's close frame (or a
            # drop) the peer's code stands and close() just waits for the end.
            self._closing_locally = True
            transport.send_close(picows.WSCloseCode(code), reason.encode() or None)
        try:
            async with asyncio.timeout(_CLOSE_WAIT_S):
                await asyncio.shield(self._closed_future)
        except TimeoutError:
            transport.disconnect(graceful=False)
            await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is gone (peer close, :meth:`close`, or a failure)."""
        await asyncio.shield(self._closed_future)

    def abort(self) -> None:
        """Drop the TCP connection at once, without a close frame (for cancellation)."""
        transport = self._transport
        if transport is not None and not self.closed:
            if self.close_code is None:
                self._closing_locally = True
            transport.disconnect(graceful=False)


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _where(url: str) -> str:
    """``host:port/path`` of a ws URL without the query (it may hold tokens)."""
    rest = url.split("://", 1)[-1]
    return rest.split("?", 1)[0]
