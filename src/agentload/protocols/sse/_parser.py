"""The event-stream parser: bytes in (split anywhere), :class:`SSEEvent` values out.

Theory of operation, following the WHATWG HTML Living Standard, §9.2.5 and §9.2.6:

* The stream is UTF-8; one leading byte order mark is dropped ("UTF-8 decode").
  Lines end with CRLF, LF or CR. We split *bytes* into lines and decode each
  complete line: CR and LF never occur inside a multi-byte UTF-8 sequence, so
  this gives the same text as decoding the whole stream first, and a sequence
  split between two reads is never decoded half. Invalid bytes become U+FFFD.
* A CR at the end of one read may be the first half of a CRLF whose LF comes
  in the next read: we remember it and drop that LF, so no phantom blank line
  (which would dispatch an event early) appears.
* Per line (§9.2.6): empty → dispatch the event; ``:`` first → a comment,
  ignored; otherwise ``field[:[ ]value]`` → ``event`` sets the type, ``data``
  appends a line of data, ``id`` sets the last event ID (unless it holds NUL),
  ``retry`` sets the reconnection time (ASCII digits only); other fields are
  ignored.
* Dispatch: the last event ID is taken over even without data; an event with
  no ``data`` line is dropped; otherwise one :class:`SSEEvent` comes out.
* At the end of the stream, an incomplete line and an undispatched event are
  discarded ("If the file ends in the middle of an event, before the final
  empty line, the incomplete event is not dispatched").

The spec sets no size limit; we do (``max_event_bytes``) so a peer that never
ends a line or an event cannot grow our memory without bound. Exceeding it is
the only way this parser fails, always with :class:`SSEError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from agentload.errors import ProtocolError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEError", "SSEEvent", "SSEParser"]

DEFAULT_MAX_EVENT_BYTES: Final = 16 * 1024 * 1024
"""The largest event (or single line) accepted by default: 16 MiB."""

_BOM: Final = b"\xef\xbb\xbf"
_LINE_ENDS: Final = (b"\n", b"\r")


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event (the ``MessageEvent`` of an ``EventSource``).

    Attributes:
        data: the ``data`` lines joined with LF (the last LF removed).
        event: the event type: the last ``event`` field, or ``"message"``.
        last_event_id: the last ``id`` field seen so far in the stream (it
            carries over to later events until another ``id`` changes it).
    """

    data: str
    event: str = "message"
    last_event_id: str = ""


class SSEError(ProtocolError):
    """The event stream broke a limit (a line or an event too large)."""


class SSEParser:
    """Parse one ``text/event-stream``, sans-I/O.

    Feed bytes with :meth:`receive_data` (any split), call :meth:`receive_eof`
    when the stream ends, and collect events with :meth:`events_received`.
    :attr:`last_event_id` and :attr:`retry_ms` hold the stream-level state the
    spec keeps on the ``EventSource`` (what a reconnecting client would send
    back as ``Last-Event-ID`` and how long it would wait).
    """

    __slots__ = (
        "_broken",
        "_buf",
        "_data",
        "_events",
        "_id_buffer",
        "_size",
        "_skip_lf",
        "_start",
        "_type",
        "last_event_id",
        "max_event_bytes",
        "retry_ms",
    )

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._buf = b""  # an incomplete line (or, at the start, a possible partial BOM)
        self._start = True  # the BOM has not been ruled in or out yet
        self._skip_lf = False  # the last read ended with CR: a leading LF is its pair
        self._broken = False
        self._data: list[str] = []  # the data buffer, one item per data line
        self._type = ""  # the event type buffer
        self._id_buffer = ""  # the last event ID buffer
        self._size = 0  # characters held for the event being built
        self._events: list[SSEEvent] = []
        self.last_event_id = ""
        """The last event ID string (§9.2.6 dispatch, step 1)."""
        self.retry_ms: int | None = None
        """The reconnection time set by the latest valid ``retry`` field, if any."""

    def events_received(self) -> list[SSEEvent]:
        """Return the events dispatched since the last call, in order."""
        events = self._events
        if events:
            self._events = []
        return events

    def receive_data(self, data: bytes) -> None:
        """Parse more bytes of the stream; raises :class:`SSEError` past the size limit."""
        if self._broken:
            raise SSEError("the event stream already failed; start a new parser")
        if not data:
            return
        if self._skip_lf:
            self._skip_lf = False
            if data[0] == 0x0A:  # the LF of a CRLF split between two reads
                data = data[1:]
                if not data:
                    return
        buf = self._buf + data if self._buf else data
        if self._start:
            if len(buf) < len(_BOM) and _BOM.startswith(buf):
                self._buf = buf  # maybe a BOM split between reads: wait for more
                return
            self._start = False
            if buf.startswith(_BOM):
                buf = buf[len(_BOM) :]
        lines = buf.splitlines()
        if buf.endswith(_LINE_ENDS):
            self._buf = b""
            self._skip_lf = buf[-1] == 0x0D
        else:
            self._buf = lines.pop() if lines else b""
            if len(self._buf) > self.max_event_bytes:
                self._fail(f"a line is longer than {self.max_event_bytes} bytes")
        for line in lines:
            self._line(line.decode("utf-8", "replace"))

    def receive_eof(self) -> None:
        """The stream ended: discard an incomplete line and an undispatched event."""
        self._buf = b""
        self._skip_lf = False
        self._data = []
        self._type = ""
        self._size = 0

    # -- §9.2.6 -------------------------------------------------------------------

    def _line(self, line: str) -> None:
        if not line:
            self._dispatch()
            return
        if line[0] == ":":
            return  # a comment (servers send them as keep-alives)
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                self._fail(f"an event is larger than {self.max_event_bytes} bytes")
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\x00" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        # Any other field name is ignored (§9.2.6).

    def _dispatch(self) -> None:
        self.last_event_id = self._id_buffer
        data = self._data
        if not data:
            self._type = ""
            return
        self._events.append(
            SSEEvent(
                data=data[0] if len(data) == 1 else "\n".join(data),
                event=self._type or "message",
                last_event_id=self.last_event_id,
            )
        )
        self._data = []
        self._type = ""
        self._size = 0

    def _fail(self, reason: str) -> None:
        self._broken = True
        self._buf = b""
        self._data = []
        raise SSEError(f"malformed event stream: {reason}")
