"""Receiving a response as it arrives: the seam between the parser's sink and the caller.

:meth:`HttpClient.stream` hands the parser (:meth:`ResponseParser.stream`) a
:class:`TimedSink`, which forwards each piece to the caller's
:class:`StreamReceiver` stamped with the arrival time of the read that
carried it. That time is :attr:`Connection.last_rx_ns`, which
``Connection.data_received`` sets *before* it feeds the parser, so streaming
adds nothing to the per-read path of ordinary requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from agentload.protocols.http._connection import Connection

__all__ = ["StreamReceiver", "TimedSink"]


class StreamReceiver(Protocol):
    """What :meth:`HttpClient.stream` delivers a response to, piece by piece.

    ``at_ns`` is the ``time.monotonic_ns()`` at which the read that carried
    the piece returned (pieces of one read share it).
    """

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]], at_ns: int) -> None:
        """The final response's status and header fields ``(name, value)``, as received."""

    def receive_body(self, data: bytes, at_ns: int) -> bool:
        """A piece of the body (transfer coding removed); return ``True`` to stop reading."""


class TimedSink:
    """A :class:`~agentload.protocols.http.BodySink` that timestamps pieces for a receiver."""

    __slots__ = ("_conn", "_receiver")

    def __init__(self, conn: Connection, receiver: StreamReceiver) -> None:
        self._conn = conn
        self._receiver = receiver

    def receive_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        """Forward the head with the time of the read that completed it."""
        self._receiver.receive_head(status, headers, self._conn.last_rx_ns)

    def receive_body(self, data: bytes) -> bool:
        """Forward a piece of the body with the time of the read that carried it."""
        return self._receiver.receive_body(data, self._conn.last_rx_ns)
