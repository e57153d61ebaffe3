"""One HTTP/1.1 connection: an ``asyncio.Protocol`` driving the sans-I/O parser.

This is the hot path. Per request it writes the bytes, creates one future and
resolves it from ``data_received`` when the parser reports the response
complete: no task, no timer handle, no per-chunk allocation beyond the
parser's own. Deadlines are plain integers checked by :class:`Deadlines`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, cast

from agentload.errors import ErrorKind
from agentload.protocols.http._deadlines import NEVER, Deadlines
from agentload.protocols.http._errors import HttpError, error_from_os
from agentload.protocols.http._parse import BROKEN, EXPECTING, ResponseParser
from agentload.protocols.http._response import Response

__all__ = ["Connection", "Pool", "Waiter"]


class Waiter(Protocol):
    """Where a request's outcome goes: the part of ``asyncio.Future`` a connection uses.

    Exactly one of :meth:`set_result` and :meth:`set_exception` is called,
    once, after the connection has let go of the waiter (``Connection.waiter``
    is already ``None``, and on success the connection is back in its pool's
    idle list). :meth:`done` is asked before :meth:`set_exception`.
    """

    def set_result(self, result: Response, /) -> None:
        """The complete response."""

    def set_exception(self, exception: BaseException, /) -> None:
        """The request failed (an :class:`HttpError`)."""

    def done(self) -> bool:
        """True if the outcome is already known (a cancelled future)."""
        ...


class Pool:
    """The connections of one client to one origin: idle ones (LIFO) and all of them."""

    __slots__ = ("all", "idle", "where")

    def __init__(self, where: str) -> None:
        self.where = where
        """``host:port``, for messages."""
        self.idle: list[Connection] = []
        """Connections ready for a request; the most recently used last."""
        self.all: set[Connection] = set()
        """Every open connection (idle or busy), to close them all."""


class Connection(asyncio.Protocol):
    """An HTTP/1.1 client connection carrying one request at a time (no pipelining)."""

    __slots__ = (
        "closed",
        "connect_ns",
        "deadlines",
        "dns_ns",
        "first_byte_ns",
        "last_rx_ns",
        "loop",
        "lost",
        "parser",
        "pool",
        "read_ns",
        "rx",
        "start_ns",
        "tls_ns",
        "total_deadline_ns",
        "transport",
        "tx",
        "waiter",
    )

    def __init__(self, pool: Pool, deadlines: Deadlines) -> None:
        """Create from a coroutine running on the loop the connection will use."""
        self.pool = pool
        self.deadlines = deadlines
        self.loop = asyncio.get_running_loop()
        self.parser = ResponseParser()
        self.transport: asyncio.Transport | None = None
        self.waiter: Waiter | None = None
        self.closed = False
        self.lost = False
        """True once the transport reported the connection gone."""
        self.dns_ns = self.connect_ns = self.tls_ns = 0
        self.start_ns = self.first_byte_ns = self.last_rx_ns = 0
        self.rx = self.tx = 0
        self.read_ns = 0
        self.total_deadline_ns = NEVER

    # -- asyncio.Protocol ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        waiter = self.waiter
        if waiter is None:
            # Bytes on an idle connection: nothing can pair them with a request.
            self.close()
            return
        if not self.rx:
            self.first_byte_ns = now
        self.last_rx_ns = now
        self.rx += len(data)
        parser = self.parser
        try:
            done = parser.feed(data)
        except HttpError as exc:
            self.fail(HttpError(exc.kind, f"{exc} from {self.pool.where}"))
            return
        if not done:
            return
        # The response is complete. Compiled (docs/decisions.md D23) this is a
        # direct C call, no longer worth inlining by hand.
        self._complete(waiter, now)

    def eof_received(self) -> bool | None:
        # The peer sends no more: no new request may start here. Returning None
        # lets the transport close; connection_lost finishes the job (and
        # completes a response delimited by the close).
        self.closed = True
        self._leave_pool()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = self.lost = True
        self._leave_pool()
        self.pool.all.discard(self)
        self.deadlines.unwatch(self)
        waiter = self.waiter
        if waiter is None:
            return
        if exc is not None:
            self.fail(error_from_os(exc, self.pool.where, connecting=False))
            return
        try:
            done = self.parser.feed_eof()
        except HttpError as err:
            self.fail(HttpError(err.kind, f"{err} ({self.pool.where})"))
            return
        if done:
            self._complete(waiter, time.monotonic_ns())
        else:  # pragma: no cover - feed_eof raises when a response is awaited
            self.fail(HttpError(ErrorKind.CLOSED, f"connection to {self.pool.where} closed"))

    # -- requests -----------------------------------------------------------------

    def start(
        self, request: bytes, head: bool, read_ns: int, total_ns: int, opened_ns: int
    ) -> asyncio.Future[Response]:
        """Write ``request`` and return the future of its response.

        ``read_ns``/``total_ns`` are the read and total limits (0: none);
        ``opened_ns`` is when the request began if it opened this connection
        (the total limit counts from there), else 0.
        """
        waiter: asyncio.Future[Response] = self.loop.create_future()
        self.begin(waiter, request, head, read_ns, total_ns, opened_ns)
        return waiter

    def begin(  # noqa: PLR0917 - positional: the per-request call is cheaper so
        self,
        waiter: Waiter,
        request: bytes,
        head: bool,
        read_ns: int,
        total_ns: int,
        opened_ns: int,
    ) -> None:
        """Write ``request``; its outcome goes to ``waiter`` (see :class:`Waiter`).

        :meth:`start` with a waiter of the caller's own: the engine's request
        chains (engine/_chain.py) are their own waiter and start the next
        request from the completion callback, with no future and no task switch.
        A failure to write is reported to ``waiter`` before this returns.
        """
        self.waiter = waiter
        if self.closed:
            # Closed between connect and now: a write would vanish silently.
            self.fail(HttpError(ErrorKind.CLOSED, f"connection to {self.pool.where} was closed"))
            return
        parser = self.parser
        if head or parser._state == BROKEN:
            parser.expect(head)
        else:
            # parser.expect(False) inlined: one Python call less per request.
            parser._state = EXPECTING
            parser._raw = []
            parser._body = []
            parser.keep_alive = False
            parser._head_bytes = 0
            parser._head = False
        self.start_ns = now = time.monotonic_ns()
        self.rx = 0
        self.tx = len(request)
        self.read_ns = read_ns
        # The read deadline counts from the later of start_ns and the last byte
        # (last_rx_ns); see check_deadline.
        earliest = now + read_ns if read_ns else NEVER
        if total_ns:
            total = self.total_deadline_ns = (opened_ns or now) + total_ns
            if total < earliest:  # noqa: PLR1730 - an if is cheaper than min()
                earliest = total
        else:
            self.total_deadline_ns = NEVER
        deadlines = self.deadlines
        # An if, not min(): this runs per request and a call costs more.
        if earliest < deadlines.next_check_ns:  # noqa: PLR1730
            deadlines.next_check_ns = earliest
        try:
            self.transport.write(request)  # type: ignore[union-attr]
        except (RuntimeError, OSError):
            # The transport closed under us (uvloop raises; connection_lost is
            # still queued). Nothing was sent, so send() may retry elsewhere.
            self.fail(HttpError(ErrorKind.CLOSED, f"connection to {self.pool.where} was closed"))

    def _complete(self, waiter: Waiter, now: int) -> None:
        parser = self.parser
        response = Response(
            parser.status,
            parser.fields,
            parser.body,
            self.tx,
            self.rx,
            self.start_ns,
            self.first_byte_ns,
            now,
            self.connect_ns,
            self.tls_ns,
            self.dns_ns,
            parser.head,
        )
        self.waiter = None
        if self.connect_ns:
            # Setup costs belong to the first request only.
            self.dns_ns = self.connect_ns = self.tls_ns = 0
        if parser.keep_alive and not self.closed:
            self.pool.idle.append(self)
        else:
            self.close()
        # try/except is free when nothing is raised; contextlib.suppress is not.
        try:  # noqa: SIM105
            waiter.set_result(response)
        except asyncio.InvalidStateError:
            pass  # the caller was cancelled meanwhile; send() aborts the connection

    def fail(self, error: HttpError) -> None:
        """Fail the request in flight (if any) with ``error`` and close the connection."""
        waiter = self.waiter
        self.waiter = None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def check_deadline(self, now_ns: int) -> int:
        """Fail the request in flight if a deadline passed; return the next deadline."""
        if self.waiter is None:
            return NEVER
        total = self.total_deadline_ns
        if now_ns >= total:
            self.fail(HttpError(ErrorKind.TOTAL_TIMEOUT, f"request to {self.pool.where} timed out"))
            return NEVER
        if self.read_ns:
            read = max(self.start_ns, self.last_rx_ns) + self.read_ns
            if now_ns >= read:
                waited = (now_ns - max(self.start_ns, self.last_rx_ns)) / 1e9
                self.fail(
                    HttpError(
                        ErrorKind.READ_TIMEOUT,
                        f"no data from {self.pool.where} for {waited:.2f} s (read timeout)",
                    )
                )
                return NEVER
            return min(read, total)
        return total

    def abort(self) -> None:
        """Drop the request in flight (cancelled by the caller) and the connection."""
        self.waiter = None
        self.close()

    def _leave_pool(self) -> None:
        idle = self.pool.idle
        if self in idle:
            idle.remove(self)

    def close(self) -> None:
        """Close the connection; it is never reused."""
        if not self.closed:
            self.closed = True
            self._leave_pool()
            if self.transport is not None:
                self.transport.close()
